import Foundation
import TestSupport
import XCTest

/// The real `pricing-server serve` as a Lambda custom runtime against ``RuntimeAPIStandIn``.
final class LambdaProcessTests: XCTestCase {
    /// One cold start serves every kind of event in turn, then exits when the Runtime API goes away.
    func testServesAPIGatewayEventsUntilTheRuntimeAPIGoesAway() async throws {
        let api = try RuntimeAPIStandIn()
        let lambda = try LambdaProcess(testCase: self, runtimeAPI: api.endpoint)

        // REST API (1.0) through the execute-api URL of stage "prod".
        await api.enqueue(id: "rest-1", Events.rest(path: "/v1/predict-price/85123A", query: ["num_price_bins": ["5"]],
                                                    headers: ["Accept": ["application/json"]]))
        let rest = try await document(api, "rest-1", lambda)
        XCTAssertEqual(rest["statusCode"] as? Int, 200, lambda.log)
        XCTAssertEqual(rest["isBase64Encoded"] as? Bool, false)
        XCTAssertEqual((rest["headers"] as? [String: String])?["Content-Type"], "application/json")
        XCTAssertEqual((rest["multiValueHeaders"] as? [String: [String]])?["X-Cache"], ["MISS"])
        let rows = try JSONSerialization.jsonObject(with: Data(Events.body(of: rest))) as? [[String: Any]]
        XCTAssertEqual(rows?.count, 5)
        XCTAssertEqual(rows?.first?["stockcode"] as? String, "85123A")

        // HTTP API / function URL (2.0), with the query in rawQueryString.
        await api.enqueue(id: "http-1", Events.http(rawPath: "/v1/predict-price/85123A", rawQueryString: "num_price_bins=7&unit_cost=1.2",
                                                    headers: ["accept": "application/json"]))
        let http = try await document(api, "http-1", lambda)
        XCTAssertEqual(http["statusCode"] as? Int, 200, lambda.log)
        XCTAssertNil(http["multiValueHeaders"])
        let httpRows = try JSONSerialization.jsonObject(with: Data(Events.body(of: http))) as? [[String: Any]]
        XCTAssertEqual(httpRows?.count, 7)
        XCTAssertNotNil(httpRows?.first?["predicted_profit"])

        // A client accepting gzip: the compressed body comes back base64 with isBase64Encoded.
        await api.enqueue(id: "gzip-1", Events.http(rawPath: "/v1/predict-price/85123A", rawQueryString: "num_price_bins=40",
                                                    headers: ["accept-encoding": "gzip, deflate, br"]))
        let gzip = try await document(api, "gzip-1", lambda)
        XCTAssertEqual(gzip["statusCode"] as? Int, 200, lambda.log)
        XCTAssertEqual(gzip["isBase64Encoded"] as? Bool, true)
        XCTAssertEqual((gzip["headers"] as? [String: String])?["Content-Encoding"], "gzip")
        let compressed = Events.body(of: gzip)
        XCTAssertEqual(Array(compressed.prefix(2)), [0x1F, 0x8B])
        let inflated = try gunzip(compressed)
        XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(inflated)) as? [Any])?.count, 40)

        // Unknown product: the API's 404 JSON error, as the answer (not an invocation error).
        await api.enqueue(id: "missing-1", Events.rest(path: "/v1/predict-price/NO-SUCH-CODE"))
        let missing = try await document(api, "missing-1", lambda)
        XCTAssertEqual(missing["statusCode"] as? Int, 404)
        XCTAssertEqual(errorCode(Events.body(of: missing)), "unknown_stockcode")

        // A malformed event: 400 bad_event, and the loop goes on to the next event.
        await api.enqueue(id: "bad-1", #"{"hello": "#)
        await api.enqueue(id: "bad-2", #"{"Records": [{"eventSource": "aws:s3"}]}"#)
        await api.enqueue(id: "after-bad", Events.rest(path: "/healthz", stage: "staging"))
        for id in ["bad-1", "bad-2"] {
            let bad = try await document(api, id, lambda)
            XCTAssertEqual(bad["statusCode"] as? Int, 400)
            XCTAssertEqual(errorCode(Events.body(of: bad)), "bad_event")
        }
        let after = try await document(api, "after-bad", lambda)
        XCTAssertEqual(after["statusCode"] as? Int, 200)
        XCTAssertEqual(String(decoding: Events.body(of: after), as: UTF8.self), #"{"status":"ok"}"#)

        // The Runtime API goes away: the process notices and exits by itself.
        await api.stop()
        let status = await lambda.waitForExit()
        XCTAssertEqual(status, 0, lambda.log)
        XCTAssertTrue(lambda.log.contains("went away"), lambda.log)
        XCTAssertTrue(lambda.log.contains("request_id=rest-1"), lambda.log)
    }

    /// Models that cannot load: init/error is posted (before any `next`) and the process exits non-zero.
    func testModelsThatCannotLoadAreReportedAsAnInitError() async throws {
        let api = try RuntimeAPIStandIn()
        let lambda = try LambdaProcess(testCase: self, runtimeAPI: api.endpoint,
                                       models: NSTemporaryDirectory() + "no-models-" + UUID().uuidString)
        let status = await lambda.waitForExit()
        XCTAssertNotNil(status, "still running: \(lambda.log)")
        XCTAssertNotEqual(status, 0)
        let report = await api.initError(timeout: .seconds(1))
        XCTAssertEqual(report?.type, "Runtime.ModelsUnavailable")
        let body = try Events.object(report?.body ?? [])
        XCTAssertEqual(body["errorType"] as? String, "Runtime.ModelsUnavailable")
        XCTAssertTrue((body["errorMessage"] as? String ?? "").contains("cannot load models"), "\(body)")
        let nextCalls = await api.state.nextCalls
        XCTAssertEqual(nextCalls, 0)
        await api.stop()
    }

    /// A Runtime API that is not there at all (wrong AWS_LAMBDA_RUNTIME_API): a clear message and a
    /// non-zero exit instead of a hang or a crash.
    func testUnreachableRuntimeAPIExitsWithAClearMessage() async throws {
        let api = try RuntimeAPIStandIn()
        let endpoint = api.endpoint
        await api.stop()
        let lambda = try LambdaProcess(testCase: self, runtimeAPI: endpoint)
        let status = await lambda.waitForExit()
        XCTAssertNotNil(status, "still running: \(lambda.log)")
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(lambda.log.contains("Lambda Runtime API at \(endpoint) is unreachable"), lambda.log)
    }

    // MARK: - Helpers

    func document(_ api: RuntimeAPIStandIn, _ id: String, _ lambda: LambdaProcess,
                  file: StaticString = #filePath, line: UInt = #line) async throws -> [String: Any] {
        switch await api.outcome(id) {
        case .response(let bytes)?:
            return try Events.object(bytes)
        case .error(let type, let body)?:
            XCTFail("invocation \(id) failed: \(type ?? "-") \(String(decoding: body, as: UTF8.self))", file: file, line: line)
        case nil:
            XCTFail("no answer to \(id); log:\n\(lambda.log)", file: file, line: line)
        }
        throw CocoaError(.fileReadUnknown)
    }

    func errorCode(_ body: [UInt8]) -> String? {
        let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
        return (object?["error"] as? [String: Any])?["code"] as? String
    }

    /// Inflates with the system's gzip (the test target has no zlib of its own).
    func gunzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "gzip -dc"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(bytes))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return [UInt8](data)
    }
}
