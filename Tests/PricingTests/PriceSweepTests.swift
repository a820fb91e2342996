import Inference
import Pricing
import Storage
import TestSupport
import XCTest

final class PriceSweepTests: XCTestCase {
    nonisolated(unsafe) static var sharedEngine: PricingEngine?

    func engine() throws -> PricingEngine {
        if let engine = Self.sharedEngine { return engine }
        let engine = try PricingEngine(path: CommittedModels.root)
        Self.sharedEngine = engine
        return engine
    }

    /// The whole sweep (grid, price features, preprocessing, every model, aggregation) against the
    /// Python pipeline's reference sweeps in golden.json.
    func testMatchesThePythonSweepForEveryModel() throws {
        let engine = try engine()
        let golden = try Golden(versionPath: CommittedModels.versionPath(), categorical: Set(engine.preprocessor.categoricalNames))
        XCTAssertFalse(golden.sweeps.isEmpty)
        for reference in golden.sweeps {
            for (name, expected) in reference.models {
                let curve = try engine.sweep(SweepRequest(stockcode: reference.stockcode, bins: reference.prices.count), model: name)
                XCTAssertEqual(curve.model, name)
                XCTAssertEqual(curve.contextRows, reference.contextRows)
                XCTAssertEqual(curve.points.map(\.unitPrice), reference.prices, "grid of \(reference.stockcode)")
                let tolerance = name == "mlp" ? 1e-3 : 1e-7
                for (i, p) in curve.points.enumerated() {
                    XCTAssertEqual(p.quantity, expected.quantity[i], accuracy: tolerance * max(1, expected.quantity[i]), "\(name) \(reference.stockcode) median at \(i)")
                    XCTAssertEqual(p.quantityMin, expected.min[i], accuracy: tolerance * max(1, expected.min[i]))
                    XCTAssertEqual(p.quantityMax, expected.max[i], accuracy: tolerance * max(1, expected.max[i]))
                    XCTAssertEqual(p.sales, expected.sales[i], accuracy: tolerance * max(1, expected.sales[i]))
                }
                if name != "mlp" { XCTAssertEqual(curve.recommendation.index, expected.best, "\(name) \(reference.stockcode)") }
            }
        }
    }

    func testDefaultBoundsComeFromThePriceHistoryAndRequestsOverrideThem() throws {
        let engine = try engine()
        let history = try XCTUnwrap(engine.store.product("85123A")).price
        let curve = try engine.sweep(SweepRequest(stockcode: "85123A"))
        XCTAssertEqual(curve.points.count, 100)
        XCTAssertEqual(curve.points.first?.unitPrice, history.min)
        XCTAssertEqual(curve.points.last?.unitPrice, history.max)
        let custom = try engine.sweep(SweepRequest(stockcode: "85123A", minPrice: 1.0, maxPrice: 5.0, bins: 9))
        XCTAssertEqual(custom.points.map(\.unitPrice), [1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0])
        let onlyMin = try engine.sweep(SweepRequest(stockcode: "85123A", minPrice: 0.5, bins: 2))
        XCTAssertEqual(onlyMin.points.map(\.unitPrice), [0.5, history.max])
        let single = try engine.sweep(SweepRequest(stockcode: "85123A", minPrice: 2.0, maxPrice: 2.0, bins: 3))
        XCTAssertEqual(single.points.map(\.unitPrice), [2.0, 2.0, 2.0])
    }

    func testBandsSalesAndTheRecommendation() throws {
        let curve = try engine().sweep(SweepRequest(stockcode: "85123A"))
        XCTAssertEqual(curve.model, "mlp")
        XCTAssertTrue(curve.skippedModels.isEmpty)
        for p in curve.points {
            XCTAssertTrue(p.quantityMin <= p.quantityP10 && p.quantityP10 <= p.quantity && p.quantity <= p.quantityP90
                          && p.quantityP90 <= p.quantityMax, "\(p)")
            XCTAssertGreaterThanOrEqual(p.quantityMin, 0)
            XCTAssertEqual(p.sales, p.unitPrice * p.quantity)
            XCTAssertNil(p.profit)
        }
        let best = curve.points.map(\.sales).max()!
        XCTAssertEqual(curve.recommendation.point.sales, best)
        XCTAssertEqual(curve.recommendation.objective, .sales)
        XCTAssertEqual(curve.points[curve.recommendation.index], curve.recommendation.point)
        XCTAssertGreaterThan(curve.points.map(\.quantity).max()!, curve.points.map(\.quantity).min()!)  // demand responds to price
    }

    func testProfitModeMaximizesProfit() throws {
        let engine = try engine()
        let sales = try engine.sweep(SweepRequest(stockcode: "85123A", minPrice: 1.0, maxPrice: 6.0))
        let cost = 1.5
        let profit = try engine.sweep(SweepRequest(stockcode: "85123A", minPrice: 1.0, maxPrice: 6.0, unitCost: cost))
        for p in profit.points { XCTAssertEqual(p.profit!, (p.unitPrice - cost) * p.quantity, accuracy: 1e-12) }
        XCTAssertEqual(profit.recommendation.objective, .profit)
        XCTAssertEqual(profit.recommendation.point.profit, profit.points.map { $0.profit! }.max())
        // A unit cost can only move the best price up: profit adds a cost per unit sold.
        XCTAssertGreaterThanOrEqual(profit.recommendation.point.unitPrice, sales.recommendation.point.unitPrice)
    }

    func testEdgeAndHistoryFlags() throws {
        let engine = try engine()
        let history = try XCTUnwrap(engine.store.product("85123A")).price
        // Far below any sensible price: revenue keeps rising, the best is the upper edge, outside history.
        let low = try engine.sweep(SweepRequest(stockcode: "85123A", minPrice: 0.01, maxPrice: 0.05, bins: 5))
        XCTAssertEqual(low.recommendation.atRangeEdge, .upper)
        XCTAssertTrue(low.recommendation.outsideHistoricalPrices)
        // Inside the history: not flagged as outside.
        let inside = try engine.sweep(SweepRequest(stockcode: "85123A"))
        XCTAssertFalse(inside.recommendation.outsideHistoricalPrices)
        XCTAssertTrue(inside.recommendation.point.unitPrice >= history.min && inside.recommendation.point.unitPrice <= history.max)
        if let edge = inside.recommendation.atRangeEdge {
            XCTAssertEqual(inside.recommendation.index, edge == .lower ? 0 : inside.points.count - 1)
        } else {
            XCTAssertTrue((1..<(inside.points.count - 1)).contains(inside.recommendation.index))
        }
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
            (SweepRequest(stockcode: "85123A", minPrice: 100, maxPrice: nil), .emptyRange(min: 100, max: engine.store.product("85123A")!.price.max)),
        ]
        for (request, expected) in cases {
            XCTAssertThrowsError(try engine.sweep(request)) { XCTAssertEqual($0 as? SweepError, expected) }
        }
        XCTAssertThrowsError(try engine.sweep(SweepRequest(stockcode: "85123A", minPrice: .nan))) { error in
            guard case .invalidPrice = error as? SweepError else { return XCTFail("\(error)") }
        }
    }
}
