import Foundation
import HTTPServer
import LambdaRuntime
import Logging
import XCTest

/// ``LambdaRuntime`` in-process against the stand-in: the loop, error reports and endpoints.
final class RuntimeLoopTests: XCTestCase {
    var logger: Logger {
        var logger = Logger(label: "lambda-runtime-test")
        logger.logLevel = .error
        return logger
    }

    func testLoopAnswersInOrderAndStopsWhenTheAPIGoesAway() async throws {
        let api = try RuntimeAPIStandIn()
        let runtime = try LambdaRuntime(endpoint: api.endpoint, logger: logger)
        let loop = Task {
            try await runtime.run(handler: ClosureHTTPHandler { request in
                if request.path == "/stream" {
                    return HTTPResponse.stream { writer in
                        try await writer.write("a")
                        throw CancellationError()
                    }
                }
                let trace = ProcessInfo.processInfo.environment["_X_AMZN_TRACE_ID"] ?? ""
                return HTTPResponse(headers: ["X-Trace": trace], body: "\(request.method) \(request.path)?\(request.query)")
            })
        }
        // Events queued before and after the runtime is waiting in `next`.
        await api.enqueue(id: "one", Events.http(rawPath: "/a", rawQueryString: "x=1"), traceID: "Root=1-one")
        try await Task.sleep(for: .milliseconds(200))
        await api.enqueue(id: "two", Events.rest(method: "DELETE", path: "/b"), traceID: "Root=1-two")
        await api.enqueue(id: "three", Events.http(rawPath: "/stream"))
        guard case .response(let one)? = await api.outcome("one"), case .response(let two)? = await api.outcome("two") else {
            return XCTFail("no responses")
        }
        let first = try Events.object(one)
        XCTAssertEqual(first["body"] as? String, "GET /a?x=1")
        XCTAssertEqual((first["headers"] as? [String: String])?["X-Trace"], "Root=1-one")
        XCTAssertEqual(try Events.object(two)["body"] as? String, "DELETE /b?")
        guard case .error(let type, let body)? = await api.outcome("three") else { return XCTFail("no error for the broken stream") }
        XCTAssertEqual(type, "Runtime.ResponseStreamFailed")
        XCTAssertEqual(try Events.object(body)["errorType"] as? String, "Runtime.ResponseStreamFailed")

        await api.stop()
        let served = try await loop.value
        XCTAssertEqual(served, 3)
    }

    func testInitErrorReport() async throws {
        let api = try RuntimeAPIStandIn()
        let runtime = try LambdaRuntime(endpoint: api.endpoint, logger: logger)
        try await runtime.reportInitError(FunctionError(type: "Runtime.Test", message: "models: \"missing\""))
        let report = await api.initError(timeout: .seconds(2))
        XCTAssertEqual(report?.type, "Runtime.Test")
        let body = try Events.object(report?.body ?? [])
        XCTAssertEqual(body["errorMessage"] as? String, "models: \"missing\"")
        XCTAssertEqual(body["errorType"] as? String, "Runtime.Test")
        await api.stop()
    }

    func testUnreachableBeforeTheFirstEventThrows() async throws {
        let api = try RuntimeAPIStandIn()
        await api.stop()
        let runtime = try LambdaRuntime(endpoint: api.endpoint, logger: logger)
        do {
            try await runtime.run(handler: ClosureHTTPHandler { _ in HTTPResponse() })
            XCTFail("run returned")
        } catch {
            XCTAssertTrue(error.isGone)
            XCTAssertTrue(error.description.contains("unreachable"), error.description)
        }
    }

    func testEndpointParsing() throws {
        XCTAssertEqual(try RuntimeAPIEndpoint("127.0.0.1:9001"), try RuntimeAPIEndpoint("http://127.0.0.1:9001/"))
        XCTAssertEqual(try RuntimeAPIEndpoint("[::1]:9001").host, "::1")
        XCTAssertEqual(try RuntimeAPIEndpoint("[::1]:9001").description, "[::1]:9001")
        XCTAssertEqual(try RuntimeAPIEndpoint("localhost:80").port, 80)
        for bad in ["", "127.0.0.1", "127.0.0.1:", ":9001", "host:99999", "host:x"] {
            XCTAssertThrowsError(try RuntimeAPIEndpoint(bad), bad)
        }
    }
}
