package import ArtifactFormats
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One product's price (docs/price-response.md, steps 3–9, and the order of ``PricingRules``): search
/// the supported part of the requested range on a log grid for the price with the highest expected
/// objective, restricted to the prices the rules allow (the band's ends are candidates too, so a rule
/// binds exactly at its price); compare each candidate with the current price draw by draw and move
/// only on enough evidence; then the price ending. Everything reported about the final price is
/// recomputed there from the posterior draws.
///
/// The one decision of the service: a predict-price request decides one product without rules
/// (``DecisionInputs/oneProduct(_:requestMin:requestMax:unitCost:)``), a repricing run each of its
/// products under the shop's (``DecisionInputs/repricing(_:stockcode:terms:rules:)``).
///
/// Work: the grid (241 × 64 objective values by default), the band's two ends and at most two ending
/// candidates; scratch buffers of `S` values live on the stack, nothing is allocated.
package enum PriceDecision {
    /// `p*` within this fraction of `p0` is "the current price" (reason `at_current_price`).
    package static let samePriceTolerance = 0.005

    /// The decision for a product whose baseline volume (weekly units at the reference price) is
    /// `baseline`. `drawGains`, when given, receives the `S` per-draw gains `V_s(price) − V_s(p0)` at
    /// the reported price (zeros when a catalogue row keeps its price), so that a run can total them
    /// draw by draw.
    package static func decide(_ response: ProductPriceResponse, baseline: Double, _ inputs: DecisionInputs,
                               settings: Manifest.PriceResponse.Decision,
                               drawGains: UnsafeMutablePointer<Double>? = nil) -> DecisionOutcome {
        let s = response.drawCount
        return response.draws.withUnsafeBufferPointer { drawBuffer in
            withUnsafeTemporaryAllocation(of: Double.self, capacity: 8 * s) { scratch in
                withUnsafeTemporaryAllocation(of: Int.self, capacity: s) { bestIndex in
                    let buffer = scratch.baseAddress!
                    let objective = DrawObjective(
                        draws: drawBuffer.baseAddress!, count: s, referenceLogPrice: response.referenceLogPrice,
                        realizedPriceRatio: response.realizedPriceRatio, unitCost: inputs.unitCost ?? 0, baseline: baseline,
                        values: buffer, now: buffer + s, work: buffer + 2 * s)
                    return decide(response, objective, inputs, settings, drawBest: (buffer + 3 * s, bestIndex.baseAddress!),
                                  recurrence: buffer + 4 * s, gains: drawGains ?? buffer + 7 * s)
                }
            }
        }
    }

    @inline(__always)
    private static func decide(_ response: ProductPriceResponse, _ objective: DrawObjective, _ inputs: DecisionInputs,
                               _ settings: Manifest.PriceResponse.Decision,
                               drawBest: (value: UnsafeMutablePointer<Double>, index: UnsafeMutablePointer<Int>),
                               recurrence: UnsafeMutablePointer<Double>, gains: UnsafeMutablePointer<Double>) -> DecisionOutcome {
        let s = objective.count
        let p0 = inputs.currentPrice, band = inputs.band
        let tolerance = samePriceTolerance
        let threshold = inputs.minProbabilityOfGain ?? settings.minProbabilityOfGain
        let tracksDrawBest = inputs.report == .curve

        // 3. The search range: the requested prices the data supports, or all of them when it supports none.
        var low = max(response.supportLow, inputs.requestMin)
        var high = min(response.supportHigh, inputs.requestMax)
        let searchOutsideSupport = low > high
        if searchOutsideSupport {
            low = inputs.requestMin
            high = inputs.requestMax
        }
        let grid = DecisionGrid(low: low, high: high, points: settings.gridPoints)

        // 6. The current price's objective, draw by draw, first: every candidate is compared with it.
        objective.fill(at: p0, into: objective.now)
        let currentValue = mean(objective.now, s)
        let minimumGain = settings.minExpectedGain * abs(currentValue)
        // At most α of the draws may lose over 1% (the default rule, chosen on the measured frontier);
        // 1e-12 as in the reference, so a share equal to α on paper is not refused by rounding.
        let maxLoss = settings.maxLossProbability.map { $0 + 1e-12 } ?? .infinity
        func persuasive(_ price: Double, _ r: CandidateStatistics) -> Bool {
            r.probabilityOfGain >= threshold && r.gain >= minimumGain && r.probabilityOfLoss <= maxLoss
                && abs(price / p0 - 1) > tolerance
        }

        // 4–5, 7–8. The best grid price by the mean objective (the first on ties, as NumPy's argmax),
        // the best allowed one, and the persuasive allowed price with the highest expected gain.
        var best = 0, bestValue = -Double.infinity
        var allowedBest = Double.nan, allowedBestValue = -Double.infinity
        var chosen = Double.nan, chosenGain = -Double.infinity
        func consider(_ price: Double, _ r: CandidateStatistics) {
            if r.value > allowedBestValue { allowedBestValue = r.value; allowedBest = price }
            if persuasive(price, r) && r.gain > chosenGain { chosenGain = r.gain; chosen = price }
        }
        objective.walk(grid, inputs.arithmetic, recurrence: recurrence) { g, price, r in
            if g == 0 || r.value > bestValue { bestValue = r.value; best = g }
            if tracksDrawBest {
                for k in 0..<s where g == 0 || objective.values[k] > drawBest.value[k] {
                    drawBest.value[k] = objective.values[k]
                    drawBest.index[k] = g
                }
            }
            if band.contains(price) { consider(price, r) }
        }
        // The band's ends inside the searched range, so a rule binds exactly at its price, not at the
        // grid price next to it; a band wholly outside the range: its end nearest the data.
        let inLow = max(band.low, low), inHigh = min(band.high, high)
        let bandOutside = inLow > inHigh
        if bandOutside {
            let end = band.high < low ? band.high : band.low
            consider(end, objective.statistics(at: end))
        } else {
            if inLow > low { consider(inLow, objective.statistics(at: inLow)) }
            if inHigh < high { consider(inHigh, objective.statistics(at: inHigh)) }
        }
        let unconstrained = grid.price(best)

        // 7. The decision within the band: a best allowed price within 0.5% of the current one is the
        // current one; otherwise the persuasive price, if any; otherwise keep (or, when the current
        // price breaks a rule, the smallest move that obeys them).
        var price: Double
        var rule: BindingRule
        var evidenceBacked = false
        if band.contains(p0) && abs(allowedBest / p0 - 1) <= tolerance {
            price = p0
            rule = abs(unconstrained / p0 - 1) <= tolerance ? .model : band.rule(at: allowedBest) ?? .model
        } else if chosenGain > -Double.infinity {
            price = chosen
            evidenceBacked = true
            if price == allowedBest {
                rule = price == unconstrained ? .model : band.rule(at: price) ?? .model
            } else {
                rule = .evidenceLimited
            }
        } else if band.contains(p0) {
            price = p0
            rule = .insufficientEvidence
        } else {
            price = p0 < band.low ? band.low : band.high
            rule = band.rule(at: price) ?? .model
        }

        // Under a harm budget the catalogue chose the price (HarmBudget, within the band): it replaces the
        // per-product evidence rule, and the ending below only has to keep the band (the budget counted the
        // grid price, not the ending's).
        if let choice = inputs.harmBudgetChoice {
            price = choice.price
            evidenceBacked = false
            rule = choice.moves || choice.constrained ? .harmBudget : .insufficientEvidence
        }

        // A product under a price test posts this week's arm instead, when every rule allows it: the
        // test is what the week's price is for, and everything below is reported at that price. An arm
        // the band refuses (the run's rules are stricter than the plan's) leaves the decision above.
        var underTest = false
        if let testPrice = inputs.testPrice, band.contains(testPrice) {
            // The plan's "today's price" (a held-out product, a test's current arm) was computed by the
            // loop and travelled as JSON: within rounding of the row's current price it is that price, so
            // the row keeps it (a decision of keep, no gain) rather than reporting a move of a few bits.
            price = abs(testPrice - p0) <= 1e-9 * p0 ? p0 : testPrice
            rule = .experiment
            underTest = true
        }

        // The ending, last, only onto a price that keeps every rule (and the evidence, when the
        // evidence chose the price); a test's arm is posted as the plan set it.
        var endingUnavailable = false
        if !underTest, let ending = inputs.priceEnding, price != p0, !ending.matches(price) {
            var pick = Double.nan, pickValue = -Double.infinity
            func offer(_ candidate: Double?) {
                guard let candidate, band.contains(candidate) else { return }
                let r = objective.statistics(at: candidate)
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

        // The gain reported, from the draws: at the decided price when changing; when keeping, at p*
        // for one product's answer (what the move would bring), none for a catalogue row.
        let work = objective.work
        let gainPrice: Double? = price != p0 ? price : inputs.report == .curve ? unconstrained : nil
        var wins = 0
        if let gainPrice {
            objective.fill(at: gainPrice, into: objective.values)
            for k in 0..<s {
                gains[k] = objective.values[k] - objective.now[k]
                if gains[k] > 0 { wins += 1 }
            }
        } else {
            gains.update(repeating: 0, count: s)
        }
        let expectedGain = mean(gains, s)
        work.update(from: gains, count: s)
        let gainBand = percentiles10And90(sorting: UnsafeMutableBufferPointer(start: work, count: s))
        // Relative to a positive objective only (with a unit cost above ρ·p0 it is not).
        let fraction = currentValue > 0 ? expectedGain / currentValue : expectedGain > 0 ? .infinity : 0

        // 8. Each draw's best price.
        var bestPriceBand = (p10: Double.nan, p90: Double.nan)
        if tracksDrawBest {
            for k in 0..<s { work[k] = grid.price(drawBest.index[k]) }
            bestPriceBand = percentiles10And90(sorting: UnsafeMutableBufferPointer(start: work, count: s))
        }

        // 9. Elasticity at the current price.
        let delta0 = log(p0) - response.referenceLogPrice
        for k in 0..<s { work[k] = objective.draws[2 * k] + 2 * objective.draws[2 * k + 1] * delta0 }
        let elasticity = mean(work, s)
        let elasticityBand = percentiles10And90(sorting: UnsafeMutableBufferPointer(start: work, count: s))

        // Units at the current and the decided price; revenue at the decided one as NumPy's mean of ρ·p·B·m_s.
        let unitsCurrent = objective.units(at: p0)
        let unitsRecommended = objective.units(at: price)
        let revenueScale = response.realizedPriceRatio * price * objective.baseline
        for k in 0..<s { work[k] *= revenueScale }
        let sales = mean(work, s)

        return DecisionOutcome(
            price: price, currentPrice: p0, unconstrainedPrice: unconstrained, bindingRule: rule, band: band,
            objective: inputs.unitCost == nil ? .sales : .profit, searchMin: low, searchMax: high,
            atSearchEdge: grid.points < 2 ? nil : best == 0 ? .lower : best == grid.points - 1 ? .upper : nil,
            outsideSupport: searchOutsideSupport || bandOutside, priceEndingUnavailable: endingUnavailable,
            expectedGain: expectedGain, gainP10: gainBand.p10, gainP90: gainBand.p90, expectedGainFraction: fraction,
            probabilityOfGain: Double(wins) / Double(s), bestPriceP10: bestPriceBand.p10, bestPriceP90: bestPriceBand.p90,
            elasticity: elasticity, elasticityP10: elasticityBand.p10, elasticityP90: elasticityBand.p90,
            unitsCurrent: unitsCurrent, unitsRecommended: unitsRecommended, salesRecommended: sales,
            realizedPriceRatio: response.realizedPriceRatio, unitCost: inputs.unitCost)
    }
}
