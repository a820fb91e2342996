import Cache
import Dispatch
import Synchronization

/// The harm budget's solved multipliers λ by (model version, normalized rules): one product's answer under a
/// budget is decided at its catalogue's λ (``PricingEngine/harmBudgetMultiplier(rules:isCancelled:)``, the
/// whole catalogue's pass 1 and bisection, about as long as the run's first chunk), so it is solved once
/// and kept. Bounded to `capacity` entries, least recently used out first; a λ is 8 bytes, but a stale
/// version's is useless, so a new version's entry drops the others' (as ``RepricingRuns`` does).
///
/// Thread-safety: the map is behind a `Mutex` held only for lookups and inserts, never while solving;
/// identical solves arriving together are coalesced by a ``SingleFlight`` (one pass, the others wait
/// for its value), and the solve itself runs on the global pool, not on the caller's thread.
final class HarmBudgetMultipliers: Sendable {
    let capacity: Int

    private struct Entry {
        let version: String
        let multiplier: Double
        var lastUse: UInt64
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var clock: UInt64 = 0
    }

    private let state = Mutex(State())
    private let flight = SingleFlight<Double?>()

    init(capacity: Int = 16) {
        self.capacity = max(1, capacity)
    }

    /// The cache's key: the version and the rules' stable text (``PricingRules/key``, equal for equal values).
    static func key(version: String, rules: PricingRules) -> String { "\(version)|\(rules.key)" }

    /// λ when already solved for this version and these rules (nothing is solved).
    func cached(_ engine: PricingEngine, rules: PricingRules) -> Double? {
        let key = Self.key(version: engine.version, rules: rules)
        return state.withLock { s in
            s.clock += 1
            let tick = s.clock
            guard var entry = s.entries[key] else { return nil }
            entry.lastUse = tick
            s.entries[key] = entry
            return entry.multiplier
        }
    }

    /// λ of the catalogue run of `rules` on `engine`: cached, or solved now (once however many callers
    /// ask together) and kept. Nil when `rules` have no budget.
    func multiplier(_ engine: PricingEngine, rules: PricingRules) async -> Double? {
        guard rules.harmBudget != nil else { return nil }
        if let known = cached(engine, rules: rules) { return known }
        let key = Self.key(version: engine.version, rules: rules)
        let (value, _) = await flight.run(key) { [self] in
            // A caller that missed the cache just as another flight stored its value finds it here.
            if let known = cached(engine, rules: rules) { return known }
            let solved: Double? = await withCheckedContinuation { continuation in
                DispatchQueue.global(qos: .userInitiated).async {
                    continuation.resume(returning: engine.harmBudgetMultiplier(rules: rules))
                }
            }
            if let solved { store(solved, key: key, version: engine.version) }
            return solved
        }
        return value
    }

    /// Keeps `multiplier`, dropping other versions' entries, then the least recently used beyond capacity.
    private func store(_ multiplier: Double, key: String, version: String) {
        state.withLock { s in
            s.clock += 1
            s.entries = s.entries.filter { $0.value.version == version }
            while s.entries.count >= capacity, let victim = s.entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
                s.entries[victim.key] = nil
            }
            s.entries[key] = Entry(version: version, multiplier: multiplier, lastUse: s.clock)
        }
    }

    /// Entries held (tests).
    var count: Int { state.withLock { $0.entries.count } }
}
