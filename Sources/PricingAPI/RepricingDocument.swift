public import ArtifactFormats
public import Pricing

/// A repricing run as one JSON document, written in pieces so it can stream:
/// `{"model_version", "rules", "rows": [...], "skipped": [...], "totals": {...}}`. The run's summary
/// comes last because it is known only when every row is.
public enum RepricingDocument {
    /// Everything up to the first row.
    public static func head(modelVersion: String, rules: PricingRules) -> [UInt8] {
        var w = JSONWriter()
        w.raw("{"); w.key("model_version"); w.string(modelVersion); w.raw(",")
        w.key("rules"); rules.writeJSON(into: &w); w.raw(",")
        w.key("rows"); w.raw("[")
        return w.bytes
    }

    /// At most this many skipped lines are listed in an API answer (`skipped_total` counts them all):
    /// a 1 MB catalogue of unknown stockcodes would otherwise answer with about 9 MB of reports.
    public static let maximumSkippedListed = 1000

    /// Everything after the last row; `skipped` listed up to `skippedLimit` entries (nil: all).
    public static func tail(skipped: [SkippedProduct], totals: RepricingTotals, total: Int, skippedLimit: Int? = nil) -> [UInt8] {
        var w = JSONWriter()
        w.raw("],"); w.key("total"); w.number(total); w.raw(",")
        w.key("skipped"); w.bytes += RecommendationTable.jsonArray(Array(skipped.prefix(skippedLimit ?? skipped.count))); w.raw(",")
        w.key("skipped_total"); w.number(skipped.count); w.raw(",")
        w.key("totals"); json(totals, into: &w); w.raw("}")
        return w.bytes
    }

    static func json(_ t: RepricingTotals, into w: inout JSONWriter) {
        let r = RecommendationTable.money
        w.raw("{"); w.key("products"); w.number(t.products); w.raw(",")
        w.key("changed"); w.number(t.changed); w.raw(",")
        w.key("expected_gain"); w.number(r(t.expectedGain)); w.raw(",")
        w.key("gain_p10"); w.number(r(t.gainP10)); w.raw(",")
        w.key("gain_p90"); w.number(r(t.gainP90)); w.raw(",")
        w.key("revenue_current"); w.number(r(t.revenueCurrent)); w.raw(",")
        w.key("revenue_recommended"); w.number(r(t.revenueRecommended)); w.raw("}")
    }

    /// The whole document of a finished run.
    public static func bytes(_ run: RepricingChunk, modelVersion: String, rules: PricingRules, draws: Int) -> [UInt8] {
        let totals = RepricingTotals(rows: run.rows, gains: run.gains, draws: draws, indices: run.rows.indices)
        return head(modelVersion: modelVersion, rules: rules) + RecommendationTable.jsonObjects(run.rows, leadingComma: false)
            + tail(skipped: run.skipped, totals: totals, total: run.rows.count)
    }
}
