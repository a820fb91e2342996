import HTTPServer
import TestSupport
import XCTest

/// Timeouts, the connection limit and lifecycle.
final class HTTPServerConnectionTests: XCTestCase {
    func testStalledRequestHeadTimesOutWhileOtherClientsAreServed() async throws {
        let (_, port) = try startServer(configuration: testConfiguration { $0.headerTimeout = .milliseconds(300) })
        let clock = ContinuousClock()
        let started = clock.now
        let slow = try TestClient(port: port)
        try slow.send("GET /half-a-request-li")

        // Meanwhile another client is served normally (several times, spread over the timeout).
        let other = try TestClient(port: port)
        for _ in 0..<3 {
            try other.send(get("/fine"))
            XCTAssertEqual(try other.readResponse().text, "GET /fine")
            try await Task.sleep(for: .milliseconds(50))
        }

        let response = try slow.readResponse()
        try assertErrorResponse(response, status: 408, code: "request_timeout", closes: slow)
        let elapsed = clock.now - started
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(280))
        XCTAssertLessThan(elapsed, .milliseconds(1500))
    }

    func testTrickledHeadCannotExtendTheHeaderTimeout() async throws {
        let (_, port) = try startServer(configuration: testConfiguration { $0.headerTimeout = .milliseconds(300) })
        let clock = ContinuousClock()
        let started = clock.now
        let slow = try TestClient(port: port)
        // One byte every 20 ms, never finishing the head, until the server answers.
        var answeredAfter: Duration?
        for byte in String(repeating: "GET / HTTP/1.1\r\nHost: t\r\nX-Slow: ", count: 4).utf8 {
            if slow.isReadable() {
                answeredAfter = clock.now - started
                break
            }
            try slow.send([byte])
            try await Task.sleep(for: .milliseconds(20))
        }
        let elapsed = try XCTUnwrap(answeredAfter, "the server never answered the trickling client")
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(280))
        XCTAssertLessThan(elapsed, .milliseconds(1000))
        try assertErrorResponse(try slow.readResponse(), status: 408, code: "request_timeout", closes: slow)
    }

    func testConnectionThatSendsNothingIsClosedAfterTheHeaderTimeout() async throws {
        let (server, port) = try startServer(configuration: testConfiguration { $0.headerTimeout = .milliseconds(200) })
        let silent = try TestClient(port: port)
        XCTAssertTrue(try silent.waitForClose())
        let allClosed = await waitUntil { server.connectionCount == 0 }
        XCTAssertTrue(allClosed)
    }

    func testIdleKeepAliveConnectionIsClosedAfterTheIdleTimeout() async throws {
        let (server, port) = try startServer(configuration: testConfiguration { $0.idleTimeout = .milliseconds(250) })
        let clock = ContinuousClock()
        let client = try TestClient(port: port)
        try client.send(get("/"))
        XCTAssertEqual(try client.readResponse().status, 200)
        let idleSince = clock.now
        XCTAssertTrue(try client.waitForClose())
        let idle = clock.now - idleSince
        XCTAssertGreaterThanOrEqual(idle, .milliseconds(230))
        XCTAssertLessThan(idle, .milliseconds(1500))
        let allClosed = await waitUntil { server.connectionCount == 0 }
        XCTAssertTrue(allClosed)
    }

    func testSlowBodyTimesOut() async throws {
        let (_, port) = try startServer(configuration: testConfiguration { $0.bodyTimeout = .milliseconds(250) })
        let client = try TestClient(port: port)
        try client.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
        try assertErrorResponse(try client.readResponse(), status: 408, code: "request_timeout", closes: client)
    }

    func testConnectionsBeyondTheLimitGet503AndAreClosed() async throws {
        let (server, port) = try startServer(configuration: testConfiguration { $0.maxConnections = 2 })
        let first = try TestClient(port: port)
        let second = try TestClient(port: port)
        for client in [first, second] {
            try client.send(get("/"))
            XCTAssertEqual(try client.readResponse().status, 200)
        }
        XCTAssertEqual(server.connectionCount, 2)

        let third = try TestClient(port: port)
        try assertErrorResponse(try third.readResponse(), status: 503, code: "service_unavailable", closes: third)

        // The admitted connections keep working, and a slot frees up when one closes.
        try first.send(get("/again"))
        XCTAssertEqual(try first.readResponse().text, "GET /again")
        try second.send(get("/", "Connection: close\r\n"))
        _ = try second.readResponse()
        let slotFreed = await waitUntil { server.connectionCount == 1 }
        XCTAssertTrue(slotFreed)
        let fourth = try TestClient(port: port)
        try fourth.send(get("/fourth"))
        XCTAssertEqual(try fourth.readResponse().text, "GET /fourth")
    }

    func testGracefulShutdownFinishesInFlightRequestsAndRefusesNewConnections() async throws {
        let entered = Counter()
        let (server, port) = try startServer { request in
            entered.increment()
            try? await Task.sleep(for: .milliseconds(300))
            return HTTPResponse(body: "done \(request.path)")
        }
        let idle = try TestClient(port: port)
        try idle.send(get("/warmup"))
        _ = try idle.readResponse()

        let clients = try (0..<4).map { i in
            let client = try TestClient(port: port)
            try client.send(get("/slow/\(i)"))
            return client
        }
        let allEntered = await waitUntil { entered.current == 5 }
        XCTAssertTrue(allEntered)
        XCTAssertEqual(server.state, .running)

        let shutdown = Task { await server.shutdown(gracePeriod: .seconds(5)) }
        let shuttingDown = await waitUntil { server.state == .shuttingDown }
        XCTAssertTrue(shuttingDown)
        XCTAssertTrue(try idle.waitForClose(), "idle connections are closed at once")
        XCTAssertThrowsError(try TestClient(port: port), "new connections are refused")

        for (i, client) in clients.enumerated() {
            let response = try client.readResponse()
            XCTAssertEqual(response.status, 200)
            XCTAssertEqual(response.text, "done /slow/\(i)")
            XCTAssertEqual(response.header("connection"), "close")
            XCTAssertTrue(try client.waitForClose())
        }
        await shutdown.value
        XCTAssertEqual(server.state, .shutdown)
        XCTAssertEqual(server.connectionCount, 0)
        XCTAssertEqual(entered.current, 5)
    }

    func testShutdownForceClosesWhenTheGracePeriodEnds() async throws {
        let (server, port) = try startServer { _ in
            .stream { writer in
                while true {
                    try await writer.write("tick")
                    try await Task.sleep(for: .milliseconds(10))
                }
            }
        }
        let client = try TestClient(port: port)
        try client.send(get("/forever"))
        _ = try client.readHead()
        _ = try client.readChunk()
        let clock = ContinuousClock()
        let started = clock.now
        await server.shutdown(gracePeriod: .milliseconds(200))
        XCTAssertLessThan(clock.now - started, .seconds(2))
        XCTAssertEqual(server.state, .shutdown)
        XCTAssertEqual(server.connectionCount, 0)
    }

    func testLifecycleStatesAndBoundPort() async throws {
        let server = HTTPServer(configuration: testConfiguration(), handler: ClosureHTTPHandler(echoHandler))
        XCTAssertEqual(server.state, .initial)
        XCTAssertNil(server.port)
        let port = try server.start()
        XCTAssertGreaterThan(port, 0)
        XCTAssertEqual(server.port, port)
        XCTAssertEqual(server.state, .running)
        XCTAssertThrowsError(try server.start()) { error in
            XCTAssertEqual(error as? HTTPServerError, .invalidState(.running))
        }
        let waiter = Task { await server.waitUntilShutdown() }
        await server.shutdown(gracePeriod: .milliseconds(100))
        await waiter.value
        XCTAssertEqual(server.state, .shutdown)
        await server.shutdown(gracePeriod: .milliseconds(100))  // idempotent
        XCTAssertThrowsError(try server.start())
    }

    func testStartFailsWhenThePortIsTaken() async throws {
        let (_, port) = try startServer()
        let second = HTTPServer(configuration: testConfiguration { $0.port = port }, handler: ClosureHTTPHandler(echoHandler))
        XCTAssertThrowsError(try second.start()) { error in
            guard case .socket = error as? HTTPServerError else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(second.state, .initial)
    }

    func testSignalTriggersGracefulShutdown() async throws {
        let (server, _) = try startServer()
        let called = Counter()
        server.installSignalHandlers(gracePeriod: .milliseconds(200)) { called.increment() }
        kill(getpid(), SIGTERM)
        let handlerCalled = await waitUntil { called.current == 1 }
        XCTAssertTrue(handlerCalled)
        XCTAssertEqual(server.state, .shutdown)
    }
}
