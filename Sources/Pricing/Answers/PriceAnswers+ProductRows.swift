import ArtifactFormats
import Cache

/// Per-product data in the shared cache: a product's context rows, so a replica whose feature shard
/// for it is still compressed (fresh, or just swapped to a new version) can sweep without inflating
/// the shard, and a replica that did inflate it shares the rows with the others.
extension PriceAnswers {
    /// The cache key of a product's context rows in `version` (same hash tag as its curves).
    public static func productKey(_ stockcode: String, version: String) -> String { "pd1|{\(version)|\(stockcode)}" }

    /// The rows to sweep with (nil: the engine reads its own store) and whether to share the
    /// store's rows after the sweep.
    func cachedProductRows(_ stockcode: String, _ engine: PricingEngine) async -> (rows: ContextMatrix?, share: Bool) {
        // An in-process cache would only duplicate the shard this process already inflated.
        guard let cache, cache.sharedAcrossReplicas, engine.store.product(stockcode) != nil else { return (nil, false) }
        if engine.store.hasRowsInMemory(stockcode) {
            events.productRows("memory")
            return (nil, false)
        }
        let key = Self.productKey(stockcode, version: engine.version)
        if let bytes = await cache.get(key),
           let cached = CachedProductRows(decoding: bytes, modelVersion: engine.version, stockcode: stockcode, columns: engine.store.columns) {
            events.productRows("cache")
            return (cached.matrix, false)
        }
        events.productRows("artifact")
        return (nil, true)
    }

    /// Stores the product's rows (now in memory: the sweep just read them) in the shared cache.
    func shareProductRows(_ stockcode: String, _ engine: PricingEngine) async {
        guard let cache, let matrix = try? engine.store.contextRows(for: stockcode) else { return }
        let value = CachedProductRows(modelVersion: engine.version, stockcode: stockcode, matrix: matrix).encoded()
        await cache.set(Self.productKey(stockcode, version: engine.version), value, ttl: cacheTTL)
    }
}
