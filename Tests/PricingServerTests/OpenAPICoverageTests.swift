import Foundation
import TestSupport
import XCTest

/// Every route the service answers, and every JSON field it emits, is in the OpenAPI document it serves.
///
/// The real `pricing-server serve` on loopback with the committed models: each API route is called the
/// ways that make it emit its optional fields too (a unit cost, a catalogue with skipped lines, NDJSON,
/// errors), and each answer must be documented for its path, method, status and content type, and every
/// field path of its JSON body must be a property of the documented schema (`$ref`s resolved). A field
/// added to an answer without adding it to `Sources/PricingAPI/OpenAPI/openapi.json` fails here.
final class OpenAPICoverageTests: XCTestCase {
    /// One call: what is sent, and which operation of the document it must be.
    struct Call {
        let method: String
        let target: String
        let template: String
        var headers: [(String, String)] = []
        var body: String? = nil
        var status: Int
    }

    func testEveryRouteAndEveryFieldTheServiceEmitsIsDocumented() throws {
        let token = "coverage-token-0123456789abcdef"
        let ledger = FileManager.default.temporaryDirectory.appendingPathComponent("coverage-ledger-\(UUID().uuidString).sqlite").path
        let server = try ServerProcess(binary: ServerBinary.url(testBundle: Bundle(for: Self.self)),
                                       environment: ["ADMIN_TOKEN": token, "LEDGER_PATH": ledger])
        defer {
            server.stop()
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: ledger + suffix) }
        }
        try server.waitUntilReady()
        let served = try server.request("GET", "/openapi.json")
        XCTAssertEqual(served.status, 200)
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(served.body)) as? [String: Any])
        let schema = OpenAPISchema(document: document)

        let bearer = [("Authorization", "Bearer \(token)")]
        let catalogue = "stockcode,current_price,unit_cost,floor,ceiling\n85123A,2.95,1.20,2.50,3.50\n22423,12.75,,,\n"
            + "NOSUCHCODE,1,,,\n85123A,2,,,\n22423,x,,,\n"
        let sales = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
            + "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,12/1/2010 8:26,2.55,17850,United Kingdom\n"
            + "536365,71053,WHITE METAL LANTERN,x,12/1/2010 8:26,3.39,17850,United Kingdom\n"
        let predict = "/v1/predict-price/{stockcode}", run = "/v1/recommendations", one = "/v1/recommendations/{stockcode}"
        let calls: [Call] = [
            Call(method: "POST", target: "/admin/reload", template: "/admin/reload", headers: bearer, status: 200),
            Call(method: "POST", target: "/admin/reload", template: "/admin/reload", status: 401),
            Call(method: "GET", target: "/v1/predict-price/85123A?num_price_bins=5", template: predict, status: 200),
            Call(method: "GET", target: "/v1/predict-price/85123A?num_price_bins=5&unit_cost=1.1", template: predict, status: 200),
            Call(method: "GET", target: "/v1/predict-price/85123A?num_price_bins=5&unit_cost=1.1", template: predict,
                 headers: [("Accept", "application/x-ndjson")], status: 200),
            Call(method: "GET", target: "/v1/predict-price/NOSUCHCODE", template: predict, status: 404),
            Call(method: "GET", target: "/v1/predict-price/85123A?num_price_bins=0", template: predict, status: 400),
            Call(method: "DELETE", target: "/v1/predict-price/85123A", template: predict, status: 405),
            Call(method: "GET", target: "/v1/recommendations?limit=5", template: run, status: 200),
            // Filters and order apply to the finished run of the configured rules: one run over every product
            // (a debug server's slowest answer). Rules of the request's own (the optional rules fields) price
            // the posted catalogue below.
            Call(method: "GET", target: "/v1/recommendations?limit=3&sort=change&changed_only=true", template: run, status: 200),
            Call(method: "GET", target: "/v1/recommendations?limit=2&format=csv", template: run, status: 200),
            Call(method: "GET", target: "/v1/recommendations?sort=sideways", template: run, status: 400),
            Call(method: "POST", target: "/v1/recommendations?min_margin_pct=5&price_ending=.99", template: run,
                 headers: [("Content-Type", "text/csv")], body: catalogue, status: 200),
            Call(method: "POST", target: "/v1/recommendations?format=csv", template: run, headers: [("Content-Type", "text/csv")],
                 body: catalogue, status: 200),
            Call(method: "GET", target: "/v1/recommendations/85123A", template: one, status: 200),
            Call(method: "GET", target: "/v1/recommendations/85123A?format=csv", template: one, status: 200),
            Call(method: "GET", target: "/v1/recommendations/NOSUCHCODE", template: one, status: 404),
            // The committed version has no experiment plan: the empty plan, and no product under test.
            Call(method: "GET", target: "/v1/experiments", template: "/v1/experiments", status: 200),
            Call(method: "GET", target: "/v1/experiments?format=csv", template: "/v1/experiments", status: 200),
            Call(method: "GET", target: "/v1/experiments?history=maybe", template: "/v1/experiments", status: 400),
            Call(method: "GET", target: "/v1/experiments/85123A", template: "/v1/experiments/{stockcode}", status: 404),
            Call(method: "GET", target: "/v1/products?limit=3&q=heart", template: "/v1/products", status: 200),
            Call(method: "GET", target: "/v1/products?limit=x", template: "/v1/products", status: 400),
            Call(method: "POST", target: "/v1/sales", template: "/v1/sales", headers: bearer + [("Content-Type", "text/csv")], body: sales,
                 status: 200),
            Call(method: "POST", target: "/v1/sales", template: "/v1/sales", headers: bearer + [("Content-Type", "application/x-ndjson")],
                 body: "{\"InvoiceNo\":\"1\"}\n", status: 200),
            Call(method: "POST", target: "/v1/sales", template: "/v1/sales", headers: bearer + [("Content-Type", "text/csv")], body: "a,b\n",
                 status: 400),
            Call(method: "POST", target: "/v1/sales", template: "/v1/sales", headers: bearer + [("Content-Type", "application/json")],
                 body: sales, status: 415),
            Call(method: "POST", target: "/v1/sales", template: "/v1/sales", headers: [("Content-Type", "text/csv")], body: sales, status: 401),
            Call(method: "GET", target: "/healthz", template: "/healthz", status: 200),
            Call(method: "GET", target: "/readyz", template: "/readyz", status: 200),
            Call(method: "GET", target: "/metrics", template: "/metrics", status: 200),
            Call(method: "GET", target: "/openapi.json", template: "/openapi.json", status: 200),
        ]
        var fields = Set<String>()
        for call in calls {
            let label = "\(call.method) \(call.target)"
            let response = try Self.request(server, call)
            XCTAssertEqual(response.status, call.status, "\(label): \(response.text.prefix(300))")
            guard let documented = schema.response(path: call.template, method: call.method, status: response.status) else {
                XCTFail("\(label): status \(response.status) of \(call.method) \(call.template) is not in the document")
                continue
            }
            let type = String((response.header("content-type") ?? "").split(separator: ";").first ?? "")
                .trimmingCharacters(in: .whitespaces)
            guard let body = schema.bodySchema(documented, contentType: type) else {
                XCTFail("\(label): content type \(type) of status \(response.status) is not in the document")
                continue
            }
            for value in try jsonValues(response, contentType: type, label: label) {
                XCTAssertEqual(schema.undocumented(value, body, at: "\(call.template)", seen: &fields), [], label)
            }
        }
        // The calls reach every operation of the document (so none is left unchecked) and no undocumented
        // one (a 405 is the answer to a method a path does not have).
        XCTAssertEqual(Set(calls.filter { $0.status != 405 }.map { "\($0.method) \($0.template)" }), schema.operations())
        // The answers carried the optional fields too, so those were checked, not skipped.
        for field in ["predicted_profit", "skipped[].line", "skipped[].column", "rules.min_margin_pct", "totals.gain_p10", "models[].loaded", "errors[].field"] {
            XCTAssertTrue(fields.contains { $0.hasSuffix(field) }, "no answer carried \(field): \(fields.sorted())")
        }
    }

    /// One call on its own connection, like `ServerProcess.request`, with time for a debug build's first
    /// repricing run over every product on a busy machine.
    static func request(_ server: ServerProcess, _ call: Call) throws -> TestClient.Response {
        let client = try TestClient(port: server.port, timeout: 300)
        var head = "\(call.method) \(call.target) HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\nConnection: close\r\n"
        for (name, value) in call.headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(call.body?.utf8.count ?? 0)\r\n\r\n"
        try client.send(head + (call.body ?? ""))
        return try client.readResponse()
    }

    /// The JSON values of a body: the document, or each line of NDJSON; none for other types.
    func jsonValues(_ response: TestClient.Response, contentType: String, label: String) throws -> [Any] {
        switch contentType {
        case "application/json":
            return [try JSONSerialization.jsonObject(with: Data(response.body), options: [.fragmentsAllowed])]
        case "application/x-ndjson":
            let lines = response.text.split(separator: "\n").filter { !$0.isEmpty }
            XCTAssertFalse(lines.isEmpty, "\(label): no NDJSON lines")
            return try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) }
        default:
            XCTAssertFalse(response.body.isEmpty, "\(label): empty \(contentType) body")
            return []
        }
    }
}

/// Reading an OpenAPI 3.1 document: operations, responses and schemas, with local `$ref`s resolved.
struct OpenAPISchema {
    let document: [String: Any]

    /// The node a local `$ref` names, followed until it is not a reference.
    func resolve(_ node: [String: Any]) -> [String: Any] {
        guard let ref = node["$ref"] as? String, ref.hasPrefix("#/") else { return node }
        var target: Any? = document
        for part in ref.dropFirst(2).split(separator: "/") {
            target = (target as? [String: Any])?[String(part).replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")]
        }
        guard let object = target as? [String: Any] else { return [:] }
        return resolve(object)
    }

    /// "METHOD /path" of every operation.
    func operations() -> Set<String> {
        let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
        var result = Set<String>()
        for (path, item) in document["paths"] as? [String: [String: Any]] ?? [:] {
            for method in item.keys where methods.contains(method) { result.insert("\(method.uppercased()) \(path)") }
        }
        return result
    }

    /// The documented response of an operation for a status (or its `default`), nil when there is none.
    func response(path: String, method: String, status: Int) -> [String: Any]? {
        guard let item = (document["paths"] as? [String: Any])?[path] as? [String: Any] else { return nil }
        let operation: [String: Any]?
        if let own = item[method.lowercased()] as? [String: Any] {
            operation = own
        } else if status == 405, item.keys.contains(where: { ["get", "post"].contains($0) }) {
            // A method the path does not have: the 405 of any of its operations.
            operation = item.values.compactMap { $0 as? [String: Any] }.first { ($0["responses"] as? [String: Any])?["405"] != nil }
        } else {
            operation = nil
        }
        guard let responses = operation?["responses"] as? [String: Any],
              let found = (responses[String(status)] ?? responses["default"]) as? [String: Any] else { return nil }
        return resolve(found)
    }

    /// The schema of a response's body for a content type, nil when the type is not documented.
    func bodySchema(_ response: [String: Any], contentType: String) -> [String: Any]? {
        guard let media = (response["content"] as? [String: Any])?[contentType] as? [String: Any] else { return nil }
        return resolve(media["schema"] as? [String: Any] ?? [:])
    }

    /// The field paths of `value` that `schema` does not document; every path walked goes into `seen`.
    func undocumented(_ value: Any, _ schemaIn: [String: Any], at path: String, seen: inout Set<String>) -> [String] {
        let schema = resolve(schemaIn)
        // A choice of schemas documents a field when one of them does.
        for key in ["oneOf", "anyOf"] {
            if let choices = schema[key] as? [[String: Any]], !choices.isEmpty {
                var fewest: [String]?
                for choice in choices {
                    var walked = seen
                    let problems = undocumented(value, choice, at: path, seen: &walked)
                    if problems.isEmpty { seen = walked; return [] }
                    if fewest == nil || problems.count < fewest!.count { fewest = problems }
                }
                return fewest ?? []
            }
        }
        if let object = value as? [String: Any] {
            let additional = schema["additionalProperties"] as? [String: Any]
            // An object schema that names no property is free-form on purpose (the document itself).
            guard let properties = schema["properties"] as? [String: Any] ?? (additional == nil ? nil : [:]) else { return [] }
            var problems: [String] = []
            for (key, field) in object.sorted(by: { $0.key < $1.key }) {
                let fieldPath = path + "." + key
                seen.insert(fieldPath)
                if let property = properties[key] as? [String: Any] {
                    problems += undocumented(field, property, at: fieldPath, seen: &seen)
                } else if let additional {
                    problems += undocumented(field, additional, at: fieldPath, seen: &seen)
                } else {
                    problems.append("\(fieldPath) is not in the document")
                }
            }
            return problems
        }
        if let array = value as? [Any] {
            guard let items = schema["items"] as? [String: Any] else {
                return array.isEmpty ? [] : ["\(path)[] has no documented items"]
            }
            return array.flatMap { undocumented($0, items, at: path + "[]", seen: &seen) }
        }
        return []
    }
}
