/// One product's decision and everything reported about it: a catalogue row reads it as a
/// ``PriceRecommendation``, a single request as a ``Recommendation``.
package struct DecisionOutcome: Sendable {
    package var price: Double
    package var currentPrice: Double
    /// `p*`: the best grid price of the searched range, before any rule or evidence threshold.
    package var unconstrainedPrice: Double
    package var bindingRule: BindingRule
    package var band: RuleBand
    package var objective: Recommendation.Objective
    /// The range the grid covered, and which end `p*` sits on (nil: inside, or a one-price grid).
    package var searchMin: Double
    package var searchMax: Double
    package var atSearchEdge: Recommendation.Edge?
    /// The searched range lies outside the data's support, or the rules allow no price within it.
    package var outsideSupport: Bool
    package var priceEndingUnavailable: Bool
    /// Gain over `p0` at the decided price (when keeping: at `p*` for ``DecisionInputs/Report/curve``,
    /// zeros for a catalogue row), its 10th/90th percentile, share of `V(p0)`, and probability.
    package var expectedGain: Double
    package var gainP10: Double
    package var gainP90: Double
    package var expectedGainFraction: Double
    package var probabilityOfGain: Double
    /// 10th/90th percentile of each draw's own best grid price (``DecisionInputs/Report/curve`` only; else NaN).
    package var bestPriceP10: Double
    package var bestPriceP90: Double
    package var elasticity: Double
    package var elasticityP10: Double
    package var elasticityP90: Double
    /// Expected units per week at `p0` and at the decided price.
    package var unitsCurrent: Double
    package var unitsRecommended: Double
    /// Revenue at the decided price as the reference computes it, NumPy's mean of `ρ·p·B·m_s`
    /// (the curve's `max_predicted_sales`; a catalogue row reports `ρ·p·units`, which its columns add up to).
    package var salesRecommended: Double
    package var realizedPriceRatio: Double
    package var unitCost: Double?

    /// Whether the decided price differs from the current one.
    package var changes: Bool { price != currentPrice }

    package var revenueCurrent: Double { realizedPriceRatio * currentPrice * unitsCurrent }
    package var revenueRecommended: Double { realizedPriceRatio * price * unitsRecommended }
    package var profitCurrent: Double? { unitCost.map { (realizedPriceRatio * currentPrice - $0) * unitsCurrent } }
    package var profitRecommended: Double? { unitCost.map { (realizedPriceRatio * price - $0) * unitsRecommended } }
}

extension Recommendation {
    /// A single request's answer from its decision (made without rules, so the binding rule is the
    /// model's or the evidence's).
    init(_ o: DecisionOutcome) {
        let reason: Reason = switch (o.changes, o.bindingRule) {
        case (true, .evidenceLimited): .evidenceLimited
        case (true, _): .model
        case (false, .insufficientEvidence): .insufficientEvidence
        case (false, _): .atCurrentPrice
        }
        self.init(objective: o.objective, price: o.price, currentPrice: o.currentPrice, bestPrice: o.unconstrainedPrice,
                  decision: o.changes ? .change : .keepCurrent, reason: reason,
                  expectedGain: o.expectedGain, expectedGainFraction: o.expectedGainFraction, gainP10: o.gainP10, gainP90: o.gainP90,
                  probabilityOfGain: o.probabilityOfGain, bestPriceP10: o.bestPriceP10, bestPriceP90: o.bestPriceP90,
                  elasticity: o.elasticity, elasticityP10: o.elasticityP10, elasticityP90: o.elasticityP90,
                  searchMin: o.searchMin, searchMax: o.searchMax, outsideSupport: o.outsideSupport, atRangeEdge: o.atSearchEdge,
                  quantity: o.unitsRecommended, sales: o.salesRecommended,
                  profit: o.profitRecommended)
    }
}
