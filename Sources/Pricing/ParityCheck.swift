public import Storage
import Foundation

/// The self-check a new version must pass before it serves: golden.json's reference sweeps (computed
/// by the training pipeline in Python) rerun here through every model that loaded. A version whose
/// models disagree with their own training-side answers was exported or read wrongly, and must not
/// replace a working one.
public enum ParityCheck {
    /// Why a version failed its self-check.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Relative tolerance per model kind: the network runs in float32 here and in float64 in the
    /// reference sweep; trees, SVR and linear models agree to rounding.
    static func tolerance(kind: String) -> Double { kind == "feedforward" ? 1e-3 : 1e-5 }

    /// Reruns the reference sweeps and returns the worst relative error of each model; throws when a
    /// model is off by more than its tolerance or the reference cannot be read. A version without
    /// golden.json returns an empty result (nothing to compare with).
    public static func run(_ engine: PricingEngine, folder: ArtifactFolder) throws(Failure) -> [String: Double] {
        guard let file = folder.manifest.golden else { return [:] }
        struct Reference: Decodable {
            struct Sweep: Decodable {
                struct Model: Decodable { let quantity: [Double] }
                let stockcode: String
                let prices: [Double]
                let models: [String: Model]
            }
            let sweeps: [Sweep]
        }
        let reference: Reference
        do {
            reference = try JSONDecoder().decode(Reference.self, from: Data(try folder.bytes(file)))
        } catch {
            throw Failure(description: "\(file): cannot be read as the parity reference (\(error))")
        }
        guard !reference.sweeps.isEmpty else { throw Failure(description: "\(file): has no reference sweeps") }
        // Every 11th price of each reference grid: all models, all context rows, ~10x cheaper than the
        // full sweep (the check runs on every reload, and debug builds are slow). A sweep's rows are
        // converted once, on first use, and shared by the models.
        var prepared: [Int: (rows: ContextRows, picked: [Int], prices: [Double])] = [:]
        func prepare(_ i: Int) throws(Failure) -> (rows: ContextRows, picked: [Int], prices: [Double]) {
            if let done = prepared[i] { return done }
            let sweep = reference.sweeps[i]
            guard let rows = try? engine.contextRows(for: sweep.stockcode), rows.count > 0 else {
                throw Failure(description: "reference product \(sweep.stockcode) has no context rows")
            }
            let picked = Array(stride(from: 0, to: sweep.prices.count, by: 11)) + [sweep.prices.count - 1]
            let done = (rows, picked, picked.map { sweep.prices[$0] })
            prepared[i] = done
            return done
        }
        var worst: [String: Double] = [:]
        for model in engine.chain.models {
            let kind = engine.manifest.models.first { $0.name == model.name }?.kind ?? ""
            var modelWorst = 0.0
            for (i, sweep) in reference.sweeps.enumerated() {
                guard let expected = sweep.models[model.name]?.quantity, !expected.isEmpty, expected.count == sweep.prices.count else { continue }
                let (rows, picked, prices) = try prepare(i)
                let logQuantities = PriceSweep(engine: engine, rows: rows, prices: prices).logQuantities(model)
                let points = aggregate(logQuantities, prices: prices, contextCount: rows.count, unitCost: nil)
                for (point, index) in zip(points, picked) {
                    let want = expected[index]
                    let error = abs(point.quantity - want) / max(1, abs(want))
                    modelWorst = max(modelWorst, error.isNaN ? .infinity : error)
                }
            }
            worst[model.name] = modelWorst
            guard modelWorst <= tolerance(kind: kind) else {
                throw Failure(description: "\(model.name) differs from the training pipeline's reference sweeps by up to "
                              + "\(modelWorst) (relative; tolerance \(tolerance(kind: kind)))")
            }
        }
        return worst
    }
}
