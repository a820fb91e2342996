public import Pricing
import Dispatch
import Synchronization

/// One repricing run (a model version, rules and a catalogue), computed once in the background and
/// shared by every request that asks for it: rows are appended chunk by chunk as the batch path
/// finishes them, and readers wait for more rows or the end.
public final class RepricingRun: Sendable {
    public let modelVersion: String
    public let rules: PricingRules
    /// The catalogue's items (nil: every product of the version).
    public let items: [RepricingItem]?
    /// Posterior draws per row in `gains`.
    public let draws: Int
    /// Whether rows arrive in stockcode order (a run over every product).
    public var inStockcodeOrder: Bool { items == nil }

    /// What a reader sees: every row so far, their per-draw gains, skipped products, and whether the
    /// run is over. The arrays are shared with the run (copy on write), not copied.
    public struct Snapshot: Sendable {
        public let rows: [PriceRecommendation]
        public let gains: [Double]
        public let skipped: [SkippedProduct]
        public let finished: Bool
    }

    private struct State {
        var rows: [PriceRecommendation] = []
        var gains: [Double] = []
        var skipped: [SkippedProduct] = []
        var finished = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Starts the run on the global pool (the batch path spreads each chunk's decisions over the cores).
    /// `rules` must be valid (the caller checked them).
    public init(engine: PricingEngine, items: [RepricingItem]?, rules: PricingRules) {
        modelVersion = engine.version
        self.rules = rules
        self.items = items
        draws = engine.priceResponse.draws
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            do throws(RuleError) {
                try engine.reprice(items, rules: rules) { chunk in
                    let waiters = state.withLock { s in
                        s.rows += chunk.rows
                        s.gains += chunk.gains
                        s.skipped += chunk.skipped
                        defer { s.waiters = [] }
                        return s.waiters
                    }
                    for waiter in waiters { waiter.resume() }
                }
            } catch {
                // Validated rules cannot fail here; if they did, the run still ends with what it has.
                state.withLock { $0.skipped.append(SkippedProduct(stockcode: "", line: nil, column: nil, message: error.description)) }
            }
            let waiters = state.withLock { s in
                s.finished = true
                defer { s.waiters = [] }
                return s.waiters
            }
            for waiter in waiters { waiter.resume() }
        }
    }

    /// The run as it stands.
    public func snapshot() -> Snapshot {
        state.withLock { Snapshot(rows: $0.rows, gains: $0.gains, skipped: $0.skipped, finished: $0.finished) }
    }

    /// Returns once the run has more than `count` rows, or is finished.
    public func wait(beyond count: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { s in
                if s.rows.count > count || s.finished { return true }
                s.waiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// The finished run.
    public func finished() async -> Snapshot {
        while true {
            let snap = snapshot()
            if snap.finished { return snap }
            await wait(beyond: snap.rows.count)
        }
    }
}

/// Runs by (model version, rules, catalogue), each computed once: the repricing equivalent of the
/// curve cache. Bounded to a few runs (a run of 4,000 products holds about 4 MB); a new model version
/// drops the older versions' runs, so an old answer is never served.
public final class RepricingRuns: Sendable {
    public static let capacity = 8

    private struct Entry {
        let run: RepricingRun
        var lastUse: UInt64
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let clock = Mutex<UInt64>(0)

    public init() {}

    /// The run for these inputs, started now if there is none; `hit` says whether it already existed.
    public func run(engine: PricingEngine, items: [RepricingItem]?, rules: PricingRules) -> (run: RepricingRun, hit: Bool) {
        let key = Self.key(version: engine.version, rules: rules, items: items)
        let tick = clock.withLock { $0 += 1; return $0 }
        return entries.withLock { entries in
            if var entry = entries[key], entry.run.items == items {
                entry.lastUse = tick
                entries[key] = entry
                return (entry.run, true)
            }
            entries = entries.filter { $0.value.run.modelVersion == engine.version }
            while entries.count >= Self.capacity, let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
                entries[oldest.key] = nil
            }
            let run = RepricingRun(engine: engine, items: items, rules: rules)
            entries[key] = Entry(run: run, lastUse: tick)
            return (run, false)
        }
    }

    /// The run stored under `key`, if any.
    func lookup(_ key: String) -> RepricingRun? { entries.withLock { $0[key]?.run } }

    /// Version, rules and (for a catalogue) its size and hash; a hit also compares the items themselves.
    static func key(version: String, rules: PricingRules, items: [RepricingItem]?) -> String {
        guard let items else { return "\(version)|\(rules.key)|all" }
        var hasher = Hasher()
        for item in items {
            hasher.combine(item.stockcode)
            hasher.combine(item.terms.currentPrice)
            hasher.combine(item.terms.unitCost)
            hasher.combine(item.terms.floor)
            hasher.combine(item.terms.ceiling)
        }
        return "\(version)|\(rules.key)|\(items.count)|\(hasher.finalize())"
    }
}
