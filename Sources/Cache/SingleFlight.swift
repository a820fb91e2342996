import Synchronization

/// Coalesces concurrent computations of the same key: the first caller computes, callers arriving
/// while it runs wait for its result, so N identical requests arriving together compute once.
public final class SingleFlight<Value: Sendable>: Sendable {
    private let waiting = Mutex<[String: [CheckedContinuation<Value?, Never>]]>([:])

    public init() {}

    /// The value for `key`: computed by `compute` unless a computation of `key` is already running.
    /// Returns the value and whether this caller computed it.
    public func run(_ key: String, _ compute: @Sendable () async -> Value) async -> (value: Value, computed: Bool) {
        while true {
            let leader = waiting.withLock { w -> Bool in
                guard w[key] == nil else { return false }
                w[key] = []
                return true
            }
            if leader {
                let value = await compute()
                let followers = waiting.withLock { $0.removeValue(forKey: key) ?? [] }
                for follower in followers { follower.resume(returning: value) }
                return (value, true)
            }
            let shared: Value? = await withCheckedContinuation { continuation in
                let joined = waiting.withLock { w -> Bool in
                    guard w[key] != nil else { return false }
                    w[key]!.append(continuation)
                    return true
                }
                // The leader finished between the two looks: nothing to wait for, try again.
                if !joined { continuation.resume(returning: nil) }
            }
            if let shared { return (shared, false) }
        }
    }
}
