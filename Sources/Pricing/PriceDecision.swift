package import Storage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Steps 3–9 of docs/price-response.md: search the supported part of the request's range on a log
/// grid for the price with the highest expected objective, compare it with the current price draw
/// by draw, and change only on enough evidence.
///
/// The work is `grid_points × S` exponentials (241 × 64 by default) in Double. Memory is a few
/// buffers of `S` values allocated once per call on the stack; nothing is allocated per grid price
/// or per draw.
package enum PriceDecision {
    /// `p*` within this fraction of `p0` is "the current price" (reason `at_current_price`).
    package static let samePriceTolerance = 0.005

    /// The decision for a product whose baseline volume (weekly units at the reference price) is
    /// `baseline`, over the request's price range, maximizing revenue (or profit with `unitCost`).
    package static func decide(_ response: ProductPriceResponse, baseline: Double, requestMin: Double, requestMax: Double,
                               unitCost: Double?, settings: Manifest.PriceResponse.Decision) -> Recommendation {
        // 3. Search range.
        var low = max(response.supportLow, requestMin)
        var high = min(response.supportHigh, requestMax)
        let outsideSupport = low > high
        if outsideSupport {
            low = requestMin
            high = requestMax
        }
        // 4. Grid: log-spaced, the first exactly `low` and the last exactly `high`; one point when the
        // range is one price.
        var grid: [Double]
        if low == high {
            grid = [low]
        } else {
            let n = settings.gridPoints
            let logLow = log(low)
            let step = (log(high) - logLow) / Double(n - 1)
            grid = (0..<n).map { exp(Double($0) * step + logLow) }
            grid[0] = low
            grid[n - 1] = high
        }
        let cost = unitCost ?? 0
        let rho = response.realizedPriceRatio
        let p0 = response.currentPrice
        let s = response.drawCount
        return response.draws.withUnsafeBufferPointer { drawBuffer in
            withUnsafeTemporaryAllocation(of: Double.self, capacity: 5 * s) { scratch in
                withUnsafeTemporaryAllocation(of: Int.self, capacity: s) { bestIndexBuffer in
                    let d = drawBuffer.baseAddress!
                    let values = scratch.baseAddress!  // V_s at one price
                    let bestValue = values + s  // each draw's best V_s so far
                    let gains = values + 2 * s
                    let work = values + 3 * s
                    let now = values + 4 * s  // V_s(p0)
                    let bestIndex = bestIndexBuffer.baseAddress!

                    /// V_s(p) for every draw into `out`: (ρ·p − k)·B·m_s(p).
                    func objective(at price: Double, into out: UnsafeMutablePointer<Double>) {
                        let delta = log(price) - response.referenceLogPrice
                        let delta2 = delta * delta
                        let scale = (rho * price - cost) * baseline
                        for k in 0..<s { out[k] = scale * exp(d[2 * k] * delta + d[2 * k + 1] * delta2) }
                    }

                    // 6. The current price's objective, draw by draw, first: every grid price is compared with it.
                    objective(at: p0, into: now)
                    let currentValue = mean(now, s)
                    let minimumGain = settings.minExpectedGain * abs(currentValue)

                    // 5–7, 8. The best grid price by the mean objective, each draw's own best (the first on
                    // ties, as NumPy's argmax), and the feasible price with the highest expected gain.
                    var best = 0
                    var bestMean = -Double.infinity
                    var chosen = -1
                    var chosenGain = -Double.infinity
                    for (g, price) in grid.enumerated() {
                        objective(at: price, into: values)
                        let v = sequentialMean(values, s)  // NumPy: value.mean(axis=0) of [S, G]
                        if g == 0 || v > bestMean {
                            bestMean = v
                            best = g
                        }
                        for k in 0..<s where g == 0 || values[k] > bestValue[k] {
                            bestValue[k] = values[k]
                            bestIndex[k] = g
                        }
                        var wins = 0
                        for k in 0..<s {
                            work[k] = values[k] - now[k]
                            if work[k] > 0 { wins += 1 }
                        }
                        let expected = sequentialMean(work, s)  // NumPy: gains.mean(axis=0) of [S, G]
                        let feasible = Double(wins) / Double(s) >= settings.minProbabilityOfGain && expected >= minimumGain
                            && abs(price / p0 - 1) > samePriceTolerance
                        if feasible && expected > chosenGain {
                            chosenGain = expected
                            chosen = g
                        }
                    }
                    let bestPrice = grid[best]

                    // 7. The decision: a best price within 0.5% of the current one is the current one;
                    // otherwise the feasible price with the highest expected gain, if any.
                    let reason: Recommendation.Reason
                    if abs(bestPrice / p0 - 1) <= samePriceTolerance {
                        reason = .atCurrentPrice
                    } else if chosen < 0 {
                        reason = .insufficientEvidence
                    } else {
                        reason = chosen == best ? .model : .evidenceLimited
                    }
                    let change = reason == .model || reason == .evidenceLimited
                    let decided = change ? grid[chosen] : p0
                    // The gain reported: at the decided price when changing, at p* when keeping.
                    objective(at: change ? decided : bestPrice, into: values)
                    var wins = 0
                    for k in 0..<s {
                        gains[k] = values[k] - now[k]
                        if gains[k] > 0 { wins += 1 }
                    }
                    let expectedGain = mean(gains, s)
                    let gainBand = percentiles10And90(sorting: UnsafeMutableBufferPointer(start: gains, count: s))
                    let probability = Double(wins) / Double(s)
                    // Relative to a positive objective only (with a unit cost above ρ·p0 it is not).
                    let fraction = currentValue > 0 ? expectedGain / currentValue : expectedGain > 0 ? .infinity : 0

                    // 8. Each draw's best price.
                    for k in 0..<s { work[k] = grid[bestIndex[k]] }
                    let bestPriceBand = percentiles10And90(sorting: UnsafeMutableBufferPointer(start: work, count: s))

                    // 9. Elasticity at the current price.
                    let delta0 = log(p0) - response.referenceLogPrice
                    for k in 0..<s { work[k] = d[2 * k] + 2 * d[2 * k + 1] * delta0 }
                    let elasticity = mean(work, s)
                    let elasticityBand = percentiles10And90(sorting: UnsafeMutableBufferPointer(start: work, count: s))

                    // Units at the decided price, and revenue there as NumPy's mean of ρ·p·B·m_s.
                    let delta = log(decided) - response.referenceLogPrice
                    let delta2 = delta * delta
                    let revenueScale = rho * decided * baseline
                    for k in 0..<s { work[k] = exp(d[2 * k] * delta + d[2 * k + 1] * delta2) }
                    let quantity = baseline * sequentialMean(work, s)
                    for k in 0..<s { work[k] *= revenueScale }
                    let revenue = mean(work, s)
                    let edge: Recommendation.Edge? = grid.count < 2 ? nil : best == 0 ? .lower : best == grid.count - 1 ? .upper : nil
                    return Recommendation(
                        objective: unitCost == nil ? .sales : .profit, price: decided, currentPrice: p0, bestPrice: bestPrice,
                        decision: change ? .change : .keepCurrent, reason: reason,
                        expectedGain: expectedGain, expectedGainFraction: fraction, gainP10: gainBand.p10, gainP90: gainBand.p90,
                        probabilityOfGain: probability, bestPriceP10: bestPriceBand.p10, bestPriceP90: bestPriceBand.p90,
                        elasticity: elasticity, elasticityP10: elasticityBand.p10, elasticityP90: elasticityBand.p90,
                        searchMin: low, searchMax: high, outsideSupport: outsideSupport, atRangeEdge: edge,
                        quantity: quantity, sales: revenue, profit: unitCost.map { (rho * decided - $0) * quantity })
                }
            }
        }
    }
}
