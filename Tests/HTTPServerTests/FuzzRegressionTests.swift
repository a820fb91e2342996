import Foundation
@testable import HTTPServer
import TestSupport
import XCTest

/// Inputs the fuzz targets (Fuzz/) found, replayed through the parser they broke. Each lives in
/// Fuzz/regressions/<target>/ so `make test-fuzz` replays it under the fuzzer's properties too.
final class FuzzRegressionTests: XCTestCase {
    static let limits = HTTPRequestHeadParser.Limits(maxRequestLine: 8192, maxHeaderBytes: 16384, maxHeaderCount: 100, maxBodyBytes: 1 << 20)

    static func regression(_ target: String, _ name: String) throws -> [UInt8] {
        let path = CommittedModels.repositoryRoot + "/Fuzz/regressions/\(target)/\(name)"
        return try XCTUnwrap(FileManager.default.contents(atPath: path).map { [UInt8]($0) }, "missing \(path)")
    }

    static func decode(_ bytes: [UInt8]) -> (consumed: Int, result: ChunkedBodyDecoder.Result, body: [UInt8]) {
        var decoder = ChunkedBodyDecoder()
        var body: [UInt8] = []
        let (consumed, result) = bytes.withUnsafeBufferPointer { decoder.decode($0, into: &body, limits: limits) }
        return (consumed, result, body)
    }

    /// fuzz-chunked-body found `0\n\n` left waiting: the bare LF after the last chunk's size was
    /// counted as a byte of the first trailer line, so the empty line did not end the body.
    func testLastChunkSizeEndingInBareLFEndsTheBody() throws {
        let input = try Self.regression("fuzz-chunked-body", "last-chunk-bare-lf")
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
}
