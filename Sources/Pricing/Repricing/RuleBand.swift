public import ArtifactFormats

/// The prices a product's rules allow, `[low, high]`, and the rule that sets each end (steps 1–2 of
/// the order in ``PricingRules``). Ends without a rule are 0 and infinity.
public struct RuleBand: Sendable, Equatable {
    public let low: Double
    public let high: Double
    /// The rule at each end; nil when no rule bounds that side.
    public let lowRule: BindingRule?
    public let highRule: BindingRule?

    /// Every price: the band of a decision without rules.
    public static let unbounded = RuleBand(low: 0, high: .infinity, lowRule: nil, highRule: nil)

    private init(low: Double, high: Double, lowRule: BindingRule?, highRule: BindingRule?) {
        self.low = low
        self.high = high
        self.lowRule = lowRule
        self.highRule = highRule
    }

    /// The band for a product whose current price is `currentPrice`. Rules that contradict each other
    /// (a floor above the ceiling, a margin price above the largest allowed change, …) are an error
    /// naming the product and both rules, never a silent pick.
    public init(stockcode: String, currentPrice p0: Double, terms: ProductTerms, rules: PricingRules) throws(RuleError) {
        var low = 0.0, high = Double.infinity
        var lowRule: BindingRule?, highRule: BindingRule?
        var lowText = "", highText = ""
        // The first rule in the documented order wins a tie, so the answer names the stricter-by-intent one.
        func raise(_ value: Double, _ rule: BindingRule, _ text: String) {
            if value > low { low = value; lowRule = rule; lowText = text }
        }
        func lower(_ value: Double, _ rule: BindingRule, _ text: String) {
            if value < high { high = value; highRule = rule; highText = text }
        }
        if let floor = terms.floor, let ceiling = terms.ceiling, floor > ceiling {
            throw RuleError("product \(stockcode): floor \(Self.money(floor)) is above ceiling \(Self.money(ceiling))")
        }
        if let floor = terms.floor { raise(floor, .floor, "floor \(Self.money(floor))") }
        if let cost = terms.unitCost, let margin = rules.minMarginPercent {
            let price = cost * (1 + margin / 100)
            raise(price, .minMargin, "min_margin \(Self.number(margin))% over unit cost \(Self.money(cost)) needs at least \(Self.money(price))")
        }
        if let ceiling = terms.ceiling { lower(ceiling, .ceiling, "ceiling \(Self.money(ceiling))") }
        if let change = rules.maxChangePercent {
            let up = p0 * (1 + change / 100), down = p0 * (1 - change / 100)
            let text = "max_change \(Self.number(change))% from the current price \(Self.money(p0)) allows"
            if up < low {
                throw RuleError("product \(stockcode): rules conflict: \(lowText), but \(text) at most \(Self.money(up))")
            }
            if down > high {
                throw RuleError("product \(stockcode): rules conflict: \(highText), but \(text) at least \(Self.money(down))")
            }
            raise(down, .maxChange, "")
            lower(up, .maxChange, "")
        }
        if low > high {
            throw RuleError("product \(stockcode): rules conflict: \(lowText), but \(highText)")
        }
        self.low = low
        self.high = high
        self.lowRule = lowRule
        self.highRule = highRule
    }

    /// The rule whose end `price` sits on (within a rounding hair), or nil inside the band.
    public func rule(at price: Double) -> BindingRule? {
        if lowRule != nil, abs(price - low) <= 1e-9 * max(1, low) { return lowRule }
        if highRule != nil, abs(price - high) <= 1e-9 * max(1, high) { return highRule }
        return nil
    }

    /// Whether `price` is allowed (a rounding hair of tolerance at the ends).
    public func contains(_ price: Double) -> Bool {
        price >= low * (1 - 1e-12) && price <= high * (1 + 1e-12)
    }

    static func money(_ v: Double) -> String {
        let cents = (v * 100).rounded()
        let whole = Int(cents / 100)
        let rest = Int(abs(cents).truncatingRemainder(dividingBy: 100))
        return "\(whole).\(rest < 10 ? "0" : "")\(rest)"
    }

    static func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
    }
}
