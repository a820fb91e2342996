/// price_response.safetensors: every product's price response (docs/price-response.md), row `i` for
/// product `i` of the feature store index (sorted by stockcode).
///
/// Loading checks each tensor's dtype and shape against the index's product count `P` and the
/// manifest's draw count `S`, and every value: finite coefficients and draws, positive prices and
/// price ratios, a support range `0 < lo ≤ hi`. Anything else is an ``ArtifactError`` naming the file
/// and the tensor, so a damaged table fails the version at load instead of a request later.
public struct PriceResponseTable: Sendable {
    /// The file the table was read from (relative to the version folder).
    public let file: String
    /// Products `P`.
    public let count: Int
    /// Posterior draws `S` per product.
    public let draws: Int
    /// `ln p_ref` per product.
    let referenceLogPrice: [Double]
    /// Posterior draws `(b, c)` per product, `[P, S, 2]`, widened from float32 once at load.
    let drawValues: [Double]
    /// `p0` per product.
    let currentPrice: [Double]
    /// `[lo, hi]` per product, `[P, 2]`.
    let support: [Double]
    /// `ρ` per product.
    let realizedPriceRatio: [Double]

    /// Parses and validates the file's bytes; `file` names it in errors.
    public init(bytes: [UInt8], file: String, products: Int, draws: Int) throws(ArtifactError) {
        let tensors = try SafeTensors(bytes: bytes, file: file)
        let p = products, s = draws
        func bad(_ tensor: String, _ why: String) -> ArtifactError {
            ArtifactError(file: file, .malformed("tensor \(tensor): \(why)"))
        }
        let reference = try tensors.doubles("reference_log_price", shape: [p])
        let coefficients = try tensors.doubles("coefficients", shape: [p, 2])
        let draws32 = try tensors.floats("draws", shape: [p, s, 2])
        let current = try tensors.doubles("current_price", shape: [p])
        let support = try tensors.doubles("support", shape: [p, 2])
        let ratio = try tensors.doubles("realized_price_ratio", shape: [p])
        if let i = reference.firstIndex(where: { !$0.isFinite }) { throw bad("reference_log_price", "product \(i) is \(reference[i])") }
        if let i = coefficients.firstIndex(where: { !$0.isFinite }) {
            throw bad("coefficients", "product \(i / 2) has a non-finite coefficient (\(coefficients[i]))")
        }
        if let i = draws32.firstIndex(where: { !$0.isFinite }) {
            throw bad("draws", "product \(i / (2 * s)), draw \(i / 2 % s) is not finite (\(draws32[i]))")
        }
        if let i = current.firstIndex(where: { !($0.isFinite && $0 > 0) }) { throw bad("current_price", "product \(i) is \(current[i])") }
        if let i = ratio.firstIndex(where: { !($0.isFinite && $0 > 0) }) { throw bad("realized_price_ratio", "product \(i) is \(ratio[i])") }
        for i in 0..<p where !(support[2 * i].isFinite && support[2 * i + 1].isFinite && support[2 * i] > 0 && support[2 * i] <= support[2 * i + 1]) {
            throw bad("support", "product \(i) has [\(support[2 * i]), \(support[2 * i + 1])], expected 0 < lo <= hi")
        }
        self.file = file
        self.count = p
        self.draws = s
        self.referenceLogPrice = reference
        self.drawValues = draws32.map(Double.init)
        self.currentPrice = current
        self.support = support
        self.realizedPriceRatio = ratio
    }

    /// Product `index`'s response (index order of the feature store), or nil when out of range.
    public func product(_ index: Int) -> ProductPriceResponse? {
        guard index >= 0, index < count else { return nil }
        return ProductPriceResponse(
            referenceLogPrice: referenceLogPrice[index], currentPrice: currentPrice[index], supportLow: support[2 * index], supportHigh: support[2 * index + 1],
            realizedPriceRatio: realizedPriceRatio[index],
            draws: drawValues[(index * draws * 2)..<((index + 1) * draws * 2)])
    }
}

/// One product's price response: `E[units | x, p] = exp(f(x) + b·Δ + c·Δ²)`, `Δ = ln p − ln p_ref`,
/// carried by the posterior draws of `(b, c)` (the file's `coefficients`, their mean, is checked at load
/// but every number the service reports comes from the draws).
public struct ProductPriceResponse: Sendable, Equatable {
    /// `ln p_ref`: the price at which the models' baseline holds.
    public let referenceLogPrice: Double
    /// `p0`: the product's recent list price.
    public let currentPrice: Double
    /// The list prices the data supports.
    public let supportLow: Double
    public let supportHigh: Double
    /// `ρ`: revenue per list price × unit (below 1 when trade customers get a discount).
    public let realizedPriceRatio: Double
    /// Posterior draws, `S` pairs `(b_s, c_s)` interleaved (a slice of the table: no copy).
    public let draws: ArraySlice<Double>

    public init(referenceLogPrice: Double, currentPrice: Double, supportLow: Double, supportHigh: Double,
                realizedPriceRatio: Double, draws: ArraySlice<Double>) {
        self.referenceLogPrice = referenceLogPrice
        self.currentPrice = currentPrice
        self.supportLow = supportLow
        self.supportHigh = supportHigh
        self.realizedPriceRatio = realizedPriceRatio
        self.draws = draws
    }

    /// `S`.
    public var drawCount: Int { draws.count / 2 }
}
