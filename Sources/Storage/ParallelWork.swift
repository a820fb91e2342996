import Dispatch
import Foundation
import Synchronization

/// `body(i)` for every `i` in `0..<count`, on every core when `parallel` (Dispatch's pool; each worker
/// takes the next index, so one large item does not hold back the rest), else in order on the
/// caller's thread. The results come back in index order.
package func forEachInParallel<T: Sendable>(_ count: Int, parallel: Bool, _ body: @Sendable (Int) -> T) -> [T] {
    guard parallel, count > 1, parallelWorkers > 1 else { return (0..<count).map(body) }
    let results = Mutex([T?](repeating: nil, count: count))
    let next = Atomic(0)
    DispatchQueue.concurrentPerform(iterations: min(count, parallelWorkers)) { _ in
        while true {
            let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
            guard i < count else { return }
            let value = body(i)
            results.withLock { $0[i] = value }
        }
    }
    return results.withLock { $0.map { $0! } }
}

/// Cores this process may use.
let parallelWorkers: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

/// `first()` and `second()`, at the same time when `parallel` (see ``forEachInParallel(_:parallel:_:)``).
package func bothInParallel<A: Sendable, B: Sendable>(parallel: Bool, _ first: @Sendable () -> A,
                                                     _ second: @Sendable () -> B) -> (A, B) {
    let a = Mutex<A?>(nil), b = Mutex<B?>(nil)
    _ = forEachInParallel(2, parallel: parallel) { i in
        if i == 0 { let value = first(); a.withLock { $0 = value } } else { let value = second(); b.withLock { $0 = value } }
    }
    return (a.withLock { $0! }, b.withLock { $0! })
}
