import ArtifactFormats
import Cache
import Dispatch
import Synchronization

/// The harm budget's solved multipliers λ by (model version, normalized rules): one product's answer under a
/// budget is decided at its catalogue's λ (``PricingEngine/harmBudgetMultiplier(rules:isCancelled:)``, the
/// whole catalogue's pass 1 and bisection, about as long as the run's first chunk), so it is solved once
/// and kept. Bounded to `capacity` entries, least recently used out first; a λ is 8 bytes, but a stale
/// version's is useless, so a new version's entry drops the others' (as ``RepricingRuns`` does).
///
/// A catalogue run that solves the same λ (over the version's whole catalogue with no per-line terms,
/// ``PricingEngine/solvesCatalogueMultiplier(_:)``) hands it over through a ``Handover`` as soon as its
/// bisection ends, before its rows are decided: a one-product request arriving while that run is in its
/// pass 1 waits for the run's λ (at most `runWait`: the run computes at idle priority and may be starved
/// by interactive work, and a request must not queue behind it indefinitely) instead of solving it again.
///
/// Thread-safety: the map is behind a `Mutex` held only for lookups and inserts, never while solving;
/// identical solves arriving together are coalesced by a ``SingleFlight`` (one pass, the others wait
/// for its value), and the solve itself runs on the global pool, not on the caller's thread. A run never
/// waits for a request, and it takes no lock here on its own (idle-priority) thread: its hand-over is
/// applied on the pool.
final class HarmBudgetMultipliers: Sendable {
    let capacity: Int
    /// The longest a request waits for a run's λ before solving it itself (a run's pass 1 over the
    /// committed 4,000 products takes well under a second of one core).
    let runWait: Duration

    private struct Entry {
        let version: String
        let multiplier: Double
        var lastUse: UInt64
    }

    /// The runs solving λ for a key now (by hand-over id), and the requests waiting for its value (by
    /// waiter id). Waiters give up only when every such run has withdrawn: two runs of the same λ (every
    /// product by GET, and the same catalogue POSTed) or a retry starting before a cancelled run's
    /// withdrawal lands must not send them to solve it a third time.
    private struct Pending {
        var runs: Set<UInt64>
        var waiters: [UInt64: CheckedContinuation<Double?, Never>] = [:]
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var clock: UInt64 = 0
        var pending: [String: Pending] = [:]
        /// Ids of hand-overs and waiters.
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())
    private let flight = SingleFlight<Double?>()
    private let solveCount = Atomic<Int>(0)
    private let handOverCount = Atomic<Int>(0)

    init(capacity: Int = 16, runWait: Duration = .seconds(2)) {
        self.capacity = max(1, capacity)
        self.runWait = runWait
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

    /// Whether λ for these rules is known or a run is solving it now: a request then does not pay for the
    /// catalogue's pass (should that run stop first, the request solves it after all).
    func solvedOrSolving(_ engine: PricingEngine, rules: PricingRules) -> Bool {
        let key = Self.key(version: engine.version, rules: rules)
        return state.withLock { $0.entries[key] != nil || $0.pending[key] != nil }
    }

    /// λ of the catalogue run of `rules` on `engine`: cached, a run's that is solving it now, or solved now
    /// (once however many callers ask together) and kept. Nil when `rules` have no budget.
    func multiplier(_ engine: PricingEngine, rules: PricingRules) async -> Double? {
        guard rules.harmBudget != nil else { return nil }
        if let known = cached(engine, rules: rules) { return known }
        let key = Self.key(version: engine.version, rules: rules)
        let (value, _) = await flight.run(key) { [self] in
            // A caller that missed the cache just as another flight stored its value finds it here.
            if let known = cached(engine, rules: rules) { return known }
            if let handed = await runMultiplier(key) { return handed }
            // The run stopped, or was too slow; it may still have stored λ meanwhile.
            if let known = cached(engine, rules: rules) { return known }
            solveCount.add(1, ordering: .relaxed)
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

    /// The λ of the run solving `key` now, once it hands it over; nil at once when no run is solving it,
    /// or when the run stops before solving it or takes longer than `runWait`.
    private func runMultiplier(_ key: String) async -> Double? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Double?, Never>) in
            let waiter: UInt64? = state.withLock { s in
                guard s.pending[key] != nil else { return nil }
                s.nextID += 1
                s.pending[key]!.waiters[s.nextID] = continuation
                return s.nextID
            }
            guard let waiter else { return continuation.resume(returning: nil) }
            let (seconds, attoseconds) = runWait.components
            let wait = Double(seconds) + Double(attoseconds) * 1e-18
            DispatchQueue.global().asyncAfter(deadline: .now() + wait) { [self] in
                // Still waiting (the run neither handed λ over nor stopped): solve it here instead.
                let late = state.withLock { $0.pending[key]?.waiters.removeValue(forKey: waiter) }
                late?.resume(returning: nil)
            }
        }
    }

    /// A catalogue run's hand-over of its λ, for a run of `rules` over `items` (nil: every product) on
    /// `engine`; nil when the run's λ is not the one ``multiplier(_:rules:)`` would solve (no budget, a
    /// catalogue other than the version's whole one, or per-line terms), or when λ is already known.
    /// Requests wait while any such run for the key is solving it.
    func handover(engine: PricingEngine, rules: PricingRules, items: [RepricingItem]?) -> Handover? {
        guard rules.harmBudget != nil, engine.solvesCatalogueMultiplier(items) else { return nil }
        let key = Self.key(version: engine.version, rules: rules)
        let id: UInt64? = state.withLock { s in
            guard s.entries[key] == nil else { return nil }
            s.nextID += 1
            s.pending[key, default: Pending(runs: [])].runs.insert(s.nextID)
            return s.nextID
        }
        return id.map { Handover(self, key: key, version: engine.version, id: $0) }
    }

    /// A catalogue run's promise of λ for one key: settled once, by ``deliver(_:)`` when its bisection
    /// ends or by ``withdraw()`` when it stops first (at the latest when the run lets go of it). Both
    /// are called on the run's idle-priority thread, so the map is updated on the pool.
    final class Handover: Sendable {
        private let multipliers: HarmBudgetMultipliers
        let key: String
        let version: String
        private let id: UInt64
        private let settled = Atomic<Bool>(false)

        fileprivate init(_ multipliers: HarmBudgetMultipliers, key: String, version: String, id: UInt64) {
            self.multipliers = multipliers
            self.key = key
            self.version = version
            self.id = id
        }

        /// The run's solved λ: kept, and handed to the requests waiting for it.
        func deliver(_ multiplier: Double) {
            guard !settled.exchange(true, ordering: .acquiringAndReleasing) else { return }
            let (multipliers, key, version) = (self.multipliers, self.key, self.version)
            DispatchQueue.global().async {
                multipliers.handOverCount.add(1, ordering: .relaxed)
                multipliers.store(multiplier, key: key, version: version, replacingOtherVersions: false)
            }
        }

        /// The run stopped without λ (cancelled in pass 1, or it had nothing to budget): the requests
        /// waiting for it solve it themselves. Nothing once delivered.
        func withdraw() {
            guard !settled.exchange(true, ordering: .acquiringAndReleasing) else { return }
            let (multipliers, key, id) = (self.multipliers, self.key, self.id)
            DispatchQueue.global().async { multipliers.release(key, run: id) }
        }

        deinit { withdraw() }
    }

    /// Keeps `multiplier`, dropping other versions' entries when `replacingOtherVersions`, then the least
    /// recently used beyond capacity, and hands it to the requests waiting for a run's λ for `key`
    /// (whichever run they wait for). A request solves for the version it is served from, the newest; a
    /// run's hand-over may come from a version a hot reload has since replaced (the run computes at idle
    /// priority), so it never drops the others: it would evict the new version's λ for a stale one.
    private func store(_ multiplier: Double, key: String, version: String, replacingOtherVersions: Bool = true) {
        let waiters = state.withLock { s in
            s.clock += 1
            if replacingOtherVersions { s.entries = s.entries.filter { $0.value.version == version } }
            // Stored again (a request's solve, then the run's hand-over): not a new entry to make room for.
            s.entries[key] = nil
            while s.entries.count >= capacity, let victim = s.entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
                s.entries[victim.key] = nil
            }
            s.entries[key] = Entry(version: version, multiplier: multiplier, lastUse: s.clock)
            return s.pending.removeValue(forKey: key)?.waiters.values.map { $0 } ?? []
        }
        for waiter in waiters { waiter.resume(returning: multiplier) }
    }

    /// Run `run` will not hand λ over for `key`: once no other run is solving it, its waiters go on without it.
    private func release(_ key: String, run: UInt64) {
        let waiters = state.withLock { s -> [CheckedContinuation<Double?, Never>] in
            guard s.pending[key]?.runs.remove(run) != nil, s.pending[key]?.runs.isEmpty == true else { return [] }
            return s.pending.removeValue(forKey: key)?.waiters.values.map { $0 } ?? []
        }
        for waiter in waiters { waiter.resume(returning: nil) }
    }

    /// Entries held (tests).
    var count: Int { state.withLock { $0.entries.count } }
    /// λs solved here for one-product requests (not handed over by a run).
    var solves: Int { solveCount.load(ordering: .relaxed) }
    /// λs handed over by catalogue runs.
    var handOvers: Int { handOverCount.load(ordering: .relaxed) }
}
