// Pricing module: the price curve and the price decision for one product, repricing runs, and the
// service's answers on the version in use (cache, shared product rows, runs).

public import ArtifactFormats
public import Cache
import Dispatch

/// The service's answers, one call per request: a product's price curve, a product's recommendation,
/// a repricing run. It owns the order of the cache reads and writes, the sharing of product rows
/// between replicas through a shared cache, the coalescing of identical concurrent requests, and the
/// repricing runs with their admission limits. The HTTP module routes, parses and renders around it.
///
/// The caller takes the engine once per request (``EngineSlot``) and passes it to every call, so a
/// model swap never mixes two versions within one answer.
public final class PriceAnswers: Sendable {
    /// Computed curves by (model version, stockcode, normalized query), and products' context rows for
    /// other replicas; nil disables caching.
    public let cache: (any ExpiringByteCache)?
    public let cacheTTL: Duration
    /// Repricing runs, computed once per model version, rules and catalogue, within the run limits.
    public let runs: RepricingRuns
    let events: AnswerEvents
    private let flight = SingleFlight<Result<PriceCurve, SweepError>>()
    /// The catalogue runs' harm-budget multipliers, for one product's answer under a budget (kept with the
    /// runs, which hand theirs over).
    var harmBudgetMultipliers: HarmBudgetMultipliers { runs.harmBudgetMultipliers }

    /// `harmBudgetRunWait`: how long a one-product request under a harm budget waits for the λ of a catalogue
    /// run in its pass 1 before solving it itself (``RepricingRuns/init(settings:pinnedRules:events:harmBudgetRunWait:)``).
    public init(cache: (any ExpiringByteCache)? = nil, cacheTTL: Duration = .seconds(3600), runLimits: RunLimits = RunLimits(),
                pinnedRules: PricingRules? = nil, events: AnswerEvents = AnswerEvents(), harmBudgetRunWait: Duration = .seconds(2)) {
        self.cache = cache
        self.cacheTTL = cacheTTL
        self.events = events
        runs = RepricingRuns(settings: runLimits, pinnedRules: pinnedRules, events: events, harmBudgetRunWait: harmBudgetRunWait)
    }

    // MARK: Price curves

    /// A curve answer: the cached entry (its body the JSON array the HTTP module rendered), or the
    /// curve computed now.
    public enum CurveAnswer: Sendable {
        case cached(CachedCurve)
        case computed(PriceCurve)
        case failed(SweepError)
        /// `admit` said no: the caller has its refusal.
        case notAdmitted
    }

    /// The curve for `request` on `engine`: from the cache when it holds this version's answer (and
    /// `readingCache`); otherwise, if `admit()` allows the work, computed once however many identical
    /// requests arrive together, off the calling thread, and stored (`json` renders the body kept).
    public func curve(_ request: SweepRequest, on engine: PricingEngine, renderedBy json: @escaping @Sendable (PriceCurve) -> [UInt8],
                      readingCache: Bool = true, admit: () -> Bool) async -> CurveAnswer {
        let key = Self.curveKey(request, version: engine.version)
        if readingCache, let cache, let bytes = await cache.get(key), let cached = CachedCurve(decoding: bytes),
           cached.modelVersion == engine.version, cached.stockcode == request.stockcode, cached.rows == request.bins {
            events.curveCache(true)
            return .cached(cached)
        }
        guard admit() else { return .notAdmitted }
        // The sweep runs on the global pool, not on the thread serving this connection's core, so cheap
        // requests elsewhere are not held behind it.
        let (result, _) = await flight.run(key) { [self] in
            let context = await cachedProductRows(request.stockcode, engine)
            let result: Result<PriceCurve, SweepError> = await withCheckedContinuation { continuation in
                DispatchQueue.global(qos: .userInitiated).async {
                    do throws(SweepError) {
                        continuation.resume(returning: .success(try engine.sweep(request, context: context.rows)))
                    } catch {
                        continuation.resume(returning: .failure(error))
                    }
                }
            }
            if context.share, case .success = result { await shareProductRows(request.stockcode, engine) }
            // Stored before the flight ends: a request arriving just after it finds the value in the cache
            // instead of starting a second computation.
            if case .success(let curve) = result {
                events.modelAnswered(curve.model)
                if let cache { await cache.set(key, CachedCurve(curve, json: json(curve)).encoded(), ttl: cacheTTL) }
            }
            return result
        }
        switch result {
        case .failure(let error): return .failed(error)
        case .success(let curve):
            if cache != nil { events.curveCache(false) }
            return .computed(curve)
        }
    }

    /// The cache key of a validated request: version, product and the normalized query, so that
    /// `unitprice_min=1.50` and `unitprice_min=1.5` share an entry and a new version never sees an old one.
    /// The `{version|stockcode}` hash tag keeps all of a product's keys on one Redis Cluster slot.
    public static func curveKey(_ request: SweepRequest, version: String) -> String {
        func text(_ v: Double?) -> String { v.map { String($0) } ?? "-" }
        return "pv1|{\(version)|\(request.stockcode)}|\(text(request.minPrice))|\(text(request.maxPrice))|\(request.bins)|\(text(request.unitCost))"
    }

    // MARK: One product's recommendation

    /// One product's recommendation under `rules`.
    public enum RecommendationAnswer: Sendable {
        /// The row, and whether it came from an already computed run.
        case row(PriceRecommendation, fromRun: Bool)
        /// The product could not be priced (conflicting rules, no model answered), and why.
        case notPriced(String)
        case unknownProduct
        case notAdmitted
    }

    /// From the whole run when it is already computed; otherwise, if `admit(products)` allows the work
    /// (`products`: how many products it computes), this product alone (a few hundred µs), never a wait for
    /// the whole run. Under a harm budget the product is decided at the catalogue run's multiplier λ, so the
    /// answer is that run's row whether or not the run exists: λ is solved over every product once per
    /// version and rules (the run's pass 1 and bisection, `products` = the catalogue) and then kept. A run
    /// over every product hands its λ over as soon as it is solved, and a request arriving during its pass 1
    /// waits for it (bounded, ``HarmBudgetMultipliers``); either way `products` is then 1.
    public func recommendation(for stockcode: String, rules: PricingRules, on engine: PricingEngine,
                               admit: (_ products: Int) -> Bool) async -> RecommendationAnswer {
        guard engine.store.index(of: stockcode) != nil else { return .unknownProduct }
        let row: PriceRecommendation?
        let skipped: [SkippedProduct]
        let fromRun: Bool
        if let snap = runs.existing(engine: engine, rules: rules)?.snapshot(), snap.finished {
            row = snap.rows.first { $0.stockcode == stockcode }
            skipped = snap.skipped.filter { $0.stockcode == stockcode }
            fromRun = true
        } else {
            let solving = rules.harmBudget != nil && !harmBudgetMultipliers.solvedOrSolving(engine, rules: rules)
            guard admit(solving ? engine.store.products.count : 1) else { return .notAdmitted }
            let multiplier = await harmBudgetMultipliers.multiplier(engine, rules: rules)
            let item = RepricingItem(stockcode: stockcode)
            let one: RepricingChunk? = await withCheckedContinuation { continuation in
                DispatchQueue.global(qos: .userInitiated).async {
                    if let multiplier {
                        continuation.resume(returning: try? engine.reprice([item], rules: rules, harmBudgetMultiplier: multiplier))
                    } else {
                        continuation.resume(returning: try? engine.reprice([item], rules: rules))
                    }
                }
            }
            row = one?.rows.first
            skipped = one?.skipped ?? []
            fromRun = false
        }
        guard let row else { return .notPriced(skipped.first?.message ?? "no recommendation for \(stockcode)") }
        return .row(row, fromRun: fromRun)
    }

    // MARK: Repricing runs

    /// `catalogue`'s lines for `engine`: the items to reprice, and the lines left out (the file's own
    /// problems, then unknown stockcodes), reported before the first row.
    public func items(of catalogue: Catalogue, on engine: PricingEngine) -> (items: [RepricingItem], skipped: [SkippedProduct]) {
        let known = catalogue.items.filter { engine.store.index(of: $0.stockcode) != nil }
        let unknown = catalogue.items.filter { engine.store.index(of: $0.stockcode) == nil }.map {
            SkippedProduct(stockcode: $0.stockcode, line: $0.line, column: "stockcode", message: "unknown stockcode \($0.stockcode)")
        }
        return (known, catalogue.skipped + unknown)
    }

    /// A claim on the run of `rules` over `items` (nil: every product), started now if there is none and
    /// the limits allow. `spend(products)` is asked only before a new run starts, with the number of
    /// products it would reprice: the client's budget (nil: granted, else the seconds to wait).
    public func run(_ items: [RepricingItem]?, rules: PricingRules, on engine: PricingEngine,
                    spend: (_ products: Int) -> Int?) -> RepricingRuns.Admission {
        let products = items?.count ?? engine.store.products.count
        return runs.run(engine: engine, items: items, rules: rules, spend: { spend(products) })
    }

    /// Whether the run of `rules` over `items` exists (HEAD asks; it never starts one).
    public func hasRun(_ items: [RepricingItem]?, rules: PricingRules, on engine: PricingEngine) -> Bool {
        runs.existing(engine: engine, rules: rules, items: items) != nil
    }
}
