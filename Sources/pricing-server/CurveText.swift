import Pricing
import PricingAPI
import Storage

/// Text renderings of a price curve for the command line.
enum CurveText {
    static func table(_ curve: PriceCurve, history: PriceStats?) -> String {
        let profit = curve.recommendation.objective == .profit
        var lines = ["\(curve.stockcode)  \(curve.description)",
                     "model \(curve.model), version \(curve.modelVersion), \(curve.contextRows) context rows"]
        for reason in curve.skippedModels { lines.append("  skipped \(reason)") }
        lines.append("")
        var header = pad("unit_price", 11) + pad("quantity", 10) + pad("q_min", 9) + pad("q_max", 9) + pad("q_p10", 9) + pad("q_p90", 9) + pad("sales", 11)
        if profit { header += pad("profit", 11) }
        lines.append(header)
        for (i, p) in curve.points.enumerated() {
            var line = pad(fixed(p.unitPrice, 4), 11) + pad(fixed(p.quantity, 3), 10) + pad(fixed(p.quantityMin, 2), 9)
                + pad(fixed(p.quantityMax, 2), 9) + pad(fixed(p.quantityP10, 2), 9) + pad(fixed(p.quantityP90, 2), 9)
                + pad(fixed(p.sales, 3), 11)
            if let value = p.profit { line += pad(fixed(value, 3), 11) }
            if i == curve.recommendation.index { line += "  <- recommended" }
            lines.append(line)
        }
        let r = curve.recommendation
        lines.append("")
        lines.append("Recommended unit price: \(fixed(r.point.unitPrice, 4)) (predicted quantity \(fixed(r.point.quantity, 3)), "
                     + (profit ? "profit \(fixed(r.point.profit ?? 0, 3)))" : "sales \(fixed(r.point.sales, 3)))"))
        if let edge = r.atRangeEdge {
            lines.append("Note: the best price is at the \(edge.rawValue) edge of the range; the optimum may lie "
                         + (edge == .lower ? "below it." : "above it."))
        }
        if r.outsideHistoricalPrices, let history {
            lines.append("Note: outside the product's historical prices \(fixed(history.min, 2))–\(fixed(history.max, 2)); the models extrapolate there.")
        }
        return lines.joined(separator: "\n")
    }

    static func json(_ curve: PriceCurve) -> String {
        String(decoding: CurveJSON.document(curve), as: UTF8.self)
    }

    static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite, abs(value) < 1e15 else { return String(value) }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (abs(value) * scale).rounded()
        let whole = Int(rounded / scale)
        let frac = Int(rounded.truncatingRemainder(dividingBy: scale))
        let fracText = String(frac)
        let sign = value < 0 && rounded != 0 ? "-" : ""
        return digits == 0 ? sign + String(whole) : sign + String(whole) + "." + String(repeating: "0", count: digits - fracText.count) + fracText
    }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : String(repeating: " ", count: width - s.count) + s
    }
}
