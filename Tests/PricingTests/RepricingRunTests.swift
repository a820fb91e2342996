import ArtifactFormats
import Pricing
import TestSupport
import XCTest

/// The batch repricing path on the committed version: every product priced once, the same price as a
/// single request when no rule applies, catalogue terms honoured, and bad catalogue lines reported.
final class RepricingRunTests: XCTestCase {
    func engine() throws -> PricingEngine {
        if let engine = PriceSweepTests.sharedEngine { return engine }
        let engine = try PricingEngine(path: CommittedModels.root)
        PriceSweepTests.sharedEngine = engine
        return engine
    }

    func testEveryProductIsPricedUnderTheDefaultRules() throws {
        let engine = try engine()
        var chunks = 0
        var rows: [PriceRecommendation] = []
        var gains = 0
        try engine.reprice(nil, rules: PricingRules()) { chunk in
            chunks += 1
            rows += chunk.rows
            gains += chunk.gains.count
            XCTAssertTrue(chunk.skipped.isEmpty, "\(chunk.skipped.prefix(3))")
        }
        XCTAssertEqual(rows.count, engine.store.products.count)
        XCTAssertEqual(rows.map(\.stockcode), engine.store.products.map(\.stockcode), "stockcode order")
        XCTAssertGreaterThan(chunks, 1, "rows are delivered chunk by chunk")
        XCTAssertEqual(gains, rows.count * engine.priceResponse.draws)
        // A change meets the version's own rule (its P(gain) floor and minimum expected gain; the loss bound
        // is checked draw by draw in LossBoundTests).
        let rule = engine.manifest.priceResponse.decision
        for row in rows {
            XCTAssertLessThanOrEqual(abs(row.changeFraction), 0.2 + 1e-12, row.stockcode)
            XCTAssertEqual(row.currentPriceSource, .history)
            XCTAssertEqual(row.decision == .keepCurrent, row.price == row.currentPrice)
            if row.decision == .change {
                XCTAssertGreaterThanOrEqual(row.probabilityOfGain, rule.minProbabilityOfGain, row.stockcode)
                XCTAssertGreaterThanOrEqual(row.expectedGainFraction, rule.minExpectedGain - 1e-12, row.stockcode)
            }
        }
        XCTAssertTrue(rows.contains { $0.decision == .change }, "some products change")
    }

    /// Without rules the batch path decides as a single request does (same baseline, same search), so
    /// a changed price is the request's `recommended_price`.
    func testWithoutRulesTheBatchAgreesWithSingleRequests() throws {
        let engine = try engine()
        let codes = Array(engine.store.products.map(\.stockcode).prefix(300))
        let run = try engine.reprice(codes.map { RepricingItem(stockcode: $0) }, rules: PricingRules(maxChangePercent: nil))
        XCTAssertEqual(run.rows.count, codes.count)
        for row in run.rows {
            let curve = try engine.sweep(SweepRequest(stockcode: row.stockcode))
            let r = curve.recommendation
            XCTAssertEqual(row.unconstrainedPrice, r.bestPrice, accuracy: 1e-9 * r.bestPrice, row.stockcode)
            XCTAssertEqual(row.price, r.price, accuracy: 1e-9 * r.price, row.stockcode)
            XCTAssertEqual(row.elasticity, r.elasticity, accuracy: 1e-9, row.stockcode)
            if r.decision == .change {
                XCTAssertEqual(row.expectedGain, r.expectedGain, accuracy: 1e-6 * max(1, abs(r.expectedGain)), row.stockcode)
                XCTAssertEqual(row.probabilityOfGain, r.probabilityOfGain, row.stockcode)
            }
        }
    }

    func testCatalogueTermsAndBadLines() throws {
        let engine = try engine()
        let csv = """
        stockcode,current_price,unit_cost,floor,ceiling\r
        85123A,3.00,1.20,,\r
        NOPE1,2.00,,,\r
        22423,abc,,,\r
        "21212",,-1,,\r
        22720,,,5,4\r
        85123A,2.5,,,\r

        """
        let catalogue = try Catalogue(bytes: Array(csv.utf8), file: "shop.csv")
        XCTAssertEqual(catalogue.items.map(\.stockcode), ["85123A", "NOPE1"])
        XCTAssertEqual(catalogue.skipped.map(\.line), [4, 5, 6, 7])
        XCTAssertEqual(catalogue.skipped.map(\.column), ["current_price", "unit_cost", "floor", "stockcode"])
        XCTAssertTrue(catalogue.skipped[0].description.contains("line 4, column current_price"), catalogue.skipped[0].description)
        let run = try engine.reprice(catalogue.items, rules: PricingRules())
        XCTAssertEqual(run.rows.map(\.stockcode), ["85123A"])
        XCTAssertEqual(run.skipped.map(\.line), [3], "the unknown stockcode is reported with its line")
        XCTAssertEqual(run.skipped.first?.column, "stockcode")
        let row = try XCTUnwrap(run.rows.first)
        XCTAssertEqual(row.currentPrice, 3.0)
        XCTAssertEqual(row.currentPriceSource, .catalogue)
        XCTAssertEqual(row.objective, .profit)
        XCTAssertNotNil(row.profitCurrent)
    }

    func testConflictingRulesSkipTheProductWithAMessage() throws {
        let engine = try engine()
        let other = engine.store.products[1].stockcode
        let items = [RepricingItem(stockcode: "85123A", terms: ProductTerms(unitCost: 10), line: 2),
                     RepricingItem(stockcode: other, line: 3)]
        let run = try engine.reprice(items, rules: PricingRules(minMarginPercent: 10))
        XCTAssertEqual(run.rows.map(\.stockcode), [other])
        XCTAssertEqual(run.skipped.count, 1)
        let message = try XCTUnwrap(run.skipped.first?.message)
        XCTAssertTrue(message.contains("85123A") && message.contains("min_margin") && message.contains("max_change"), message)
    }

    func testCatalogueFileErrorsNameFileLineAndColumn() {
        func failure(_ text: String) -> String {
            do {
                _ = try Catalogue(bytes: Array(text.utf8), file: "c.csv")
                return ""
            } catch {
                return error.description
            }
        }
        XCTAssertTrue(failure("").contains("c.csv"))
        XCTAssertTrue(failure("stockcode,price\n1,2\n").contains("column 2 (\"price\")"))
        XCTAssertTrue(failure("current_price\n1\n").contains("no stockcode column"))
        XCTAssertTrue(failure("stockcode\n\"85123A\n").contains("line 2"))
    }

    func testCSVReaderFollowsRFC4180() throws {
        let text = "\u{FEFF}a,b\r\n\"x, \"\"y\"\"\",\"line\nbreak\"\n,\n"
        let records = try CSVReader.records(Array(text.utf8))
        XCTAssertEqual(records.map(\.fields), [["a", "b"], ["x, \"y\"", "line\nbreak"], ["", ""]])
        XCTAssertEqual(records.map(\.line), [1, 2, 4])
        XCTAssertThrowsError(try CSVReader.records(Array("a,b\"c\n".utf8)))
        XCTAssertThrowsError(try CSVReader.records(Array("\"a\"b\n".utf8)))
    }
}
