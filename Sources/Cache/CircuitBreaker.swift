import Synchronization

/// A consecutive-failure circuit breaker. Closed: every call goes through; `threshold` failures in a
/// row open it. Open: calls are refused without touching the network for `coolDown`. Then the next
/// caller gets through as the single trial (half-open) while others are still refused; the trial's
/// success closes the breaker, its failure opens it for another cool-down.
public final class CircuitBreaker: Sendable {
    public enum State: String, Sendable, Equatable {
        case closed
        case open
        /// The one trial call is in flight: every other call is refused until it reports.
        case halfOpen = "half-open"
    }

    private struct Inner {
        var state = State.closed
        var consecutiveFailures = 0
        var openUntil: ContinuousClock.Instant
        var timesOpened = 0
    }

    public let threshold: Int
    public let coolDown: Duration
    private let clock = ContinuousClock()
    private let inner: Mutex<Inner>

    public init(threshold: Int, coolDown: Duration) {
        self.threshold = max(1, threshold)
        self.coolDown = coolDown
        inner = Mutex(Inner(openUntil: clock.now))
    }

    public var state: State { inner.withLock { $0.state } }

    /// How many times the breaker has gone from closed or half-open to open.
    public var timesOpened: Int { inner.withLock { $0.timesOpened } }

    /// Whether a call now would be refused, without changing anything (a cheap pre-check).
    public var isRefusing: Bool {
        let now = clock.now
        return inner.withLock { s in
            switch s.state {
            case .closed: false
            case .open: now < s.openUntil
            case .halfOpen: true
            }
        }
    }

    /// Asks to make a call. When this returns true the caller must report the outcome with
    /// `recordSuccess()` or `recordFailure()`.
    public func acquire() -> Bool {
        let now = clock.now
        return inner.withLock { s in
            switch s.state {
            case .closed:
                return true
            case .open:
                guard now >= s.openUntil else { return false }
                s.state = .halfOpen
                return true
            case .halfOpen:
                return false
            }
        }
    }

    /// A call got an answer: Redis is reachable, so the breaker closes.
    public func recordSuccess() {
        inner.withLock { s in
            s.state = .closed
            s.consecutiveFailures = 0
        }
    }

    public func recordFailure() {
        let now = clock.now
        inner.withLock { s in
            s.consecutiveFailures += 1
            switch s.state {
            case .closed:
                if s.consecutiveFailures >= threshold { Self.open(&s, now: now, coolDown: coolDown) }
            case .halfOpen:
                Self.open(&s, now: now, coolDown: coolDown)
            case .open:
                break  // a call let through before the breaker opened: the cool-down already runs
            }
        }
    }

    private static func open(_ s: inout Inner, now: ContinuousClock.Instant, coolDown: Duration) {
        s.state = .open
        s.openUntil = now.advanced(by: coolDown)
        s.timesOpened += 1
    }
}
