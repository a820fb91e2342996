import ArtifactFormats
import Foundation
import HTTPServer
import Pricing
import PricingAPI
import TestSupport
import XCTest

/// Real responses of the router checked against /openapi.json's schemas (type, required,
/// properties, items, enum, $ref), route by route, status by status.
final class OpenAPIConformanceTests: XCTestCase {
    func document() throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(OpenAPIDocument.bytes)) as? [String: Any])
    }

    func testRealResponsesMatchTheDocument() async throws {
        let doc = try document()
        XCTAssertEqual(doc["openapi"] as? String, "3.1.0")
        let router = PricingRouter(engine: try PricingEngine(path: CommittedModels.root), cors: CORSPolicy(allowedOrigins: []))
        let checker = OpenAPIChecker()
        let cases: [(String, String, String, Int)] = [
            ("/v1/predict-price/85123A", "num_price_bins=7", "/v1/predict-price/{stockcode}", 200),
            ("/v1/predict-price/85123A", "num_price_bins=7&unit_cost=1", "/v1/predict-price/{stockcode}", 200),
            ("/v1/predict-price/NOPE", "", "/v1/predict-price/{stockcode}", 404),
            ("/v1/predict-price/85123A", "num_price_bins=0", "/v1/predict-price/{stockcode}", 400),
            ("/v1/products", "limit=3", "/v1/products", 200),
            ("/v1/products", "limit=x", "/v1/products", 400),
            ("/healthz", "", "/healthz", 200),
            ("/readyz", "", "/readyz", 200),
        ]
        for (path, query, template, status) in cases {
            let response = await router.handle(HTTPRequest(method: "GET", path: path, query: query, headers: ["Host": "x"]))
            XCTAssertEqual(response.status.code, status, "\(path)?\(query)")
            guard case .bytes(let body) = response.body else { XCTFail("\(path): expected a complete body"); continue }
            let value = try JSONSerialization.jsonObject(with: Data(body))
            let problems = checker.validate(value, try checker.schema(doc, path: template, status: status), doc)
            XCTAssertEqual(problems, [], "\(path)?\(query)")
        }
        let metrics = await router.handle(HTTPRequest(method: "GET", path: "/metrics", headers: ["Host": "x"]))
        guard case .bytes(let text) = metrics.body else { return XCTFail("metrics") }
        let exposition = String(decoding: text, as: UTF8.self)
        XCTAssertTrue(exposition.contains("http_requests_total"), exposition)
        XCTAssertTrue(exposition.contains("pricing_model_answers_total{model=\"mlp\"}"), exposition)
        XCTAssertTrue(exposition.contains("http_request_duration_seconds_bucket"), exposition)
        // Unknown method tokens share one label, so clients cannot create metric series.
        _ = await router.handle(HTTPRequest(method: "M0000AAAA", path: "/healthz", headers: ["Host": "x"]))
        guard case .bytes(let after) = await router.handle(HTTPRequest(method: "GET", path: "/metrics", headers: ["Host": "x"])).body else { return }
        let text2 = String(decoding: after, as: UTF8.self)
        XCTAssertFalse(text2.contains("M0000AAAA"))
        XCTAssertTrue(text2.contains(#"method="other""#))
    }
}


/// The document says what every number of a predict-price row means.
final class OpenAPIDescriptionTests: XCTestCase {
    func testEveryFieldOfAPricePointIsDescribed() throws {
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(OpenAPIDocument.bytes)) as? [String: Any])
        let schemas = try XCTUnwrap((doc["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let point = try XCTUnwrap(schemas["PricePoint"] as? [String: Any])
        let properties = try XCTUnwrap(point["properties"] as? [String: [String: Any]])
        XCTAssertGreaterThanOrEqual(properties.count, 33)
        for (name, schema) in properties where name != "stockcode" {
            let text = schema["description"] as? String ?? ""
            XCTAssertGreaterThan(text.count, 20, "\(name) has no description")
        }
        for (name, unit) in [("quantity", "units per week"), ("predicted_sales", "revenue per week"), ("predicted_profit", "profit per week"),
                             ("sales_p10", "posterior draws"), ("quantity_p10", "recent weeks"), ("probability_of_gain", "posterior draws")] {
            XCTAssertTrue((properties[name]?["description"] as? String ?? "").contains(unit), "\(name) should say \(unit)")
        }
        let required = Set(try XCTUnwrap(point["required"] as? [String]))
        XCTAssertEqual(Set(properties.keys).subtracting(required), ["predicted_profit"], "only the profit is optional")
    }
}

/// A small OpenAPI schema checker: type, required, properties, items, enum and local $refs.
struct OpenAPIChecker {
    func resolve(_ schema: [String: Any], _ doc: [String: Any]) -> [String: Any] {
        guard let ref = schema["$ref"] as? String else { return schema }
        var node: Any = doc
        for part in ref.dropFirst(2).split(separator: "/") { node = (node as! [String: Any])[String(part)]! }
        return resolve(node as! [String: Any], doc)
    }

    /// Problems of `value` against `schema`, with JSON-pointer-like paths.
    func validate(_ value: Any, _ schemaIn: [String: Any], _ doc: [String: Any], at path: String = "$") -> [String] {
        let schema = resolve(schemaIn, doc)
        var problems: [String] = []
        if let allowed = schema["enum"] as? [Any], !allowed.contains(where: { "\($0)" == "\(value)" }) {
            problems.append("\(path): \(value) not in \(allowed)")
        }
        switch schema["type"] as? String {
        case "object":
            guard let object = value as? [String: Any] else { return ["\(path): not an object"] }
            for key in schema["required"] as? [String] ?? [] where object[key] == nil { problems.append("\(path): missing \(key)") }
            let properties = schema["properties"] as? [String: [String: Any]] ?? [:]
            for (key, v) in object {
                guard let sub = properties[key] else {
                    if !properties.isEmpty { problems.append("\(path): undocumented property \(key)") }
                    continue
                }
                problems += validate(v, sub, doc, at: "\(path).\(key)")
            }
        case "array":
            guard let array = value as? [Any] else { return ["\(path): not an array"] }
            if let items = schema["items"] as? [String: Any] {
                for (i, v) in array.enumerated() { problems += validate(v, items, doc, at: "\(path)[\(i)]") }
            }
        case "number": if !isNumber(value) { problems.append("\(path): not a number") }
        case "integer":
            if let n = value as? NSNumber, n.doubleValue == n.doubleValue.rounded() {} else { problems.append("\(path): not an integer") }
        case "string": if !(value is String) { problems.append("\(path): not a string") }
        case "boolean": if !(value is Bool) { problems.append("\(path): not a boolean") }
        default: break
        }
        return problems
    }

    /// A JSON number, not a boolean: on Linux `1 is Bool` holds for any NSNumber, so ask for the boxed type
    /// ("c" is how a boolean is boxed).
    func isNumber(_ value: Any) -> Bool {
        guard let n = value as? NSNumber else { return false }
        return String(cString: n.objCType) != "c"
    }

    func schema(_ doc: [String: Any], path: String, status: Int, contentType: String = "application/json") throws -> [String: Any] {
        let paths = try unwrap(doc["paths"] as? [String: Any])
        let get = try unwrap((paths[path] as? [String: Any])?["get"] as? [String: Any], path)
        let responses = try unwrap(get["responses"] as? [String: Any])
        let response = resolve(try unwrap(responses[String(status)] as? [String: Any], "\(path) \(status) is not documented"), doc)
        let content = try unwrap(response["content"] as? [String: Any])
        return try unwrap((content[contentType] as? [String: Any])?["schema"] as? [String: Any])
    }


    struct Missing: Error { let what: String }

    func unwrap<T>(_ value: T?, _ what: String = "value") throws -> T {
        guard let value else { throw Missing(what: what) }
        return value
    }
}

/// The same checks over a real socket: the document as served, gzip as sent on the wire.
final class OverTheSocketTests: XCTestCase {
    func testServedDocumentDescribesServedResponsesAndGzipIsOnTheWire() throws {
        let engine = try PricingEngine(path: CommittedModels.root)
        var configuration = HTTPServer.Configuration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        let server = HTTPServer(configuration: configuration, handler: PricingRouter(engine: engine, cors: CORSPolicy(allowedOrigins: [])))
        let port = try server.start()
        defer {
            let done = DispatchSemaphore(value: 0)
            Task { await server.shutdown(gracePeriod: .seconds(1)); done.signal() }
            done.wait()
        }
        let client = try TestClient(port: port)
        try client.send("GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n")
        let document = try client.readResponse()
        XCTAssertEqual(document.status, 200)
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(document.body)) as? [String: Any])
        try client.send("GET /v1/predict-price/85123A?num_price_bins=40 HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip, deflate\r\n\r\n")
        let compressed = try client.readResponse()
        XCTAssertEqual(compressed.status, 200)
        XCTAssertEqual(compressed.header("content-encoding"), "gzip")
        XCTAssertEqual(compressed.header("vary"), "Accept-Encoding")
        XCTAssertEqual(Array(compressed.body.prefix(2)), [0x1f, 0x8b])
        let plain = try Gzip.decompress(compressed.body, file: "response")
        XCTAssertLessThan(compressed.body.count, plain.count / 3)
        let rows = try JSONSerialization.jsonObject(with: Data(plain))
        let checker = OpenAPIChecker()
        let schema = try checker.schema(doc, path: "/v1/predict-price/{stockcode}", status: 200)
        XCTAssertEqual(checker.validate(rows, schema, doc), [])
        XCTAssertEqual((rows as? [Any])?.count, 40)
        try client.send("GET /v1/predict-price/85123A?num_price_bins=4000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let error = try client.readResponse()
        XCTAssertEqual(error.status, 400)
        let errorBody = try JSONSerialization.jsonObject(with: Data(error.body))
        let errorSchema = try checker.schema(doc, path: "/v1/predict-price/{stockcode}", status: 400)
        XCTAssertEqual(checker.validate(errorBody, errorSchema, doc), [String]())
    }
}
