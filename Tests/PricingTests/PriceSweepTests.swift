import ArtifactFormats
import Foundation
import Inference
import Pricing
import Storage
import TestSupport
import XCTest

/// The request's curve and price decision (docs/price-response.md) on the committed version: parity
/// with the Python pipeline's reference sweeps, the decision's invariances, the unit cost, the
/// supported range, and the request errors.
final class PriceSweepTests: XCTestCase {
    nonisolated(unsafe) static var sharedEngine: PricingEngine?

    func engine() throws -> PricingEngine {
        if let engine = Self.sharedEngine { return engine }
        let engine = try PricingEngine(path: CommittedModels.root)
        Self.sharedEngine = engine
        return engine
    }

    func golden() throws -> Golden {
        try Golden(versionPath: CommittedModels.versionPath(), categorical: Set(engine().preprocessor.categoricalNames))
    }

    func response(_ stockcode: String) throws -> ProductPriceResponse {
        let engine = try engine()
        return try XCTUnwrap(engine.store.index(of: stockcode).flatMap { engine.priceResponse.product($0) })
    }

    func relative(_ a: Double, _ b: Double) -> Double { abs(a - b) / max(abs(b), 1e-12) }

    /// The whole request (context rows, preprocessing, every model's baseline, curve, decision)
    /// against golden.json's sweeps, model by model.
    func testMatchesThePythonCurveAndDecisionForEveryModel() throws {
        let engine = try engine()
        let golden = try golden()
        XCTAssertFalse(golden.sweeps.isEmpty)
        let primary = try XCTUnwrap(engine.manifest.models.first?.name)
        XCTAssertEqual(Set(golden.sweeps.flatMap(\.models.keys)), Set(engine.chain.models.map(\.name)))
        for reference in golden.sweeps {
            let primaryBaseline = try XCTUnwrap(reference.models[primary]?.baseline)
            for (name, expected) in reference.models {
                let curve = try engine.sweep(SweepRequest(stockcode: reference.stockcode, bins: reference.prices.count), model: name)
                let place = "\(name) \(reference.stockcode)"
                XCTAssertEqual(curve.model, name)
                XCTAssertEqual(curve.contextRows, reference.contextRows, place)
                XCTAssertEqual(curve.points.map(\.unitPrice), reference.prices, "grid of \(place)")
                let tolerance = name == "mlp" ? 1e-3 : 1e-6
                XCTAssertLessThanOrEqual(relative(curve.baseline, expected.baseline), tolerance, place)
                let columns: [(String, [Double], KeyPath<PricePoint, Double>)] = [
                    ("quantity", expected.quantity, \.quantity), ("quantity_min", expected.quantityMin, \.quantityMin),
                    ("quantity_max", expected.quantityMax, \.quantityMax), ("quantity_p10", expected.quantityP10, \.quantityP10),
                    ("quantity_p90", expected.quantityP90, \.quantityP90), ("sales", expected.sales, \.sales),
                    ("sales_p10", expected.salesP10, \.salesP10), ("sales_p90", expected.salesP90, \.salesP90),
                ]
                for (column, values, path) in columns {
                    XCTAssertEqual(values.count, curve.points.count, "\(place) \(column)")
                    let worst = zip(curve.points, values).map { relative($0[keyPath: path], $1) }.max() ?? .infinity
                    XCTAssertLessThanOrEqual(worst, tolerance, "\(place) \(column)")
                }
                // The decision: the same price for every model; gains scale with the model's baseline.
                let r = curve.recommendation, want = reference.decision
                XCTAssertEqual(r.decision.rawValue, want.decision, place)
                XCTAssertEqual(r.reason.rawValue, want.reason, place)
                XCTAssertEqual(r.outsideSupport, want.outsideSupport, place)
                let exact: [(String, Double, Double)] = [
                    ("optimal_unit_price", r.price, want.optimalUnitPrice), ("best_price", r.bestPrice, want.bestPrice),
                    ("current_price", r.currentPrice, want.currentPrice), ("search_min", r.searchMin, want.searchMin),
                    ("search_max", r.searchMax, want.searchMax), ("probability_of_gain", r.probabilityOfGain, want.probabilityOfGain),
                    ("best_price_p10", r.bestPriceP10, want.bestPriceP10), ("best_price_p90", r.bestPriceP90, want.bestPriceP90),
                    ("elasticity", r.elasticity, want.elasticity), ("elasticity_p10", r.elasticityP10, want.elasticityP10),
                    ("elasticity_p90", r.elasticityP90, want.elasticityP90),
                ]
                for (field, actual, wanted) in exact {
                    XCTAssertLessThanOrEqual(abs(actual - wanted), 1e-9 * max(1, abs(wanted)), "\(place) \(field): \(actual) vs \(wanted)")
                }
                let scale = expected.baseline / primaryBaseline
                for (field, actual, wanted) in [("expected_gain", r.expectedGain, want.expectedGain * scale),
                                                ("gain_p10", r.gainP10, want.gainP10 * scale), ("gain_p90", r.gainP90, want.gainP90 * scale),
                                                ("expected_gain_pct", r.expectedGainFraction, want.expectedGainPct)] {
                    XCTAssertLessThanOrEqual(abs(actual - wanted), 1e-3 * max(abs(wanted), 1e-9), "\(place) \(field): \(actual) vs \(wanted)")
                }
            }
        }
    }

    /// The version's own self-check passes, and a reference whose decision was altered fails it,
    /// naming the field.
    func testParityCheckPassesAndCatchesADifferentDecision() throws {
        let worst = try ParityCheck.run(engine(), folder: CommittedModels.folder())
        for (model, error) in worst.sorted(by: { $0.key < $1.key }) { print("parity self-check \(model): worst relative curve error \(error)") }
        XCTAssertEqual(Set(worst.keys), Set(try engine().chain.models.map(\.name)))
        let scratch = try ScratchVersion()
        defer { scratch.remove() }
        try scratch.editFirstGoldenSweep("decision") { decision in
            decision["best_price"] = (decision["best_price"] as! Double) * 1.01
        }
        let folder = try ArtifactFolder.load(path: scratch.path)
        XCTAssertThrowsError(try ParityCheck.run(PricingEngine(folder: folder), folder: folder)) { error in
            XCTAssertTrue("\(error)".contains("best_price"), "\(error)")
        }
    }

    /// The decision searches its own grid: the number of curve rows never changes it.
    func testTheDecisionDoesNotDependOnTheNumberOfBins() throws {
        let engine = try engine()
        for code in try golden().sweeps.map(\.stockcode) + ["85123A"] {
            let decisions = try [20, 50, 100, 400].map { try engine.sweep(SweepRequest(stockcode: code, bins: $0)).recommendation }
            for d in decisions.dropFirst() {
                XCTAssertEqual(d.price, decisions[0].price, code)
                XCTAssertEqual(d, decisions[0], code)
            }
        }
    }

    /// Context multiplies demand, so every model of the chain recommends the same price; only the
    /// volume (and so the gains) differ.
    func testEveryModelRecommendsTheSamePrice() throws {
        let engine = try engine()
        let names = engine.chain.models.map(\.name)
        XCTAssertEqual(names, ["mlp", "lightgbm", "svr", "elasticnet"])
        for code in try golden().sweeps.map(\.stockcode) + ["85123A", engine.store.products[7].stockcode] {
            for cost in [nil, 0.4 * (try response(code)).currentPrice] as [Double?] {
                let curves = try names.map { try engine.sweep(SweepRequest(stockcode: code, unitCost: cost), model: $0) }
                for c in curves {
                    let r = c.recommendation, first = curves[0].recommendation
                    XCTAssertEqual(r.price, first.price, "\(code) \(c.model) cost \(cost ?? 0)")
                    XCTAssertEqual(r.bestPrice, first.bestPrice, "\(code) \(c.model)")
                    XCTAssertEqual(r.decision, first.decision, "\(code) \(c.model)")
                    XCTAssertEqual(r.probabilityOfGain, first.probabilityOfGain, "\(code) \(c.model)")
                    XCTAssertEqual(r.expectedGainFraction, first.expectedGainFraction, accuracy: 1e-9, "\(code) \(c.model)")
                    XCTAssertEqual(r.expectedGain / c.baseline, first.expectedGain / curves[0].baseline,
                                   accuracy: 1e-9 * max(1, abs(first.expectedGain / curves[0].baseline)), "\(code) \(c.model)")
                }
            }
        }
    }

    /// With a unit cost the objective is profit per week: `(ρ·p − k)·units`, and the best price rises.
    func testUnitCostSwitchesToProfitAndMovesThePriceUp() throws {
        let engine = try engine()
        var moved = 0
        for code in try golden().sweeps.map(\.stockcode) + ["85123A"] {
            let response = try response(code)
            let revenue = try engine.sweep(SweepRequest(stockcode: code))
            let cost = 0.5 * response.realizedPriceRatio * response.currentPrice
            let profit = try engine.sweep(SweepRequest(stockcode: code, unitCost: cost))
            XCTAssertEqual(revenue.recommendation.objective, .sales)
            XCTAssertNil(revenue.recommendation.profit)
            XCTAssertEqual(profit.recommendation.objective, .profit)
            for p in profit.points {
                XCTAssertEqual(try XCTUnwrap(p.profit), (response.realizedPriceRatio * p.unitPrice - cost) * p.quantity,
                               accuracy: 1e-9 * max(1, p.sales))
            }
            let r = profit.recommendation
            assertDecidedPrice(r)
            XCTAssertGreaterThanOrEqual(r.bestPrice, revenue.recommendation.bestPrice, code)
            if r.bestPrice > revenue.recommendation.bestPrice { moved += 1 }
            // The same curve rows otherwise.
            XCTAssertEqual(profit.points.map(\.quantity), revenue.points.map(\.quantity))
        }
        XCTAssertGreaterThan(moved, 0, "a cost of half the realized current price should raise some product's best price")
    }

    /// A request range that excludes the supported prices is searched as asked, and flagged.
    func testARangeOutsideTheSupportSetsOutsideSupport() throws {
        let engine = try engine()
        let response = try response("85123A")
        let above = try engine.sweep(SweepRequest(stockcode: "85123A", minPrice: response.supportHigh * 2, maxPrice: response.supportHigh * 3,
                                                  bins: 10)).recommendation
        XCTAssertTrue(above.outsideSupport)
        XCTAssertEqual(above.searchMin, response.supportHigh * 2)
        XCTAssertEqual(above.searchMax, response.supportHigh * 3)
        XCTAssertTrue(above.bestPrice >= above.searchMin && above.bestPrice <= above.searchMax)
        let below = try engine.sweep(SweepRequest(stockcode: "85123A", minPrice: response.supportLow / 3, maxPrice: response.supportLow / 2,
                                                  bins: 10)).recommendation
        XCTAssertTrue(below.outsideSupport)
        // A range that overlaps the support is clipped to it, and not flagged.
        let wide = try engine.sweep(SweepRequest(stockcode: "85123A", minPrice: response.supportLow / 2, maxPrice: response.supportHigh * 2))
            .recommendation
        XCTAssertFalse(wide.outsideSupport)
        XCTAssertEqual(wide.searchMin, response.supportLow)
        XCTAssertEqual(wide.searchMax, response.supportHigh)
        let inside = try engine.sweep(SweepRequest(stockcode: "85123A")).recommendation
        XCTAssertFalse(inside.outsideSupport)
        XCTAssertGreaterThanOrEqual(inside.searchMin, response.supportLow)
        XCTAssertLessThanOrEqual(inside.searchMax, response.supportHigh)
        // One price: a one-point search, never on an edge.
        let single = try engine.sweep(SweepRequest(stockcode: "85123A", minPrice: response.currentPrice, maxPrice: response.currentPrice, bins: 3))
        XCTAssertEqual(single.recommendation.bestPrice, response.currentPrice)
        XCTAssertNil(single.recommendation.atRangeEdge)
        XCTAssertEqual(single.recommendation.reason, .atCurrentPrice)
        XCTAssertEqual(single.points.map(\.unitPrice), [response.currentPrice, response.currentPrice, response.currentPrice])
    }

    func testDefaultBoundsComeFromThePriceHistoryAndRequestsOverrideThem() throws {
        let engine = try engine()
        let history = try XCTUnwrap(engine.store.product("85123A")).price
        let response = try response("85123A")
        let curve = try engine.sweep(SweepRequest(stockcode: "85123A"))
        XCTAssertEqual(curve.points.count, 100)
        // The history, widened to the supported range where that reaches further.
        XCTAssertEqual(curve.points.first?.unitPrice, min(history.min, response.supportLow))
        XCTAssertEqual(curve.points.last?.unitPrice, max(history.max, response.supportHigh))
        XCTAssertLessThanOrEqual(curve.points.first!.unitPrice, curve.recommendation.searchMin)
        XCTAssertGreaterThanOrEqual(curve.points.last!.unitPrice, curve.recommendation.searchMax)
        let custom = try engine.sweep(SweepRequest(stockcode: "85123A", minPrice: 1.0, maxPrice: 5.0, bins: 9))
        XCTAssertEqual(custom.points.map(\.unitPrice), [1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0])
        let onlyMin = try engine.sweep(SweepRequest(stockcode: "85123A", minPrice: 0.5, bins: 2))
        XCTAssertEqual(onlyMin.points.map(\.unitPrice), [0.5, max(history.max, response.supportHigh)])
    }

    /// The curve's identities: units are `B·M(p)`, bands are ordered, revenue is `ρ·p·units`, demand
    /// falls with price, and the decision's numbers are consistent with each other.
    func testCurveBandsAndDecisionAreConsistent() throws {
        let engine = try engine()
        let response = try response("85123A")
        let curve = try engine.sweep(SweepRequest(stockcode: "85123A"))
        XCTAssertEqual(curve.model, "mlp")
        XCTAssertTrue(curve.skippedModels.isEmpty)
        XCTAssertGreaterThan(curve.baseline, 0)
        for p in curve.points {
            XCTAssertTrue(p.quantityMin <= p.quantityP10 && p.quantityP10 <= p.quantityP90 && p.quantityP90 <= p.quantityMax, "\(p)")
            XCTAssertTrue(p.quantityMin <= p.quantity && p.quantity <= p.quantityMax, "\(p)")
            XCTAssertGreaterThan(p.quantityMin, 0)
            XCTAssertEqual(p.sales, response.realizedPriceRatio * p.unitPrice * p.quantity, accuracy: 1e-9 * p.sales)
            XCTAssertLessThanOrEqual(p.salesP10, p.salesP90)
            XCTAssertNil(p.profit)
        }
        XCTAssertGreaterThan(curve.points.first!.quantity, curve.points.last!.quantity, "demand falls as the price rises")
        let r = curve.recommendation
        XCTAssertEqual(r.objective, .sales)
        XCTAssertEqual(r.currentPrice, response.currentPrice)
        assertDecidedPrice(r)
        XCTAssertTrue(r.searchMin <= r.bestPrice && r.bestPrice <= r.searchMax)
        XCTAssertTrue(r.bestPriceP10 <= r.bestPriceP90 && r.gainP10 <= r.gainP90 && r.elasticityP10 <= r.elasticityP90)
        XCTAssertTrue((0...1).contains(r.probabilityOfGain))
        XCTAssertLessThan(r.elasticity, 0, "demand falls with price")
        // p* maximizes the expected objective on the grid; p0, between two grid prices, can beat it only by a hair.
        XCTAssertGreaterThanOrEqual(r.expectedGainFraction, -1e-3)
        if r.decision == .change {
            XCTAssertGreaterThanOrEqual(r.probabilityOfGain, engine.manifest.priceResponse.decision.minProbabilityOfGain)
            switch r.reason {
            case .model:
                break
            case .evidenceLimited:
                // The evidence supports part of the way: the decided price lies between today's and the best.
                XCTAssertNotEqual(r.price, r.bestPrice)
                XCTAssertTrue(min(r.currentPrice, r.bestPrice) <= r.price && r.price <= max(r.currentPrice, r.bestPrice), "\(r)")
            default:
                XCTFail("a change for the model's reason or limited by the evidence, not \(r.reason)")
            }
        }
        XCTAssertEqual(r.quantity * response.realizedPriceRatio * r.price, r.sales, accuracy: 1e-9 * r.sales)
    }

    func testBadRequests() throws {
        let engine = try engine()
        let cases: [(SweepRequest, SweepError)] = [
            (SweepRequest(stockcode: "NOPE"), .unknownProduct("NOPE")),
            (SweepRequest(stockcode: "85123A", bins: 1), .invalidBins(1)),
            (SweepRequest(stockcode: "85123A", bins: 1001), .invalidBins(1001)),
            (SweepRequest(stockcode: "85123A", minPrice: 3, maxPrice: 2), .emptyRange(min: 3, max: 2)),
            (SweepRequest(stockcode: "85123A", minPrice: -1), .invalidPrice(name: "min price", value: -1)),
            (SweepRequest(stockcode: "85123A", maxPrice: .infinity), .invalidPrice(name: "max price", value: .infinity)),
            (SweepRequest(stockcode: "85123A", minPrice: 0), .invalidPrice(name: "min price", value: 0)),
            (SweepRequest(stockcode: "85123A", unitCost: -0.5), .invalidUnitCost(-0.5)),
            (SweepRequest(stockcode: "85123A", minPrice: 100_000, maxPrice: nil),
             .emptyRange(min: 100_000, max: max(engine.store.product("85123A")!.price.max, try response("85123A").supportHigh))),
        ]
        for (request, expected) in cases {
            XCTAssertThrowsError(try engine.sweep(request)) { XCTAssertEqual($0 as? SweepError, expected) }
        }
        XCTAssertThrowsError(try engine.sweep(SweepRequest(stockcode: "85123A", minPrice: .nan))) { error in
            guard case .invalidPrice = error as? SweepError else { return XCTFail("\(error)") }
        }
    }
}

/// A damaged price_response.safetensors fails the version at load, with a message naming the file
/// and the tensor.
final class PriceResponseArtifactTests: XCTestCase {
    let file = "price_response.safetensors"

    /// Rewrites the committed table with `edit` applied, and returns the load error.
    func loadError(_ edit: (inout SafeTensorsFile) throws -> Void) throws -> ArtifactError? {
        let scratch = try ScratchVersion()
        defer { scratch.remove() }
        var tensors = try SafeTensorsFile(SafeTensors(bytes: scratch.read(file), file: file))
        try edit(&tensors)
        try scratch.replaceSigned(file, tensors.encoded())
        do {
            _ = try PricingEngine(path: scratch.path)
            return nil
        } catch {
            return error
        }
    }

    func testTheCommittedTableLoads() throws {
        let engine = try PricingEngine(path: CommittedModels.root)
        XCTAssertEqual(engine.priceResponse.count, engine.store.products.count)
        XCTAssertEqual(engine.priceResponse.draws, engine.manifest.priceResponse.draws)
        XCTAssertEqual(engine.manifest.priceResponse.file, file)
        XCTAssertNil(try loadError { _ in })  // rewriting it unchanged changes nothing
    }

    func testWrongShapeIsRejected() throws {
        let error = try XCTUnwrap(try loadError { t in
            var coefficients = try XCTUnwrap(t["coefficients"])
            coefficients.shape = [coefficients.shape[0] - 1, 2]
            coefficients.data.removeLast(16)
            t["coefficients"] = coefficients
        })
        XCTAssertEqual(error.file, file)
        XCTAssertTrue(error.description.hasPrefix(file) && error.description.contains("coefficients"), error.description)
        let draws = try XCTUnwrap(try loadError { t in
            var draws = try XCTUnwrap(t["draws"])
            draws.shape = [draws.shape[0], draws.shape[1] * 2]
            t["draws"] = draws
        })
        XCTAssertEqual(draws.file, file)
        XCTAssertTrue(draws.description.contains("draws"), draws.description)
    }

    func testMissingTensorIsRejected() throws {
        let error = try XCTUnwrap(try loadError { t in t["support"] = nil })
        XCTAssertEqual(error, ArtifactError(file: file, .malformed("tensor support is missing")))
    }

    func testNaNCoefficientIsRejected() throws {
        let error = try XCTUnwrap(try loadError { t in
            var coefficients = try XCTUnwrap(t["coefficients"])
            withUnsafeBytes(of: Double.nan.bitPattern.littleEndian) { nan in coefficients.data.replaceSubrange(16..<24, with: nan) }
            t["coefficients"] = coefficients
        })
        XCTAssertEqual(error.file, file)
        XCTAssertTrue(error.description.contains("coefficients") && error.description.contains("product 1"), error.description)
        let draw = try XCTUnwrap(try loadError { t in
            var draws = try XCTUnwrap(t["draws"])
            withUnsafeBytes(of: Float.infinity.bitPattern.littleEndian) { inf in draws.data.replaceSubrange(4..<8, with: inf) }
            t["draws"] = draws
        })
        XCTAssertTrue(draw.description.contains("draws"), draw.description)
    }

    func testNonPositivePricesAndAnInvertedSupportAreRejected() throws {
        let current = try XCTUnwrap(try loadError { t in
            var e = try XCTUnwrap(t["current_price"])
            withUnsafeBytes(of: (-1.0).bitPattern.littleEndian) { v in e.data.replaceSubrange(0..<8, with: v) }
            t["current_price"] = e
        })
        XCTAssertTrue(current.description.contains("current_price"), current.description)
        let support = try XCTUnwrap(try loadError { t in
            var e = try XCTUnwrap(t["support"])
            let lo = Array(e.data[0..<8]), hi = Array(e.data[8..<16])
            e.data.replaceSubrange(0..<16, with: hi + lo)
            t["support"] = e
        })
        // lo < p0 < hi (at least 10% either side): swapped ends are never a valid range.
        XCTAssertTrue(support.description.contains("support") && support.description.contains("product 0"), support.description)
    }
}

/// The decided price: p* on `model`, p0 on a keep, and on `evidence_limited` another price on p*'s side
/// of p0 (the surest sufficient step).
func assertDecidedPrice(_ r: Recommendation, file: StaticString = #filePath, line: UInt = #line) {
    switch r.reason {
    case .model: XCTAssertEqual(r.price, r.bestPrice, file: file, line: line)
    case .atCurrentPrice, .insufficientEvidence: XCTAssertEqual(r.price, r.currentPrice, file: file, line: line)
    case .evidenceLimited:
        XCTAssertNotEqual(r.price, r.bestPrice, file: file, line: line)
        XCTAssertTrue((r.bestPrice - r.currentPrice) * (r.price - r.currentPrice) > 0, "toward p*", file: file, line: line)
    }
    XCTAssertEqual(r.decision == .change, r.reason == .model || r.reason == .evidenceLimited, file: file, line: line)
}
