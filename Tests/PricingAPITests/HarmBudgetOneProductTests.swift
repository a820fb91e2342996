import ArtifactFormats
import Foundation
import HTTPServer
@testable import Pricing
import PricingAPI
import TestSupport
import XCTest

/// `GET /v1/recommendations/{stockcode}?harm_budget=…` on the committed version: the product's row of the
/// catalogue run under the same rules, before that run exists (decided at the catalogue's λ, solved once
/// and kept) and after it (read from the run), where the product budgeted alone would often answer otherwise.
final class HarmBudgetOneProductTests: XCTestCase {
    func testOneProductAnswersAsTheCatalogueRunBeforeAndAfterIt() async throws {
        let engine = try PricingEngine(path: CommittedModels.root)
        let router = PricingRouter(engine: engine, cors: CORSPolicy(allowedOrigins: []))
        // The loop's setting: a budget that binds on the committed catalogue.
        let rules = PricingRules(harmBudget: 0.002, harmBudgetSpread: 2)
        let query = "harm_budget=0.002&harm_budget_spread=2"
        let catalogue = try engine.reprice(nil, rules: rules)

        // A handful of products: moved by the budget, kept by it, and decided by another rule.
        let moved = catalogue.rows.filter { $0.bindingRule == .harmBudget && $0.price != $0.currentPrice }
        let kept = catalogue.rows.filter { $0.bindingRule == .harmBudget && $0.price == $0.currentPrice }
        let other = catalogue.rows.filter { $0.bindingRule != .harmBudget }
        XCTAssertGreaterThanOrEqual(moved.count, 3, "the budget moves some products")
        XCTAssertGreaterThanOrEqual(kept.count, 2, "the budget keeps some a product alone would move")
        let sample = Array(moved.prefix(3)) + Array(kept.prefix(2)) + Array(other.prefix(1))
        let alone = sample.filter { row in
            let own = try? engine.reprice([RepricingItem(stockcode: row.stockcode)], rules: rules).rows.first
            return own?.price != row.price || own?.bindingRule != row.bindingRule
        }
        XCTAssertFalse(alone.isEmpty, "budgeted alone, some of these products would answer otherwise: the check below can fail")

        // Through the route (the JSON has prices to 4 decimals), then the answer itself (exactly).
        func check(_ expected: PriceRecommendation, cache: String) async throws {
            let response = await router.handle(HTTPRequest(method: "GET", path: "/v1/recommendations/\(expected.stockcode)", query: query,
                                                           headers: ["Host": "x"]))
            XCTAssertEqual(response.status.code, 200, expected.stockcode)
            XCTAssertEqual(response.headers["x-cache"], cache, expected.stockcode)
            guard case .bytes(let body) = response.body else { return XCTFail("\(expected.stockcode): expected a complete body") }
            let row = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
            let price = try XCTUnwrap(row["recommended_price"] as? Double, expected.stockcode)
            XCTAssertEqual(price, expected.price, accuracy: 0.5e-4 + 1e-12, "\(expected.stockcode) (\(cache))")
            XCTAssertEqual(row["binding_rule"] as? String, expected.bindingRule.rawValue, "\(expected.stockcode) (\(cache))")

            let answer = await router.answers.recommendation(for: expected.stockcode, rules: rules, on: engine) { _ in true }
            guard case .row(let exact, let fromRun) = answer else { return XCTFail("\(expected.stockcode): \(answer)") }
            XCTAssertEqual(fromRun, cache == "HIT", expected.stockcode)
            XCTAssertEqual(exact.price, expected.price, "\(expected.stockcode) (\(cache))")
            XCTAssertEqual(exact.bindingRule, expected.bindingRule, "\(expected.stockcode) (\(cache))")
            // The baseline comes from a forward pass over this product alone rather than the run's 128-product chunk:
            // the float kernel's sums differ in the last bits (as without a budget), so the gain agrees to ~1e-8.
            XCTAssertEqual(exact.expectedGain, expected.expectedGain, accuracy: 1e-6 * max(1, abs(expected.expectedGain)),
                           "\(expected.stockcode) (\(cache))")
        }

        // Before the catalogue run: λ solved once over the catalogue, then reused.
        XCTAssertNil(router.answers.runs.existing(engine: engine, rules: rules))
        var asked: [Int] = []
        for expected in sample.prefix(2) {
            _ = await router.answers.recommendation(for: expected.stockcode, rules: rules, on: engine) { asked.append($0); return true }
        }
        XCTAssertEqual(asked, [engine.store.products.count, 1], "the work admitted: the catalogue's pass once, then one product's")
        for expected in sample { try await check(expected, cache: "MISS") }
        XCTAssertEqual(router.answers.harmBudgetMultipliers.count, 1, "one λ for these rules, solved once")
        XCTAssertNotNil(router.answers.harmBudgetMultipliers.cached(engine, rules: rules))
        XCTAssertNil(router.answers.runs.existing(engine: engine, rules: rules), "no run was started for the answers")

        // After: the finished run answers, with the same rows.
        guard case .admitted(let ticket, _) = router.answers.run(nil, rules: rules, on: engine, spend: { _ in nil }) else {
            return XCTFail("the run was not admitted")
        }
        let finished = await ticket.run.finished()
        XCTAssertTrue(finished.finished)
        for expected in sample { try await check(expected, cache: "HIT") }
        ticket.release()
    }
}
