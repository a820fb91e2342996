public import ArtifactFormats
import Dispatch
import Synchronization

/// The limits on starting repricing runs (the service's admission settings for runs).
public struct RunLimits: Sendable, Equatable {
    /// Runs computing at once.
    public var maxConcurrentRuns: Int
    /// Runs started (with rules or a catalogue not already computed) per minute.
    public var maxNewRunsPerMinute: Int

    public init(maxConcurrentRuns: Int = 2, maxNewRunsPerMinute: Int = 60) {
        self.maxConcurrentRuns = maxConcurrentRuns
        self.maxNewRunsPerMinute = maxNewRunsPerMinute
    }
}

/// Runs by (model version, rules, catalogue), each computed once: the repricing equivalent of the
/// curve cache, and the admission control of repricing work. Bounded to a few runs (a run of 4,000
/// products holds about 4 MB); a new model version drops the older versions' runs, so an old answer
/// is never served; the run of the configured rules over every product is never evicted by others.
///
/// A new run starts only within the ``RunLimits``: at most `maxConcurrentRuns` computing, at most
/// `maxNewRunsPerMinute` started in the last minute, and the client's work budget; otherwise the
/// request is refused with the seconds after which to retry.
public final class RepricingRuns: Sendable {
    public let capacity: Int
    public let settings: RunLimits
    /// The configured rules: their run over every product is kept while its version serves.
    public let pinnedRules: PricingRules?

    /// Why a new run was not started, and when to ask again.
    public struct Refusal: Sendable, Equatable {
        /// The metric label: `runs_busy`, `run_rate` or `client_budget`.
        public let reason: String
        public let message: String
        public let retryAfterSeconds: Int

        public init(reason: String, message: String, retryAfterSeconds: Int) {
            self.reason = reason
            self.message = message
            self.retryAfterSeconds = retryAfterSeconds
        }
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

    /// Reports each run's start and end ("started", "finished", "cancelled") for the service's metrics.
    let events: AnswerEvents
    /// The catalogue runs' harm-budget multipliers, for one product's answer under a budget: a run over the
    /// version's whole catalogue hands its λ over as soon as it is solved.
    let harmBudgetMultipliers: HarmBudgetMultipliers

    /// `harmBudgetRunWait`: how long a one-product request waits for the λ of a run still in its pass 1 before
    /// solving it itself (the run computes at idle priority, so interactive work can starve it).
    public init(settings: RunLimits = RunLimits(), pinnedRules: PricingRules? = nil, events: AnswerEvents = AnswerEvents(),
                harmBudgetRunWait: Duration = .seconds(2)) {
        self.settings = settings
        self.pinnedRules = pinnedRules
        self.events = events
        harmBudgetMultipliers = HarmBudgetMultipliers(runWait: harmBudgetRunWait)
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
            events.repricingRun("started")
            let handover = harmBudgetMultipliers.handover(engine: engine, rules: rules, items: items)
            let run = RepricingRun(engine: engine, items: items, rules: rules, handover: handover) { [weak self] run, cancelled in
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
            events.repricingRun(cancelled ? "cancelled" : "finished")
            guard cancelled else { return }
            state.withLock { s in
                if s.entries[key]?.run === run { s.entries[key] = nil }
            }
        }
    }

    /// The run for these rules over `items` (nil: every product), if one was started (no new run is started).
    public func existing(engine: PricingEngine, rules: PricingRules, items: [RepricingItem]? = nil) -> RepricingRun? {
        let key = Self.key(version: engine.version, rules: rules, items: items)
        return state.withLock { $0.entries[key]?.run }
    }

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
