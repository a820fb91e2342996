import HTTPServer
import Logging

/// A local stand-in for the Lambda Runtime API (2018-06-01), built on the repository's HTTPServer:
/// `next` hands out queued events (held open until one is queued), and `response`, `error` and
/// `init/error` posts are recorded for the tests to inspect.
final class RuntimeAPIStandIn: Sendable {
    /// What the runtime posted for one invocation.
    enum Outcome: Sendable {
        case response([UInt8])
        case error(type: String?, body: [UInt8])
    }

    /// A posted `init/error`.
    struct InitError: Sendable {
        var type: String?
        var body: [UInt8]
    }

    struct Event: Sendable {
        var id: String
        var body: [UInt8]
        var traceID: String
    }

    actor State {
        var pending: [Event] = []
        var waiters: [CheckedContinuation<Event?, Never>] = []
        var outcomes: [String: Outcome] = [:]
        var initErrors: [InitError] = []
        var nextCalls = 0
        var stopped = false

        func enqueue(_ event: Event) {
            if !waiters.isEmpty { waiters.removeFirst().resume(returning: event) } else { pending.append(event) }
        }

        func next() async -> Event? {
            nextCalls += 1
            if stopped { return nil }
            if !pending.isEmpty { return pending.removeFirst() }
            return await withCheckedContinuation { waiters.append($0) }
        }

        func record(_ id: String, _ outcome: Outcome) { outcomes[id] = outcome }
        func recordInitError(_ error: InitError) { initErrors.append(error) }
        func outcome(_ id: String) -> Outcome? { outcomes[id] }
        func stop() {
            stopped = true
            for waiter in waiters { waiter.resume(returning: nil) }
            waiters.removeAll()
        }
    }

    let state = State()
    let server: HTTPServer
    let port: Int

    init() throws {
        var configuration = HTTPServer.Configuration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        var logger = Logger(label: "runtime-api-stand-in")
        logger.logLevel = .error
        let state = state
        server = HTTPServer(configuration: configuration, handler: ClosureHTTPHandler { request in
            await Self.route(request, state: state)
        }, logger: logger)
        port = try server.start()
    }

    /// `host:port` for AWS_LAMBDA_RUNTIME_API.
    var endpoint: String { "127.0.0.1:\(port)" }

    static let prefix = "/2018-06-01/runtime"

    static func route(_ request: HTTPRequest, state: State) async -> HTTPResponse {
        let accepted = HTTPResponse(status: .accepted, headers: ["Content-Type": "application/json"], body: #"{"status":"OK"}"#)
        if request.method == "GET", request.path == prefix + "/invocation/next" {
            guard let event = await state.next() else {
                return HTTPResponse(status: .internalServerError, body: "stopped")
            }
            return HTTPResponse(status: .ok, headers: HTTPHeaders([
                ("Content-Type", "application/json"),
                ("Lambda-Runtime-Aws-Request-Id", event.id),
                ("Lambda-Runtime-Deadline-Ms", "\(Int64(Date.nowMilliseconds + 30_000))"),
                ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-west-1:123456789012:function:pricing"),
                ("Lambda-Runtime-Trace-Id", event.traceID),
            ]), body: event.body)
        }
        if request.method == "POST", request.path == prefix + "/init/error" {
            await state.recordInitError(InitError(type: request.headers["Lambda-Runtime-Function-Error-Type"], body: request.body))
            return accepted
        }
        let invocation = prefix + "/invocation/"
        if request.method == "POST", request.path.hasPrefix(invocation) {
            let rest = request.path.dropFirst(invocation.count).split(separator: "/")
            if rest.count == 2, rest[1] == "response" {
                await state.record(String(rest[0]), .response(request.body))
                return accepted
            }
            if rest.count == 2, rest[1] == "error" {
                await state.record(String(rest[0]), .error(type: request.headers["Lambda-Runtime-Function-Error-Type"], body: request.body))
                return accepted
            }
        }
        return HTTPResponse(status: .notFound, headers: ["Content-Type": "application/json"], body: #"{"errorMessage":"not found"}"#)
    }

    /// Queues an event for the next `next`.
    func enqueue(id: String, _ event: String, traceID: String = "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1") async {
        await state.enqueue(Event(id: id, body: Array(event.utf8), traceID: traceID))
    }

    /// Waits up to `timeout` for the runtime's answer to invocation `id`.
    func outcome(_ id: String, timeout: Duration = .seconds(15)) async -> Outcome? {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if let outcome = await state.outcome(id) { return outcome }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    /// Waits up to `timeout` for an `init/error`.
    func initError(timeout: Duration = .seconds(15)) async -> InitError? {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if let error = await state.initErrors.first { return error }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    /// Goes away like the Runtime API of an ending environment: stops listening and drops the
    /// connection a pending `next` is waiting on.
    func stop() async {
        async let shutdown: Void = server.shutdown(gracePeriod: .milliseconds(100))
        try? await Task.sleep(for: .milliseconds(300))
        await state.stop()
        await shutdown
    }
}

import Foundation

extension Date {
    static var nowMilliseconds: Double { Date().timeIntervalSince1970 * 1000 }
}
