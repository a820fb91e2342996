package import Storage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One product's price under the shop's rules (the order in ``PricingRules``): the model's search of
/// docs/price-response.md (steps 3–7) restricted to the prices the rules allow, then the price ending;
/// every number reported about the final price is recomputed there from the posterior draws.
///
/// Work: the decision grid (241 × 64 exponentials by default), the band's two ends and at most two
/// ending candidates; scratch buffers of `S` values live on the stack, nothing is allocated.
package enum RuledDecision {
    /// The decision and everything the catalogue row reports about it.
    package struct Outcome: Sendable {
        package var price: Double
        package var currentPrice: Double
        /// `p*`: the best price of the supported range, before any rule or evidence threshold.
        package var unconstrainedPrice: Double
        package var bindingRule: BindingRule
        package var band: RuleBand
        package var expectedGain: Double
        package var gainP10: Double
        package var gainP90: Double
        package var expectedGainFraction: Double
        package var probabilityOfGain: Double
        package var elasticity: Double
        package var elasticityP10: Double
        package var elasticityP90: Double
        package var unitsCurrent: Double
        package var unitsRecommended: Double
        package var revenueCurrent: Double
        package var revenueRecommended: Double
        package var profitCurrent: Double?
        package var profitRecommended: Double?
        package var atSearchEdge: Bool
        package var outsideSupport: Bool
        package var priceEndingUnavailable: Bool
    }

    /// The decision for a product with baseline volume `baseline` (weekly units at the reference price).
    /// `gains` receives the `S` per-draw gains `V_s(price) − V_s(p0)` at the final price (zeros when the
    /// current price is kept), so that a run can total them draw by draw.
    package static func decide(_ response: ProductPriceResponse, stockcode: String, baseline: Double, terms: ProductTerms,
                               rules: PricingRules, settings: Manifest.PriceResponse.Decision,
                               gains: UnsafeMutablePointer<Double>) throws(RuleError) -> Outcome {
        let p0 = terms.currentPrice ?? response.currentPrice
        let band = try RuleBand(stockcode: stockcode, currentPrice: p0, terms: terms, rules: rules)
        let cost = terms.unitCost ?? 0
        let rho = response.realizedPriceRatio
        let s = response.drawCount
        let threshold = rules.minProbabilityOfGain ?? settings.minProbabilityOfGain
        let tolerance = PriceDecision.samePriceTolerance
        let low = response.supportLow, high = response.supportHigh
        let points = low == high ? 1 : settings.gridPoints
        let logLow = log(low)
        let step = points > 1 ? (log(high) - logLow) / Double(points - 1) : 0
        // The grid of PriceDecision: first exactly `low`, last exactly `high`.
        func gridPrice(_ g: Int) -> Double { g == 0 ? low : g == points - 1 ? high : exp(Double(g) * step + logLow) }

        return response.draws.withUnsafeBufferPointer { drawBuffer in
            withUnsafeTemporaryAllocation(of: Double.self, capacity: 6 * s) { scratch in
                let d = drawBuffer.baseAddress!
                let values = scratch.baseAddress!, now = values + s, work = values + 2 * s
                let multiplier = values + 3 * s, ratio = values + 4 * s, ratioStep = values + 5 * s

                func objective(at price: Double, into out: UnsafeMutablePointer<Double>) {
                    let delta = log(price) - response.referenceLogPrice
                    let delta2 = delta * delta
                    let scale = (rho * price - cost) * baseline
                    for k in 0..<s { out[k] = scale * exp(d[2 * k] * delta + d[2 * k + 1] * delta2) }
                }
                /// Mean objective, expected gain over p0 and P(gain > 0) at `price`.
                func evaluate(_ price: Double) -> (value: Double, gain: Double, probability: Double) {
                    objective(at: price, into: values)
                    var wins = 0
                    for k in 0..<s {
                        work[k] = values[k] - now[k]
                        if work[k] > 0 { wins += 1 }
                    }
                    return (sequentialMean(values, s), sequentialMean(work, s), Double(wins) / Double(s))
                }

                objective(at: p0, into: now)
                let currentValue = mean(now, s)
                let minimumGain = settings.minExpectedGain * abs(currentValue)
                func persuasive(_ price: Double, _ r: (value: Double, gain: Double, probability: Double)) -> Bool {
                    r.probability >= threshold && r.gain >= minimumGain && abs(price / p0 - 1) > tolerance
                }

                var best = 0, bestValue = -Double.infinity
                var allowedBest = Double.nan, allowedBestValue = -Double.infinity
                var chosen = Double.nan, chosenGain = -Double.infinity
                func consider(_ price: Double, _ r: (value: Double, gain: Double, probability: Double)) {
                    if r.value > allowedBestValue { allowedBestValue = r.value; allowedBest = price }
                    if persuasive(price, r) && r.gain > chosenGain { chosenGain = r.gain; chosen = price }
                }
                // The grid is log-spaced, so Δ_g = Δ_0 + g·h and each draw's multiplier m_s = exp(b_s·Δ + c_s·Δ²)
                // moves from one grid price to the next by a ratio that itself changes by a constant factor:
                // m(g+1) = m(g)·R(g), R(g+1) = R(g)·exp(2·c_s·h²). Three exponentials per draw instead of
                // one per grid price and draw (the whole run's main cost); the drift over 241 steps is ~1e-12.
                let gridDelta0 = logLow - response.referenceLogPrice
                for k in 0..<s {
                    let b = d[2 * k], c = d[2 * k + 1]
                    multiplier[k] = exp(b * gridDelta0 + c * gridDelta0 * gridDelta0)
                    ratio[k] = exp(b * step + c * (2 * gridDelta0 * step + step * step))
                    ratioStep[k] = exp(2 * c * step * step)
                }
                for g in 0..<points {
                    let price = gridPrice(g)
                    let scale = (rho * price - cost) * baseline
                    var wins = 0
                    for k in 0..<s {
                        values[k] = scale * multiplier[k]
                        work[k] = values[k] - now[k]
                        if work[k] > 0 { wins += 1 }
                        multiplier[k] *= ratio[k]
                        ratio[k] *= ratioStep[k]
                    }
                    let r = (value: sequentialMean(values, s), gain: sequentialMean(work, s), probability: Double(wins) / Double(s))
                    if g == 0 || r.value > bestValue { bestValue = r.value; best = g }
                    if band.contains(price) { consider(price, r) }
                }
                // The band's ends inside the supported range, so a rule binds exactly at its price, not
                // at the grid price next to it; a band wholly outside the range: its end nearest the data.
                let inLow = max(band.low, low), inHigh = min(band.high, high)
                let outsideSupport = inLow > inHigh
                if outsideSupport {
                    let end = band.high < low ? band.high : band.low
                    consider(end, evaluate(end))
                } else {
                    if inLow > low { consider(inLow, evaluate(inLow)) }
                    if inHigh < high { consider(inHigh, evaluate(inHigh)) }
                }
                let unconstrained = gridPrice(best)

                // The decision within the band.
                var price: Double
                var rule: BindingRule
                var evidenceBacked = false
                if chosenGain > -Double.infinity {
                    price = chosen
                    evidenceBacked = true
                    if price == allowedBest {
                        rule = price == unconstrained ? .model : band.rule(at: price) ?? .model
                    } else {
                        rule = .evidenceLimited
                    }
                } else if band.contains(p0) {
                    price = p0
                    if abs(allowedBest / p0 - 1) <= tolerance {
                        rule = abs(unconstrained / p0 - 1) <= tolerance ? .model : band.rule(at: allowedBest) ?? .model
                    } else {
                        rule = .insufficientEvidence
                    }
                } else {
                    // The current price breaks a rule and no move is persuasive: the smallest move that obeys them.
                    price = p0 < band.low ? band.low : band.high
                    rule = band.rule(at: price) ?? .model
                }

                // 4. The ending, last, only onto a price that keeps every rule (and the evidence, when the
                // evidence chose the price).
                var endingUnavailable = false
                if let ending = rules.priceEnding, price != p0, !ending.matches(price) {
                    var pick = Double.nan, pickValue = -Double.infinity
                    func offer(_ candidate: Double?) {
                        guard let candidate, band.contains(candidate) else { return }
                        let r = evaluate(candidate)
                        if evidenceBacked && candidate != p0 && !persuasive(candidate, r) { return }
                        if r.value > pickValue { pickValue = r.value; pick = candidate }
                    }
                    offer(ending.atOrBelow(price))
                    offer(ending.atOrAbove(price))
                    if pickValue > -Double.infinity {
                        price = pick
                        rule = .priceEnding
                    } else {
                        endingUnavailable = true
                    }
                }

                // Everything reported, at the final price, from the draws.
                objective(at: price, into: values)
                var wins = 0
                for k in 0..<s {
                    gains[k] = price == p0 ? 0 : values[k] - now[k]
                    work[k] = gains[k]
                    if gains[k] > 0 { wins += 1 }
                }
                let expectedGain = mean(gains, s)
                let gainBand = percentiles10And90(sorting: UnsafeMutableBufferPointer(start: work, count: s))
                let fraction = currentValue > 0 ? expectedGain / currentValue : expectedGain > 0 ? .infinity : 0

                let delta0 = log(p0) - response.referenceLogPrice
                for k in 0..<s { work[k] = d[2 * k] + 2 * d[2 * k + 1] * delta0 }
                let elasticity = mean(work, s)
                let elasticityBand = percentiles10And90(sorting: UnsafeMutableBufferPointer(start: work, count: s))

                func units(at p: Double) -> Double {
                    let delta = log(p) - response.referenceLogPrice
                    for k in 0..<s { work[k] = exp(d[2 * k] * delta + d[2 * k + 1] * delta * delta) }
                    return baseline * sequentialMean(work, s)
                }
                let unitsCurrent = units(at: p0), unitsNew = units(at: price)
                return Outcome(
                    price: price, currentPrice: p0, unconstrainedPrice: unconstrained, bindingRule: rule, band: band,
                    expectedGain: expectedGain, gainP10: gainBand.p10, gainP90: gainBand.p90, expectedGainFraction: fraction,
                    probabilityOfGain: Double(wins) / Double(s),
                    elasticity: elasticity, elasticityP10: elasticityBand.p10, elasticityP90: elasticityBand.p90,
                    unitsCurrent: unitsCurrent, unitsRecommended: unitsNew,
                    revenueCurrent: rho * p0 * unitsCurrent, revenueRecommended: rho * price * unitsNew,
                    profitCurrent: terms.unitCost.map { (rho * p0 - $0) * unitsCurrent },
                    profitRecommended: terms.unitCost.map { (rho * price - $0) * unitsNew },
                    atSearchEdge: points > 1 && (best == 0 || best == points - 1), outsideSupport: outsideSupport,
                    priceEndingUnavailable: endingUnavailable)
            }
        }
    }
}
