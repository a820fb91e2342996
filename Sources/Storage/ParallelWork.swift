import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The service's one parallel loop: `body` runs on disjoint chunks of `0..<count`, at most `chunk`
/// items each, on every core (Dispatch's pool) when `parallel`, with one `scratch` buffer of
/// `scratchCount` Floats per worker (allocated once per worker, never per item). One chunk, or a
/// caller on a ``BackgroundThread`` (whose work must not fan out onto the normal-priority pool), runs
/// inline on the calling thread, in order.
///
/// Each worker claims the next chunk from a shared counter rather than taking every `workers`-th
/// one: `concurrentPerform` starts its second worker 20-30 µs after the first on this 2-vCPU VM, so
/// with a fixed share that worker finished last on every call (the 120,000-row one-output kernel
/// took 160 µs instead of 125 µs), and a core busy with other work held up the whole call.
package func forEachChunk(count: Int, chunk: Int, parallel: Bool = true, scratchCount: Int = 0,
                          _ body: (Range<Int>, UnsafeMutablePointer<Float>) -> Void) {
    let chunks = (count + chunk - 1) / chunk
    let workers = parallel ? min(chunks, BackgroundThread.workers(activeCores)) : 1
    if workers <= 1 {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: max(scratchCount, 1)) { scratch in
            for c in 0..<chunks { body((c * chunk)..<min(count, (c + 1) * chunk), scratch.baseAddress!) }
        }
        return
    }
    let next = Atomic<Int>(0)
    withoutActuallyEscaping(body) { body in
        let shared = SharedDuringCall(body)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: max(scratchCount, 1)) { scratch in
                while true {
                    // Relaxed: the chunks' data is published by `concurrentPerform`'s start and end, not by this counter.
                    let c = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    guard c < chunks else { break }
                    shared.value((c * chunk)..<min(count, (c + 1) * chunk), scratch.baseAddress!)
                }
            }
        }
    }
}

/// `body(i)` for every `i` in `0..<count` (see ``forEachChunk(count:chunk:parallel:scratchCount:_:)``;
/// one item per chunk, so one large item does not hold back the rest). The results come back in index order.
package func forEachInParallel<T: Sendable>(_ count: Int, parallel: Bool, _ body: (Int) -> T) -> [T] {
    let results = UnsafeMutableBufferPointer<T?>.allocate(capacity: count)
    results.initialize(repeating: nil)
    defer { results.deallocate() }
    // Each index is written by the one worker that claimed it, and read after the loop.
    forEachChunk(count: count, chunk: 1, parallel: parallel) { range, _ in
        for i in range { results[i] = body(i) }
    }
    return results.map { $0! }
}

/// `first()` and `second()`, at the same time when `parallel`.
package func bothInParallel<A: Sendable, B: Sendable>(parallel: Bool, _ first: () -> A, _ second: () -> B) -> (A, B) {
    var a: A?, b: B?
    withUnsafeMutablePointer(to: &a) { a in
        withUnsafeMutablePointer(to: &b) { b in
            // Each slot is written by the worker of its index alone.
            forEachChunk(count: 2, chunk: 1, parallel: parallel) { range, _ in
                if range.lowerBound == 0 { a.pointee = first() } else { b.pointee = second() }
            }
        }
    }
    return (a!, b!)
}

/// A closure handed to the workers of one `concurrentPerform` call.
///
/// It is not checked for `Sendable` because it captures the caller's state (buffers, output slots).
/// That is sound here and only here: `concurrentPerform` returns after every worker is done (so
/// nothing outlives the call), what it reads is not mutated during the call, and each worker writes
/// only the outputs of the chunks it claimed, which never overlap.
private struct SharedDuringCall<Body>: @unchecked Sendable {
    let value: Body
    init(_ value: Body) { self.value = value }
}

/// Cores this process may use.
package let activeCores: Int = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
