import Synchronization

/// The last answer of a query too costly to repeat on every call (the DBSIZE/INFO round of every
/// Redis master behind /readyz and /metrics), reused while it is younger than `maxAge`. One caller
/// refreshes at a time; callers arriving meanwhile get the previous answer (before there is one,
/// they ask as well), so a burst of probes costs one round, not one per probe.
final class RecentAnswer<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var takenAt: ContinuousClock.Instant?
        var refreshing = false
    }

    let maxAge: Duration
    private let clock = ContinuousClock()
    private let state = Mutex(State())

    init(maxAge: Duration) {
        self.maxAge = maxAge
    }

    /// The kept answer if it is fresh enough, else the one `query` gives now (then kept).
    func value(_ query: () async -> Value) async -> Value {
        let now = clock.now
        let kept = state.withLock { s -> Value? in
            if let value = s.value, let takenAt = s.takenAt, now - takenAt < maxAge { return value }
            if s.refreshing, let value = s.value { return value }
            s.refreshing = true
            return nil
        }
        if let kept { return kept }
        let fresh = await query()
        state.withLock { s in
            s.value = fresh
            s.takenAt = clock.now
            s.refreshing = false
        }
        return fresh
    }
}
