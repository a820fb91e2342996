import HTTPServer
import TestSupport
import XCTest

/// Limits and malformed input: every case must get a JSON error and a closed connection.
final class HTTPServerLimitTests: XCTestCase {
    /// Sends `request` on a new connection and checks the JSON error response and the close.
    private func expectError(
        _ port: Int, _ request: String, status: Int, code: String,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let client = try TestClient(port: port)
        try client.send(request)
        try assertErrorResponse(try client.readResponse(), status: status, code: code, closes: client, file: file, line: line)
    }

    func testRequestLineTooLongGets414() async throws {
        let (_, port) = try startServer()
        let target = "/" + String(repeating: "a", count: 8 * 1024)
        try expectError(port, get(target), status: 414, code: "uri_too_long")
        // Detected as bytes arrive: no line end needed.
        let client = try TestClient(port: port)
        try client.send("GET /" + String(repeating: "b", count: 9000))
        try assertErrorResponse(try client.readResponse(), status: 414, code: "uri_too_long", closes: client)
        // Just under the limit is fine.
        let ok = try TestClient(port: port)
        try ok.send(get("/" + String(repeating: "c", count: 8 * 1024 - 20)))
        XCTAssertEqual(try ok.readResponse().status, 200)
    }

    func testHeaderSectionTooLargeGets431() async throws {
        let (_, port) = try startServer()
        let big = "X-Big: " + String(repeating: "v", count: 17 * 1024) + "\r\n"
        try expectError(port, get("/", big), status: 431, code: "header_fields_too_large")
        // Without ever finishing the head.
        let client = try TestClient(port: port)
        try client.send("GET / HTTP/1.1\r\nHost: t\r\n" + String(repeating: "X-A: 0123456789\r\n", count: 1200))
        try assertErrorResponse(try client.readResponse(), status: 431, code: "header_fields_too_large", closes: client)
    }

    func testTooManyHeaderFieldsGets431() async throws {
        let (_, port) = try startServer()
        let hundred = (1...99).map { "X-\($0): v\r\n" }.joined()  // plus Host = 100 fields
        let ok = try TestClient(port: port)
        try ok.send(get("/", hundred))
        XCTAssertEqual(try ok.readResponse().status, 200)
        try expectError(port, get("/", hundred + "X-101: v\r\n"), status: 431, code: "header_fields_too_large")
    }

    func testBodyTooLargeGets413() async throws {
        let (_, port) = try startServer()
        try expectError(port, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1048577\r\n\r\n", status: 413, code: "content_too_large")
        // With Expect: 100-continue the client gets the 413 instead of the interim response.
        try expectError(port, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999999999999999\r\nExpect: 100-continue\r\n\r\n",
                        status: 413, code: "content_too_large")
        // Exactly the limit is accepted.
        let body = String(repeating: "z", count: 1024 * 1024)
        let (_, sizePort) = try startServer { HTTPResponse(body: "\($0.body.count)") }
        let ok = try TestClient(port: sizePort)
        try ok.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body)
        XCTAssertEqual(try ok.readResponse().text, "\(1024 * 1024)")
    }

    func testChunkedBodyGrowingPastTheLimitGets413() async throws {
        let (_, port) = try startServer(configuration: testConfiguration { $0.maxBodyBytes = 1000 })
        let client = try TestClient(port: port)
        try client.send("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
        let chunk = "190\r\n" + String(repeating: "x", count: 400) + "\r\n"  // 400 bytes each
        try client.send(chunk + chunk)  // 800: still fine
        try client.send("190\r\n")      // would make 1200: refused as soon as the size line arrives
        try assertErrorResponse(try client.readResponse(), status: 413, code: "content_too_large", closes: client)
        // A single huge chunk size is refused too (no overflow).
        try expectError(port, "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFFFF\r\n",
                        status: 413, code: "content_too_large")
    }

    func testMalformedRequestsGet400() async throws {
        let (_, port) = try startServer()
        let cases: [(String, String)] = [
            ("missing Host", "GET / HTTP/1.1\r\n\r\n"),
            ("two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
            ("obs-fold", "GET / HTTP/1.1\r\nHost: t\r\nX-Folded: a\r\n  continued\r\n\r\n"),
            ("space before first field", "GET / HTTP/1.1\r\n Host: t\r\n\r\n"),
            ("Content-Length and Transfer-Encoding", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"),
            ("non-numeric Content-Length", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n"),
            ("negative Content-Length", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n"),
            ("conflicting Content-Lengths", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n"),
            ("empty Content-Length", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: \r\n\r\n"),
            ("space before colon", "GET / HTTP/1.1\r\nHost : t\r\n\r\n"),
            ("no colon", "GET / HTTP/1.1\r\nHost: t\r\nNoColon\r\n\r\n"),
            ("bad version", "GET / HTTP/x.1\r\nHost: t\r\n\r\n"),
            ("missing version", "GET /\r\nHost: t\r\n\r\n"),
            ("double space", "GET  / HTTP/1.1\r\nHost: t\r\n\r\n"),
            ("garbage line", "\u{01}\u{02}garbage\r\n\r\n"),
            ("relative target", "GET index.html HTTP/1.1\r\nHost: t\r\n\r\n"),
            ("control char in value", "GET / HTTP/1.1\r\nHost: t\r\nX-A: a\u{01}b\r\n\r\n"),
            ("bare CR", "GET / HTTP/1.1\r\nHost: t\rX: y\r\n\r\n"),
            ("chunked not last", "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"),
            ("bad chunk size", "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
            ("chunk longer than its size", "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n"),
            ("Transfer-Encoding in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
            ("asterisk with GET", "GET * HTTP/1.1\r\nHost: t\r\n\r\n"),
            ("absolute target without host", "GET http:///x HTTP/1.1\r\nHost: t\r\n\r\n"),
        ]
        for (name, request) in cases {
            let client = try TestClient(port: port)
            try client.send(request)
            let response = try client.readResponse()
            XCTAssertEqual(response.status, 400, "\(name): \(response.text)")
            try assertErrorResponse(response, status: 400, code: "bad_request", closes: client)
        }
    }

    func testUnsupportedTransferEncodingGets501() async throws {
        let (_, port) = try startServer()
        try expectError(port, "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n", status: 501, code: "not_implemented")
        try expectError(port, "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", status: 501, code: "not_implemented")
    }

    func testUnsupportedHTTPVersionGets505() async throws {
        let (_, port) = try startServer()
        try expectError(port, "GET / HTTP/2.0\r\nHost: t\r\n\r\n", status: 505, code: "http_version_not_supported")
    }

    func testErrorAfterPipelinedRequestsStillAnswersTheEarlierOnes() async throws {
        let (_, port) = try startServer()
        let client = try TestClient(port: port)
        try client.send(get("/ok") + "GET / HTTP/1.1\r\n\r\n" + get("/never"))
        XCTAssertEqual(try client.readResponse().text, "GET /ok")
        try assertErrorResponse(try client.readResponse(), status: 400, code: "bad_request", closes: client)
    }

    func testErrorResponseToHeadRequestHasNoBody() async throws {
        let (_, port) = try startServer()
        let client = try TestClient(port: port)
        try client.send("HEAD / HTTP/1.1\r\n\r\n")  // no Host
        let response = try client.readResponse(head: true)
        XCTAssertEqual(response.status, 400)
        XCTAssertEqual(try client.readToEnd(), [])
    }
}
