@testable import ArtifactFormats
import Pricing
import XCTest

/// The decision's loss bound (`max_loss_probability`, docs/price-response.md step 7): among the prices
/// the rules allow, only those where at most α of the posterior draws lose more than 1% of the current
/// objective may be chosen. Checked against the draws themselves, on a product whose evidence is
/// uncertain enough that the unbounded move risks a loss in many draws.
final class LossBoundTests: XCTestCase {
    /// revenue ∝ p · exp(b·Δ + c·Δ²) around p_ref = 2; b spread over (−1.5, 0.5) so the draws disagree
    /// about whether a rise pays, c near −2.
    let draws: [Double] = (0..<64).flatMap { k -> [Double] in
        let z = (Double(k) + 0.5) / 64 - 0.5
        return [-0.5 + 2.0 * z, -2.0 + 0.1 * z]
    }
    var response: ProductPriceResponse {
        ProductPriceResponse(referenceLogPrice: log(2.0), currentPrice: 2.0, supportLow: 1.6, supportHigh: 2.5,
                             realizedPriceRatio: 1, draws: draws[...])
    }

    func settings(_ alpha: Double?) -> Manifest.PriceResponse.Decision {
        Manifest.PriceResponse.Decision(gridPoints: 241, minProbabilityOfGain: 0, minExpectedGain: 0.005, maxLossProbability: alpha)
    }

    /// The share of draws whose revenue at `price` is over 1% below their revenue at the current price.
    func lossShare(at price: Double) -> Double {
        let p0 = 2.0
        var losses = 0
        for k in 0..<64 {
            func revenue(_ p: Double) -> Double {
                let d = log(p) - log(2.0)
                return p * exp(draws[2 * k] * d + draws[2 * k + 1] * d * d)
            }
            if revenue(price) - revenue(p0) < -0.01 * revenue(p0) { losses += 1 }
        }
        return Double(losses) / 64
    }

    func decide(_ alpha: Double?) -> DecisionOutcome {
        PriceDecision.decide(response, baseline: 10, .oneProduct(response, requestMin: 1.0, requestMax: 4.0, unitCost: nil),
                             settings: settings(alpha))
    }

    func testTheBoundKeepsTheChosenPricesLossShareWithinAlpha() {
        let free = decide(nil)
        XCTAssertTrue(free.changes, "without a bound the expected gain alone moves the price")
        XCTAssertGreaterThan(lossShare(at: free.price), 0.1, "the unbounded move loses in many draws")
        for alpha in [0.02, 0.05, 0.1] {
            let bounded = decide(alpha)
            XCTAssertLessThanOrEqual(lossShare(at: bounded.price), alpha + 1e-12, "α = \(alpha)")
            XCTAssertLessThan(abs(bounded.price - 2.0), abs(free.price - 2.0), "α = \(alpha): a smaller, surer step")
            XCTAssertGreaterThanOrEqual(free.expectedGain, bounded.expectedGain)
        }
    }

    func testABoundOfOneIsNoBound() {
        XCTAssertEqual(decide(1).price, decide(nil).price)
        XCTAssertEqual(decide(1).expectedGain, decide(nil).expectedGain)
    }

    /// The committed version's manifest with `max_loss_probability` set to each value: in 0…1 or null it
    /// loads (and carries the bound), outside it the manifest is refused naming the field.
    func testAManifestWithABoundOutsideZeroToOneIsRefused() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let models = root.appendingPathComponent("models")
        let latest = try String(contentsOf: models.appendingPathComponent("LATEST"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let original = try Data(contentsOf: models.appendingPathComponent(latest).appendingPathComponent("manifest.json"))
        for (value, accepted) in [(0.02 as Any, true), (NSNull() as Any, true), (1.5 as Any, false), (-0.1 as Any, false)] {
            var doc = try XCTUnwrap(JSONSerialization.jsonObject(with: original) as? [String: Any])
            var response = try XCTUnwrap(doc["price_response"] as? [String: Any])
            var decision = try XCTUnwrap(response["decision"] as? [String: Any])
            decision["max_loss_probability"] = value
            response["decision"] = decision
            doc["price_response"] = response
            let bytes = [UInt8](try JSONSerialization.data(withJSONObject: doc))
            do {
                let manifest = try Manifest.decode(bytes, file: "manifest.json")
                XCTAssertTrue(accepted, "\(value) was accepted")
                XCTAssertEqual(manifest.priceResponse.decision.maxLossProbability, value as? Double)
            } catch {
                XCTAssertFalse(accepted, "\(value) was refused: \(error)")
                XCTAssertTrue(String(describing: error).contains("max_loss_probability"), String(describing: error))
            }
        }
    }
}
