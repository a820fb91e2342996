import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HTTPServer
import Pricing
import PricingAPI
import ArtifactFormats
import TestSupport
import XCTest

/// The API over a real loopback socket: the server module, the router and the committed models.
final class PricingAPITests: XCTestCase {
    nonisolated(unsafe) static var server: HTTPServer?
    nonisolated(unsafe) static var base = ""

    override class func setUp() {
        let engine = try! PricingEngine(path: CommittedModels.root)
        var configuration = HTTPServer.Configuration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        let router = PricingRouter(engine: engine, cors: CORSPolicy(allowedOrigins: ["http://dashboard.example"]))
        let server = HTTPServer(configuration: configuration, handler: router)
        base = "http://127.0.0.1:\(try! server.start())"
        self.server = server
    }

    override class func tearDown() {
        let done = DispatchSemaphore(value: 0)
        Task { await server?.shutdown(gracePeriod: .seconds(2)); done.signal() }
        done.wait()
    }

    func get(_ path: String, method: String = "GET", headers: [String: String] = [:]) async throws -> (HTTPURLResponse, Data) {
        var request = URLRequest(url: URL(string: Self.base + path)!)
        request.httpMethod = method
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let (data, response) = try await URLSession.shared.data(for: request)
        return (response as! HTTPURLResponse, data)
    }

    func errorCode(_ data: Data) -> String? {
        ((try? JSONSerialization.jsonObject(with: data)) as? [String: [String: String]])?["error"]?["code"]
    }

    /// The fields every row carries: the article's, the row's bands, and the product's decision.
    static let rowFields = ["stockcode", "unit_price", "quantity", "quantity_min", "quantity_max", "quantity_p10", "quantity_p90",
                            "predicted_sales", "sales_p10", "sales_p90", "optimal_unit_price", "max_predicted_sales",
                            "current_price", "recommended_price", "best_price", "decision", "decision_reason", "expected_gain",
                            "expected_gain_pct", "gain_p10", "gain_p90", "probability_of_gain", "best_price_p10", "best_price_p90",
                            "elasticity", "elasticity_p10", "elasticity_p90", "search_min", "search_max", "at_search_edge",
                            "outside_support", "demand_unit"]
    /// The product-level fields, the same on every row.
    static let decisionFields = Array(rowFields[rowFields.firstIndex(of: "optimal_unit_price")!...])

    func testPredictPriceReturnsTheArrayTheReactClientReads() async throws {
        let (response, data) = try await get("/v1/predict-price/85123A?num_price_bins=25&unitprice_min=1&unitprice_max=4")
        XCTAssertEqual(response.statusCode, 200)
        XCTAssertEqual(response.value(forHTTPHeaderField: "Content-Type"), "application/json")
        XCTAssertEqual(response.value(forHTTPHeaderField: "X-Model"), "mlp")
        XCTAssertEqual(response.value(forHTTPHeaderField: "X-Model-Version"), try CommittedModels.folder().manifest.modelVersion)
        XCTAssertEqual(response.value(forHTTPHeaderField: "X-Cache"), "MISS")
        XCTAssertNotNil(Double(response.value(forHTTPHeaderField: "X-Compute-Time-Ms") ?? ""))
        let rows = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(data)) as? [[String: Any]])
        XCTAssertEqual(rows.count, 25)
        XCTAssertEqual(rows.first?["unit_price"] as? Double, 1.0)
        XCTAssertEqual(rows.last?["unit_price"] as? Double, 4.0)
        // The same numbers as the engine computes directly.
        let engine = try PricingEngine(path: CommittedModels.root)
        let curve = try engine.sweep(SweepRequest(stockcode: "85123A", minPrice: 1, maxPrice: 4, bins: 25))
        let r = curve.recommendation
        // (JSONSerialization reads some 17-digit numbers a few ulps off: prices are compared to 1e-12.)
        for (row, point) in zip(rows, curve.points) {
            XCTAssertEqual(Set(row.keys), Set(Self.rowFields), "fields of a row without a unit cost")
            XCTAssertEqual(row["stockcode"] as? String, "85123A")
            XCTAssertEqual(try XCTUnwrap(row["unit_price"] as? Double), point.unitPrice, accuracy: 1e-12 * point.unitPrice, "unit_price")
            XCTAssertEqual(row["quantity"] as! Double, point.quantity, accuracy: 1e-6)
            XCTAssertEqual(row["predicted_sales"] as! Double, point.sales, accuracy: 1e-6)
            XCTAssertEqual(row["sales_p10"] as! Double, point.salesP10, accuracy: 1e-6)
            XCTAssertEqual(row["sales_p90"] as! Double, point.salesP90, accuracy: 1e-6)
            XCTAssertEqual(try XCTUnwrap(row["optimal_unit_price"] as? Double), r.price, accuracy: 1e-12 * r.price, "optimal_unit_price")
            XCTAssertEqual(try XCTUnwrap(row["recommended_price"] as? Double), r.price, accuracy: 1e-12 * r.price, "recommended_price")
            XCTAssertEqual(try XCTUnwrap(row["best_price"] as? Double), r.bestPrice, accuracy: 1e-12 * r.bestPrice, "best_price")
            XCTAssertEqual(try XCTUnwrap(row["current_price"] as? Double), r.currentPrice, accuracy: 1e-12 * r.currentPrice, "current_price")
            XCTAssertEqual(row["decision"] as? String, r.decision.rawValue)
            XCTAssertEqual(row["decision_reason"] as? String, r.reason.rawValue)
            XCTAssertEqual(try XCTUnwrap(row["probability_of_gain"] as? Double), r.probabilityOfGain, accuracy: 1e-12 * r.probabilityOfGain, "probability_of_gain")
            XCTAssertEqual(row["max_predicted_sales"] as! Double, r.sales, accuracy: 1e-6)
            XCTAssertEqual(try XCTUnwrap(row["search_min"] as? Double), r.searchMin, accuracy: 1e-12 * r.searchMin, "search_min")
            XCTAssertEqual(try XCTUnwrap(row["search_max"] as? Double), r.searchMax, accuracy: 1e-12 * r.searchMax, "search_max")
            XCTAssertEqual(row["outside_support"] as? Bool, r.outsideSupport)
            XCTAssertEqual(row["demand_unit"] as? String, "units_per_week")
            if let edge = r.atRangeEdge { XCTAssertEqual(row["at_search_edge"] as? String, edge.rawValue) } else { XCTAssertTrue(row["at_search_edge"] is NSNull) }
            XCTAssertNil(row["predicted_profit"])
            for key in Self.decisionFields { XCTAssertEqual("\(row[key]!)", "\(rows[0][key]!)", "\(key) is the same on every row") }
            for key in ["quantity", "quantity_min", "quantity_max", "quantity_p10", "quantity_p90", "sales_p10", "sales_p90",
                        "expected_gain", "expected_gain_pct", "gain_p10", "gain_p90", "best_price_p10", "best_price_p90",
                        "elasticity", "elasticity_p10", "elasticity_p90"] {
                XCTAssertNotNil(row[key] as? Double, key)
            }
        }
    }

    func testProfitAndNDJSONStreaming() async throws {
        let (response, data) = try await get("/v1/predict-price/85123A?num_price_bins=10&unit_cost=1.5",
                                             headers: ["Accept": "application/x-ndjson"])
        XCTAssertEqual(response.statusCode, 200)
        XCTAssertEqual(response.value(forHTTPHeaderField: "Content-Type"), "application/x-ndjson")
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(lines.count, 10)
        let (_, plain) = try await get("/v1/predict-price/85123A?num_price_bins=10&unit_cost=1.5")
        let array = try XCTUnwrap(JSONSerialization.jsonObject(with: plain) as? [[String: Any]])
        for (line, same) in zip(lines, array) {
            let row = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            XCTAssertEqual(Set(row.keys), Set(Self.rowFields + ["predicted_profit"]))
            // (ρ·p − k)·q = ρ·p·q − k·q: revenue less the cost of the units.
            let q = row["quantity"] as! Double, sales = row["predicted_sales"] as! Double
            XCTAssertEqual(row["predicted_profit"] as! Double, sales - 1.5 * q, accuracy: 1e-5)
            XCTAssertEqual(NSDictionary(dictionary: row), NSDictionary(dictionary: same), "NDJSON lines are the array's objects")
        }
    }

    func testBadRequestsAreJSONErrorsWithTheRightStatus() async throws {
        let cases: [(String, Int, String)] = [
            ("/v1/predict-price/NOPE", 404, "unknown_stockcode"),
            ("/v1/predict-price/85123A?unitprice_min=abc", 400, "invalid_unitprice_min"),
            ("/v1/predict-price/85123A?unitprice_max=nan", 400, "invalid_unitprice_max"),
            ("/v1/predict-price/85123A?unitprice_min=-1", 400, "invalid_unitprice_min"),
            ("/v1/predict-price/85123A?unitprice_min=3&unitprice_max=2", 400, "empty_price_range"),
            ("/v1/predict-price/85123A?num_price_bins=1", 400, "invalid_num_price_bins"),
            ("/v1/predict-price/85123A?num_price_bins=1001", 400, "invalid_num_price_bins"),
            ("/v1/predict-price/85123A?num_price_bins=2.5", 400, "invalid_num_price_bins"),
            ("/v1/predict-price/85123A?unit_cost=-1", 400, "invalid_unit_cost"),
            ("/v1/predict-price/85123A?unit_cost=inf", 400, "invalid_unit_cost"),
            ("/v1/predict-price/85123A?colour=red", 400, "unknown_parameter"),
            ("/v1/products?limit=0", 400, "invalid_limit"),
            ("/v1/predict-price/85123A?unitprice_max=1e20", 400, "invalid_unitprice_max"),
            ("/v1/predict-price/85123A?unit_cost=1e308", 400, "invalid_unit_cost"),
            ("/v1/predict-price/85123A?unitprice_min=0x10", 400, "invalid_unitprice_min"),
            ("/no/such/route", 404, "not_found"),
        ]
        for (path, status, code) in cases {
            let (response, data) = try await get(path)
            XCTAssertEqual(response.statusCode, status, path)
            XCTAssertEqual(response.value(forHTTPHeaderField: "Content-Type"), "application/json", path)
            XCTAssertEqual(errorCode(data), code, "\(path): \(String(decoding: data, as: UTF8.self))")
        }
        let (response, data) = try await get("/v1/predict-price/85123A", method: "POST")
        XCTAssertEqual(response.statusCode, 405)
        XCTAssertEqual(response.value(forHTTPHeaderField: "Allow"), "GET, HEAD, OPTIONS")
        XCTAssertEqual(errorCode(data), "method_not_allowed")
    }

    func testCORS() async throws {
        let (preflight, _) = try await get("/v1/predict-price/85123A", method: "OPTIONS",
                                           headers: ["Origin": "http://dashboard.example", "Access-Control-Request-Method": "GET"])
        XCTAssertEqual(preflight.statusCode, 204)
        XCTAssertEqual(preflight.value(forHTTPHeaderField: "Access-Control-Allow-Origin"), "http://dashboard.example")
        XCTAssertEqual(preflight.value(forHTTPHeaderField: "Access-Control-Allow-Credentials"), "true")
        XCTAssertEqual(preflight.value(forHTTPHeaderField: "Access-Control-Allow-Methods"), "GET, HEAD, OPTIONS")
        let (refused, body) = try await get("/v1/predict-price/85123A", method: "OPTIONS",
                                            headers: ["Origin": "http://evil.example", "Access-Control-Request-Method": "GET"])
        XCTAssertEqual(refused.statusCode, 403)
        XCTAssertEqual(errorCode(body), "origin_not_allowed")
        let (allowed, _) = try await get("/healthz", headers: ["Origin": "http://dashboard.example"])
        XCTAssertEqual(allowed.value(forHTTPHeaderField: "Access-Control-Allow-Origin"), "http://dashboard.example")
        let (other, _) = try await get("/healthz", headers: ["Origin": "http://evil.example"])
        XCTAssertNil(other.value(forHTTPHeaderField: "Access-Control-Allow-Origin"))
        XCTAssertEqual(other.value(forHTTPHeaderField: "Vary"), "Origin")  // shared caches must not reuse it elsewhere
        // A wildcard policy never sends credentials.
        XCTAssertNil(CORSPolicy(allowedOrigins: ["*"]).allowCredentials ? "credentials" : nil)
    }

    func testHealthReadinessAndProducts() async throws {
        let (health, _) = try await get("/healthz")
        XCTAssertEqual(health.statusCode, 200)
        let (ready, data) = try await get("/readyz")
        XCTAssertEqual(ready.statusCode, 200)
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(doc["status"] as? String, "ready")
        XCTAssertEqual(doc["active_model"] as? String, "mlp")
        XCTAssertEqual((doc["models"] as? [Any])?.count, 4)
        let (products, list) = try await get("/v1/products?q=t-light%20holder&limit=5")
        XCTAssertEqual(products.statusCode, 200)
        let page = try XCTUnwrap(JSONSerialization.jsonObject(with: list) as? [String: Any])
        let items = try XCTUnwrap(page["products"] as? [[String: Any]])
        XCTAssertTrue(items.contains { $0["stockcode"] as? String == "85123A" })
        XCTAssertGreaterThanOrEqual(page["total"] as! Int, items.count)
    }

    func testGzipWhenAcceptedAndWorthIt() async throws {
        // URLSession decodes gzip itself; check the raw bytes through the router instead.
        let engine = try PricingEngine(path: CommittedModels.root)
        let router = PricingRouter(engine: engine, cors: CORSPolicy(allowedOrigins: []))
        var headers = HTTPHeaders()
        headers.add("Host", "x")
        headers.add("Accept-Encoding", "br;q=1, gzip;q=0.8")
        let request = HTTPRequest(method: "GET", path: "/v1/predict-price/85123A", query: "", version: .http1_1, headers: headers,
                                  body: [], remoteAddress: "test")
        let response = await router.handle(request)
        XCTAssertEqual(response.headers["content-encoding"], "gzip")
        guard case .bytes(let body) = response.body else { return XCTFail("expected a complete body") }
        XCTAssertEqual(Array(body.prefix(2)), [0x1f, 0x8b])
        let plain = try Gzip.decompress(body, file: "response")
        XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(plain)) as? [Any])?.count, 100)
        var small = HTTPHeaders()
        small.add("Host", "x")
        small.add("Accept-Encoding", "gzip")
        let health = await router.handle(HTTPRequest(method: "GET", path: "/healthz", query: "", version: .http1_1, headers: small,
                                                     body: [], remoteAddress: "test"))
        XCTAssertNil(health.headers["content-encoding"])  // too small to be worth it
        // An explicit gzip;q=0 wins over "*" (RFC 9110).
        var refused = HTTPHeaders()
        refused.add("Host", "x")
        refused.add("Accept-Encoding", "*, gzip;q=0")
        let plainResponse = await router.handle(HTTPRequest(method: "GET", path: "/openapi.json", headers: refused))
        XCTAssertNil(plainResponse.headers["content-encoding"])
        // NDJSON refused with q=0 gets JSON.
        let json = await router.handle(HTTPRequest(method: "GET", path: "/v1/predict-price/85123A", query: "num_price_bins=3",
                                                   headers: ["Host": "x", "Accept": "application/x-ndjson;q=0, application/json"]))
        XCTAssertEqual(json.headers["content-type"], "application/json")
    }
}

/// Before the models are loaded the service answers, but says it is not ready.
final class NotReadyTests: XCTestCase {
    func testModelRoutesAnswer503UntilTheEngineIsInstalled() async throws {
        let slot = EngineSlot()
        let router = PricingRouter(slot: slot, cors: CORSPolicy(allowedOrigins: []))
        for path in ["/v1/predict-price/85123A", "/v1/products", "/readyz"] {
            let response = await router.handle(HTTPRequest(method: "GET", path: path, headers: ["Host": "x"]))
            XCTAssertEqual(response.status.code, 503, path)
            XCTAssertEqual(response.headers["retry-after"], "1")
            guard case .bytes(let body) = response.body else { return XCTFail(path) }
            XCTAssertTrue(String(decoding: body, as: UTF8.self).contains("\"not_ready\""), path)
        }
        let health = await router.handle(HTTPRequest(method: "GET", path: "/healthz", headers: ["Host": "x"]))
        XCTAssertEqual(health.status.code, 200)
        slot.install(try PricingEngine(path: CommittedModels.root))
        let ready = await router.handle(HTTPRequest(method: "GET", path: "/readyz", headers: ["Host": "x"]))
        XCTAssertEqual(ready.status.code, 200)
    }
}

/// The committed version's report scores its decisions against the ground truth; the service must give
/// exactly those decisions, over HTTP, for every product of the report's panel.
final class ReportDecisionsOverHTTPTests: XCTestCase {
    func testTheServiceAnswersEveryPanelProductAsTheReportDecided() async throws {
        let folder = try CommittedModels.versionPath()
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/report.json"))) as! [String: Any]
        let pricing = try XCTUnwrap(report["pricing"] as? [String: Any], "the committed version's report has no pricing section")
        let decisions = try XCTUnwrap(pricing["decisions"] as? [String: [String: Any]])
        let panel = try XCTUnwrap(pricing["panel"] as? [String])
        XCTAssertEqual(Set(decisions.keys), Set(panel))
        XCTAssertGreaterThanOrEqual(panel.count, 10)

        let engine = try PricingEngine(path: CommittedModels.root)
        var configuration = HTTPServer.Configuration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        let server = HTTPServer(configuration: configuration, handler: PricingRouter(engine: engine, cors: CORSPolicy(allowedOrigins: [])))
        let base = "http://127.0.0.1:\(try server.start())"
        defer {
            let done = DispatchSemaphore(value: 0)
            Task { await server.shutdown(gracePeriod: .seconds(2)); done.signal() }
            done.wait()
        }
        for code in panel {
            let expected = try XCTUnwrap(decisions[code])
            let (data, response) = try await URLSession.shared.data(from: URL(string: base + "/v1/predict-price/" + code)!)
            XCTAssertEqual((response as! HTTPURLResponse).statusCode, 200, code)
            let rows = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [[String: Any]], code)
            let row = try XCTUnwrap(rows.first, code)
            XCTAssertEqual(row["decision"] as? String, expected["decision"] as? String, code)
            XCTAssertEqual(row["decision_reason"] as? String, expected["reason"] as? String, code)
            // Prices and P(gain) come from the same draws and grid on both sides: equal to rounding.
            for (field, key) in [("optimal_unit_price", "optimal_unit_price"), ("current_price", "current_price"),
                                 ("best_price", "best_price"), ("probability_of_gain", "probability_of_gain"),
                                 ("best_price_p10", "best_price_p10"), ("best_price_p90", "best_price_p90"),
                                 ("search_min", "search_min"), ("search_max", "search_max")] {
                let got = try XCTUnwrap((row[field] as? NSNumber)?.doubleValue, "\(code) \(field)")
                let want = try XCTUnwrap((expected[key] as? NSNumber)?.doubleValue, "\(code) \(key)")
                XCTAssertEqual(got, want, accuracy: 1e-9 * max(1, abs(want)), "\(code) \(field)")
            }
            // Elasticity: the draws' mean in the same order on both sides.
            let elasticity = try XCTUnwrap((row["elasticity"] as? NSNumber)?.doubleValue)
            XCTAssertEqual(elasticity, try XCTUnwrap((expected["elasticity"] as? NSNumber)?.doubleValue), accuracy: 1e-6, code)
        }
    }
}
