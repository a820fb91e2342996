// Pricing module: the price sweep for one product and the recommendation, on a loaded version.

public import Inference
public import Storage

/// One loaded model version: everything a price sweep needs, immutable and shared by all requests.
public final class PricingEngine: Sendable {
    public let version: String
    public let manifest: Manifest
    public let preprocessor: Preprocessor
    public let priceFunction: PriceFeatureFunction
    public let chain: ModelChain
    public let store: FeatureStore
    public let layout: ContextLayout

    /// Loads and verifies the version at `path` (a version folder, or a models root with LATEST).
    /// Fails when the version cannot be used at all; a single model that cannot be built is only
    /// skipped (see `chain`).
    public convenience init(path: String) throws(ArtifactError) {
        try self.init(folder: ArtifactFolder.load(path: path))
    }

    public init(folder: ArtifactFolder) throws(ArtifactError) {
        let manifest = folder.manifest
        let preprocessor = try Preprocessor(manifest.preprocessor)
        let priceFunction = try PriceFeatureFunction(specs: manifest.features.priceFeatures)
        let store = try FeatureStore(folder: folder)
        self.layout = try ContextLayout(columns: store.columns, preprocessor: preprocessor, priceFunction: priceFunction)
        self.chain = ModelChain.load(folder: folder, preprocessor: preprocessor)
        guard !chain.models.isEmpty else {
            throw ArtifactError(file: "manifest.json", .malformed("no model could be loaded: " + chain.failureReasons.joined(separator: "; ")))
        }
        self.version = manifest.modelVersion
        self.manifest = manifest
        self.preprocessor = preprocessor
        self.priceFunction = priceFunction
        self.store = store
    }

    /// The product's context rows, or nil for an unknown stockcode.
    public func contextRows(for stockcode: String) throws(SweepError) -> ContextRows? {
        do {
            guard let matrix = try store.contextRows(for: stockcode) else { return nil }
            return layout.rows(from: matrix)
        } catch {
            throw .artifact(error.description)
        }
    }

    /// Sweeps the request's price range for its product and recommends a price. With `model`, only
    /// that model answers (no fallback), for comparing models. `context` supplies the product's rows
    /// when the caller already has them (from a shared cache); they must be this version's columns.
    public func sweep(_ request: SweepRequest, model: String? = nil, context: ContextMatrix? = nil) throws(SweepError) -> PriceCurve {
        try request.validate()
        guard let product = store.product(request.stockcode) else { throw .unknownProduct(request.stockcode) }
        let given = context.flatMap { $0.columns == store.columns ? layout.rows(from: $0) : nil }
        let stored = given == nil ? try contextRows(for: request.stockcode) : nil
        guard let rows = given ?? stored else { throw .unknownProduct(request.stockcode) }
        guard rows.count > 0 else { throw .artifact("product \(request.stockcode) has no context rows") }
        let lo = request.minPrice ?? product.price.min
        let hi = request.maxPrice ?? product.price.max
        guard lo <= hi else { throw .emptyRange(min: lo, max: hi) }
        let prices = linspace(lo, hi, request.bins)
        let answer: ModelChain.Answer
        do {
            let chain = model.map { name in ModelChain(entries: self.chain.entries.filter { $0.name == name }) } ?? self.chain
            answer = try chain.answer { model in
                // A log-quantity past ~700 overflows expm1: count it as the model failing, like NaN.
                PriceSweep(engine: self, rows: rows, prices: prices).logQuantities(model).map { $0 < 700 ? $0 : .nan }
            }
        } catch {
            throw .noModelAnswered(error.reasons)
        }
        let points = aggregate(answer.values, prices: prices, contextCount: rows.count, unitCost: request.unitCost)
        let recommendation = recommend(points, unitCost: request.unitCost, history: product.price)
        return PriceCurve(stockcode: product.stockcode, description: product.description, points: points,
                          recommendation: recommendation, model: answer.model, skippedModels: answer.skipped,
                          modelVersion: version, contextRows: rows.count)
    }
}

extension ModelChain {
    /// "name: reason" of every model that failed to load, in chain order.
    public var failureReasons: [String] {
        entries.compactMap { if case .failed(let name, let reason) = $0 { "\(name): \(reason)" } else { nil } }
    }
}

/// NumPy's `linspace(lo, hi, n)`: `i * step + lo`, with the last value exactly `hi`.
public func linspace(_ lo: Double, _ hi: Double, _ n: Int) -> [Double] {
    guard n > 1 else { return [lo] }
    let step = (hi - lo) / Double(n - 1)
    var out = (0..<n).map { Double($0) * step + lo }
    out[n - 1] = hi
    return out
}
