import ArtifactFormats
import Pricing
import XCTest

/// Every business rule alone and combined, their order, conflicts and price endings at the edges, on
/// a product whose price response is known in closed form: revenue ∝ p · exp(b·Δ + c·Δ²) with
/// b = −0.5, c = −2 around p_ref = 2, so the revenue-optimal price is 2·e^0.125 ≈ 2.266; the current
/// price is 2.00 and the data support 1.60…2.50.
final class PricingRulesTests: XCTestCase {
    let settings = Manifest.PriceResponse.Decision(gridPoints: 241, minProbabilityOfGain: 0.95, minExpectedGain: 0.005)
    let optimum = 2 * exp(0.125)

    /// 64 draws around (b, c); `spread` scales b's posterior spread (large: the evidence is weak).
    func response(spread: Double = 0.02, current: Double = 2.0) -> ProductPriceResponse {
        var draws: [Double] = []
        for k in 0..<64 {
            let z = (Double(k) + 0.5) / 64 - 0.5  // evenly spread in (−0.5, 0.5)
            draws += [-0.5 + spread * z * 4, -2.0 + 0.1 * z]
        }
        return ProductPriceResponse(referenceLogPrice: log(2.0), currentPrice: current, supportLow: 1.6, supportHigh: 2.5,
                                    realizedPriceRatio: 1, draws: draws[...])
    }

    func decide(_ rules: PricingRules, _ terms: ProductTerms = ProductTerms(), spread: Double = 0.02) throws -> DecisionOutcome {
        let response = response(spread: spread)
        let inputs = try DecisionInputs.repricing(response, stockcode: "TEST1", terms: terms, rules: rules)
        return PriceDecision.decide(response, baseline: 10, inputs, settings: settings)
    }

    let noRules = PricingRules(maxChangePercent: nil)

    func testWithoutRulesTheModelsPriceIsKeptAndNamed() throws {
        let o = try decide(noRules)
        XCTAssertEqual(o.bindingRule, .model)
        XCTAssertEqual(o.price, optimum, accuracy: 0.01)
        XCTAssertEqual(o.unconstrainedPrice, o.price)
        XCTAssertGreaterThan(o.expectedGain, 0)
        XCTAssertGreaterThanOrEqual(o.probabilityOfGain, 0.95)
        XCTAssertLessThanOrEqual(o.gainP10, o.expectedGain)
        XCTAssertGreaterThanOrEqual(o.gainP90, o.expectedGain)
        XCTAssertGreaterThan(o.revenueRecommended, o.revenueCurrent)
    }

    func testMaxChangeCapsTheMoveAtItsExactPrice() throws {
        let o = try decide(PricingRules(maxChangePercent: 5))
        XCTAssertEqual(o.bindingRule, .maxChange)
        XCTAssertEqual(o.price, 2.10, accuracy: 1e-12)
        XCTAssertEqual(o.unconstrainedPrice, optimum, accuracy: 0.01)
        // The gain is recomputed at the capped price: smaller than at the optimum, still positive.
        let free = try decide(noRules)
        XCTAssertLessThan(o.expectedGain, free.expectedGain)
        XCTAssertGreaterThan(o.expectedGain, 0)
    }

    func testTheDefaultMaxChangeIsTwentyPercent() {
        XCTAssertEqual(PricingRules().maxChangePercent, 20)
    }

    func testFloorAboveTheOptimumSetsThePrice() throws {
        let o = try decide(noRules, ProductTerms(floor: 2.4))
        XCTAssertEqual(o.bindingRule, .floor)
        XCTAssertEqual(o.price, 2.4, accuracy: 1e-12)
    }

    func testCeilingBelowTheOptimumSetsThePrice() throws {
        let o = try decide(noRules, ProductTerms(ceiling: 2.15))
        XCTAssertEqual(o.bindingRule, .ceiling)
        XCTAssertEqual(o.price, 2.15, accuracy: 1e-12)
    }

    func testMinMarginRaisesThePriceAndTheObjectiveIsProfit() throws {
        // Cost 0.20: profit is highest near 2.32; a 1100% margin needs at least 2.40.
        let o = try decide(PricingRules(minMarginPercent: 1100, maxChangePercent: nil), ProductTerms(unitCost: 0.2))
        XCTAssertEqual(o.bindingRule, .minMargin)
        XCTAssertEqual(o.price, 2.4, accuracy: 1e-9)
        XCTAssertNotNil(o.profitRecommended)
        XCTAssertGreaterThan(o.unconstrainedPrice, optimum, "profit's optimum lies above revenue's")
        // The margin rule has no effect without a unit cost.
        XCTAssertEqual(try decide(PricingRules(minMarginPercent: 1100, maxChangePercent: nil)).bindingRule, .model)
    }

    /// Evidence between strong and weak: the move toward the optimum is taken only as far as it is
    /// probable enough, and named as such (not as keeping the price).
    func testPartlySupportedMoveIsNamedEvidenceLimited() throws {
        var limited = 0
        for spread in stride(from: 0.05, through: 1.0, by: 0.05) {
            let o = try decide(noRules, spread: spread)
            if o.price == 2.0 {
                XCTAssertEqual(o.bindingRule, .insufficientEvidence, "spread \(spread)")
            } else if o.price < o.unconstrainedPrice - 1e-9 {
                XCTAssertEqual(o.bindingRule, .evidenceLimited, "spread \(spread)")
                XCTAssertGreaterThan(o.price, 2.0)
                XCTAssertGreaterThanOrEqual(o.probabilityOfGain, 0.95)
                limited += 1
            } else {
                XCTAssertEqual(o.bindingRule, .model, "spread \(spread)")
            }
        }
        XCTAssertGreaterThan(limited, 0, "no spread gave a partly supported move")
    }

    func testWeakEvidenceKeepsTheCurrentPriceUnlessTheThresholdIsLowered() throws {
        let weak = try decide(noRules, spread: 3)
        XCTAssertEqual(weak.bindingRule, .insufficientEvidence)
        XCTAssertEqual(weak.price, 2.0)
        XCTAssertEqual(weak.expectedGain, 0)
        let lowered = try decide(PricingRules(maxChangePercent: nil, minProbabilityOfGain: 0.5), spread: 3)
        XCTAssertNotEqual(lowered.price, 2.0)
        XCTAssertGreaterThanOrEqual(lowered.probabilityOfGain, 0.5)
    }

    func testACurrentPriceThatBreaksARuleMovesEvenWithoutEvidence() throws {
        let o = try decide(noRules, ProductTerms(floor: 2.2), spread: 3)
        XCTAssertEqual(o.price, 2.2, accuracy: 1e-12)
        XCTAssertEqual(o.bindingRule, .floor)
    }

    func testCatalogueCurrentPriceReplacesTheHistoryOne() throws {
        let o = try decide(PricingRules(maxChangePercent: 5), ProductTerms(currentPrice: 2.5))
        XCTAssertEqual(o.currentPrice, 2.5)
        XCTAssertEqual(o.price, 2.375, accuracy: 1e-9)
        XCTAssertEqual(o.bindingRule, .maxChange)
    }

    // MARK: Combined rules and their order

    func testTheTighterOfMaxChangeAndCeilingBinds() throws {
        XCTAssertEqual(try decide(PricingRules(maxChangePercent: 20), ProductTerms(ceiling: 2.15)).bindingRule, .ceiling)
        let o = try decide(PricingRules(maxChangePercent: 10), ProductTerms(floor: 2.15))
        XCTAssertEqual(o.bindingRule, .maxChange)
        XCTAssertEqual(o.price, 2.2, accuracy: 1e-12)
    }

    func testThePriceEndingComesLastAndStaysInsideTheOtherRules() throws {
        // Band [2.15, 2.20] from the floor and the 10% change; .x9 → 2.19 (2.29 would break max_change).
        let o = try decide(PricingRules(maxChangePercent: 10, priceEnding: PriceEnding(".x9")), ProductTerms(floor: 2.15))
        XCTAssertEqual(o.price, 2.19, accuracy: 1e-12)
        XCTAssertEqual(o.bindingRule, .priceEnding)
    }

    func testPriceEndingAtTheBandsEdge() throws {
        // 5% cap: 2.10 exactly; .x9 can go down to 2.09 but not up to 2.19.
        let o = try decide(PricingRules(maxChangePercent: 5, priceEnding: PriceEnding(".x9")))
        XCTAssertEqual(o.price, 2.09, accuracy: 1e-12)
        XCTAssertFalse(o.priceEndingUnavailable)
    }

    func testAnEndingThatWouldBreakTheEvidenceIsNotApplied() throws {
        // .99 offers 1.99 (a loss against 2.00) and 2.99 (beyond the 20% cap): neither keeps the rules.
        let o = try decide(PricingRules(priceEnding: PriceEnding(".99")))
        XCTAssertTrue(o.priceEndingUnavailable)
        XCTAssertNotEqual(o.bindingRule, .priceEnding)
        XCTAssertEqual(o.price, optimum, accuracy: 0.01)
    }

    // MARK: Conflicts

    func testFloorAboveCeilingIsAnErrorNamingProductAndRules() {
        XCTAssertThrowsError(try decide(noRules, ProductTerms(floor: 3, ceiling: 2))) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.contains("TEST1") && text.contains("floor") && text.contains("ceiling"), text)
        }
    }

    func testMarginAboveTheMaxChangeIsAnError() {
        XCTAssertThrowsError(try decide(PricingRules(minMarginPercent: 50, maxChangePercent: 20), ProductTerms(unitCost: 2))) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.contains("TEST1") && text.contains("min_margin") && text.contains("max_change"), text)
        }
    }

    func testCeilingBelowTheMaxChangeIsAnError() {
        XCTAssertThrowsError(try decide(PricingRules(maxChangePercent: 10), ProductTerms(ceiling: 1.5))) { error in
            XCTAssertTrue(String(describing: error).contains("ceiling"))
        }
    }

    func testMarginAboveCeilingIsAnError() {
        XCTAssertThrowsError(try decide(PricingRules(minMarginPercent: 100, maxChangePercent: nil), ProductTerms(unitCost: 2, ceiling: 3))) {
            let text = String(describing: $0)
            XCTAssertTrue(text.contains("min_margin") && text.contains("ceiling"), text)
        }
    }

    // MARK: Settings and endings

    func testBadRuleValuesAreRefusedByName() {
        var rules = PricingRules()
        XCTAssertThrowsError(try rules.set("max_change_pct", text: "-5")) { XCTAssertTrue(String(describing: $0).contains("max_change_pct")) }
        XCTAssertThrowsError(try rules.set("min_probability_of_gain", text: "1.5"))
        XCTAssertThrowsError(try rules.set("price_ending", text: "99"))
        XCTAssertThrowsError(try rules.set("colour", text: "red")) { XCTAssertTrue(String(describing: $0).contains("unknown rule")) }
        XCTAssertNoThrow(try rules.set("max_change_pct", text: "none"))
        XCTAssertNil(rules.maxChangePercent)
    }

    func testPriceEndingCandidates() throws {
        let nines = try PriceEnding(".99")
        XCTAssertEqual(nines.atOrBelow(2.99), 2.99)
        XCTAssertEqual(nines.atOrBelow(2.989999999), 2.99, "a hair below the ending still is the ending")
        XCTAssertEqual(nines.atOrBelow(3.5), 2.99)
        XCTAssertEqual(nines.atOrAbove(3.0), 3.99)
        XCTAssertNil(nines.atOrBelow(0.5), "no .99 price above 0 below 0.99")
        XCTAssertTrue(nines.matches(4.99))
        let x9 = try PriceEnding(".x9")
        XCTAssertEqual(x9.atOrBelow(2.10), 2.09)
        XCTAssertEqual(x9.atOrAbove(2.10), 2.19)
        XCTAssertEqual(x9.atOrAbove(0.01), 0.09)
        XCTAssertEqual(try PriceEnding(".95").atOrAbove(1.96), 2.95)
        for bad in ["99", ".9", ".999", ".a9", "x9", ".9x"] {
            XCTAssertThrowsError(try PriceEnding(bad), bad)
        }
    }
}
