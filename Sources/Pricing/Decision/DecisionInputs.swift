package import ArtifactFormats

/// What one product's decision is asked: its current price and cost, the prices the caller wants
/// searched, the shop's rules for it, and how much is reported. A single predict-price request is
/// a repricing of one product without rules (``oneProduct(_:requestMin:requestMax:unitCost:)``);
/// a catalogue run's row carries the product's rule band (``repricing(_:stockcode:terms:rules:)``).
package struct DecisionInputs: Sendable {
    /// What the decision reports beyond the catalogue row.
    package enum Report: Sendable {
        /// One product's answer: the reference arithmetic, each draw's best price (its 10th/90th
        /// percentile), and when keeping, the gain a move to the best price would bring.
        case curve
        /// A catalogue row: the fast grid arithmetic, and when keeping, no gain (zeros).
        case catalogueRow
    }

    /// `p0`.
    package var currentPrice: Double
    /// With a unit cost the objective is profit, else revenue.
    package var unitCost: Double?
    /// The prices the caller asks to search; the grid covers the part the data supports (all of it
    /// when none is).
    package var requestMin: Double
    package var requestMax: Double
    /// The prices the rules allow; unbounded without rules.
    package var band: RuleBand
    /// The probability of gain a change needs; nil: the model version's.
    package var minProbabilityOfGain: Double?
    /// Applied last, onto a price that keeps every rule.
    package var priceEnding: PriceEnding?
    package var arithmetic: GridArithmetic
    package var report: Report
    /// The price the week's experiment plan posts for the product (docs/experiments.md): its running
    /// test's arm, or its current price when it is held out. Posted instead of the decision's price when
    /// the band allows it, as is (no price ending). Nil: the plan leaves the product to the decision.
    package var testPrice: Double? = nil
    /// The catalogue's harm-budget choice for this product (``HarmBudget``): posted instead of the
    /// per-product rule's price (the band's ends bound its grid), before a test's arm and the ending.
    /// Nil: the per-product rule decides.
    package var harmBudgetChoice: HarmBudget.Choice? = nil

    /// A single request: the request's price range, no rules, the reference arithmetic.
    package static func oneProduct(_ response: ProductPriceResponse, requestMin: Double, requestMax: Double,
                                   unitCost: Double?) -> DecisionInputs {
        DecisionInputs(currentPrice: response.currentPrice, unitCost: unitCost, requestMin: requestMin, requestMax: requestMax,
                       band: .unbounded, minProbabilityOfGain: nil, priceEnding: nil, arithmetic: .reference, report: .curve)
    }

    /// A catalogue row: the product's terms under the shop's rules, over every price the data
    /// supports. Rules that contradict each other for this product are an error naming it.
    package static func repricing(_ response: ProductPriceResponse, stockcode: String, terms: ProductTerms,
                                  rules: PricingRules) throws(RuleError) -> DecisionInputs {
        let p0 = terms.currentPrice ?? response.currentPrice
        return DecisionInputs(currentPrice: p0, unitCost: terms.unitCost, requestMin: 0, requestMax: .infinity,
                              band: try RuleBand(stockcode: stockcode, currentPrice: p0, terms: terms, rules: rules),
                              minProbabilityOfGain: rules.minProbabilityOfGain, priceEnding: rules.priceEnding,
                              arithmetic: .recurrence, report: .catalogueRow)
    }
}
