public import Pricing
import Dispatch
import Storage
import Synchronization

/// One repricing run (a model version, rules and a catalogue), computed once in the background and
/// shared by every request that asks for it: rows are appended chunk by chunk as the batch path
/// finishes them, and readers wait for more rows or the end.
///
/// A run computes on a ``BackgroundThread`` (one core at most, and only what interactive requests
/// leave), and it is cancelled, between two chunks, as soon as its last reader leaves before the end:
/// work nobody will read is not done.
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
        var cancelled = false
        /// Requests holding a ``RunTicket`` of this run.
        var readers = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    private let cancelFlag = Atomic<Bool>(false)

    /// Starts the run on a background thread, with no reader yet (see ``attach()``). `rules` must be
    /// valid (the caller checked them). `ended(cancelled)` is called once when the computation stops.
    public init(engine: PricingEngine, items: [RepricingItem]?, rules: PricingRules,
                ended: @escaping @Sendable (_ run: RepricingRun, _ cancelled: Bool) -> Void = { _, _ in }) {
        modelVersion = engine.version
        self.rules = rules
        self.items = items
        draws = engine.priceResponse.draws
        BackgroundThread.start(name: "repricing-run") { [self] in
            // The rows grow here, outside the lock, and are published by swapping references under it: a
            // reader holding a snapshot makes the append copy the arrays, and that copy must not happen
            // while a request thread may wait for the lock behind this idle-priority thread.
            var rows: [PriceRecommendation] = [], gains: [Double] = [], skipped: [SkippedProduct] = []
            do throws(RuleError) {
                try engine.reprice(items, rules: rules, isCancelled: { self.cancelFlag.load(ordering: .relaxed) }) { chunk in
                    rows += chunk.rows
                    gains += chunk.gains
                    skipped += chunk.skipped
                    var previous = (rows: rows, gains: gains, skipped: skipped)
                    let waiters = state.withLock { s in
                        swap(&previous.rows, &s.rows)
                        swap(&previous.gains, &s.gains)
                        swap(&previous.skipped, &s.skipped)
                        defer { s.waiters = [] }
                        return s.waiters
                    }
                    // `previous` (the arrays readers saw before) is released here, outside the lock.
                    for waiter in waiters { waiter.resume() }
                }
            } catch {
                // Validated rules cannot fail here; if they did, the run still ends with what it has.
                state.withLock { $0.skipped.append(SkippedProduct(stockcode: "", line: nil, column: nil, message: error.description)) }
            }
            // Reported before readers see the end, so a client that read the whole answer and asks for
            // another run never finds this one still counted as computing.
            ended(self, state.withLock { $0.cancelled })
            let waiters = state.withLock { s in
                // A reader may have left after the last chunk: the rows are complete, but the run
                // stays cancelled (a new request simply starts another).
                if !s.cancelled { s.finished = true }
                defer { s.waiters = [] }
                return s.waiters
            }
            for waiter in waiters { waiter.resume() }
        }
    }

    /// Whether the computation is still going (neither finished nor cancelled).
    public var isRunning: Bool { state.withLock { !$0.finished && !$0.cancelled } }

    /// Whether the run was stopped before its end because nobody was reading it.
    public var isCancelled: Bool { state.withLock { $0.cancelled } }

    /// A reader's claim on the run, or nil when the run has been cancelled (start a new one).
    public func attach() -> RunTicket? {
        let attached = state.withLock { s in
            guard !s.cancelled else { return false }
            s.readers += 1
            return true
        }
        return attached ? RunTicket(self) : nil
    }

    /// A reader left; the last one to leave an unfinished run cancels it.
    fileprivate func detach() {
        let waiters: [CheckedContinuation<Void, Never>] = state.withLock { s in
            s.readers -= 1
            guard s.readers == 0, !s.finished, !s.cancelled else { return [] }
            s.cancelled = true
            cancelFlag.store(true, ordering: .relaxed)
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// The run as it stands.
    public func snapshot() -> Snapshot {
        state.withLock { Snapshot(rows: $0.rows, gains: $0.gains, skipped: $0.skipped, finished: $0.finished) }
    }

    /// Returns once the run has more than `count` rows, or is over (finished or cancelled).
    public func wait(beyond count: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { s in
                if s.rows.count > count || s.finished || s.cancelled { return true }
                s.waiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// The finished run (or what it had when it was cancelled).
    public func finished() async -> Snapshot {
        while true {
            let snap = snapshot()
            if snap.finished || isCancelled { return snap }
            await wait(beyond: snap.rows.count)
        }
    }
}

/// One request's claim on a ``RepricingRun``: while any ticket is held the run goes on; the last one
/// released before the end cancels it. A ticket is released explicitly or, at the latest, when the
/// response that holds it is dropped (a client that left before its answer began is still counted out).
public final class RunTicket: Sendable {
    public let run: RepricingRun
    private let held = Atomic<Bool>(true)

    fileprivate init(_ run: RepricingRun) { self.run = run }

    /// Gives up the claim (once; later calls do nothing).
    public func release() {
        if held.exchange(false, ordering: .acquiringAndReleasing) { run.detach() }
    }

    deinit { release() }
}

/// Runs by (model version, rules, catalogue), each computed once: the repricing equivalent of the
/// curve cache, and the admission control of repricing work. Bounded to a few runs (a run of 4,000
/// products holds about 4 MB); a new model version drops the older versions' runs, so an old answer
/// is never served; the run of the configured rules over every product is never evicted by others.
///
/// A new run starts only within the ``AdmissionSettings``: at most `maxConcurrentRuns` computing, at
/// most `maxNewRunsPerMinute` started in the last minute, and the client's work budget; otherwise the
/// request is refused with the seconds after which to retry.
public final class RepricingRuns: Sendable {
    public let capacity: Int
    public let settings: AdmissionSettings
    /// The configured rules: their run over every product is kept while its version serves.
    public let pinnedRules: PricingRules?

    /// Why a new run was not started, and when to ask again.
    public struct Refusal: Sendable, Equatable {
        /// The metric label: `runs_busy`, `run_rate` or `client_budget`.
        public let reason: String
        public let message: String
        public let retryAfterSeconds: Int
    }

    public enum Admission: Sendable {
        /// A claim on the run; `hit` says whether it already existed.
        case admitted(RunTicket, hit: Bool)
        case refused(Refusal)
    }

    private struct Entry {
        let run: RepricingRun
        var lastUse: UInt64
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var clock: UInt64 = 0
        /// Start times (uptime ns) of the runs started in the last minute, oldest first.
        var starts: [UInt64] = []
    }

    private let state = Mutex(State())
    /// Runs computing now, in the map or not (an evicted run computes on while a reader holds it).
    private let computing = Atomic<Int>(0)

    public init(settings: AdmissionSettings = AdmissionSettings(), pinnedRules: PricingRules? = nil) {
        self.settings = settings
        self.pinnedRules = pinnedRules
        capacity = max(8, settings.maxConcurrentRuns + 2)
    }

    /// Runs computing now.
    public var running: Int { computing.load(ordering: .relaxed) }

    /// A claim on the run for these inputs, started now if there is none and admission allows it.
    /// `spend` is asked only before a new run starts: the client's budget for it (nil: granted, else the
    /// seconds to wait). `time` (uptime ns) is for tests.
    public func run(engine: PricingEngine, items: [RepricingItem]?, rules: PricingRules,
                    at time: UInt64? = nil, spend: () -> Int? = { nil }) -> Admission {
        let key = Self.key(version: engine.version, rules: rules, items: items)
        let now = time ?? DispatchTime.now().uptimeNanoseconds
        return state.withLock { s -> Admission in
            s.clock += 1
            let tick = s.clock
            if var entry = s.entries[key], entry.run.items == items, let ticket = entry.run.attach() {
                entry.lastUse = tick
                s.entries[key] = entry
                return .admitted(ticket, hit: true)
            }
            if computing.load(ordering: .relaxed) >= settings.maxConcurrentRuns {
                return .refused(Refusal(reason: "runs_busy", message: "\(settings.maxConcurrentRuns) repricing runs are computing; retry shortly",
                                        retryAfterSeconds: 1))
            }
            let minute: UInt64 = 60_000_000_000
            s.starts.removeFirst(s.starts.prefix { now &- $0 >= minute }.count)
            if s.starts.count >= settings.maxNewRunsPerMinute, let oldest = s.starts.first {
                let wait = Int(((Double(minute - (now &- oldest))) / 1e9).rounded(.up))
                return .refused(Refusal(reason: "run_rate", message: "\(settings.maxNewRunsPerMinute) repricing runs with other rules or catalogues started in the last minute; retry later or use rules already computed",
                                        retryAfterSeconds: max(1, wait)))
            }
            if let wait = spend() {
                return .refused(Refusal(reason: "client_budget", message: "this client has used its budget for uncached work; retry later",
                                        retryAfterSeconds: wait))
            }
            s.entries = s.entries.filter { $0.value.run.modelVersion == engine.version }
            let pinned = pinnedRules.map { Self.key(version: engine.version, rules: $0, items: nil) }
            while s.entries.count >= capacity {
                // Least recently used first among runs that are done; a computing one only if none is.
                let candidates = s.entries.filter { $0.key != pinned }
                guard let victim = candidates.filter({ !$0.value.run.isRunning }).min(by: { $0.value.lastUse < $1.value.lastUse })
                        ?? candidates.min(by: { $0.value.lastUse < $1.value.lastUse }) else { break }
                s.entries[victim.key] = nil
            }
            s.starts.append(now)
            computing.add(1, ordering: .relaxed)
            ServiceMetrics.repricingRun("started")
            let run = RepricingRun(engine: engine, items: items, rules: rules) { [weak self] run, cancelled in
                self?.ended(run, key: key, cancelled: cancelled)
            }
            // A new run has not been cancelled, so the claim is granted.
            let ticket = run.attach()!
            s.entries[key] = Entry(run: run, lastUse: tick)
            return .admitted(ticket, hit: false)
        }
    }

    /// A run stopped computing: a cancelled one leaves the map, so the next request starts afresh.
    /// Called on the run's idle-priority thread, which must take no lock a request also takes (it could
    /// be descheduled holding it, and the request would wait behind it): the count is atomic, and the
    /// metric and the map's update happen on the normal-priority pool.
    private func ended(_ run: RepricingRun, key: String, cancelled: Bool) {
        computing.subtract(1, ordering: .relaxed)
        DispatchQueue.global().async { [self] in
            ServiceMetrics.repricingRun(cancelled ? "cancelled" : "finished")
            guard cancelled else { return }
            state.withLock { s in
                if s.entries[key]?.run === run { s.entries[key] = nil }
            }
        }
    }

    /// The run stored under `key`, if any.
    func lookup(_ key: String) -> RepricingRun? { state.withLock { $0.entries[key]?.run } }

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
