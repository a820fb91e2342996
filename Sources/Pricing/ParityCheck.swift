public import Storage
import Foundation

/// The self-check a new version must pass before it serves: golden.json's reference sweeps (curves
/// and decisions computed by the training pipeline in Python, docs/price-response.md) rerun here
/// through every model that loaded. A version whose models or price response disagree with their own
/// training-side answers was exported or read wrongly, and must not replace a working one.
public enum ParityCheck {
    /// Why a version failed its self-check.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Relative tolerance of the curve per model kind: the network runs in float32 here; trees, SVR
    /// and linear models agree to rounding.
    static func tolerance(kind: String) -> Double { kind == "feedforward" ? 1e-3 : 1e-6 }
    /// Prices of the decision (decided, best, current, the search range, the best-price interval),
    /// the probability of a gain and the elasticity: equal up to the last bits of `exp` and `log`.
    static let exactTolerance = 1e-9
    /// Gains (scaled by the model's baseline volume) and the relative gain.
    static let gainTolerance = 1e-3

    /// golden.json's sweeps, as the training pipeline writes them: read once per version (see
    /// ``reference(of:)``) and shared by the checks of its models.
    public struct Reference: Sendable {
        struct Sweep: Sendable {
            struct Model: Sendable {
                let baseline: Double
                let quantity: [Double]
                let quantityMin: [Double]
                let quantityMax: [Double]
                let quantityP10: [Double]
                let quantityP90: [Double]
                let sales: [Double]
                let salesP10: [Double]
                let salesP90: [Double]
            }
            struct Decision: Sendable {
                let currentPrice: Double
                let searchMin: Double
                let searchMax: Double
                let bestPrice: Double
                let optimalUnitPrice: Double
                let decision: String
                let reason: String
                let expectedGain: Double
                let expectedGainPct: Double
                let gainP10: Double
                let gainP90: Double
                let probabilityOfGain: Double
                let bestPriceP10: Double
                let bestPriceP90: Double
                let elasticity: Double
                let elasticityP10: Double
                let elasticityP90: Double
                let outsideSupport: Bool
            }
            let stockcode: String
            let prices: [Double]
            let contextRows: Int
            let models: [String: Model]
            let decision: Decision
        }
        let sweeps: [Sweep]
    }

    /// Reruns the reference sweeps and returns the worst relative error of each model's curve; throws
    /// when a curve is off by more than its tolerance, a decision differs, or the reference cannot be
    /// read. A version without golden.json returns an empty result (nothing to compare with).
    ///
    /// `models` limits the check to those models (the first load checks the model that answers before
    /// serving, and the backups once they are built); nil checks every model that loaded.
    public static func run(_ engine: PricingEngine, folder: ArtifactFolder, models: Set<String>? = nil) throws(Failure) -> [String: Double] {
        guard let reference = try reference(of: folder) else { return [:] }
        return try run(engine, reference: reference, models: models)
    }

    /// The version's reference sweeps, or nil when it has no golden.json.
    public static func reference(of folder: ArtifactFolder) throws(Failure) -> Reference? {
        guard let file = folder.manifest.golden else { return nil }
        let reference: Reference
        do {
            reference = try decodeReference(try folder.bytes(file), file: file)
        } catch {
            throw Failure(description: "\(file): cannot be read as the parity reference (\(error))")
        }
        guard !reference.sweeps.isEmpty else { throw Failure(description: "\(file): has no reference sweeps") }
        return reference
    }

    /// ``run(_:folder:models:)`` with the reference already read.
    public static func run(_ engine: PricingEngine, reference: Reference, models: Set<String>? = nil) throws(Failure) -> [String: Double] {
        let file = engine.manifest.golden ?? "golden.json"
        let primary = engine.manifest.models.first?.name ?? ""
        var worst: [String: Double] = [:]
        for model in engine.chain.models where models?.contains(model.name) ?? true {
            let kind = engine.manifest.models.first { $0.name == model.name }?.kind ?? ""
            var modelWorst = 0.0
            for sweep in reference.sweeps {
                guard let expected = sweep.models[model.name] else { continue }
                let where_ = "\(model.name), \(sweep.stockcode)"
                guard let first = sweep.prices.first, let last = sweep.prices.last, SweepRequest.binRange.contains(sweep.prices.count) else {
                    throw Failure(description: "\(file): the sweep of \(sweep.stockcode) has \(sweep.prices.count) prices")
                }
                let curve: PriceCurve
                do {
                    curve = try engine.sweep(SweepRequest(stockcode: sweep.stockcode, minPrice: first, maxPrice: last, bins: sweep.prices.count),
                                             model: model.name)
                } catch {
                    throw Failure(description: "\(where_): the reference sweep cannot be computed (\(error))")
                }
                guard curve.contextRows == sweep.contextRows else {
                    throw Failure(description: "\(where_): \(curve.contextRows) context rows, the reference has \(sweep.contextRows)")
                }
                let curveError = try compareCurve(curve, expected, prices: sweep.prices, where: where_)
                modelWorst = max(modelWorst, curveError)
                guard curveError <= tolerance(kind: kind) else {
                    throw Failure(description: "\(where_): the curve differs from the training pipeline's reference sweep by up to "
                                  + "\(curveError) (relative; tolerance \(tolerance(kind: kind)))")
                }
                // The reference decision used the primary model's baseline; gains scale with it.
                let scale = sweep.models[primary].map { expected.baseline / $0.baseline }
                try compareDecision(curve.recommendation, sweep.decision, gainScale: scale, where: where_)
            }
            worst[model.name] = modelWorst
        }
        return worst
    }

    /// golden.json's sweeps (see ``Reference/init(golden:file:)``).
    static func decodeReference(_ bytes: [UInt8], file: String) throws -> Reference {
        try Reference(golden: bytes, file: file)
    }

    /// |a − b| / |b|, with a floor for values near zero; NaN counts as infinitely wrong.
    static func relativeError(_ actual: Double, _ expected: Double, floor: Double = 1e-12) -> Double {
        let error = abs(actual - expected) / max(abs(expected), floor)
        return error.isNaN ? .infinity : error
    }

    /// The worst relative error of the curve's numbers against the reference's.
    static func compareCurve(_ curve: PriceCurve, _ expected: Reference.Sweep.Model, prices: [Double],
                             where place: String) throws(Failure) -> Double {
        let columns: [(String, [Double], KeyPath<PricePoint, Double>)] = [
            ("quantity", expected.quantity, \.quantity), ("quantity_min", expected.quantityMin, \.quantityMin),
            ("quantity_max", expected.quantityMax, \.quantityMax), ("quantity_p10", expected.quantityP10, \.quantityP10),
            ("quantity_p90", expected.quantityP90, \.quantityP90), ("sales", expected.sales, \.sales),
            ("sales_p10", expected.salesP10, \.salesP10), ("sales_p90", expected.salesP90, \.salesP90),
        ]
        for (name, values, _) in columns where values.count != prices.count {
            throw Failure(description: "\(place): the reference has \(values.count) values of \(name) for \(prices.count) prices")
        }
        for (point, price) in zip(curve.points, prices) where relativeError(point.unitPrice, price) > exactTolerance {
            throw Failure(description: "\(place): price grid differs (\(point.unitPrice) vs \(price))")
        }
        var worst = relativeError(curve.baseline, expected.baseline)
        for (_, values, path) in columns {
            for (point, want) in zip(curve.points, values) { worst = max(worst, relativeError(point[keyPath: path], want)) }
        }
        return worst
    }

    /// Throws unless the decision matches the reference's: prices, probability and elasticity to
    /// rounding, gains (times `gainScale`, when known) within ``gainTolerance``.
    static func compareDecision(_ r: Recommendation, _ want: Reference.Sweep.Decision, gainScale: Double?,
                                where place: String) throws(Failure) {
        func fail(_ what: String, _ actual: Any, _ expected: Any) -> Failure {
            Failure(description: "\(place): the decision differs from the training pipeline's: \(what) is \(actual), the reference says \(expected)")
        }
        guard r.decision.rawValue == want.decision else { throw fail("decision", r.decision.rawValue, want.decision) }
        guard r.reason.rawValue == want.reason else { throw fail("reason", r.reason.rawValue, want.reason) }
        guard r.outsideSupport == want.outsideSupport else { throw fail("outside_support", r.outsideSupport, want.outsideSupport) }
        let exact: [(String, Double, Double)] = [
            ("optimal_unit_price", r.price, want.optimalUnitPrice), ("best_price", r.bestPrice, want.bestPrice),
            ("current_price", r.currentPrice, want.currentPrice), ("search_min", r.searchMin, want.searchMin),
            ("search_max", r.searchMax, want.searchMax), ("probability_of_gain", r.probabilityOfGain, want.probabilityOfGain),
            ("best_price_p10", r.bestPriceP10, want.bestPriceP10), ("best_price_p90", r.bestPriceP90, want.bestPriceP90),
            ("elasticity", r.elasticity, want.elasticity), ("elasticity_p10", r.elasticityP10, want.elasticityP10),
            ("elasticity_p90", r.elasticityP90, want.elasticityP90),
        ]
        for (name, actual, expected) in exact where relativeError(actual, expected, floor: 1e-9) > exactTolerance {
            throw fail(name, actual, expected)
        }
        guard relativeError(r.expectedGainFraction, want.expectedGainPct, floor: 1e-9) <= gainTolerance else {
            throw fail("expected_gain_pct", r.expectedGainFraction, want.expectedGainPct)
        }
        guard let scale = gainScale else { return }
        let gains: [(String, Double, Double)] = [
            ("expected_gain", r.expectedGain, want.expectedGain), ("gain_p10", r.gainP10, want.gainP10), ("gain_p90", r.gainP90, want.gainP90),
        ]
        for (name, actual, expected) in gains where relativeError(actual, expected * scale, floor: 1e-9) > gainTolerance {
            throw fail(name, actual, expected * scale)
        }
    }
}
