public import Pricing
import Foundation

extension PricingRules {
    /// Rules from a JSON object (`pricing_rules` of config/server.json, or a `--rules` file): numbers for
    /// `min_margin_pct`, `max_change_pct`, `min_probability_of_gain`, `harm_budget`, `harm_budget_spread`, a string for `price_ending`, null
    /// (or "none") to switch a rule off. Keys not given keep the defaults; others are an error.
    public static func parse(_ object: [String: Any], source: String) throws(RuleError) -> PricingRules {
        var rules = PricingRules()
        for key in object.keys.sorted() {
            let value = object[key]!
            let text: String
            if value is NSNull {
                text = "none"
            } else if let s = value as? String {
                text = s
            } else if let n = value as? NSNumber, !Self.isBoolean(n) {
                text = String(n.doubleValue)
            } else {
                throw RuleError("\(source): \(key) must be a number, a string or null")
            }
            do {
                try rules.set(key, text: text)
            } catch {
                throw RuleError("\(source): \(error.description)")
            }
        }
        return rules
    }

    /// Whether JSONSerialization read `true`/`false`. Not `is Bool`: on Linux every number that is 0 or 1
    /// (`"harm_budget_spread": 1`, `"min_probability_of_gain": 0`) also casts to Bool; a JSON boolean is the
    /// only value stored as a C char.
    static func isBoolean(_ n: NSNumber) -> Bool { String(cString: n.objCType) == "c" }

    /// Rules from a JSON file holding either the rules object or a configuration with `pricing_rules`.
    public static func load(file: String) throws(RuleError) -> PricingRules {
        guard let data = FileManager.default.contents(atPath: file) else { throw RuleError("\(file): cannot be read") }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw RuleError("\(file): not a JSON object")
        }
        if let section = object["pricing_rules"] {
            guard let rules = section as? [String: Any] else { throw RuleError("\(file): pricing_rules must be an object") }
            return try parse(rules, source: "\(file): pricing_rules")
        }
        return try parse(object, source: file)
    }

    /// The rules as a JSON object (null for a rule that is off).
    public var jsonBytes: [UInt8] {
        var w = JSONWriter()
        writeJSON(into: &w)
        return w.bytes
    }

    func writeJSON(into w: inout JSONWriter) {
        func number(_ v: Double?) { if let v { w.number(v) } else { w.raw("null") } }
        w.raw("{"); w.key("min_margin_pct"); number(minMarginPercent); w.raw(",")
        w.key("max_change_pct"); number(maxChangePercent); w.raw(",")
        w.key("price_ending"); if let e = priceEnding { w.string(e.pattern) } else { w.raw("null") }; w.raw(",")
        w.key("min_probability_of_gain"); number(minProbabilityOfGain); w.raw(",")
        w.key("harm_budget"); number(harmBudget); w.raw(",")
        w.key("harm_budget_spread"); number(harmBudgetSpread); w.raw("}")
    }
}
