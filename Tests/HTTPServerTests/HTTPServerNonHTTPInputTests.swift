import HTTPServer
import TestSupport
import XCTest

/// A connection whose first bytes cannot start an HTTP request is answered 400 (JSON) and closed at
/// once, over real loopback sockets, long before the header timeout; a valid request line that is
/// merely incomplete is still waited for.
final class HTTPServerNonHTTPInputTests: XCTestCase {
    /// Header timeout far above the 100 ms the answer must take, so only the early check can answer.
    let configuration = testConfiguration { $0.headerTimeout = .seconds(10) }

    /// A TLS 1.3 ClientHello record as a browser or curl sends it to an https:// URL (SNI localhost).
    static let clientHello: [UInt8] = {
        let sni: [UInt8] = [0x00, 0x00, 0x00, 0x0E, 0x00, 0x0C, 0x00, 0x00, 0x09] + Array("localhost".utf8)
        let versions: [UInt8] = [0x00, 0x2B, 0x00, 0x03, 0x02, 0x03, 0x04]
        let groups: [UInt8] = [0x00, 0x0A, 0x00, 0x04, 0x00, 0x02, 0x00, 0x1D]
        let extensions = sni + versions + groups
        var body: [UInt8] = [0x03, 0x03] + (0..<32).map { UInt8($0 &* 7) }  // legacy version, random
        body += [0x20] + (0..<32).map { UInt8($0 &+ 100) }  // session id
        body += [0x00, 0x04, 0x13, 0x01, 0x13, 0x02, 0x01, 0x00]  // two cipher suites, null compression
        body += [UInt8(extensions.count >> 8), UInt8(extensions.count & 0xFF)] + extensions
        let handshake: [UInt8] = [0x01, 0x00, UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body
        return [0x16, 0x03, 0x01, UInt8(handshake.count >> 8), UInt8(handshake.count & 0xFF)] + handshake
    }()

    /// Sends `bytes` on a fresh connection; asserts a 400 JSON answer and a close within 100 ms.
    func assertRefusedAtOnce(_ bytes: [UInt8], port: Int, message: String? = nil, file: StaticString = #filePath,
                             line: UInt = #line) throws {
        let client = try TestClient(port: port)
        let clock = ContinuousClock()
        let started = clock.now
        try client.send(bytes)
        let response = try client.readResponse()
        XCTAssertTrue(try client.waitForClose(), "the connection should be closed", file: file, line: line)
        let elapsed = clock.now - started
        try assertErrorResponse(response, status: 400, code: "bad_request", file: file, line: line)
        if let message { XCTAssertTrue(response.text.contains(message), response.text, file: file, line: line) }
        XCTAssertLessThan(elapsed, .milliseconds(100), file: file, line: line)
    }

    func testATLSClientHelloIsAnswered400AndClosedAtOnce() throws {
        let (_, port) = try startServer(configuration: configuration)
        try assertRefusedAtOnce(Self.clientHello, port: port, message: "This port speaks plain HTTP; the client started a TLS handshake.")
    }

    func testRandomBytesAreAnswered400AndClosedAtOnce() throws {
        let (_, port) = try startServer(configuration: configuration)
        var state: UInt64 = 2026
        for _ in 0..<5 {
            let junk = (0..<256).map { _ -> UInt8 in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return UInt8(truncatingIfNeeded: state >> 56)
            }
            try assertRefusedAtOnce(junk, port: port)
        }
    }

    func testJunkAfterAValidMethodOrTargetIsAnswered400AtOnce() throws {
        let (_, port) = try startServer(configuration: configuration)
        try assertRefusedAtOnce(Array("GET \u{01}\u{02}".utf8), port: port, message: "Malformed request line.")
        try assertRefusedAtOnce(Array("GET / HTTX".utf8), port: port, message: "Malformed HTTP version")
        try assertRefusedAtOnce(Array("GET / HTTP/1.1x".utf8), port: port, message: "Malformed HTTP version")
    }

    func testAnIncompleteButValidRequestLineIsStillWaitedFor() async throws {
        let (_, port) = try startServer(configuration: configuration)
        let client = try TestClient(port: port)
        for piece in ["GE", "T /pie", "ces?a=1 HT", "TP/1.", "1\r", "\nHost: t\r\n\r\n"] {
            try client.send(piece)
            try await Task.sleep(for: .milliseconds(30))
            if piece != "\nHost: t\r\n\r\n" { XCTAssertFalse(client.isReadable(), "answered early after \(piece.debugDescription)") }
        }
        XCTAssertEqual(try client.readResponse().text, "GET /pieces?a=1")
        // Still a keep-alive connection: a pipelined pair follows on it.
        try client.send("GET /a HTTP/1.1\r\nHost: t\r\n\r\nGET /b HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(try client.readResponse().text, "GET /a")
        XCTAssertEqual(try client.readResponse().text, "GET /b")
    }
}
