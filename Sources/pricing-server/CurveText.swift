import ArtifactFormats
import Pricing
import PricingAPI

/// Text renderings of a price curve and its decision for the command line.
enum CurveText {
    static func table(_ curve: PriceCurve, history: PriceStats?) -> String {
        let r = curve.recommendation
        let profit = r.objective == .profit
        var lines = ["\(curve.stockcode)  \(curve.description)",
                     "model \(curve.model), version \(curve.modelVersion), \(curve.contextRows) context rows (recent weeks); "
                     + "baseline \(fixed(curve.baseline, 3)) units/week at the reference price"]
        for reason in curve.skippedModels { lines.append("  skipped \(reason)") }
        lines.append("")
        lines.append("Demand in units per week, money in £ per week; q_p10/q_p90 over the recent weeks, sales_p10/sales_p90 over the price-response draws.")
        var header = pad("unit_price", 11) + pad("units/wk", 10) + pad("q_min", 9) + pad("q_max", 9) + pad("q_p10", 9) + pad("q_p90", 9)
            + pad("sales/wk", 11) + pad("sales_p10", 11) + pad("sales_p90", 11)
        if profit { header += pad("profit/wk", 11) }
        lines.append(header)
        // The row nearest the decided price is marked, when the decided price is inside the curve's range.
        let inside = (curve.points.first?.unitPrice ?? .infinity) <= r.price && r.price <= (curve.points.last?.unitPrice ?? -.infinity)
        let marked = inside ? curve.points.indices.min { abs(curve.points[$0].unitPrice - r.price) < abs(curve.points[$1].unitPrice - r.price) } : nil
        for (i, p) in curve.points.enumerated() {
            var line = pad(fixed(p.unitPrice, 4), 11) + pad(fixed(p.quantity, 3), 10) + pad(fixed(p.quantityMin, 2), 9)
                + pad(fixed(p.quantityMax, 2), 9) + pad(fixed(p.quantityP10, 2), 9) + pad(fixed(p.quantityP90, 2), 9)
                + pad(fixed(p.sales, 3), 11) + pad(fixed(p.salesP10, 3), 11) + pad(fixed(p.salesP90, 3), 11)
            if let value = p.profit { line += pad(fixed(value, 3), 11) }
            if i == marked { line += "  <- nearest the recommended price" }
            lines.append(line)
        }
        lines.append("")
        lines += decision(r)
        if let history, r.price < history.min || r.price > history.max {
            lines.append("Note: the recommended price is outside the product's historical prices \(fixed(history.min, 2))–\(fixed(history.max, 2)).")
        }
        return lines.joined(separator: "\n")
    }

    /// The decision block: what to do, why, what it gains and how sure that is.
    static func decision(_ r: Recommendation) -> [String] {
        let objective = r.objective == .profit ? "profit" : "revenue"
        let why = switch r.reason {
        case .model: "the draws agree the gain is likely and large enough"
        case .evidenceLimited: "the evidence supports only part of the way to the best price"
        case .atCurrentPrice: "the best price is within 0.5% of the current price"
        case .insufficientEvidence: "the gain is too uncertain or too small to act on"
        }
        var lines = ["Decision (maximizing \(objective) per week)"]
        lines.append("  Current price:       \(money(r.currentPrice, 4))")
        lines.append("  Recommended price:   \(money(r.price, 4))  \(r.decision.rawValue) (\(r.reason.rawValue): \(why))")
        lines.append("  Best price p*:       \(money(r.bestPrice, 4))  (10–90%: \(money(r.bestPriceP10, 4)) – \(money(r.bestPriceP90, 4)))")
        lines.append("  Expected gain \(r.decision == .change ? "(decided)" : "at p*  "): \(money(r.expectedGain, 3))/week (\(fixed(100 * r.expectedGainFraction, 2))%), "
                     + "10–90%: \(money(r.gainP10, 3)) – \(money(r.gainP90, 3))")
        lines.append("  P(gain > 0):         \(fixed(r.probabilityOfGain, 3))")
        lines.append("  Elasticity at p0:    \(fixed(r.elasticity, 3))  (10–90%: \(fixed(r.elasticityP10, 3)) – \(fixed(r.elasticityP90, 3)))")
        lines.append("  At the recommended price: \(fixed(r.quantity, 3)) units/week, revenue \(money(r.sales, 3))/week"
                     + (r.profit.map { ", profit \(money($0, 3))/week" } ?? ""))
        lines.append("  Search range:        \(money(r.searchMin, 4)) – \(money(r.searchMax, 4))")
        if r.outsideSupport {
            lines.append("Note: the requested range lies outside the prices the data supports; the price response is extrapolated there.")
        }
        if let edge = r.atRangeEdge {
            lines.append("Note: the best price is at the \(edge.rawValue) edge of the search range; the optimum may lie "
                         + (edge == .lower ? "below it." : "above it."))
        }
        return lines
    }

    /// An amount in pounds: "£1.250", "-£0.400".
    static func money(_ value: Double, _ digits: Int) -> String {
        value < 0 && fixed(value, digits).hasPrefix("-") ? "-£" + fixed(-value, digits) : "£" + fixed(value, digits)
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
