import Synchronization

/// A fixed set of `RedisConnection`s, each lent to one caller at a time. Callers that find every
/// connection busy wait (suspended, not blocking a thread) in FIFO order. Every connection call is
/// bounded by the connect/command timeouts, so the wait is bounded too.
final class RedisConnectionPool: Sendable {
    private struct State {
        var idle: [Int]
        var waiters: [CheckedContinuation<Int, Never>] = []
    }

    let connections: [RedisConnection]
    private let state: Mutex<State>

    init(endpoint: RedisEndpoint, size: Int, connectTimeout: Duration, commandTimeout: Duration) {
        connections = (0..<size).map { i in
            RedisConnection(endpoint: endpoint, connectTimeout: connectTimeout, commandTimeout: commandTimeout,
                            label: "cache.redis.connection.\(i)")
        }
        // Popped from the end: connection 0 is lent first, so a lightly loaded cache keeps reusing
        // the same few sockets.
        state = Mutex(State(idle: Array((0..<size).reversed())))
    }

    /// Borrows a connection for `body` and returns it afterwards.
    func withConnection<R: Sendable>(_ body: (RedisConnection) async -> R) async -> R {
        let index = await checkout()
        defer { checkin(index) }
        return await body(connections[index])
    }

    private func checkout() async -> Int {
        if let index = state.withLock({ $0.idle.popLast() }) { return index }
        return await withCheckedContinuation { continuation in
            let index = state.withLock { s -> Int? in
                if let index = s.idle.popLast() { return index }
                s.waiters.append(continuation)
                return nil
            }
            if let index { continuation.resume(returning: index) }
        }
    }

    private func checkin(_ index: Int) {
        let waiter = state.withLock { s -> CheckedContinuation<Int, Never>? in
            if !s.waiters.isEmpty { return s.waiters.removeFirst() }
            s.idle.append(index)
            return nil
        }
        waiter?.resume(returning: index)
    }
}
