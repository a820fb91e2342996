public import Pricing

/// The predict-price body the article's React client reads: one object per candidate price with
/// `stockcode`, `unit_price`, `quantity`, `quantity_min`, `quantity_max`, `predicted_sales`
/// (`predicted_profit` with a unit cost), and on each row `optimal_unit_price` and
/// `max_predicted_sales`. Demand is in units per week and money in revenue (or profit) per week
/// (docs/price-response.md). The additions old clients ignore: the row's bands (`quantity_p10`,
/// `quantity_p90`, `sales_p10`, `sales_p90`) and, repeated on every row, the product's price decision
/// (`current_price`, `recommended_price`, `best_price`, `decision`, … `demand_unit`).
public enum CurveJSON {
    /// The whole curve as one JSON array.
    public static func array(_ curve: PriceCurve) -> [UInt8] {
        let decision = decisionFields(curve)
        var w = JSONWriter(capacity: (300 + decision.count) * curve.points.count)
        w.raw("[")
        for (i, point) in curve.points.enumerated() {
            if i > 0 { w.raw(",") }
            object(point, curve: curve, decision: decision, into: &w)
        }
        w.raw("]")
        return w.bytes
    }

    /// The command line's document: the answering model, the decision and the curve's rows.
    public static func document(_ curve: PriceCurve) -> [UInt8] {
        let r = curve.recommendation
        var w = JSONWriter(capacity: 1200 * curve.points.count + 1024)
        w.raw("{"); w.key("model"); w.string(curve.model); w.raw(",")
        w.key("model_version"); w.string(curve.modelVersion); w.raw(",")
        w.key("skipped_models"); w.raw("[")
        for (i, reason) in curve.skippedModels.enumerated() {
            if i > 0 { w.raw(",") }
            w.string(reason)
        }
        w.raw("],")
        w.key("context_rows"); w.number(curve.contextRows); w.raw(",")
        w.key("baseline_units_per_week"); w.number(rounded(curve.baseline)); w.raw(",")
        w.key("recommendation"); w.raw("{")
        w.key("objective"); w.string(r.objective.rawValue); w.raw(",")
        w.key("quantity"); w.number(rounded(r.quantity)); w.raw(",")
        w.key("predicted_sales"); w.number(rounded(r.sales))
        if let profit = r.profit { w.raw(","); w.key("predicted_profit"); w.number(rounded(profit)) }
        w.raw(",")
        w.bytes += decisionFields(curve)
        w.raw("},")
        w.key("curve"); w.bytes += array(curve)
        w.raw("}")
        return w.bytes
    }

    /// One row as a line of NDJSON (with its newline). `decision` is ``decisionFields(_:)`` of the
    /// curve, when the caller renders many rows.
    public static func line(_ point: PricePoint, curve: PriceCurve, decision: [UInt8]? = nil) -> [UInt8] {
        var w = JSONWriter(capacity: 1024)
        object(point, curve: curve, decision: decision ?? decisionFields(curve), into: &w)
        w.raw("\n")
        return w.bytes
    }

    /// The product-level fields every row repeats, without braces: rendered once per curve.
    public static func decisionFields(_ curve: PriceCurve) -> [UInt8] {
        let r = curve.recommendation
        var w = JSONWriter(capacity: 768)
        w.key("current_price"); w.number(r.currentPrice); w.raw(",")
        w.key("recommended_price"); w.number(r.price); w.raw(",")
        w.key("best_price"); w.number(r.bestPrice); w.raw(",")
        w.key("decision"); w.string(r.decision.rawValue); w.raw(",")
        w.key("decision_reason"); w.string(r.reason.rawValue); w.raw(",")
        w.key("expected_gain"); w.number(rounded(r.expectedGain)); w.raw(",")
        w.key("expected_gain_pct"); w.number(r.expectedGainFraction); w.raw(",")
        w.key("gain_p10"); w.number(rounded(r.gainP10)); w.raw(",")
        w.key("gain_p90"); w.number(rounded(r.gainP90)); w.raw(",")
        w.key("probability_of_gain"); w.number(r.probabilityOfGain); w.raw(",")
        w.key("best_price_p10"); w.number(r.bestPriceP10); w.raw(",")
        w.key("best_price_p90"); w.number(r.bestPriceP90); w.raw(",")
        w.key("elasticity"); w.number(r.elasticity); w.raw(",")
        w.key("elasticity_p10"); w.number(r.elasticityP10); w.raw(",")
        w.key("elasticity_p90"); w.number(r.elasticityP90); w.raw(",")
        w.key("search_min"); w.number(r.searchMin); w.raw(",")
        w.key("search_max"); w.number(r.searchMax); w.raw(",")
        w.key("at_search_edge")
        if let edge = r.atRangeEdge { w.string(edge.rawValue) } else { w.raw("null") }
        w.raw(",")
        w.key("outside_support"); w.bool(r.outsideSupport); w.raw(",")
        w.key("demand_unit"); w.raw("\"units_per_week\"")
        return w.bytes
    }

    static func object(_ p: PricePoint, curve: PriceCurve, decision: [UInt8], into w: inout JSONWriter) {
        let r = curve.recommendation
        w.raw("{")
        w.key("stockcode"); w.string(curve.stockcode); w.raw(",")
        w.key("unit_price"); w.number(p.unitPrice); w.raw(",")
        w.key("quantity"); w.number(rounded(p.quantity)); w.raw(",")
        w.key("quantity_min"); w.number(rounded(p.quantityMin)); w.raw(",")
        w.key("quantity_max"); w.number(rounded(p.quantityMax)); w.raw(",")
        w.key("quantity_p10"); w.number(rounded(p.quantityP10)); w.raw(",")
        w.key("quantity_p90"); w.number(rounded(p.quantityP90)); w.raw(",")
        w.key("predicted_sales"); w.number(rounded(p.sales)); w.raw(",")
        w.key("sales_p10"); w.number(rounded(p.salesP10)); w.raw(",")
        w.key("sales_p90"); w.number(rounded(p.salesP90))
        if let profit = p.profit { w.raw(","); w.key("predicted_profit"); w.number(rounded(profit)) }
        w.raw(",")
        w.key("optimal_unit_price"); w.number(r.price); w.raw(",")
        w.key("max_predicted_sales"); w.number(rounded(r.sales)); w.raw(",")
        w.bytes += decision
        w.raw("}")
    }

    /// Six decimals: more than a price chart needs, and half the bytes of full precision.
    static func rounded(_ v: Double) -> Double { (v * 1e6).rounded() / 1e6 }
}
