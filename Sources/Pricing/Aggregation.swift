import Storage

/// Per candidate price: quantity = max(expm1(prediction), 0) over the context rows, summarized as
/// the median (NumPy's: mean of the two middle values for an even count), min, max, p10 and p90
/// (NumPy's default linear interpolation); sales = price × median quantity.
package func aggregate(_ logQuantities: [Double], prices: [Double], contextCount: Int, unitCost: Double?) -> [PricePoint] {
    var points: [PricePoint] = []
    points.reserveCapacity(prices.count)
    var q = [Double](repeating: 0, count: contextCount)
    for (k, price) in prices.enumerated() {
        for r in 0..<contextCount { q[r] = max(expm1(logQuantities[k * contextCount + r]), 0) }
        q.sort()
        let median = contextCount % 2 == 1 ? q[contextCount / 2] : (q[contextCount / 2 - 1] + q[contextCount / 2]) / 2
        points.append(PricePoint(
            unitPrice: price, quantity: median, quantityMin: q[0], quantityMax: q[contextCount - 1],
            quantityP10: quantile(q, 0.1), quantityP90: quantile(q, 0.9), sales: price * median,
            profit: unitCost.map { (price - $0) * median }))
    }
    return points
}

/// NumPy's `quantile(sorted, p)` with the default linear method.
func quantile(_ sorted: [Double], _ p: Double) -> Double {
    let position = p * Double(sorted.count - 1)
    let lower = Int(position.rounded(.down))
    let upper = min(lower + 1, sorted.count - 1)
    let t = position - Double(lower)
    let a = sorted[lower], b = sorted[upper]
    let diff = b - a
    return t >= 0.5 ? b - diff * (1 - t) : a + diff * t
}

/// The best candidate (the first, on ties) by profit when a unit cost is given, else by sales.
func recommend(_ points: [PricePoint], unitCost: Double?, history: PriceStats) -> Recommendation {
    let objective: Recommendation.Objective = unitCost == nil ? .sales : .profit
    var best = 0
    for i in points.indices {
        let value = objective == .sales ? points[i].sales : points[i].profit!
        let current = objective == .sales ? points[best].sales : points[best].profit!
        if value > current { best = i }
    }
    let edge: Recommendation.Edge? = points.count < 2 ? nil : best == 0 ? .lower : best == points.count - 1 ? .upper : nil
    let price = points[best].unitPrice
    return Recommendation(point: points[best], index: best, objective: objective, atRangeEdge: edge,
                          outsideHistoricalPrices: price < history.min || price > history.max)
}

#if canImport(Glibc)
import Glibc
#endif
