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
        case "number": if !(value is NSNumber) || value is Bool { problems.append("\(path): not a number") }
        case "integer":
            if let n = value as? NSNumber, n.doubleValue == n.doubleValue.rounded() {} else { problems.append("\(path): not an integer") }
        case "string": if !(value is String) { problems.append("\(path): not a string") }
        case "boolean": if !(value is Bool) { problems.append("\(path): not a boolean") }
        default: break
        }
        return problems
    }

    func schema(_ doc: [String: Any], path: String, status: Int, contentType: String = "application/json") throws -> [String: Any] {
        let paths = try XCTUnwrap(doc["paths"] as? [String: Any])
        let get = try XCTUnwrap((paths[path] as? [String: Any])?["get"] as? [String: Any], path)
        let responses = try XCTUnwrap(get["responses"] as? [String: Any])
        let response = resolve(try XCTUnwrap(responses[String(status)] as? [String: Any], "\(path) \(status) is not documented"), doc)
        let content = try XCTUnwrap(response["content"] as? [String: Any])
        return try XCTUnwrap((content[contentType] as? [String: Any])?["schema"] as? [String: Any])
    }

    func testRealResponsesMatchTheDocument() async throws {
        let doc = try document()
        XCTAssertEqual(doc["openapi"] as? String, "3.1.0")
        let router = PricingRouter(engine: try PricingEngine(path: CommittedModels.root), cors: CORSPolicy(allowedOrigins: []))
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
            let problems = validate(value, try schema(doc, path: template, status: status), doc)
            XCTAssertEqual(problems, [], "\(path)?\(query)")
        }
        let metrics = await router.handle(HTTPRequest(method: "GET", path: "/metrics", headers: ["Host": "x"]))
        guard case .bytes(let text) = metrics.body else { return XCTFail("metrics") }
        let exposition = String(decoding: text, as: UTF8.self)
        XCTAssertTrue(exposition.contains("http_requests_total"), exposition)
        XCTAssertTrue(exposition.contains("pricing_model_answers_total{model=\"mlp\"}"), exposition)
        XCTAssertTrue(exposition.contains("http_request_duration_seconds_bucket"), exposition)
    }
}
