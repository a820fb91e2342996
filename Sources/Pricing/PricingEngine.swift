public import ArtifactFormats
public import Inference
public import Storage

/// One loaded model version: everything a request needs, immutable and shared by all requests.
public final class PricingEngine: Sendable {
    public let version: String
    public let manifest: Manifest
    public let preprocessor: Preprocessor
    public let chain: ModelChain
    public let store: FeatureStore
    public let layout: ContextLayout
    /// Every product's price response, in the store's product order.
    public let priceResponse: PriceResponseTable
    /// The week's price-test plan published with the version (docs/experiments.md); nil when it has none.
    public let experiments: ExperimentPlan?

    /// Loads and verifies the version at `path` (a version folder, or a models root with LATEST).
    /// Fails when the version cannot be used at all; a single model that cannot be built is only
    /// skipped (see `chain`).
    public convenience init(path: String) throws(ArtifactError) {
        try self.init(folder: ArtifactFolder.load(path: path))
    }

    /// Builds the version's engine from its verified files.
    ///
    /// `deferBackups` leaves the models after the first one that builds to be built later (see
    /// ``buildingDeferredModels()``): for the first load, where they would only delay the first answer.
    /// `parallel` reads the feature store index on one core while the price response and the models are
    /// read on another (Dispatch's pool: for a load nothing waits behind).
    public init(folder: ArtifactFolder, deferBackups: Bool = false, parallel: Bool = false) throws(ArtifactError) {
        let manifest = folder.manifest
        let preprocessor = try Preprocessor(manifest.preprocessor)
        // The price response is sized by the manifest's product count, checked against the index below.
        let (storeResult, rest) = bothInParallel(parallel: parallel, {
            Result { () throws(ArtifactError) in try FeatureStore(folder: folder) }
        }, {
            Result { () throws(ArtifactError) in
                (try PriceResponseTable(folder: folder, products: manifest.featureStore.products),
                 ModelChain.load(folder: folder, preprocessor: preprocessor, deferBackups: deferBackups))
            }
        })
        let store = try storeResult.get()
        let (priceResponse, chain) = try rest.get()
        guard store.products.count == manifest.featureStore.products else {
            throw ArtifactError(file: manifest.featureStore.index, .malformed(
                "lists \(store.products.count) products, the manifest says \(manifest.featureStore.products)"))
        }
        self.layout = try ContextLayout(columns: store.columns, preprocessor: preprocessor)
        self.experiments = try ExperimentPlan(folder: folder)
        self.priceResponse = priceResponse
        self.chain = chain
        guard !chain.models.isEmpty else {
            throw ArtifactError(file: "manifest.json", .malformed("no model could be loaded: " + chain.failureReasons.joined(separator: "; ")))
        }
        self.version = manifest.modelVersion
        self.manifest = manifest
        self.preprocessor = preprocessor
        self.store = store
    }

    private init(_ engine: PricingEngine, chain: ModelChain) {
        self.version = engine.version
        self.manifest = engine.manifest
        self.preprocessor = engine.preprocessor
        self.chain = chain
        self.store = engine.store
        self.layout = engine.layout
        self.priceResponse = engine.priceResponse
        self.experiments = engine.experiments
    }

    /// This engine with every deferred backup built (or marked failed, with the reason), sharing
    /// everything else; nil when nothing was deferred.
    public func buildingDeferredModels() -> PricingEngine? {
        chain.hasDeferredModels ? PricingEngine(self, chain: chain.buildingDeferredModels()) : nil
    }

    /// This engine with `name`'s entry replaced by a failure (a backup that failed its self-check).
    public func disabling(_ name: String, reason: String) -> PricingEngine {
        PricingEngine(self, chain: ModelChain(entries: chain.entries.map { $0.name == name ? .failed(name: name, reason: reason) : $0 }))
    }

    /// The product's context rows (its recent weeks, as the feature store holds them), or nil for an
    /// unknown stockcode.
    public func contextRows(for stockcode: String) throws(SweepError) -> ContextMatrix? {
        do {
            return try store.contextRows(for: stockcode)
        } catch {
            throw .artifact(error.description)
        }
    }

    /// The curve over the request's prices and the price decision for its product (see
    /// docs/price-response.md). The answering model predicts the baseline of the product's context
    /// rows, one forward pass; the rest is the product's price response. With `model`, only that
    /// model answers (no fallback), for comparing models. `context` supplies the product's rows when
    /// the caller already has them (from a shared cache); they must be this version's columns.
    public func sweep(_ request: SweepRequest, model: String? = nil, context: ContextMatrix? = nil) throws(SweepError) -> PriceCurve {
        try request.validate()
        guard let index = store.index(of: request.stockcode), let response = priceResponse.product(index) else {
            throw .unknownProduct(request.stockcode)
        }
        let product = store.products[index]
        let given = context.flatMap { $0.columns == store.columns ? $0 : nil }
        let stored = given == nil ? try contextRows(for: request.stockcode) : nil
        guard let rows = given ?? stored else { throw .unknownProduct(request.stockcode) }
        guard rows.count > 0 else { throw .artifact("product \(request.stockcode) has no context rows") }
        let range = defaultPriceRange(product, response)
        let lo = request.minPrice ?? range.min
        let hi = request.maxPrice ?? range.max
        guard lo <= hi else { throw .emptyRange(min: lo, max: hi) }
        let answer: ModelChain.Answer
        do {
            let chain = model.map { name in ModelChain(entries: self.chain.entries.filter { $0.name == name }) } ?? self.chain
            // A log volume past ~700 overflows exp: count it as the model failing, like NaN.
            answer = try chain.answer { model in self.baseline(rows, model: model).map { $0 < 700 ? $0 : .nan } }
        } catch {
            throw .noModelAnswered(error.reasons)
        }
        let (points, baseline) = ResponseCurve.points(response, baselines: answer.values, prices: linspace(lo, hi, request.bins),
                                                      unitCost: request.unitCost)
        let decision = PriceDecision.decide(response, baseline: baseline,
                                            .oneProduct(response, requestMin: lo, requestMax: hi, unitCost: request.unitCost),
                                            settings: manifest.priceResponse.decision)
        return PriceCurve(stockcode: product.stockcode, description: product.description, points: points,
                          recommendation: Recommendation(decision), baseline: baseline, model: answer.model,
                          skippedModels: answer.skipped, modelVersion: version, contextRows: rows.count)
    }

    /// The version's products whose stockcode or description contains `search` (upper-case; nil or
    /// empty: every product), in the store's order.
    public func products(matching search: String?) -> [ProductRecord] {
        guard let search, !search.isEmpty else { return store.products }
        return store.products.filter { $0.stockcode.uppercased().contains(search) || $0.description.uppercased().contains(search) }
    }

    /// The request range when the caller gives none: the product's price history, widened to the
    /// supported range where that reaches further, so the default curve shows every price the decision
    /// may choose.
    public func defaultPriceRange(_ product: ProductRecord, _ response: ProductPriceResponse) -> (min: Double, max: Double) {
        (min(product.price.min, response.supportLow), max(product.price.max, response.supportHigh))
    }

    /// `model`'s baseline `f_r` (log weekly units at the reference price) for each context row: one
    /// forward pass over the rows in the model's input layout.
    package func baseline(_ rows: ContextMatrix, model: any DemandModel) -> [Double] {
        let inputs = modelInputs(rows, layout: model.layout)
        var out = [Double](repeating: .nan, count: rows.count)
        inputs.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { model.predict(inputs: x.baseAddress!, count: rows.count, stride: model.inputWidth, into: $0.baseAddress!) }
        }
        return out
    }

    /// Each context row preprocessed into `layout` (the dense or the tree input vector), row-major.
    package func modelInputs(_ rows: ContextMatrix, layout inputLayout: InputLayout) -> [Float] {
        let width = inputLayout == .dense ? preprocessor.denseWidth : preprocessor.treeWidth
        var out = [Float](repeating: 0, count: rows.count * width)
        out.withUnsafeMutableBufferPointer { layout.write(rows, preprocessor: preprocessor, layout: inputLayout, into: $0.baseAddress!) }
        return out
    }
}

extension ModelChain {
    /// "name: reason" of every model that failed to load, in chain order.
    public var failureReasons: [String] {
        entries.compactMap { if case .failed(let name, let reason) = $0 { "\(name): \(reason)" } else { nil } }
    }
}
