/// Which rows of a run a reader wants, in which order, and which page of them: the filters, sort and
/// paging of `/v1/recommendations`.
public struct RunSelection: Sendable, Equatable {
    public enum Sort: String, Sendable {
        /// Largest expected gain first (the default).
        case expectedGain = "expected_gain"
        /// Largest move first.
        case change
        case stockcode
    }

    /// Upper-case text to find in the stockcode or the description.
    public var search: String?
    public var changedOnly = false
    public var minGain: Double?
    public var sort = Sort.expectedGain
    public var offset = 0
    public var limit: Int

    public init(limit: Int) {
        self.limit = limit
    }

    /// Whether `row` passes the filters.
    public func matches(_ row: PriceRecommendation) -> Bool {
        if changedOnly && row.decision != .change { return false }
        if let minGain, !(row.expectedGain >= minGain) { return false }
        if let search, !row.stockcode.uppercased().contains(search) && !row.description.uppercased().contains(search) { return false }
        return true
    }

    /// Whether row `a` comes before row `b` in the requested order (ties by stockcode).
    public func precedes(_ a: PriceRecommendation, _ b: PriceRecommendation) -> Bool {
        switch sort {
        case .expectedGain: if a.expectedGain != b.expectedGain { return a.expectedGain > b.expectedGain }
        case .change:
            let x = abs(a.changeFraction), y = abs(b.changeFraction)
            if x != y { return x > y }
        case .stockcode: break
        }
        return a.stockcode < b.stockcode
    }
}
