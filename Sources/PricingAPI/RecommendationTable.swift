public import ArtifactFormats
public import Pricing

/// The columns of a repricing run, one definition for the CSV file, the JSON objects, the API's
/// `text/csv` answer and the command line, so they cannot drift apart. README ("Repricing the
/// catalogue") and the OpenAPI document describe each column.
public enum RecommendationTable {
    enum Cell {
        case text(String)
        case number(Double)
        case empty
    }

    /// Names in output order, and each column's cell.
    static let columns: [(name: String, cell: @Sendable (PriceRecommendation) -> Cell)] = [
        ("stockcode", { .text($0.stockcode) }),
        ("description", { .text($0.description) }),
        ("current_price", { .number(money($0.currentPrice)) }),
        ("current_price_source", { .text($0.currentPriceSource.rawValue) }),
        ("recommended_price", { .number(money($0.price)) }),
        ("change_pct", { .number(percent($0.changeFraction)) }),
        ("decision", { .text($0.decision.rawValue) }),
        ("binding_rule", { .text($0.bindingRule.rawValue) }),
        ("unconstrained_price", { .number(money($0.unconstrainedPrice)) }),
        ("allowed_min", { optional($0.allowedMin, money) }),
        ("allowed_max", { optional($0.allowedMax, money) }),
        ("unit_cost", { optional($0.unitCost, money) }),
        ("floor", { optional($0.floor, money) }),
        ("ceiling", { optional($0.ceiling, money) }),
        ("objective", { .text($0.objective == .sales ? "revenue" : "profit") }),
        ("units_current", { .number(money($0.unitsCurrent)) }),
        ("units_recommended", { .number(money($0.unitsRecommended)) }),
        ("revenue_current", { .number(money($0.revenueCurrent)) }),
        ("revenue_recommended", { .number(money($0.revenueRecommended)) }),
        ("profit_current", { optional($0.profitCurrent, money) }),
        ("profit_recommended", { optional($0.profitRecommended, money) }),
        ("expected_gain", { .number(money($0.expectedGain)) }),
        ("gain_p10", { .number(money($0.gainP10)) }),
        ("gain_p90", { .number(money($0.gainP90)) }),
        ("expected_gain_pct", { $0.expectedGainFraction.isFinite ? .number(percent($0.expectedGainFraction)) : .empty }),
        ("probability_of_gain", { .number(money($0.probabilityOfGain)) }),
        ("elasticity", { .number(money($0.elasticity)) }),
        ("elasticity_p10", { .number(money($0.elasticityP10)) }),
        ("elasticity_p90", { .number(money($0.elasticityP90)) }),
        ("model", { .text($0.model) }),
        ("model_version", { .text($0.modelVersion) }),
        ("flags", { .text(flagText[$0.flags.rawValue & (flagText.count - 1)]) }),
    ]

    /// The column names, in order.
    public static let names: [String] = columns.map(\.name)

    /// Every combination of flags as its `;`-separated text, built once (no string joins per row).
    static let flagText: [String] = (0..<32).map { PriceRecommendation.Flags(rawValue: $0).names.joined(separator: ";") }

    /// Four decimals: money, units and probabilities as a spreadsheet shows them.
    static func money(_ v: Double) -> Double { (v * 10_000).rounded() / 10_000 }
    /// A fraction as a percentage with two decimals.
    static func percent(_ v: Double) -> Double { (v * 10_000).rounded() / 100 }
    static func optional(_ v: Double?, _ f: (Double) -> Double) -> Cell { v.map { .number(f($0)) } ?? .empty }

    /// The CSV header line (CRLF-terminated, as RFC 4180 has it).
    public static func csvHeader() -> [UInt8] {
        var out: [UInt8] = []
        for (i, name) in names.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out += name.utf8
        }
        out += [13, 10]
        return out
    }

    /// `rows` as CSV lines.
    public static func csv(_ rows: some Collection<PriceRecommendation>) -> [UInt8] {
        var w = JSONWriter(capacity: rows.count * 320)
        for row in rows { appendCSV(row, to: &w) }
        return w.bytes
    }

    /// One CSV line; numbers in the same shortest round-trip form as the JSON, text through
    /// ``CSVField`` (formula-like cells neutralised, quoted as needed).
    static func appendCSV(_ row: PriceRecommendation, to w: inout JSONWriter) {
        for (i, column) in columns.enumerated() {
            if i > 0 { w.bytes.append(UInt8(ascii: ",")) }
            switch column.cell(row) {
            case .text(let s): CSVField.append(s, to: &w.bytes)
            case .number(let v): w.number(v)
            case .empty: break
            }
        }
        w.bytes += [13, 10]
    }

    /// One row as a JSON object (absent values are null).
    static func json(_ row: PriceRecommendation, into w: inout JSONWriter) {
        w.raw("{")
        for (i, column) in columns.enumerated() {
            if i > 0 { w.raw(",") }
            w.string(column.name)
            w.raw(":")
            switch column.cell(row) {
            case .text(let s): w.string(s)
            case .number(let v): w.number(v)
            case .empty: w.raw("null")
            }
        }
        w.raw("}")
    }

    /// `rows` as JSON objects separated by commas (the inside of an array), for streaming.
    public static func jsonObjects(_ rows: some Collection<PriceRecommendation>, leadingComma: Bool) -> [UInt8] {
        var w = JSONWriter(capacity: rows.count * 900)
        for (i, row) in rows.enumerated() {
            if i > 0 || leadingComma { w.raw(",") }
            json(row, into: &w)
        }
        return w.bytes
    }

    /// A skipped product as a JSON object: `stockcode`, `line`, `column` and `message`.
    static func json(_ skip: SkippedProduct, into w: inout JSONWriter) {
        w.raw("{"); w.key("stockcode"); w.string(skip.stockcode); w.raw(",")
        w.key("line"); if let line = skip.line { w.number(line) } else { w.raw("null") }; w.raw(",")
        w.key("column"); if let column = skip.column { w.string(column) } else { w.raw("null") }; w.raw(",")
        w.key("message"); w.string(skip.message); w.raw("}")
    }

    /// Skipped products as a JSON array.
    public static func jsonArray(_ skipped: [SkippedProduct]) -> [UInt8] {
        var w = JSONWriter()
        w.raw("[")
        for (i, skip) in skipped.enumerated() {
            if i > 0 { w.raw(",") }
            json(skip, into: &w)
        }
        w.raw("]")
        return w.bytes
    }
}
