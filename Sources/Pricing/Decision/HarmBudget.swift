#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The catalogue's prices under a harm budget (``PricingRules/harmBudget``): the most total expected gain
/// such that the mean, over the catalogue, of each product's P(loss > 2% of today's objective) at its new
/// price is at most the budget. The learning loop's policy for products not under test
/// (training/pricing_training/loop/batch_decision.py, `budgeted`), computed the same way:
///
/// 1. per product (``fillRow(_:into:scratch:)``), on `gridPoints` log-spaced prices of its allowed band, the
///    expected gain share `E[V(p)]/E[V(p0)] − 1` and `P(V_s(p) < 0.98·V_s(p0))` over the posterior draws
///    (widened by the spread), and the weight `E[V(p0)]` (today's weekly objective, in money);
/// 2. a Lagrangian (``solve(budget:)``): per product the grid price maximising
///    `weight·gain share − λ·P(loss)` among prices with a gain share of at least `min_expected_gain` and
///    more than 0.5% from today's (today's price scores 0), λ the smallest multiplier (60 bisection
///    steps) whose choices keep the catalogue's mean P(loss) within the budget.
///
/// Work: per product `S` exponentials (the grid is walked by the recurrence of
/// ``GridArithmetic/recurrence``) and about 6 flops per draw and grid price (64 × 61 × 6 ≈ 23k); the
/// bisection 60 × products × grid points multiply-adds. The table holds 3 doubles per product and grid
/// price (price, score, P(loss)).
package struct HarmBudget: Sendable {
    /// Grid prices per product: the loop's (batch_decision.GRID_POINTS).
    package static let gridPoints = 61
    /// A move "harms" when it loses more than this share of today's objective (the loop's 2 × LOSS_THRESHOLD).
    package static let lossShare = 0.02
    /// Bisection steps for λ (the loop's).
    static let bisectionSteps = 60

    /// What one product's row is computed from.
    package struct Product {
        /// `S` pairs `(b_s, c_s)`, interleaved: the stored posterior draws.
        package var draws: UnsafePointer<Double>
        package var drawCount: Int
        package var referenceLogPrice: Double
        package var realizedPriceRatio: Double
        package var unitCost: Double
        /// Weekly units at the reference price (`B`); only the weight depends on it.
        package var baseline: Double
        package var currentPrice: Double
        /// The grid's ends: the rules' band (``RuleBand``), a side no rule bounds at the data's support.
        package var low: Double
        package var high: Double

        package init(draws: UnsafePointer<Double>, drawCount: Int, referenceLogPrice: Double, realizedPriceRatio: Double,
                     unitCost: Double, baseline: Double, currentPrice: Double, low: Double, high: Double) {
            self.draws = draws
            self.drawCount = drawCount
            self.referenceLogPrice = referenceLogPrice
            self.realizedPriceRatio = realizedPriceRatio
            self.unitCost = unitCost
            self.baseline = baseline
            self.currentPrice = currentPrice
            self.low = low
            self.high = high
        }
    }

    /// The settings every row shares.
    package struct Settings: Sendable {
        package var budget: Double
        /// Covariance factor: each draw's deviation from the draws' mean × √spread (1: the draws as stored).
        package var spread: Double
        /// The gain share a move needs (the version's `min_expected_gain`).
        package var minExpectedGain: Double
        /// The P(gain) a move needs, when the retailer set one; nil: none (as the loop's policy).
        package var minProbabilityOfGain: Double?

        package init(budget: Double, spread: Double = 1, minExpectedGain: Double, minProbabilityOfGain: Double? = nil) {
            self.budget = budget
            self.spread = spread
            self.minExpectedGain = minExpectedGain
            self.minProbabilityOfGain = minProbabilityOfGain
        }
    }

    /// One product's choice.
    package struct Choice: Sendable, Equatable {
        /// The price to post (today's when keeping).
        package var price: Double
        /// Whether the price moves.
        package var moves: Bool
        /// Whether the budget changed the answer: the product would move, or move elsewhere, at λ = 0.
        package var constrained: Bool
    }

    package let settings: Settings
    /// Products (rows).
    package let count: Int
    /// `[count, gridPoints]`: the grid prices.
    package private(set) var prices: [Double]
    /// `[count, gridPoints]`: `weight · gain share` for an allowed price, −∞ for one that is not.
    package private(set) var scores: [Double]
    /// `[count, gridPoints]`: P(loss > 2%).
    package private(set) var lossProbabilities: [Double]
    /// Today's price per product.
    package private(set) var currentPrices: [Double]
    /// The largest `weight · gain share` of each row, allowed or not (the bisection's upper end, as the loop's).
    private var largestScores: [Double]

    /// An empty table for `count` products.
    package init(count: Int, settings: Settings) {
        self.settings = settings
        self.count = count
        let cells = count * Self.gridPoints
        prices = [Double](repeating: .nan, count: cells)
        scores = [Double](repeating: -.infinity, count: cells)
        lossProbabilities = [Double](repeating: 0, count: cells)
        currentPrices = [Double](repeating: .nan, count: count)
        largestScores = [Double](repeating: -.infinity, count: count)
    }

    /// Scratch values ``fillRow(_:into:scratch:)`` needs for `S` draws.
    package static func scratchCount(draws: Int) -> Int { 7 * draws }

    /// Row `row` for `product` (pass 1). Rows are independent: workers may fill different rows at once
    /// through ``withRows(_:)``.
    package static func fillRow(_ product: Product, settings: Settings, row: Int, into rows: Rows,
                                scratch: UnsafeMutablePointer<Double>) {
        let s = product.drawCount
        let g0 = row * gridPoints
        let p0 = product.currentPrice
        rows.currentPrices[row] = p0
        // Values over ρ: for revenue `p·m_s`, exactly the loop's arithmetic; ρ cancels in every ratio and comparison.
        let costPerRatio = product.unitCost / product.realizedPriceRatio
        let delta0 = log(p0) - product.referenceLogPrice

        // Today's weekly objective in money, from the draws as stored: the product's weight.
        var stored = 0.0
        for k in 0..<s {
            stored += (p0 - costPerRatio) * exp(product.draws[2 * k] * delta0 + product.draws[2 * k + 1] * (delta0 * delta0))
        }
        let weight = max(product.baseline * product.realizedPriceRatio * stored / Double(s), 0)

        // The widened draws: deviations from the draws' mean × √spread; curvature kept ≤ 0 as the stored draws
        // are (their prior is conditioned on c ≤ 0).
        var draws = product.draws
        let widened = scratch
        if settings.spread != 1 {
            var meanB = 0.0, meanC = 0.0
            for k in 0..<s { meanB += product.draws[2 * k]; meanC += product.draws[2 * k + 1] }
            meanB /= Double(s)
            meanC /= Double(s)
            let root = settings.spread.squareRoot()
            for k in 0..<s {
                widened[2 * k] = meanB + root * (product.draws[2 * k] - meanB)
                widened[2 * k + 1] = min(0, meanC + root * (product.draws[2 * k + 1] - meanC))
            }
            draws = UnsafePointer(widened)
        }

        let now = scratch + 2 * s, lossBelow = scratch + 3 * s
        let multiplier = scratch + 4 * s, ratio = scratch + 5 * s, ratioStep = scratch + 6 * s
        var sumNow = 0.0
        for k in 0..<s {
            let value = (p0 - costPerRatio) * exp(draws[2 * k] * delta0 + draws[2 * k + 1] * (delta0 * delta0))
            now[k] = value
            sumNow += value
            // The loop's `value < (1 − loss)·now`; a negative objective (cost above ρ·p0) loses when it falls further.
            lossBelow[k] = value >= 0 ? (1 - lossShare) * value : (1 + lossShare) * value
        }
        let meanNow = sumNow / Double(s)

        let grid = DecisionGrid(low: product.low, high: product.high, points: gridPoints)
        let step = grid.step
        let start = grid.logLow - product.referenceLogPrice
        for k in 0..<s {
            let b = draws[2 * k], c = draws[2 * k + 1]
            multiplier[k] = exp(b * start + c * start * start)
            ratio[k] = exp(b * step + c * (2 * start * step + step * step))
            ratioStep[k] = exp(2 * c * step * step)
        }
        let neededProbabilityOfGain = settings.minProbabilityOfGain ?? -1
        var largest = -Double.infinity
        for g in 0..<grid.points {
            let price = grid.price(g)
            let scale = price - costPerRatio
            var sum = 0.0
            var losses = 0, gains = 0
            for k in 0..<s {
                let value = scale * multiplier[k]
                sum += value
                if value < lossBelow[k] { losses += 1 }
                if value > now[k] { gains += 1 }
                multiplier[k] *= ratio[k]
                ratio[k] *= ratioStep[k]
            }
            let meanValue = sum / Double(s)
            let share = meanNow > 0 ? meanValue / max(meanNow, 1e-12) - 1 : (meanValue - meanNow) / max(abs(meanNow), 1e-12)
            let score = weight * share
            largest = max(largest, score)
            let allowed = share >= settings.minExpectedGain && abs(price / p0 - 1) > PriceDecision.samePriceTolerance
                && Double(gains) / Double(s) >= neededProbabilityOfGain
            rows.prices[g0 + g] = price
            rows.scores[g0 + g] = allowed ? score : -.infinity
            rows.lossProbabilities[g0 + g] = Double(losses) / Double(s)
        }
        rows.largestScores[row] = largest
    }

    /// The table's storage as raw rows, for the fill: each row is written by one worker only.
    package struct Rows: @unchecked Sendable {
        let prices: UnsafeMutablePointer<Double>
        let scores: UnsafeMutablePointer<Double>
        let lossProbabilities: UnsafeMutablePointer<Double>
        let currentPrices: UnsafeMutablePointer<Double>
        let largestScores: UnsafeMutablePointer<Double>
    }

    /// Gives `body` the table's rows to fill (pass 1).
    package mutating func withRows<R>(_ body: (Rows) -> R) -> R {
        prices.withUnsafeMutableBufferPointer { prices in
            scores.withUnsafeMutableBufferPointer { scores in
                lossProbabilities.withUnsafeMutableBufferPointer { losses in
                    currentPrices.withUnsafeMutableBufferPointer { current in
                        largestScores.withUnsafeMutableBufferPointer { largest in
                            body(Rows(prices: prices.baseAddress!, scores: scores.baseAddress!, lossProbabilities: losses.baseAddress!,
                                      currentPrices: current.baseAddress!, largestScores: largest.baseAddress!))
                        }
                    }
                }
            }
        }
    }

    /// The solved budget: the multiplier, the catalogue's mean P(loss) at it, and each row's choice.
    package struct Solution: Sendable {
        package var multiplier: Double
        package var harm: Double
        package var choices: [Choice]
    }

    /// Each row's grid index at `λ` (−1: keep) into `choice`, and the catalogue's mean P(loss).
    private func choose(_ lambda: Double, into choice: UnsafeMutablePointer<Int>) -> Double {
        let g = Self.gridPoints
        var harm = 0.0
        scores.withUnsafeBufferPointer { scores in
            lossProbabilities.withUnsafeBufferPointer { losses in
                for row in 0..<count {
                    let base = row * g
                    // The first best on ties, as NumPy's argmax.
                    var best = -Double.infinity, pick = 0
                    for j in 0..<g {
                        let objective = scores[base + j] - lambda * losses[base + j]
                        if objective > best { best = objective; pick = j }
                    }
                    if best > 0 {
                        choice[row] = pick
                        harm += losses[base + pick]
                    } else {
                        choice[row] = -1
                    }
                }
            }
        }
        return count > 0 ? harm / Double(count) : 0
    }

    /// Pass 2: λ and every row's choice (type docs).
    package func solve() -> Solution {
        let lambda = multiplier()
        let (harm, choices) = decisions(at: lambda)
        return Solution(multiplier: lambda, harm: harm, choices: choices)
    }

    /// Each row's choice at `lambda`, as ``solve()`` makes it at its multiplier: the table of one product
    /// with the catalogue's solved λ gives that product's choice in the catalogue's run (the rows are
    /// independent once λ is known).
    package func choices(at lambda: Double) -> [Choice] {
        decisions(at: lambda).choices
    }

    /// The smallest λ (0, or 60 bisection steps) whose choices keep the mean P(loss) within the budget.
    private func multiplier() -> Double {
        let budget = settings.budget
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: max(count, 1)) { buffer in
            let chosen = buffer.baseAddress!
            guard choose(0, into: chosen) > budget else { return 0 }
            var low = 0.0
            var high = max(largestScores.max() ?? 0, 1e-12) * 1e3 + 1
            for _ in 0..<Self.bisectionSteps {
                let mid = 0.5 * (low + high)
                if choose(mid, into: chosen) > budget { low = mid } else { high = mid }
            }
            return high
        }
    }

    /// Every row's choice at `lambda` (constrained: it differs from the row's choice at λ = 0), and the mean P(loss).
    private func decisions(at lambda: Double) -> (harm: Double, choices: [Choice]) {
        withUnsafeTemporaryAllocation(of: Int.self, capacity: max(2 * count, 1)) { buffer in
            let free = buffer.baseAddress!, chosen = free + count
            _ = choose(0, into: free)
            let harm = choose(lambda, into: chosen)
            var choices: [Choice] = []
            choices.reserveCapacity(count)
            for row in 0..<count {
                let j = chosen[row], unbound = free[row]
                let price = j < 0 ? currentPrices[row] : prices[row * Self.gridPoints + j]
                choices.append(Choice(price: price, moves: j >= 0, constrained: j != unbound))
            }
            return (harm, choices)
        }
    }
}
