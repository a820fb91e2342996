/// What a whole run (or a filtered part of it) is expected to bring per week: the sum of the rows'
/// expected gains with its 10–90% interval, and revenue at the current and the recommended prices.
///
/// The interval sums the gains draw by draw: draw `s` of every product taken together is one sample of
/// the catalogue's gain. Training pairs each product's strata at random (Latin hypercube), so the draws
/// of different products are independent and this is the interval of the sum under the posterior,
/// not the (much wider) sum of the rows' intervals.
public struct RepricingTotals: Sendable, Equatable {
    public var products = 0
    public var changed = 0
    public var expectedGain = 0.0
    public var gainP10 = 0.0
    public var gainP90 = 0.0
    public var revenueCurrent = 0.0
    public var revenueRecommended = 0.0

    public init() {}

    /// Totals of the rows `indices` of `rows`; `gains` holds `draws` values per row, row-major.
    public init(rows: [PriceRecommendation], gains: [Double], draws: Int, indices: some Sequence<Int>) {
        var sums = [Double](repeating: 0, count: draws)
        for i in indices {
            let row = rows[i]
            products += 1
            if row.decision == .change { changed += 1 }
            expectedGain += row.expectedGain
            revenueCurrent += row.revenueCurrent
            revenueRecommended += row.revenueRecommended
            for k in 0..<draws { sums[k] += gains[i * draws + k] }
        }
        guard draws > 0 else { return }
        sums.withUnsafeMutableBufferPointer { buffer in
            let band = percentiles10And90(sorting: buffer)
            gainP10 = band.p10
            gainP90 = band.p90
        }
    }
}
