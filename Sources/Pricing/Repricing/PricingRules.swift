/// A shop's business rules for a repricing run (the `pricing_rules` section of config/server.json,
/// overridable per request). Every rule is optional; the per-product bounds (floor, ceiling, unit
/// cost) come from the catalogue, see ``ProductTerms``.
///
/// The order in which they act is fixed (README, "Repricing the catalogue"):
/// 1. the hard band: `floor`, the margin price `unit_cost · (1 + min_margin_pct/100)`, `ceiling`;
/// 2. `max_change_pct` around the current price, intersected with that band (a conflict is an error);
/// 3. the model's price within the band, moved only as far as `min_probability_of_gain` supports;
/// 4. `price_ending`, last, and only to a price that still satisfies 1–3.
///
/// With `harm_budget` set, step 3 is a catalogue decision instead of one per product
/// (``HarmBudget``, README "Repricing the catalogue"): the run's prices are chosen together so that the
/// catalogue's mean P(loss > 2%) stays within the budget.
public struct PricingRules: Sendable, Equatable, Hashable {
    /// The default maximum change: the evidence beyond about a fifth of the current price is thin.
    public static let defaultMaxChangePercent = 20.0

    /// Lowest margin over unit cost, in percent: the price is at least `unit_cost · (1 + pct/100)`.
    /// Applies to products with a unit cost only.
    public var minMarginPercent: Double?
    /// Largest change from the current price, in percent either way; nil: no limit beyond the range
    /// the data supports (at most ±25%).
    public var maxChangePercent: Double?
    /// How a new price ends (e.g. `.99`); nil leaves the model's price as it is.
    public var priceEnding: PriceEnding?
    /// The posterior probability of gain a change needs; nil: the model version's own threshold.
    public var minProbabilityOfGain: Double?
    /// The catalogue's harm budget: the largest mean, over the run's products, of each product's posterior
    /// probability of losing more than 2% of today's objective at its new price (0 to 1; the learning
    /// loop's policy uses 0.002). Nil: off, each product is decided alone by the loss-bounded rule.
    public var harmBudget: Double?
    /// The harm budget's widening of the posterior: each draw's deviation from the draws' mean is scaled by
    /// √spread, i.e. the covariance × spread (the loop's `decision_spread` is 2). Nil: 1, the draws as stored.
    /// Used only with `harmBudget`.
    public var harmBudgetSpread: Double?

    public init(minMarginPercent: Double? = nil, maxChangePercent: Double? = PricingRules.defaultMaxChangePercent,
                priceEnding: PriceEnding? = nil, minProbabilityOfGain: Double? = nil,
                harmBudget: Double? = nil, harmBudgetSpread: Double? = nil) {
        self.minMarginPercent = minMarginPercent
        self.maxChangePercent = maxChangePercent
        self.priceEnding = priceEnding
        self.minProbabilityOfGain = minProbabilityOfGain
        self.harmBudget = harmBudget
        self.harmBudgetSpread = harmBudgetSpread
    }

    /// The rules' setting names, as in config and query strings.
    public static let settingNames = ["min_margin_pct", "max_change_pct", "price_ending", "min_probability_of_gain",
                                      "harm_budget", "harm_budget_spread"]

    /// The largest `harm_budget_spread`: a wider posterior than ten times the fitted one is no longer the model's.
    public static let maximumHarmBudgetSpread = 10.0

    /// Checks the values a user can get wrong, naming the setting.
    public func validate() throws(RuleError) {
        if let m = minMarginPercent, !(m.isFinite && m >= 0 && m <= 10_000) {
            throw RuleError("min_margin_pct must be a number from 0 to 10000, got \(m)")
        }
        if let m = maxChangePercent, !(m.isFinite && m >= 0 && m < 100) {
            throw RuleError("max_change_pct must be a number from 0 to below 100, got \(m)")
        }
        if let p = minProbabilityOfGain, !(p.isFinite && p >= 0 && p <= 1) {
            throw RuleError("min_probability_of_gain must be a number from 0 to 1, got \(p)")
        }
        if let h = harmBudget, !(h.isFinite && h >= 0 && h <= 1) {
            throw RuleError("harm_budget must be a number from 0 to 1, got \(h)")
        }
        if let f = harmBudgetSpread, !(f.isFinite && f >= 1 && f <= Self.maximumHarmBudgetSpread) {
            throw RuleError("harm_budget_spread must be a number from 1 to \(Int(Self.maximumHarmBudgetSpread)), got \(f)")
        }
    }

    /// Applies one setting given as text (a query parameter or a config value); `none` or an empty
    /// value clears an optional rule.
    public mutating func set(_ name: String, text: String) throws(RuleError) {
        let cleared = text.isEmpty || text == "none" || text == "null"
        func number() throws(RuleError) -> Double? {
            if cleared { return nil }
            guard let v = Double(text), v.isFinite else { throw RuleError("\(name) must be a number or none, got \"\(text)\"") }
            return v
        }
        // Changed on a copy: a refused value leaves the rules as they were.
        var next = self
        switch name {
        case "min_margin_pct": next.minMarginPercent = try number()
        case "max_change_pct": next.maxChangePercent = try number()
        case "min_probability_of_gain": next.minProbabilityOfGain = try number()
        case "harm_budget": next.harmBudget = try number()
        case "harm_budget_spread": next.harmBudgetSpread = try number()
        case "price_ending": next.priceEnding = cleared ? nil : try PriceEnding(text)
        default: throw RuleError("unknown rule \(name); known: " + Self.settingNames.joined(separator: ", "))
        }
        try next.validate()
        self = next
    }

    /// A stable text of the rules, for cache keys and for showing which rules a run used.
    public var key: String {
        func t(_ v: Double?) -> String { v.map { String($0) } ?? "-" }
        let base = "m\(t(minMarginPercent))|c\(t(maxChangePercent))|e\(priceEnding?.pattern ?? "-")|p\(t(minProbabilityOfGain))"
        // Only when set, so the keys of runs without a harm budget stay as they were.
        guard harmBudget != nil || harmBudgetSpread != nil else { return base }
        return base + "|h\(t(harmBudget))|s\(t(harmBudgetSpread))"
    }
}

/// A rule that cannot be used as given: a bad value, or rules that contradict each other for a product.
public struct RuleError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The rule that set a product's final price.
public enum BindingRule: String, Sendable, CaseIterable {
    /// The model's own best price lies inside every rule.
    case model
    /// The change was capped at `max_change_pct`.
    case maxChange = "max_change"
    /// The price was raised to the lowest one with `min_margin_pct` over unit cost.
    case minMargin = "min_margin"
    /// The price was held at the product's floor.
    case floor
    /// The price was held at the product's ceiling.
    case ceiling
    /// The price was moved to the nearest allowed price ending.
    case priceEnding = "price_ending"
    /// The evidence supports moving toward the best allowed price, but only part of the way: the price
    /// is the surest sufficient step (predict-price's `evidence_limited`).
    case evidenceLimited = "evidence_limited"
    /// The evidence does not support moving at all: the current price is kept
    /// (`min_probability_of_gain`, or a gain too small to act on).
    case insufficientEvidence = "insufficient_evidence"
    /// The product is under a price test and this is the week's arm, or it is in the plan's holdout and
    /// kept at its current price (docs/experiments.md); it keeps every rule of the run, else the normal
    /// decision stands.
    case experiment
    /// The catalogue's harm budget chose this price (``PricingRules/harmBudget``): the product's best
    /// trade of expected gain against P(loss > 2%) at the run's multiplier; also when the budget keeps a
    /// price that the product alone would have moved.
    case harmBudget = "harm_budget"
}
