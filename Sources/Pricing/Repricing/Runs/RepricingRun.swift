public import ArtifactFormats
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
    public convenience init(engine: PricingEngine, items: [RepricingItem]?, rules: PricingRules,
                            ended: @escaping @Sendable (_ run: RepricingRun, _ cancelled: Bool) -> Void = { _, _ in }) {
        self.init(engine: engine, items: items, rules: rules, handover: nil, ended: ended)
    }

    /// As the public init; under a harm budget, `handover` (when given) gets the run's λ as soon as it is
    /// solved, or is withdrawn when the run stops before.
    init(engine: PricingEngine, items: [RepricingItem]?, rules: PricingRules, handover: HarmBudgetMultipliers.Handover?,
         ended: @escaping @Sendable (_ run: RepricingRun, _ cancelled: Bool) -> Void) {
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
                try engine.reprice(items, rules: rules, isCancelled: { self.cancelFlag.load(ordering: .relaxed) },
                                   harmBudgetSolved: { handover?.deliver($0) }) { chunk in
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
            // Stopped before λ was solved (nothing when it was handed over): a request waiting for it solves it.
            handover?.withdraw()
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
