public import Pricing

/// The query of `/v1/recommendations`: rule overrides (`min_margin_pct`, `max_change_pct`,
/// `price_ending`, `min_probability_of_gain`), filters (`q` in stockcode or description,
/// `changed_only`, `min_gain`), `sort` (`expected_gain`, the default, largest first; `change`, largest
/// move first; `stockcode`), paging (`limit`, `offset`; default every row) and `format` (`json`, `csv`;
/// default from the Accept header). Anything else is a 400 naming the parameter.
public struct RecommendationsQuery: Sendable, Equatable {
    public typealias Sort = RunSelection.Sort
    public enum Format: String, Sendable { case json, csv }

    public static let maximumLimit = 100_000
    /// Far beyond any catalogue, and low enough that offset + limit cannot overflow when a page is cut.
    public static let maximumOffset = 1_000_000_000_000_000_000
    static let filterParameters = ["q", "changed_only", "min_gain", "sort", "limit", "offset", "format"]

    public var rules: PricingRules
    /// The filters, order and page.
    public var selection = RunSelection(limit: RecommendationsQuery.maximumLimit)
    public var format: Format?

    /// Parses `query` over `defaults` (the configured rules). With `single`, only the rule overrides
    /// are allowed (the one-product route has nothing to filter, sort or page).
    public static func parse(_ query: [(name: String, value: String)], defaults: PricingRules, single: Bool = false) throws(APIError) -> RecommendationsQuery {
        var out = RecommendationsQuery(rules: defaults)
        var seen = Set<String>()
        let allowed = PricingRules.settingNames + (single ? ["format"] : filterParameters)
        for (name, value) in query {
            guard allowed.contains(name) else {
                throw .badRequest("unknown_parameter", "unknown query parameter \(name); allowed: \(allowed.joined(separator: ", "))")
            }
            guard seen.insert(name).inserted else { throw .badRequest("duplicate_parameter", "query parameter \(name) is given twice") }
            let text = String(value.trimmingWhitespace())
            func number() throws(APIError) -> Double {
                // Decimal notation only: Swift's Double() would also read hex ("0x10") and "nan".
                guard text.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }), let v = Double(text), v.isFinite else {
                    throw .badRequest("invalid_\(name)", "\(name) must be a finite number, got \"\(value)\"")
                }
                return v
            }
            switch name {
            case "q": out.selection.search = text.isEmpty ? nil : text.uppercased()
            case "changed_only":
                guard ["true", "false", "1", "0"].contains(text) else {
                    throw .badRequest("invalid_changed_only", "changed_only must be true or false, got \"\(value)\"")
                }
                out.selection.changedOnly = text == "true" || text == "1"
            case "min_gain": out.selection.minGain = try number()
            case "sort":
                guard let sort = Sort(rawValue: text) else {
                    throw .badRequest("invalid_sort", "sort must be expected_gain, change or stockcode, got \"\(value)\"")
                }
                out.selection.sort = sort
            case "format":
                guard let format = Format(rawValue: text) else { throw .badRequest("invalid_format", "format must be json or csv, got \"\(value)\"") }
                out.format = format
            case "limit":
                guard let v = Int(text), (1...maximumLimit).contains(v) else {
                    throw .badRequest("invalid_limit", "limit must be an integer between 1 and \(maximumLimit), got \"\(value)\"")
                }
                out.selection.limit = v
            case "offset":
                guard let v = Int(text), (0...maximumOffset).contains(v) else {
                    throw .badRequest("invalid_offset", "offset must be an integer between 0 and \(maximumOffset), got \"\(value)\"")
                }
                out.selection.offset = v
            default:
                if name != "price_ending" && !(text.isEmpty || text == "none") { _ = try number() }
                do {
                    try out.rules.set(name, text: text)
                } catch {
                    throw .badRequest("invalid_\(name)", error.description)
                }
            }
        }
        out.rules = out.rules.normalized
        return out
    }
}
