import Dispatch
import Foundation
import HTTPServer
import Pricing
import PricingAPI
import TestSupport
import XCTest

/// The repricing routes over a real socket on loopback, checked against the served OpenAPI document;
/// the CSV answer read by Python's csv module and pandas.
final class RecommendationsRouteTests: XCTestCase {
    nonisolated(unsafe) static var server: (server: HTTPServer, port: Int)?

    func port() throws -> Int {
        if let server = Self.server { return server.port }
        let engine = try PricingEngine(path: CommittedModels.root)
        var configuration = HTTPServer.Configuration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        let server = HTTPServer(configuration: configuration, handler: PricingRouter(engine: engine, cors: CORSPolicy(allowedOrigins: [])))
        let port = try server.start()
        Self.server = (server, port)
        return port
    }

    override class func tearDown() {
        guard let server = Self.server?.server else { return }
        let done = DispatchSemaphore(value: 0)
        Task { await server.shutdown(gracePeriod: .seconds(1)); done.signal() }
        done.wait()
        Self.server = nil
    }

    func request(_ target: String, method: String = "GET", headers: [(String, String)] = [], body: String? = nil) throws -> TestClient.Response {
        let client = try TestClient(port: try port(), timeout: 60)
        var head = "\(method) \(target) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Length: \(body.utf8.count)\r\n" }
        try client.send(head + "\r\n" + (body ?? ""))
        return try client.readResponse()
    }

    func json(_ response: TestClient.Response) throws -> Any { try JSONSerialization.jsonObject(with: Data(response.body)) }

    func document() throws -> [String: Any] {
        try XCTUnwrap(try json(request("/openapi.json")) as? [String: Any])
    }

    func check(_ response: TestClient.Response, path: String, status: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(response.status, status, response.text, file: file, line: line)
        let checker = OpenAPIChecker()
        let doc = try document()
        let problems = checker.validate(try json(response), try checker.schema(doc, path: path, status: status), doc)
        XCTAssertEqual(problems, [], file: file, line: line)
    }

    func testTheRunIsDocumentedSortedAndCached() throws {
        let first = try request("/v1/recommendations?limit=20")
        try check(first, path: "/v1/recommendations", status: 200)
        let doc = try XCTUnwrap(try json(first) as? [String: Any])
        let rows = try XCTUnwrap(doc["rows"] as? [[String: Any]])
        XCTAssertEqual(rows.count, 20)
        XCTAssertEqual(doc["total"] as? Int, 4000)
        let gains = rows.compactMap { $0["expected_gain"] as? Double }
        XCTAssertEqual(gains, gains.sorted(by: >), "largest expected gain first")
        let totals = try XCTUnwrap(doc["totals"] as? [String: Any])
        XCTAssertEqual(totals["products"] as? Int, 4000)
        XCTAssertGreaterThan(try XCTUnwrap(totals["expected_gain"] as? Double), try XCTUnwrap(totals["gain_p10"] as? Double))
        let again = try request("/v1/recommendations?limit=20&offset=20")
        XCTAssertEqual(again.header("x-cache"), "HIT")
        let next = try XCTUnwrap((try json(again) as? [String: Any])?["rows"] as? [[String: Any]])
        XCTAssertLessThanOrEqual(try XCTUnwrap(next.first?["expected_gain"] as? Double), try XCTUnwrap(gains.last))
    }

    func testFiltersStockcodeOrderAndRuleOverrides() throws {
        let response = try request("/v1/recommendations?sort=stockcode&changed_only=true&max_change_pct=5&price_ending=.x9")
        try check(response, path: "/v1/recommendations", status: 200)
        let doc = try XCTUnwrap(try json(response) as? [String: Any])
        XCTAssertEqual((doc["rules"] as? [String: Any])?["max_change_pct"] as? Double, 5)
        let rows = try XCTUnwrap(doc["rows"] as? [[String: Any]])
        XCTAssertFalse(rows.isEmpty)
        let codes = rows.compactMap { $0["stockcode"] as? String }
        XCTAssertEqual(codes, codes.sorted())
        for row in rows {
            XCTAssertEqual(row["decision"] as? String, "change")
            XCTAssertLessThanOrEqual(abs(try XCTUnwrap(row["change_pct"] as? Double)), 5.0001)
        }
        let search = try XCTUnwrap(try json(request("/v1/recommendations?q=heart&limit=5")) as? [String: Any])
        for row in try XCTUnwrap(search["rows"] as? [[String: Any]]) {
            XCTAssertTrue((row["description"] as? String ?? "").contains("HEART") || (row["stockcode"] as? String ?? "").contains("HEART"))
        }
    }

    func testOneProductAndErrors() throws {
        try check(try request("/v1/recommendations/85123A"), path: "/v1/recommendations/{stockcode}", status: 200)
        try check(try request("/v1/recommendations/NOPE"), path: "/v1/recommendations/{stockcode}", status: 404)
        try check(try request("/v1/recommendations/85123A?max_change_pct=abc"), path: "/v1/recommendations/{stockcode}", status: 400)
        for target in ["/v1/recommendations?sort=price", "/v1/recommendations?limit=0", "/v1/recommendations?colour=red",
                       "/v1/recommendations?price_ending=99", "/v1/recommendations?min_probability_of_gain=2",
                       "/v1/recommendations?min_gain=nan"] {
            try check(try request(target), path: "/v1/recommendations", status: 400)
        }
        let delete = try request("/v1/recommendations", method: "DELETE")
        XCTAssertEqual(delete.status, 405)
        XCTAssertEqual(delete.header("allow"), "GET, HEAD, POST, OPTIONS")
    }

    func testPostedCatalogueReportsBadLinesAndPricesTheRest() throws {
        let body = "stockcode,current_price,unit_cost,floor,ceiling\n85123A,2.95,1.1,,\nNOPE1,,,,\n10027,x,,,\n10036,,,3,2\n"
        let response = try request("/v1/recommendations", method: "POST", headers: [("Content-Type", "text/csv")], body: body)
        try check(response, path: "/v1/recommendations", status: 200)
        let doc = try XCTUnwrap(try json(response) as? [String: Any])
        XCTAssertEqual((doc["rows"] as? [[String: Any]])?.compactMap { $0["stockcode"] as? String }, ["85123A"])
        let skipped = try XCTUnwrap(doc["skipped"] as? [[String: Any]])
        XCTAssertEqual(skipped.compactMap { $0["line"] as? Int }, [3, 4, 5])
        XCTAssertEqual(skipped.compactMap { $0["column"] as? String }, ["stockcode", "current_price", "floor"])
        let csv = try request("/v1/recommendations?format=csv", method: "POST", headers: [("Content-Type", "text/csv")], body: body)
        XCTAssertEqual(csv.header("x-skipped-rows"), "3")
        let bad = try request("/v1/recommendations", method: "POST", body: "sku,price\n1,2\n")
        XCTAssertEqual(bad.status, 400)
        XCTAssertTrue(bad.text.contains("request body: line 1, column 1"), bad.text)
        XCTAssertEqual(try request("/v1/recommendations", method: "POST", body: "").status, 400)
    }

    func testCSVAnswerParsesWithPythonCsvAndPandas() throws {
        let response = try request("/v1/recommendations", headers: [("Accept", "text/csv")])
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.header("content-type"), "text/csv; charset=utf-8")
        let path = NSTemporaryDirectory() + "recommendations-\(UUID().uuidString).csv"
        try Data(response.body).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommittedModels.repositoryRoot + "/.venv/bin/python3")
        process.arguments = [CommittedModels.repositoryRoot + "/scripts/check_recommendations_csv.py", path]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, text)
        let parsed = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        XCTAssertEqual(parsed["rows"] as? Int, 4000)
        XCTAssertEqual(parsed["columns"] as? [String], RecommendationTable.names)
    }

    /// Every column of the run is a documented property, in the same order as the CSV, with a description.
    func testEveryColumnIsDescribedInTheDocument() throws {
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(OpenAPIDocument.bytes)) as? [String: Any])
        let schemas = try XCTUnwrap((doc["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let schema = try XCTUnwrap(schemas["Recommendation"] as? [String: Any])
        XCTAssertEqual(schema["required"] as? [String], RecommendationTable.names)
        let properties = try XCTUnwrap(schema["properties"] as? [String: [String: Any]])
        XCTAssertEqual(Set(properties.keys), Set(RecommendationTable.names))
        for (name, property) in properties {
            XCTAssertGreaterThan((property["description"] as? String ?? "").count, 15, "\(name) has no description")
        }
    }
}
