package import ArtifactFormats
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Step 1–2 of docs/price-response.md: the baseline volume `B` and the curve at the request's prices.
package enum ResponseCurve {
    /// `B = mean_r exp(f_r)` and one point per price. `baselines` are the answering model's `f_r`
    /// (log weekly units at the reference price) for the product's context rows.
    package static func points(_ response: ProductPriceResponse, baselines: [Double], prices: [Double],
                               unitCost: Double?) -> (points: [PricePoint], baseline: Double) {
        let rows = baselines.count
        let s = response.drawCount
        // exp(f_r) sorted: every row band is this times M(p) (> 0), which keeps the order.
        var volume = baselines.map { exp($0) }
        let baseline = volume.withUnsafeBufferPointer { mean($0.baseAddress!, rows) }
        volume.sort()
        let rho = response.realizedPriceRatio
        var points: [PricePoint] = []
        points.reserveCapacity(prices.count)
        volume.withUnsafeBufferPointer { volumeBuffer in
            response.draws.withUnsafeBufferPointer { drawBuffer in
                withUnsafeTemporaryAllocation(of: Double.self, capacity: s) { m in
                    withUnsafeTemporaryAllocation(of: Int.self, capacity: s) { orderBuffer in
                        let v = volumeBuffer.baseAddress!, d = drawBuffer.baseAddress!, mp = m.baseAddress!
                        // The draws in ascending order of m_s(p), carried from one price to the next.
                        let order = orderBuffer.baseAddress!
                        for k in 0..<s { order[k] = k }
                        for price in prices {
                            let delta = log(price) - response.referenceLogPrice
                            let delta2 = delta * delta
                            for k in 0..<s { mp[k] = exp(d[2 * k] * delta + d[2 * k + 1] * delta2) }
                            let multiplier = sequentialMean(mp, s)  // NumPy: m.mean(axis=0) of [S, prices]
                            sortOrder(order, s, by: mp)
                            let salesScale = rho * price * baseline
                            points.append(PricePoint(
                                unitPrice: price, quantity: baseline * multiplier,
                                quantityMin: v[0] * multiplier, quantityMax: v[rows - 1] * multiplier,
                                quantityP10: scaledQuantile(rows, 0.1, scale: multiplier) { v[$0] },
                                quantityP90: scaledQuantile(rows, 0.9, scale: multiplier) { v[$0] },
                                sales: salesScale * multiplier,
                                salesP10: scaledQuantile(s, 0.1, scale: salesScale) { mp[order[$0]] },
                                salesP90: scaledQuantile(s, 0.9, scale: salesScale) { mp[order[$0]] },
                                profit: unitCost.map { (rho * price - $0) * baseline * multiplier }))
                        }
                    }
                }
            }
        }
        return (points, baseline)
    }

    /// Insertion sort of the indices `order` by `values[index]`. Nearby prices rank the draws almost
    /// alike, so starting from the previous price's order this is close to one pass (a full sort of
    /// every price's draws cost more than their exponentials).
    @inline(__always)
    static func sortOrder(_ order: UnsafeMutablePointer<Int>, _ n: Int, by values: UnsafePointer<Double>) {
        guard n > 1 else { return }
        for i in 1..<n {
            let key = order[i]
            let value = values[key]
            var j = i - 1
            while j >= 0 && values[order[j]] > value {
                order[j + 1] = order[j]
                j -= 1
            }
            order[j + 1] = key
        }
    }
}
