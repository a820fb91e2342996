import Foundation
@testable import HTTPServer
import TestSupport
import XCTest

/// Inputs the fuzz targets (Fuzz/) found, replayed through the parser they broke. Each lives in
/// Fuzz/regressions/<target>/ so `make test-fuzz` replays it under the fuzzer's properties too.
final class FuzzRegressionTests: XCTestCase {
    static let limits = HTTPRequestHeadParser.Limits(maxRequestLine: 8192, maxHeaderBytes: 16384, maxHeaderCount: 100, maxBodyBytes: 1 << 20)

    static func decode(_ bytes: [UInt8]) -> (consumed: Int, result: ChunkedBodyDecoder.Result, body: [UInt8]) {
        var decoder = ChunkedBodyDecoder()
        var body: [UInt8] = []
        let (consumed, result) = bytes.withUnsafeBufferPointer { decoder.decode($0, into: &body, limits: limits) }
        return (consumed, result, body)
    }

    /// fuzz-chunked-body found `0\n\n` left waiting: the bare LF after the last chunk's size was
    /// counted as a byte of the first trailer line, so the empty line did not end the body.
    func testLastChunkSizeEndingInBareLFEndsTheBody() throws {
        let input = try FuzzRegression.input("fuzz-chunked-body", "last-chunk-bare-lf")
        XCTAssertEqual(input, Array("0\n\n".utf8))
        let decoded = Self.decode(input)
        XCTAssertEqual(decoded.result, .done)
        XCTAssertEqual(decoded.consumed, input.count)
        XCTAssertEqual(decoded.body, [])
    }

    /// The same bug read a pipelined request after such a body as trailer fields.
    func testBareLFBodyStopsBeforeThePipelinedRequest() {
        for body in ["4\nwxyz\n0\n\n", "4;ext\nwxyz\n0;last\n\n", "4\r\nwxyz\r\n0\n\n"] {
            let decoded = Self.decode(Array((body + "GET /next HTTP/1.1\r\nHost: h\r\n\r\n").utf8))
            XCTAssertEqual(decoded.result, .done, body.debugDescription)
            XCTAssertEqual(decoded.consumed, body.utf8.count, body.debugDescription)
            XCTAssertEqual(decoded.body, Array("wxyz".utf8), body.debugDescription)
        }
    }

    static func parseAtOnceAndByteByByte(_ input: [UInt8], _ limits: HTTPRequestHeadParser.Limits)
        -> (whole: HTTPRequestHeadParser.Result, pieces: HTTPRequestHeadParser.Result) {
        var parser = HTTPRequestHeadParser(limits: limits)
        let whole = input.withUnsafeBufferPointer { parser.parse($0) }
        var incremental = HTTPRequestHeadParser(limits: limits)
        var result = HTTPRequestHeadParser.Result.needMore
        for end in 1...input.count where result == .needMore {
            result = input.withUnsafeBufferPointer { incremental.parse(UnsafeBufferPointer(rebasing: $0[..<end])) }
        }
        return (whole, result)
    }

    /// fuzz-http-head found a request line over the length limit with a byte no request line may hold
    /// within the limit: at once it was 414 (the length was checked first), byte by byte 400 (the bad
    /// byte arrived before the limit was passed). Both now check the bytes within the limit first.
    func testOverlongRequestLineGetsTheSameAnswerHoweverItArrives() throws {
        let found = try FuzzRegression.input("fuzz-http-head", "bad-byte-in-overlong-request-line")
        let small = HTTPRequestHeadParser.Limits(maxRequestLine: 64, maxHeaderBytes: 256, maxHeaderCount: 8, maxBodyBytes: 1024)
        for limits in [Self.limits, small] {
            let (whole, pieces) = Self.parseAtOnceAndByteByByte(found, limits)
            XCTAssertEqual(whole, pieces)
        }
        let badWithinLimit = Array(("GE(T /" + String(repeating: "a", count: 100) + " HTTP/1.1\r\nHost: h\r\n\r\n").utf8)
        let badBeyondLimit = Array(("GET /" + String(repeating: "a", count: 100) + "\u{7f} HTTP/1.1\r\nHost: h\r\n\r\n").utf8)
        let (whole, pieces) = Self.parseAtOnceAndByteByByte(badWithinLimit, small)
        XCTAssertEqual(whole, .failure(.badRequest("Malformed request line.")))
        XCTAssertEqual(pieces, whole)
        let (longWhole, longPieces) = Self.parseAtOnceAndByteByByte(badBeyondLimit, small)
        XCTAssertEqual(longWhole, .failure(.uriTooLong))
        XCTAssertEqual(longPieces, longWhole)
    }

    /// fuzz-http-head found the TLS message given at once but not when the handshake's first byte
    /// (0x16) arrived alone: the message read the second byte when it was there. The first byte decides.
    func testTLSRecordByteGetsTheSameMessageHoweverItArrives() throws {
        let found = try FuzzRegression.input("fuzz-http-head", "tls-record-first-byte-alone")
        XCTAssertEqual(found.first, 0x16)
        let (whole, pieces) = Self.parseAtOnceAndByteByByte(found, Self.limits)
        XCTAssertEqual(whole, .failure(.badRequest("This port speaks plain HTTP; the client started a TLS handshake.")))
        XCTAssertEqual(pieces, whole)
    }
}
