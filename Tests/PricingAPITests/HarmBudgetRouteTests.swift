import Foundation
import HTTPServer
import Pricing
import PricingAPI
import TestSupport
import XCTest

/// `harm_budget` and `harm_budget_spread` on the repricing routes: a bad value is a 400 JSON error naming the
/// field, a good one is echoed in the run's rules and the row's binding rule is one the document lists.
final class HarmBudgetRouteTests: XCTestCase {
    nonisolated(unsafe) static var router: PricingRouter?

    func router() throws -> PricingRouter {
        if let router = Self.router { return router }
        let router = PricingRouter(engine: try PricingEngine(path: CommittedModels.root), cors: CORSPolicy(allowedOrigins: []))
        Self.router = router
        return router
    }

    func get(_ path: String, _ query: String) async throws -> (status: Int, json: [String: Any]) {
        let router = try router()
        let response = await router.handle(HTTPRequest(method: "GET", path: path, query: query, headers: ["Host": "x"]))
        guard case .bytes(let body) = response.body else { XCTFail("\(path)?\(query): expected a complete body"); return (0, [:]) }
        return (response.status.code, try XCTUnwrap(JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]))
    }

    func testBadValuesAreA400NamingTheField() async throws {
        let cases = [("/v1/recommendations", "harm_budget=1.5", "harm_budget"), ("/v1/recommendations", "harm_budget=-0.01", "harm_budget"),
                     ("/v1/recommendations", "harm_budget=abc", "harm_budget"), ("/v1/recommendations", "harm_budget=nan", "harm_budget"),
                     ("/v1/recommendations", "harm_budget=0.002&harm_budget_spread=0.5", "harm_budget_spread"),
                     ("/v1/recommendations/85123A", "harm_budget=2", "harm_budget")]
        for (path, query, field) in cases {
            let (status, body) = try await get(path, query)
            XCTAssertEqual(status, 400, "\(path)?\(query)")
            let error = try XCTUnwrap(body["error"] as? [String: Any], "\(query)")
            XCTAssertEqual(error["code"] as? String, "invalid_\(field)", "\(query)")
            XCTAssertTrue((error["message"] as? String ?? "").contains(field), "\(query): \(error)")
        }
    }

    func testAGoodValueIsDocumented() async throws {
        let (status, row) = try await get("/v1/recommendations/85123A", "harm_budget=0.002&harm_budget_spread=2")
        XCTAssertEqual(status, 200, "\(row)")
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(OpenAPIDocument.bytes)) as? [String: Any])
        let checker = OpenAPIChecker()
        XCTAssertEqual(checker.validate(row, try checker.schema(doc, path: "/v1/recommendations/{stockcode}", status: 200), doc), [])
        let schemas = try XCTUnwrap((doc["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let rules = try XCTUnwrap(((schemas["RecommendationRun"] as? [String: Any])?["properties"] as? [String: Any])?["rules"] as? [String: Any])
        let documented = Set(try XCTUnwrap(rules["required"] as? [String]))
        let written = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(PricingRules(harmBudget: 0.002).jsonBytes)) as? [String: Any])
        XCTAssertEqual(Set(written.keys), documented, "every rule the runs echo is in the document")
        XCTAssertEqual(written["harm_budget"] as? Double, 0.002)
    }

    /// The rules from config JSON: 0 and 1 are numbers (on Linux they also cast to Bool), `true` is refused.
    func testRulesFromJSONTakeZeroAndOneAsNumbers() throws {
        func parse(_ text: String) throws -> PricingRules {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            return try PricingRules.parse(object, source: "config")
        }
        let rules = try parse(#"{"harm_budget": 0.002, "harm_budget_spread": 1, "min_probability_of_gain": 0, "max_change_pct": 1.0}"#)
        XCTAssertEqual(rules.harmBudget, 0.002)
        XCTAssertEqual(rules.harmBudgetSpread, 1)
        XCTAssertEqual(rules.minProbabilityOfGain, 0)
        XCTAssertEqual(rules.maxChangePercent, 1)
        XCTAssertThrowsError(try parse(#"{"harm_budget": true}"#)) { XCTAssertTrue("\($0)".contains("harm_budget must be a number"), "\($0)") }
        XCTAssertThrowsError(try parse(#"{"harm_budget": 3}"#)) { XCTAssertTrue("\($0)".contains("harm_budget must be a number from 0 to 1"), "\($0)") }
    }
}
