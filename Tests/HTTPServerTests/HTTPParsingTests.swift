@testable import HTTPServer
import TestSupport
import XCTest

/// Unit tests of the value types and the byte-level parsers.
final class HTTPParsingTests: XCTestCase {
    static let limits = HTTPRequestHeadParser.Limits(maxRequestLine: 8192, maxHeaderBytes: 16384, maxHeaderCount: 100, maxBodyBytes: 1 << 20)

    func testQueryItemsArePercentDecodedWithPlusAsSpace() {
        let request = HTTPRequest(method: "GET", path: "/", query: "a=1&b=two+words&c=%E2%9C%93&d&=e&f=%zz&&g=%2B")
        XCTAssertEqual(request.queryItems, [
            .init(name: "a", value: "1"), .init(name: "b", value: "two words"), .init(name: "c", value: "✓"),
            .init(name: "d", value: ""), .init(name: "", value: "e"), .init(name: "f", value: "%zz"),
            .init(name: "g", value: "+"),
        ])
        XCTAssertEqual(request.queryValue("b"), "two words")
        XCTAssertNil(request.queryValue("missing"))
    }

    func testSplitTargetAndDecodedPath() {
        XCTAssertTrue(HTTPRequest.splitTarget("/a/b?x=1&y") == ("/a/b", "x=1&y"))
        XCTAssertTrue(HTTPRequest.splitTarget("/plain") == ("/plain", ""))
        XCTAssertEqual(HTTPRequest(method: "GET", path: "/a%20b+c").decodedPath, "/a b+c")
        XCTAssertNil(HTTPRequest.percentDecode("%FF"))
    }

    func testHeadersAreCaseInsensitiveAndKeepMultipleValues() {
        var headers: HTTPHeaders = ["Content-Type": "text/plain", "Set-Cookie": "a=1"]
        headers.add("set-cookie", "b=2")
        XCTAssertEqual(headers["content-type"], "text/plain")
        XCTAssertEqual(headers["CONTENT-TYPE"], "text/plain")
        XCTAssertEqual(headers.values(for: "SET-COOKIE"), ["a=1", "b=2"])
        XCTAssertTrue(headers.contains("Set-cookie"))
        headers["SET-COOKIE"] = "c=3"
        XCTAssertEqual(headers.values(for: "set-cookie"), ["c=3"])
        headers["content-type"] = nil
        XCTAssertNil(headers["Content-Type"])
        XCTAssertEqual(headers.count, 1)
        XCTAssertFalse(HTTPHeaders.namesEqual("Content-Type", "Content-Typf"))
    }

    func testStatusReasonPhrases() {
        XCTAssertEqual(HTTPStatus.ok.description, "200 OK")
        XCTAssertEqual(HTTPStatus(431).reason, "Request Header Fields Too Large")
        let literal: HTTPStatus = 404
        XCTAssertEqual(literal, .notFound)
    }

    func testErrorBodyIsJSONWithEscapedMessage() {
        let error = RequestError.badRequest("quote \" backslash \\ newline \n")
        XCTAssertEqual(String(decoding: error.jsonBody, as: UTF8.self),
                       #"{"error":{"code":"bad_request","message":"quote \" backslash \\ newline \n"}}"#)
    }

    private func parseWhole(_ text: String) -> (HTTPRequestHeadParser.Result, HTTPRequestHeadParser) {
        var parser = HTTPRequestHeadParser(limits: Self.limits)
        let bytes = Array(text.utf8)
        let result = bytes.withUnsafeBufferPointer { parser.parse($0) }
        return (result, parser)
    }

    func testHeadParserRecordsOffsetsAndFraming() {
        let text = "POST /a?b=c HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\nConnection: keep-alive, Close\r\nExpect: 100-Continue\r\n\r\nhello"
        let (result, parser) = parseWhole(text)
        XCTAssertEqual(result, .complete(headLength: text.utf8.count - 5))
        XCTAssertEqual(parser.framing.contentLength, 5)
        XCTAssertTrue(parser.framing.connectionClose)
        XCTAssertTrue(parser.framing.connectionKeepAlive)
        XCTAssertTrue(parser.framing.expectContinue)
        XCTAssertEqual(parser.fields.count, 4)
        let bytes = Array(text.utf8)
        XCTAssertEqual(String(decoding: bytes[parser.path], as: UTF8.self), "/a")
        XCTAssertEqual(parser.query.map { String(decoding: bytes[$0], as: UTF8.self) }, "b=c")
    }

    /// Feeding a head in arbitrary fragments gives the same result as feeding it whole.
    func testHeadParserIsIndependentOfFragmentation() {
        let texts = [
            "GET /x HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\n",
            "GET /x HTTP/1.1\nHost: a\nX:   spaced   \n\n",
            "GET /x HTTP/1.1\r\nHost: a\r\n Folded\r\n\r\n",
            "GET /x HTTP/1.1\r\n\r\n",
            "BAD\r\n\r\n",
        ]
        var rng = SeededGenerator(state: 42)
        for text in texts {
            let (expected, _) = parseWhole(text)
            let bytes = Array(text.utf8)
            for _ in 0..<50 {
                var parser = HTTPRequestHeadParser(limits: Self.limits)
                var end = 0
                var result = HTTPRequestHeadParser.Result.needMore
                while result == .needMore && end < bytes.count {
                    end = min(bytes.count, end + Int.random(in: 1...5, using: &rng))
                    result = bytes[..<end].withUnsafeBufferPointer { parser.parse($0) }
                }
                XCTAssertEqual(result, expected, text)
            }
        }
    }

    func testChunkedDecoderAcrossEverySplitPoint() {
        let encoded = Array("4;x=y\r\nWiki\r\n6\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\nTrailer: 1\r\n\r\nNEXT".utf8)
        let expected = Array("Wikipedia in \r\n\r\nchunks.".utf8)
        for split in 0...encoded.count - 4 {
            var decoder = ChunkedBodyDecoder()
            var body: [UInt8] = []
            let first = encoded[..<split].withUnsafeBufferPointer { decoder.decode($0, into: &body, limits: Self.limits) }
            XCTAssertEqual(first.consumed, split)
            let rest = encoded[split...].withUnsafeBufferPointer { decoder.decode($0, into: &body, limits: Self.limits) }
            XCTAssertEqual(rest.result, .done, "split at \(split)")
            XCTAssertEqual(split + rest.consumed, encoded.count - 4, "must stop before the next request")
            XCTAssertEqual(body, expected)
        }
    }

    func testResponseHeadEncoding() {
        var head = ResponseHead(capacity: 64)
        head.appendStatusLine(HTTPStatus(code: 200, reason: "OK\r\nEvil: 1"))
        head.appendContentLength(1234567)
        head.finish()
        XCTAssertEqual(String(decoding: head.bytes, as: UTF8.self), "HTTP/1.1 200 OKEvil: 1\r\nContent-Length: 1234567\r\n\r\n")
        var hex: [UInt8] = []
        HTTPConnection.appendHex(0x1a2b, to: &hex)
        XCTAssertEqual(String(decoding: hex, as: UTF8.self), "1a2b")
        XCTAssertEqual(String(decoding: HTTPDate.format(784_111_777), as: UTF8.self), "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n")
    }
}
