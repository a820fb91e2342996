public import Pricing

/// The predict-price body the article's React client reads: one object per candidate price with
/// `stockcode`, `unit_price`, `quantity`, `quantity_min`, `quantity_max`, `predicted_sales`
/// (`predicted_profit` with a unit cost), and on each row `optimal_unit_price` and
/// `max_predicted_sales`. Extra fields (`quantity_p10`, `quantity_p90`) are additions old clients ignore.
public enum CurveJSON {
    /// The whole curve as one JSON array.
    public static func array(_ curve: PriceCurve) -> [UInt8] {
        var w = JSONWriter(capacity: 256 * curve.points.count)
        w.raw("[")
        for (i, point) in curve.points.enumerated() {
            if i > 0 { w.raw(",") }
            object(point, curve: curve, into: &w)
        }
        w.raw("]")
        return w.bytes
    }

    /// The command line's document: the answering model, the recommendation and the curve's rows.
    public static func document(_ curve: PriceCurve) -> [UInt8] {
        let r = curve.recommendation
        var w = JSONWriter(capacity: 256 * curve.points.count + 256)
        w.raw("{"); w.key("model"); w.string(curve.model); w.raw(",")
        w.key("model_version"); w.string(curve.modelVersion); w.raw(",")
        w.key("recommendation"); w.raw("{")
        w.key("unit_price"); w.number(r.point.unitPrice); w.raw(",")
        w.key("objective"); w.string(r.objective.rawValue); w.raw(",")
        w.key("at_range_edge")
        if let edge = r.atRangeEdge { w.string(edge.rawValue) } else { w.raw("null") }
        w.raw(","); w.key("outside_historical_prices"); w.bool(r.outsideHistoricalPrices); w.raw("},")
        w.key("curve"); w.bytes += array(curve)
        w.raw("}")
        return w.bytes
    }

    /// One row as a line of NDJSON (with its newline).
    public static func line(_ point: PricePoint, curve: PriceCurve) -> [UInt8] {
        var w = JSONWriter()
        object(point, curve: curve, into: &w)
        w.raw("\n")
        return w.bytes
    }

    static func object(_ p: PricePoint, curve: PriceCurve, into w: inout JSONWriter) {
        let best = curve.recommendation.point
        w.raw("{")
        w.key("stockcode"); w.string(curve.stockcode); w.raw(",")
        w.key("unit_price"); w.number(p.unitPrice); w.raw(",")
        w.key("quantity"); w.number(rounded(p.quantity)); w.raw(",")
        w.key("quantity_min"); w.number(rounded(p.quantityMin)); w.raw(",")
        w.key("quantity_max"); w.number(rounded(p.quantityMax)); w.raw(",")
        w.key("quantity_p10"); w.number(rounded(p.quantityP10)); w.raw(",")
        w.key("quantity_p90"); w.number(rounded(p.quantityP90)); w.raw(",")
        w.key("predicted_sales"); w.number(rounded(p.sales))
        if let profit = p.profit { w.raw(","); w.key("predicted_profit"); w.number(rounded(profit)) }
        w.raw(",")
        w.key("optimal_unit_price"); w.number(best.unitPrice); w.raw(",")
        w.key("max_predicted_sales"); w.number(rounded(best.sales))
        w.raw("}")
    }

    /// Six decimals: more than a price chart needs, and half the bytes of full precision.
    static func rounded(_ v: Double) -> Double { (v * 1e6).rounded() / 1e6 }
}
