import ArtifactFormats
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the choice reads about one candidate price, over the posterior draws, against the current
/// price `p0`. A new criterion is one more field here, one more line in ``DrawObjective/summarize()``
/// and one more condition where the choice reads it.
struct CandidateStatistics {
    /// Mean objective `mean_s V_s(p)`.
    var value: Double
    /// Expected gain `mean_s (V_s(p) − V_s(p0))`.
    var gain: Double
    /// Share of the draws with `V_s(p) > V_s(p0)`.
    var probabilityOfGain: Double
    /// Share of the draws with `V_s(p) − V_s(p0) < −lossThreshold·|V_s(p0)|`: how often the move loses
    /// more than 1% of the current objective.
    var probabilityOfLoss: Double
}

/// The decision's search grid: `points` log-spaced prices from `low` to `high`, the first exactly
/// `low` and the last exactly `high`; one point when the range is one price.
struct DecisionGrid {
    let low: Double
    let high: Double
    let points: Int
    let logLow: Double
    let step: Double

    init(low: Double, high: Double, points: Int) {
        self.low = low
        self.high = high
        self.points = low == high ? 1 : points
        logLow = log(low)
        step = self.points > 1 ? (log(high) - logLow) / Double(self.points - 1) : 0
    }

    @inline(__always)
    func price(_ g: Int) -> Double { g == 0 ? low : g == points - 1 ? high : exp(Double(g) * step + logLow) }
}

/// How the objective is evaluated along the grid.
package enum GridArithmetic: Sendable {
    /// One exponential per draw and grid price, in the operation order of the Python reference
    /// (golden parity holds to rounding): one product's answer.
    case reference
    /// The grid is log-spaced, so Δ_g = Δ_0 + g·h and each draw's multiplier m_s = exp(b_s·Δ + c_s·Δ²)
    /// moves from one grid price to the next by a ratio that itself changes by a constant factor:
    /// m(g+1) = m(g)·R(g), R(g+1) = R(g)·exp(2·c_s·h²). Three exponentials per draw instead of one
    /// per grid price and draw (a repricing run's main cost); the drift over 241 steps is ~1e-12.
    case recurrence
}

/// One product's objective over its posterior draws, `V_s(p) = (ρ·p − k)·B·m_s(p)` with
/// `m_s(p) = exp(b_s·Δ + c_s·Δ²)` and `Δ = ln p − ln p_ref`, and the statistics of a candidate price
/// against `V_s(p0)`, over scratch buffers of `S` values that live on the caller's stack for one
/// decision (the pointers are never kept beyond it).
struct DrawObjective {
    /// `S` pairs `(b_s, c_s)`, interleaved.
    let draws: UnsafePointer<Double>
    let count: Int
    let referenceLogPrice: Double
    let realizedPriceRatio: Double
    let unitCost: Double
    let baseline: Double
    /// `V_s` at the candidate price last evaluated.
    let values: UnsafeMutablePointer<Double>
    /// `V_s(p0)`.
    let now: UnsafeMutablePointer<Double>
    /// Per-draw work space (the gains of the last candidate after ``summarize()``).
    let work: UnsafeMutablePointer<Double>

    /// `V_s(price)` for every draw into `out`.
    @inline(__always)
    func fill(at price: Double, into out: UnsafeMutablePointer<Double>) {
        let delta = log(price) - referenceLogPrice
        let delta2 = delta * delta
        let scale = (realizedPriceRatio * price - unitCost) * baseline
        for k in 0..<count { out[k] = scale * exp(draws[2 * k] * delta + draws[2 * k + 1] * delta2) }
    }

    /// The statistics of the candidate whose `V_s` is in `values`. Means over the draws are NumPy's
    /// `mean(axis=0)` of the reference's `[S, G]` arrays: sequential sums.
    @inline(__always)
    func summarize() -> CandidateStatistics {
        var wins = 0, losses = 0
        let threshold = Manifest.PriceResponse.Decision.lossThreshold
        for k in 0..<count {
            work[k] = values[k] - now[k]
            if work[k] > 0 { wins += 1 }
            if work[k] < -threshold * abs(now[k]) { losses += 1 }
        }
        return CandidateStatistics(value: sequentialMean(values, count), gain: sequentialMean(work, count),
                                   probabilityOfGain: Double(wins) / Double(count),
                                   probabilityOfLoss: Double(losses) / Double(count))
    }

    /// The statistics of one price off the grid (a band's end, a price-ending candidate).
    @inline(__always)
    func statistics(at price: Double) -> CandidateStatistics {
        fill(at: price, into: values)
        return summarize()
    }

    /// `body(g, price, statistics)` for every grid price in order, with `values` holding `V_s(price)`
    /// during the call. `recurrence` needs three more scratch buffers of `S` values.
    @inline(__always)
    func walk(_ grid: DecisionGrid, _ arithmetic: GridArithmetic, recurrence: UnsafeMutablePointer<Double>,
              _ body: (Int, Double, CandidateStatistics) -> Void) {
        switch arithmetic {
        case .reference:
            for g in 0..<grid.points {
                let price = grid.price(g)
                body(g, price, statistics(at: price))
            }
        case .recurrence:
            let multiplier = recurrence, ratio = recurrence + count, ratioStep = recurrence + 2 * count
            let step = grid.step
            let delta0 = grid.logLow - referenceLogPrice
            for k in 0..<count {
                let b = draws[2 * k], c = draws[2 * k + 1]
                multiplier[k] = exp(b * delta0 + c * delta0 * delta0)
                ratio[k] = exp(b * step + c * (2 * delta0 * step + step * step))
                ratioStep[k] = exp(2 * c * step * step)
            }
            for g in 0..<grid.points {
                let price = grid.price(g)
                let scale = (realizedPriceRatio * price - unitCost) * baseline
                for k in 0..<count {
                    values[k] = scale * multiplier[k]
                    multiplier[k] *= ratio[k]
                    ratio[k] *= ratioStep[k]
                }
                body(g, price, summarize())
            }
        }
    }

    /// Expected units per week at `price`, `B · mean_s m_s(price)`, leaving `m_s` in `work`.
    @inline(__always)
    func units(at price: Double) -> Double {
        let delta = log(price) - referenceLogPrice
        let delta2 = delta * delta
        for k in 0..<count { work[k] = exp(draws[2 * k] * delta + draws[2 * k + 1] * delta2) }
        return baseline * sequentialMean(work, count)
    }
}
