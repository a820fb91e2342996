public import ArtifactFormats
import Dispatch
import Inference
import Storage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Rows of a run as they are ready, in the input's order. `gains` holds each row's `S` per-draw gains
/// (row-major), so totals over any subset keep their posterior interval.
public struct RepricingChunk: Sendable {
    public var rows: [PriceRecommendation]
    public var gains: [Double]
    public var skipped: [SkippedProduct]

    public init(rows: [PriceRecommendation] = [], gains: [Double] = [], skipped: [SkippedProduct] = []) {
        self.rows = rows
        self.gains = gains
        self.skipped = skipped
    }
}

extension PricingEngine {
    /// Products per chunk of a run: one forward pass over their context rows, then their decisions on
    /// every core. Small enough that the first rows arrive within milliseconds.
    public static let repricingChunk = 128

    /// Reprices `items` (nil: every product of the version, in stockcode order) under `rules`: the batch
    /// path (one forward pass per chunk of products, decisions spread over the cores), handing each
    /// chunk to `deliver` as soon as it is done. Products that cannot be priced (unknown stockcode,
    /// conflicting rules, no model answered) come back in the chunk's `skipped`. `isCancelled` is asked
    /// before each chunk; once it says yes the run stops there (a chunk is a few milliseconds of work).
    /// Under a harm budget the catalogue is decided as a whole (``repriceUnderHarmBudget(_:rules:isCancelled:deliver:)``):
    /// the first chunk comes once every product's candidates are known.
    public func reprice(_ items: [RepricingItem]?, rules: PricingRules, isCancelled: () -> Bool = { false },
                        deliver: (RepricingChunk) -> Void) throws(RuleError) {
        try reprice(items, rules: rules, isCancelled: isCancelled, harmBudgetSolved: { _ in }, deliver: deliver)
    }

    /// As ``reprice(_:rules:isCancelled:deliver:)``; under a harm budget, `harmBudgetSolved` gets the run's
    /// multiplier λ as soon as it is solved, before the first chunk (not called when the run stops first).
    func reprice(_ items: [RepricingItem]?, rules: PricingRules, isCancelled: () -> Bool,
                 harmBudgetSolved: (Double) -> Void, deliver: (RepricingChunk) -> Void) throws(RuleError) {
        try rules.validate()
        let all = items ?? wholeCatalogue
        if rules.harmBudget != nil {
            repriceUnderHarmBudget(all, rules: rules, isCancelled: isCancelled, solved: harmBudgetSolved, deliver: deliver)
            return
        }
        var start = 0
        while start < all.count, !isCancelled() {
            let end = min(all.count, start + Self.repricingChunk)
            deliver(repriceChunk(all[start..<end], rules: rules))
            start = end
        }
    }

    /// The whole run at once (the CLI's `--out` file, tests).
    public func reprice(_ items: [RepricingItem]?, rules: PricingRules) throws(RuleError) -> RepricingChunk {
        var out = RepricingChunk(rows: [], gains: [], skipped: [])
        try reprice(items, rules: rules) { chunk in
            out.rows += chunk.rows
            out.gains += chunk.gains
            out.skipped += chunk.skipped
        }
        return out
    }

    func repriceChunk(_ items: ArraySlice<RepricingItem>, rules: PricingRules) -> RepricingChunk {
        let (products, skipped) = baselines(for: items)
        var chunk = decide(products[...], rules: rules)
        chunk.skipped = skipped + chunk.skipped
        return chunk
    }

    /// A product of a run with its baseline volume: what its decision needs besides the rules.
    struct BaselinedProduct: Sendable {
        var item: RepricingItem
        /// Row in the feature store and the price-response table.
        var index: Int
        /// The model that answered, and `B`.
        var model: String
        var baseline: Double
    }

    /// The chunk's products with their baselines: one forward pass of the primary model over every
    /// context row, the fallback chain (spread over the cores) for a product the primary model fails.
    /// Products that cannot be resolved come back as skipped, in the items' order.
    func baselines(for items: ArraySlice<RepricingItem>) -> (products: [BaselinedProduct], skipped: [SkippedProduct]) {
        var skipped: [SkippedProduct] = []
        // Resolve the products and gather their context rows.
        var resolved: [(item: RepricingItem, index: Int, rows: ContextMatrix)] = []
        resolved.reserveCapacity(items.count)
        for item in items {
            guard let index = store.index(of: item.stockcode) else {
                skipped.append(SkippedProduct(stockcode: item.stockcode, line: item.line, column: item.line == nil ? nil : "stockcode",
                                              message: "unknown stockcode \(item.stockcode)"))
                continue
            }
            do {
                guard let rows = try store.contextRows(for: item.stockcode), rows.count > 0 else {
                    skipped.append(SkippedProduct(stockcode: item.stockcode, line: item.line, column: nil,
                                                  message: "product \(item.stockcode) has no context rows"))
                    continue
                }
                resolved.append((item, index, rows))
            } catch {
                skipped.append(SkippedProduct(stockcode: item.stockcode, line: item.line, column: nil, message: "artifact problem: \(error)"))
            }
        }
        let found = resolved
        // One forward pass of the primary model over every context row of the chunk.
        let primary = chain.models[0]
        let width = primary.inputWidth
        let totalRows = found.reduce(0) { $0 + $1.rows.count }
        var inputs = [Float](repeating: 0, count: totalRows * width)
        var offsets = [Int](repeating: 0, count: found.count + 1)
        inputs.withUnsafeMutableBufferPointer { buffer in
            var row = 0
            for (i, product) in found.enumerated() {
                offsets[i] = row
                layout.write(product.rows, preprocessor: preprocessor, layout: primary.layout, into: buffer.baseAddress! + row * width)
                row += product.rows.count
            }
            offsets[found.count] = row
        }
        var volumes = [Double](repeating: .nan, count: totalRows)
        if totalRows > 0 {
            inputs.withUnsafeBufferPointer { x in
                volumes.withUnsafeMutableBufferPointer { primary.predict(inputs: x.baseAddress!, count: totalRows, stride: width, into: $0.baseAddress!) }
            }
        }
        var answers = (0..<found.count).map { i -> (model: String, baseline: Double)? in
            (primary.name, Self.meanVolume(volumes, from: offsets[i], to: offsets[i + 1]))
        }
        // The primary model failed these products: the fallback chain, as a single request has it, on every core
        // (each worker writes only the slot it claimed).
        let failed = answers.indices.filter { !(answers[$0]!.baseline.isFinite) }
        if !failed.isEmpty {
            answers.withUnsafeMutableBufferPointer { slots in
                let slots = SharedSlots(base: slots.baseAddress!)
                forEachChunk(count: failed.count, chunk: 1) { range, _ in
                    let i = failed[range.lowerBound]
                    let answer = try? self.chain.answer({ self.baseline(found[i].rows, model: $0).map { $0 < 700 ? $0 : .nan } })
                    slots.base[i] = answer.map { ($0.model, Self.meanVolume($0.values, from: 0, to: $0.values.count)) }
                }
            }
        }
        var products: [BaselinedProduct] = []
        products.reserveCapacity(found.count)
        for (i, product) in found.enumerated() {
            guard let answer = answers[i] else {
                skipped.append(SkippedProduct(stockcode: product.item.stockcode, line: product.item.line, column: nil,
                                              message: "no model could answer for \(product.item.stockcode)"))
                continue
            }
            products.append(BaselinedProduct(item: product.item, index: product.index, model: answer.model, baseline: answer.baseline))
        }
        return (products, skipped)
    }

    /// The decisions of `products` under `rules`, spread over the cores (each worker claims the next
    /// product). `harmBudget`, under a harm budget, holds each product's catalogue choice (by position in
    /// `products`; nil: the per-product rule decides it).
    func decide(_ products: ArraySlice<BaselinedProduct>, rules: PricingRules,
                harmBudget: [HarmBudget.Choice?]? = nil) -> RepricingChunk {
        let found = Array(products)
        let s = priceResponse.draws
        let slots = UnsafeMutableBufferPointer<Result<PriceRecommendation, SkippedProduct>?>.allocate(capacity: found.count)
        slots.initialize(repeating: nil)
        defer { slots.deallocate() }
        var gains = [Double](repeating: 0, count: found.count * s)
        let settings = manifest.priceResponse.decision
        gains.withUnsafeMutableBufferPointer { gainBuffer in
            let gainRows = gainBuffer.baseAddress!
            // Each product's slot and gain row is written only by the worker that claimed it.
            forEachChunk(count: found.count, chunk: 1) { range, _ in
                let i = range.lowerBound
                let product = found[i]
                let record = self.store.products[product.index]
                guard let response = self.priceResponse.product(product.index) else { return }
                do throws(RuleError) {
                    var inputs = try DecisionInputs.repricing(response, stockcode: record.stockcode, terms: product.item.terms, rules: rules)
                    inputs.testPrice = self.experiments?.plannedPrice(for: record.stockcode)
                    inputs.harmBudgetChoice = harmBudget?[i]
                    let outcome = PriceDecision.decide(response, baseline: product.baseline, inputs, settings: settings, drawGains: gainRows + i * s)
                    slots[i] = .success(PriceRecommendation(product: record, terms: product.item.terms, outcome: outcome,
                                                            model: product.model, modelVersion: self.version))
                } catch {
                    slots[i] = .failure(SkippedProduct(stockcode: record.stockcode, line: product.item.line, column: nil,
                                                       message: error.description))
                }
            }
        }
        var rows: [PriceRecommendation] = []
        rows.reserveCapacity(found.count)
        var keptGains: [Double] = []
        keptGains.reserveCapacity(found.count * s)
        var skipped: [SkippedProduct] = []
        for i in 0..<found.count {
            switch slots[i] {
            case .success(let row)?:
                rows.append(row)
                keptGains += gains[(i * s)..<((i + 1) * s)]
            case .failure(let skip)?: skipped.append(skip)
            case nil: skipped.append(SkippedProduct(stockcode: found[i].item.stockcode, line: found[i].item.line, column: nil,
                                                    message: "no price response for \(found[i].item.stockcode)"))
            }
        }
        return RepricingChunk(rows: rows, gains: keptGains, skipped: skipped)
    }

    /// `B = mean_r exp(f_r)` over `values[from..<to]`, as ResponseCurve computes it; NaN when a row's
    /// baseline is not finite or would overflow (the model failed that product).
    static func meanVolume(_ values: [Double], from: Int, to: Int) -> Double {
        let n = to - from
        guard n > 0, n <= 4096 else { return .nan }
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: n) { volume in
            for r in 0..<n {
                let f = values[from + r]
                guard f.isFinite, f < 700 else { return .nan }
                volume[r] = exp(f)
            }
            return mean(volume.baseAddress!, n)
        }
    }

}

extension SkippedProduct: Error {}

/// Slots that parallel workers fill, each worker only the slots it claimed (``forEachChunk``'s contract);
/// read after the parallel call returns.
struct SharedSlots<Element>: @unchecked Sendable {
    let base: UnsafeMutablePointer<Element>
}
