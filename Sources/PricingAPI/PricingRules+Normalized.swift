import Foundation
public import Pricing

extension PricingRules {
    /// The rules with percentages rounded to 0.1 point the probability to 0.01, the harm budget to 0.0001 and its spread to 0.1: steps no retailer
    /// tells apart, so requests that mean the same rules share one run and one cache entry, and a client
    /// cannot make unboundedly many runs out of `max_change_pct=20.000001`, `20.000002`, ...
    public var normalized: PricingRules {
        func round(_ value: Double?, _ step: Double) -> Double? {
            // The + 0.0 turns a rounded -0.0 into 0.0, so both print alike in keys.
            value.map { ($0 / step).rounded() * step + 0.0 }.map { Double(String(format: "%.6g", $0))! }
        }
        var out = self
        out.minMarginPercent = round(minMarginPercent, 0.1)
        // Below 100 as the rule requires: 99.96 must not round up to an invalid 100.
        out.maxChangePercent = round(maxChangePercent, 0.1).map { min($0, 99.9) }
        out.minProbabilityOfGain = round(minProbabilityOfGain, 0.01)
        // 0.0001: budgets are a few tenths of a percent (the loop's is 0.002), so 0.01 would be too coarse.
        out.harmBudget = round(harmBudget, 0.0001)
        out.harmBudgetSpread = round(harmBudgetSpread, 0.1)
        return out
    }
}
