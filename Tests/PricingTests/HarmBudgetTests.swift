@testable import ArtifactFormats
@testable import Pricing
import TestSupport
import XCTest

/// The catalogue's harm budget (`harm_budget`, ``HarmBudget``) on a small hand-built catalogue, checked
/// against its definition computed here directly (one exponential per draw and price): with a slack budget
/// λ = 0 and each product takes its best allowed gain; as the budget shrinks fewer products move and the
/// catalogue's mean P(loss > 2%) stays within it; at the solved λ every product's choice maximises
/// weight·gain share − λ·P(loss). Then the rule through a repricing run of the committed version.
final class HarmBudgetTests: XCTestCase {
    static let p0 = 2.0, low = 1.6, high = 2.4, baseline = 10.0

    /// Twelve products around p_ref = p0 = 2: mean elasticities from −0.2 to −0.9 (a rise pays in
    /// expectation), their spread growing with k, so the riskier moves are also the ones worth more.
    static let catalogue: [[Double]] = (0..<12).map { product in
        let centre = -0.2 - 0.06 * Double(product), width = 0.2 + 0.25 * Double(product % 5)
        return (0..<64).flatMap { k -> [Double] in
            let z = (Double(k) + 0.5) / 64 - 0.5
            return [centre + 2 * width * z, -1.5 + 0.3 * z]
        }
    }

    func settings(_ budget: Double, spread: Double = 1) -> HarmBudget.Settings {
        HarmBudget.Settings(budget: budget, spread: spread, minExpectedGain: 0.005)
    }

    func table(_ budget: Double, spread: Double = 1) -> HarmBudget {
        let settings = settings(budget, spread: spread)
        var table = HarmBudget(count: Self.catalogue.count, settings: settings)
        var scratch = [Double](repeating: 0, count: HarmBudget.scratchCount(draws: 64))
        table.withRows { rows in
            scratch.withUnsafeMutableBufferPointer { scratch in
                for (row, draws) in Self.catalogue.enumerated() {
                    draws.withUnsafeBufferPointer { d in
                        let product = HarmBudget.Product(draws: d.baseAddress!, drawCount: 64, referenceLogPrice: log(2.0),
                                                         realizedPriceRatio: 1, unitCost: 0, baseline: Self.baseline,
                                                         currentPrice: Self.p0, low: Self.low, high: Self.high)
                        HarmBudget.fillRow(product, settings: settings, row: row, into: rows, scratch: scratch.baseAddress!)
                    }
                }
            }
        }
        return table
    }

    /// The definition, directly: per grid price the weight·gain share (nil when not allowed) and P(loss > 2%).
    static func reference(_ draws: [Double]) -> [(price: Double, score: Double?, loss: Double)] {
        func revenue(_ p: Double, _ k: Int) -> Double {
            let d = log(p) - log(2.0)
            return p * exp(draws[2 * k] * d + draws[2 * k + 1] * d * d)
        }
        let now = (0..<64).map { revenue(Self.p0, $0) }
        let meanNow = now.reduce(0, +) / 64
        let weight = Self.baseline * meanNow
        return (0..<HarmBudget.gridPoints).map { g in
            let price = exp(log(Self.low) + Double(g) / Double(HarmBudget.gridPoints - 1) * log(Self.high / Self.low))
            let values = (0..<64).map { revenue(price, $0) }
            let share = values.reduce(0, +) / 64 / meanNow - 1
            let loss = Double((0..<64).filter { values[$0] < 0.98 * now[$0] }.count) / 64
            let allowed = share >= 0.005 && abs(price / Self.p0 - 1) > 0.005
            return (price, allowed ? weight * share : nil, loss)
        }
    }

    /// Every product's reference rows, computed once.
    static let references: [[(price: Double, score: Double?, loss: Double)]] = catalogue.map { reference($0) }

    /// The best value of `w·g − λ·L` over the allowed prices of `row` (0: keeping), and the first price reaching it.
    func best(_ row: [(price: Double, score: Double?, loss: Double)], lambda: Double) -> (value: Double, price: Double?) {
        var pick: Double?, value = 0.0
        for cell in row { if let score = cell.score, score - lambda * cell.loss > value { value = score - lambda * cell.loss; pick = cell.price } }
        return (value, pick)
    }

    /// The value of `w·g − λ·L` at `price` (a grid price of `row`; 0 for today's).
    func value(_ row: [(price: Double, score: Double?, loss: Double)], at price: Double, lambda: Double) -> Double? {
        if price == Self.p0 { return 0 }
        guard let cell = row.first(where: { abs($0.price / price - 1) < 1e-12 }), let score = cell.score else { return nil }
        return score - lambda * cell.loss
    }

    func testTheTableIsTheDefinition() {
        let table = table(1)
        for row in Self.catalogue.indices {
            for (g, cell) in Self.references[row].enumerated() {
                let i = row * HarmBudget.gridPoints + g
                XCTAssertEqual(table.prices[i], cell.price, accuracy: 1e-12 * cell.price)
                XCTAssertEqual(table.lossProbabilities[i], cell.loss, "product \(row), grid \(g)")
                if let score = cell.score {
                    XCTAssertEqual(table.scores[i], score, accuracy: 1e-9 * max(1, abs(score)), "product \(row), grid \(g)")
                } else {
                    XCTAssertEqual(table.scores[i], -.infinity, "product \(row), grid \(g): not allowed")
                }
            }
        }
    }

    func testASlackBudgetCostsNothingAndTakesEachBestGain() {
        let solution = table(1).solve()
        XCTAssertEqual(solution.multiplier, 0, "a slack budget needs no multiplier")
        for row in Self.catalogue.indices {
            let choice = solution.choices[row]
            if let pick = best(Self.references[row], lambda: 0).price {
                XCTAssertTrue(choice.moves, "product \(row)")
                XCTAssertEqual(choice.price, pick, accuracy: 1e-12 * pick, "product \(row)")
            } else {
                XCTAssertEqual(choice, HarmBudget.Choice(price: Self.p0, moves: false, constrained: false))
            }
            XCTAssertFalse(choice.constrained)
        }
        XCTAssertGreaterThan(solution.harm, 0.05, "the unconstrained moves are risky: the budgets below bind")
    }

    func testATighterBudgetMovesFewerAndStaysWithinIt() throws {
        var previous = (moves: Int.max, multiplier: -1.0)
        for budget in [1, 0.2, 0.1, 0.05, 0.02, 0.01, 0] {
            let solution = table(budget).solve()
            let moves = solution.choices.filter(\.moves).count
            XCTAssertLessThanOrEqual(solution.harm, budget, "budget \(budget)")
            XCTAssertLessThanOrEqual(moves, previous.moves, "budget \(budget): never more moves with less budget")
            XCTAssertGreaterThanOrEqual(solution.multiplier, previous.multiplier, "budget \(budget)")
            // At the solved λ each product's choice is its own best trade (the Lagrangian, from the definition); λ is
            // a breakpoint where a product is indifferent between two prices, so the values are compared, not the prices.
            for row in Self.catalogue.indices {
                let optimum = best(Self.references[row], lambda: solution.multiplier).value
                let chosen = try XCTUnwrap(value(Self.references[row], at: solution.choices[row].price, lambda: solution.multiplier),
                                           "budget \(budget), product \(row): an allowed grid price or today's")
                XCTAssertEqual(chosen, optimum, accuracy: 1e-9 * max(1, abs(optimum)), "budget \(budget), product \(row)")
            }
            previous = (moves, solution.multiplier)
        }
        XCTAssertEqual(table(0).solve().harm, 0, "no budget: only moves no draw loses 2% on")
    }

    func testWideningRaisesTheLossProbabilities() {
        let stored = table(1), wide = table(1, spread: 2)
        // Each draw's deviation × √2 with the same centre: the same expected gains roughly, more draws in the tails.
        XCTAssertGreaterThan(wide.lossProbabilities.reduce(0, +), stored.lossProbabilities.reduce(0, +))
        XCTAssertLessThanOrEqual(table(0.02, spread: 2).solve().choices.filter(\.moves).count,
                                 table(0.02).solve().choices.filter(\.moves).count, "a wider posterior spends the budget sooner")
    }

    func testBadSettingsAreRefusedNamingTheRule() {
        var rules = PricingRules()
        for text in ["1.5", "-0.1"] {
            XCTAssertThrowsError(try rules.set("harm_budget", text: text)) { error in
                XCTAssertTrue("\(error)".contains("harm_budget must be a number from 0 to 1"), "\(error)")
            }
        }
        XCTAssertThrowsError(try rules.set("harm_budget", text: "abc")) { XCTAssertTrue("\($0)".contains("harm_budget must be a number"), "\($0)") }
        XCTAssertThrowsError(try rules.set("harm_budget_spread", text: "0.5")) { XCTAssertTrue("\($0)".contains("harm_budget_spread"), "\($0)") }
        XCTAssertNil(rules.harmBudget, "a refused value leaves the rules as they were")
        XCTAssertNoThrow(try rules.set("harm_budget", text: "0.002"))
        XCTAssertEqual(rules.harmBudget, 0.002)
        XCTAssertNotEqual(rules.key, PricingRules().key, "a budget is its own run")
        XCTAssertNoThrow(try rules.set("harm_budget", text: "none"))
        XCTAssertEqual(rules.key, PricingRules().key)
    }

    /// Through a run of the committed version (100 products): every changed price is the budget's, and the
    /// mean P(loss > 2%) at the posted prices, recomputed here from the stored draws, is within the budget.
    func testARunUnderTheBudgetKeepsItsCatalogueWithinIt() throws {
        let engine: PricingEngine
        if let shared = PriceSweepTests.sharedEngine { engine = shared } else {
            engine = try PricingEngine(path: CommittedModels.root)
            PriceSweepTests.sharedEngine = engine
        }
        let items = engine.store.products.prefix(100).map { RepricingItem(stockcode: $0.stockcode) }
        var moves: [Double: Int] = [:]
        for budget in [1, 0.01, 0] {
            let run = try engine.reprice(items, rules: PricingRules(harmBudget: budget))
            XCTAssertEqual(run.rows.count + run.skipped.count, items.count)
            var harm = 0.0
            for row in run.rows where row.price != row.currentPrice && row.bindingRule != .experiment {
                XCTAssertEqual(row.bindingRule, .harmBudget, "\(row.stockcode)")
                let response = try XCTUnwrap(engine.priceResponse.product(try XCTUnwrap(engine.store.index(of: row.stockcode))))
                let d = Array(response.draws)
                func revenue(_ p: Double, _ k: Int) -> Double {
                    let x = log(p) - response.referenceLogPrice
                    return p * exp(d[2 * k] * x + d[2 * k + 1] * x * x)
                }
                harm += Double((0..<response.drawCount).filter { revenue(row.price, $0) < 0.98 * revenue(row.currentPrice, $0) }.count)
                    / Double(response.drawCount)
            }
            XCTAssertLessThanOrEqual(harm / Double(run.rows.count), budget + 1e-9, "budget \(budget)")
            moves[budget] = run.rows.filter { $0.price != $0.currentPrice && $0.bindingRule != .experiment }.count
        }
        XCTAssertGreaterThan(moves[1]!, moves[0]!, "a slack budget moves more than none")
        XCTAssertGreaterThanOrEqual(moves[0.01]!, moves[0]!)
    }
}
