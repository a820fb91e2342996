import HTTPServer
import Logging
import Synchronization
import TestSupport
import XCTest

/// Collects log lines so tests can check the access log.
final class LogCapture: Sendable {
    private let storage = Mutex<[(Logger.Level, String)]>([])

    var lines: [(Logger.Level, String)] { storage.withLock { $0 } }

    func append(_ level: Logger.Level, _ message: String) {
        storage.withLock { $0.append((level, message)) }
    }

    func logger(level: Logger.Level = .info) -> Logger {
        var logger = Logger(label: "test") { _ in CapturingLogHandler { [self] in append($0.level, "\($0.message)") } }
        logger.logLevel = level
        return logger
    }
}

/// A counter tests can await on.
final class Counter: Sendable {
    private let value = Mutex(0)

    @discardableResult
    func increment() -> Int { value.withLock { $0 += 1; return $0 } }

    var current: Int { value.withLock { $0 } }
}

/// Echoes the request: `METHOD path?query body`.
let echoHandler: @Sendable (HTTPRequest) async -> HTTPResponse = { request in
    var text = "\(request.method) \(request.path)"
    if !request.query.isEmpty { text += "?\(request.query)" }
    if !request.body.isEmpty { text += " " + String(decoding: request.body, as: UTF8.self) }
    return HTTPResponse(status: .ok, headers: ["Content-Type": "text/plain"], body: text)
}

/// 127.0.0.1, ephemeral port, short timeouts; `modify` adjusts it further.
func testConfiguration(_ modify: (inout HTTPServer.Configuration) -> Void = { _ in }) -> HTTPServer.Configuration {
    var configuration = HTTPServer.Configuration(host: "127.0.0.1", port: 0)
    configuration.headerTimeout = .seconds(2)
    configuration.idleTimeout = .seconds(2)
    configuration.lingerTimeout = .milliseconds(300)
    modify(&configuration)
    return configuration
}

extension XCTestCase {
    /// Starts a server on 127.0.0.1 with an ephemeral port; shut down at teardown.
    func startServer(
        logger: Logger? = nil,
        configuration: HTTPServer.Configuration = testConfiguration(),
        handler: @escaping @Sendable (HTTPRequest) async -> HTTPResponse = echoHandler
    ) throws -> (HTTPServer, Int) {
        var quiet = Logger(label: "test")
        quiet.logLevel = .critical
        let server = HTTPServer(configuration: configuration, logger: logger ?? quiet, handler: handler)
        let port = try server.start()
        addTeardownBlock {
            await server.shutdown(gracePeriod: .milliseconds(200))
        }
        return (server, port)
    }

    /// Polls `condition` every few milliseconds until it holds or `timeout` passes.
    func waitUntil(timeout: Duration = .seconds(3), _ condition: () -> Bool) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return condition()
    }

    /// Asserts a server-generated JSON error response that closes the connection.
    func assertErrorResponse(
        _ response: TestClient.Response, status: Int, code: String,
        closes client: TestClient? = nil, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        XCTAssertEqual(response.status, status, "body: \(response.text)", file: file, line: line)
        XCTAssertEqual(response.header("content-type"), "application/json", file: file, line: line)
        XCTAssertEqual(response.header("connection"), "close", file: file, line: line)
        XCTAssertEqual(response.errorCode, code, "body: \(response.text)", file: file, line: line)
        XCTAssertTrue(response.text.hasPrefix(#"{"error":{"code":""#), response.text, file: file, line: line)
        XCTAssertTrue(response.text.contains(#""message":""#), response.text, file: file, line: line)
        if let client {
            XCTAssertTrue(try client.waitForClose(), "connection should be closed", file: file, line: line)
        }
    }
}
