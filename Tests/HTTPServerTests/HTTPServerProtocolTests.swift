import HTTPServer
import TestSupport
import XCTest

func get(_ target: String, _ extraHeaders: String = "") -> String {
    "GET \(target) HTTP/1.1\r\nHost: test\r\n\(extraHeaders)\r\n"
}

final class HTTPServerProtocolTests: XCTestCase {
    func testKeepAliveServesSeveralRequestsOnOneConnection() async throws {
        let (server, port) = try startServer()
        let client = try TestClient(port: port)
        for i in 0..<5 {
            try client.send(get("/item/\(i)?n=\(i)"))
            let response = try client.readResponse()
            XCTAssertEqual(response.status, 200)
            XCTAssertEqual(response.text, "GET /item/\(i)?n=\(i)")
            XCTAssertEqual(response.header("content-length"), "\(response.body.count)")
            XCTAssertNotNil(response.header("date"))
            XCTAssertNil(response.header("connection"))
        }
        XCTAssertEqual(server.connectionCount, 1)
    }

    func testPipelinedRequestsAreAnsweredInOrderEvenWhenTheFirstIsSlow() async throws {
        let (_, port) = try startServer { request in
            if request.path == "/slow" { try? await Task.sleep(for: .milliseconds(150)) }
            return HTTPResponse(body: request.path)
        }
        let client = try TestClient(port: port)
        try client.send(get("/slow") + get("/fast1") + get("/fast2"))
        let bodies = try (0..<3).map { _ in try client.readResponse().text }
        XCTAssertEqual(bodies, ["/slow", "/fast1", "/fast2"])
        // The connection is still usable afterwards.
        try client.send(get("/after"))
        XCTAssertEqual(try client.readResponse().text, "/after")
    }

    func testContentLengthBody() async throws {
        let (_, port) = try startServer()
        let client = try TestClient(port: port)
        try client.send("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 11\r\n\r\nhello")
        try await Task.sleep(for: .milliseconds(20))  // the body arrives in two parts
        try client.send(" world" + get("/next"))
        XCTAssertEqual(try client.readResponse().text, "POST /echo hello world")
        XCTAssertEqual(try client.readResponse().text, "GET /next")
    }

    func testChunkedRequestBodyWithExtensionsAndTrailers() async throws {
        let (_, port) = try startServer()
        let client = try TestClient(port: port)
        try client.send(
            "POST /upload HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5;name=value\r\nhello\r\n"
                + "1 ; ext\r\n \r\n"
                + "A\r\n0123456789\r\n"
                + "0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n"
                + get("/next"))
        XCTAssertEqual(try client.readResponse().text, "POST /upload hello 0123456789")
        XCTAssertEqual(try client.readResponse().text, "GET /next")
    }

    func testChunkedRequestBodyArrivingByteByByte() async throws {
        let (_, port) = try startServer()
        let client = try TestClient(port: port)
        let request = "PUT /x HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
        for byte in request.utf8 { try client.send([byte]) }
        XCTAssertEqual(try client.readResponse().text, "PUT /x abcde")
    }

    func testStreamedResponseChunksArriveBeforeTheHandlerFinishes() async throws {
        let gate = Latch()
        let finished = Counter()
        let (_, port) = try startServer { _ in
            .stream(headers: ["Content-Type": "text/plain"]) { writer in
                try await writer.write("first")
                await gate.wait()
                try await writer.write(Array("second".utf8))
                try await writer.write([])  // ignored, must not end the body
                finished.increment()
            }
        }
        let client = try TestClient(port: port)
        try client.send(get("/stream"))
        let head = try client.readHead()
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.header("transfer-encoding"), "chunked")
        XCTAssertNil(head.header("content-length"))
        XCTAssertEqual(try client.readChunk().map { String(decoding: $0, as: UTF8.self) }, "first")
        XCTAssertEqual(finished.current, 0, "the first chunk must arrive while the handler is still running")
        gate.open()
        XCTAssertEqual(try client.readChunk().map { String(decoding: $0, as: UTF8.self) }, "second")
        XCTAssertNil(try client.readChunk())
        XCTAssertEqual(finished.current, 1)
        // Keep-alive continues after a streamed response.
        try client.send(get("/stream"))
        let again = try client.readResponse()
        XCTAssertEqual(again.text, "firstsecond")
    }

    func testLargeStreamedResponseRespectsBackpressure() async throws {
        let chunk = [UInt8](repeating: 0x61, count: 64 * 1024)
        let (_, port) = try startServer(configuration: testConfiguration { $0.writeHighWaterMark = 16 * 1024 }) { _ in
            .stream { writer in
                for _ in 0..<64 { try await writer.write(chunk) }  // 4 MiB
            }
        }
        let client = try TestClient(port: port)
        try client.send(get("/big"))
        try await Task.sleep(for: .milliseconds(100))  // the client is not reading yet
        let response = try client.readResponse()
        XCTAssertEqual(response.body.count, 64 * chunk.count)
    }

    func testLargeCompleteResponse() async throws {
        let body = (0..<(3 * 1024 * 1024)).map { UInt8(truncatingIfNeeded: $0) }
        let (_, port) = try startServer { _ in HTTPResponse(body: body) }
        let client = try TestClient(port: port)
        try client.send(get("/big") + get("/big"))
        XCTAssertEqual(try client.readResponse().body, body)
        XCTAssertEqual(try client.readResponse().body, body)
    }

    func testExpectContinue() async throws {
        let (_, port) = try startServer()
        let client = try TestClient(port: port)
        try client.send("POST /e HTTP/1.1\r\nHost: test\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        let interim = try client.readHead()
        XCTAssertEqual(interim.status, 100)
        try client.send("data")
        XCTAssertEqual(try client.readResponse().text, "POST /e data")
    }

    func testUnsupportedExpectationGets417() async throws {
        let (_, port) = try startServer()
        let client = try TestClient(port: port)
        try client.send("POST /e HTTP/1.1\r\nHost: test\r\nContent-Length: 4\r\nExpect: something-else\r\n\r\n")
        try assertErrorResponse(try client.readResponse(), status: 417, code: "expectation_failed", closes: client)
    }

    func testHeadHasContentLengthButNoBody() async throws {
        let (_, port) = try startServer { _ in HTTPResponse(body: "twelve bytes") }
        let client = try TestClient(port: port)
        try client.send("HEAD /h HTTP/1.1\r\nHost: test\r\n\r\n" + get("/g"))
        let head = try client.readResponse(head: true)
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.header("content-length"), "12")
        // If a body had been sent after the HEAD response, this would read it as a status line.
        XCTAssertEqual(try client.readResponse().text, "twelve bytes")
    }

    func testHeadOfStreamedResponseSendsNoBody() async throws {
        let (_, port) = try startServer { _ in .stream { try await $0.write("never") } }
        let client = try TestClient(port: port)
        try client.send("HEAD /s HTTP/1.1\r\nHost: test\r\n\r\n" + get("/s"))
        let head = try client.readResponse(head: true)
        XCTAssertEqual(head.header("transfer-encoding"), "chunked")
        XCTAssertEqual(try client.readResponse().text, "never")
    }

    func testHTTP10ClosesByDefaultAndKeepsAliveOnRequest() async throws {
        let (_, port) = try startServer()
        let client = try TestClient(port: port)
        try client.send("GET /old HTTP/1.0\r\n\r\n")
        let response = try client.readResponse()
        XCTAssertEqual(response.text, "GET /old")
        XCTAssertEqual(response.header("connection"), "close")
        XCTAssertTrue(try client.waitForClose())

        let keepAlive = try TestClient(port: port)
        for _ in 0..<2 {
            try keepAlive.send("GET /ka HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            let response = try keepAlive.readResponse()
            XCTAssertEqual(response.text, "GET /ka")
            XCTAssertEqual(response.header("connection"), "keep-alive")
        }
    }

    func testHTTP10StreamedResponseIsDelimitedByClose() async throws {
        let (_, port) = try startServer { _ in .stream { try await $0.write("a"); try await $0.write("b") } }
        let client = try TestClient(port: port)
        try client.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        let response = try client.readResponse()
        XCTAssertNil(response.header("transfer-encoding"))
        XCTAssertEqual(response.header("connection"), "close")
        XCTAssertEqual(response.text, "ab")
    }

    func testConnectionCloseRequestClosesAfterResponse() async throws {
        let (_, port) = try startServer()
        let client = try TestClient(port: port)
        try client.send(get("/bye", "Connection: close\r\n"))
        let response = try client.readResponse()
        XCTAssertEqual(response.header("connection"), "close")
        XCTAssertTrue(try client.waitForClose())
    }

    func testHandlerCanCloseTheConnection() async throws {
        let (_, port) = try startServer { _ in HTTPResponse(headers: ["Connection": "close"], body: "x") }
        let client = try TestClient(port: port)
        try client.send(get("/"))
        XCTAssertEqual(try client.readResponse().header("connection"), "close")
        XCTAssertTrue(try client.waitForClose())
    }

    func testAbsoluteFormTarget() async throws {
        let (_, port) = try startServer()
        let client = try TestClient(port: port)
        try client.send(get("http://example.com:8080/path/x?q=1&r=a+b"))
        XCTAssertEqual(try client.readResponse().text, "GET /path/x?q=1&r=a+b")
        try client.send(get("HTTP://example.com"))
        XCTAssertEqual(try client.readResponse().text, "GET /")
        try client.send(get("https://example.com?only=query"))
        XCTAssertEqual(try client.readResponse().text, "GET /?only=query")
    }

    func testRequestFieldsSeenByTheHandler() async throws {
        let (_, port) = try startServer { request in
            var parts: [String] = [request.method, request.path, request.query, request.version.description]
            parts.append(request.headers["x-multi"] ?? "-")
            parts.append(request.headers.values(for: "X-MULTI").joined(separator: "|"))
            parts.append(request.headers["CONTENT-type"] ?? "-")
            parts.append(request.queryValue("name") ?? "-")
            parts.append(request.remoteAddress.hasPrefix("127.0.0.1:") ? "remote-ok" : request.remoteAddress)
            return HTTPResponse(body: parts.joined(separator: "\n"))
        }
        let client = try TestClient(port: port)
        try client.send("PATCH /a%20b?name=J%C3%BCrgen+X&x HTTP/1.1\r\nhost: t\r\nX-Multi: one \r\nx-multi:two\r\n"
            + "Content-Type:  text/plain\t\r\nContent-Length: 0\r\n\r\n")
        XCTAssertEqual(try client.readResponse().text.split(separator: "\n", omittingEmptySubsequences: false), [
            "PATCH", "/a%20b", "name=J%C3%BCrgen+X&x", "HTTP/1.1", "one", "one|two", "text/plain", "Jürgen X", "remote-ok",
        ])
    }

    func testLeadingEmptyLinesBeforeARequestAreIgnored() async throws {
        let (_, port) = try startServer()
        let client = try TestClient(port: port)
        try client.send("\r\n\r\n" + get("/x"))
        XCTAssertEqual(try client.readResponse().text, "GET /x")
    }

    func testOptionsAsterisk() async throws {
        let (_, port) = try startServer()
        let client = try TestClient(port: port)
        try client.send("OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(try client.readResponse().text, "OPTIONS *")
    }

    func testNoContentResponseHasNoContentLength() async throws {
        let (_, port) = try startServer { _ in HTTPResponse(status: .noContent) }
        let client = try TestClient(port: port)
        try client.send(get("/") + get("/"))
        for _ in 0..<2 {
            let response = try client.readResponse()
            XCTAssertEqual(response.status, 204)
            XCTAssertNil(response.header("content-length"))
        }
    }

    func testServerManagedHeadersAreReplacedAndUnsafeOnesDropped() async throws {
        let (_, port) = try startServer { _ in
            HTTPResponse(
                status: HTTPStatus(code: 299, reason: "Custom"),
                headers: ["Content-Length": "999", "X-Ok": "yes", "X-Bad": "a\r\nInjected: 1", "Transfer-Encoding": "gzip"],
                body: "abc")
        }
        let client = try TestClient(port: port)
        try client.send(get("/"))
        let response = try client.readResponse()
        XCTAssertEqual(response.status, 299)
        XCTAssertEqual(response.reason, "Custom")
        XCTAssertEqual(response.header("content-length"), "3")
        XCTAssertEqual(response.header("x-ok"), "yes")
        XCTAssertNil(response.header("x-bad"))
        XCTAssertNil(response.header("injected"))
        XCTAssertNil(response.header("transfer-encoding"))
        XCTAssertEqual(response.text, "abc")
    }

    func testStreamThatThrowsClosesTheConnectionWithoutTheLastChunk() async throws {
        struct Boom: Error {}
        let (_, port) = try startServer { _ in
            .stream { writer in
                try await writer.write("partial")
                throw Boom()
            }
        }
        let client = try TestClient(port: port)
        try client.send(get("/"))
        _ = try client.readHead()
        XCTAssertEqual(try client.readChunk(), Array("partial".utf8))
        XCTAssertThrowsError(try client.readChunk(), "the body must end without a last chunk")
    }

    func testAccessLogHasOneLinePerRequest() async throws {
        let capture = LogCapture()
        let (_, port) = try startServer(logger: capture.logger())
        let client = try TestClient(port: port)
        try client.send(get("/one") + get("/two?x=1"))
        _ = try client.readResponse()
        _ = try client.readResponse()
        try client.send("BROKEN\r\n\r\n")
        _ = try client.readResponse()
        let access = await waitUntil { capture.lines.filter { $0.1.hasPrefix("GET") || $0.1.hasPrefix("-") }.count == 3 }
        XCTAssertTrue(access, "\(capture.lines)")
        let lines = capture.lines.map(\.1).filter { $0.hasPrefix("GET") || $0.hasPrefix("-") }
        XCTAssertTrue(lines[0].hasPrefix("GET /one 200 8 "), lines[0])
        XCTAssertTrue(lines[0].hasSuffix("ms"), lines[0])
        XCTAssertTrue(lines[1].hasPrefix("GET /two 200 "), lines[1])
        XCTAssertTrue(lines[2].hasPrefix("- - 400 "), lines[2])
        XCTAssertTrue(capture.lines.filter { $0.1.hasPrefix("GET") }.allSatisfy { $0.0 == .info })
    }
}

