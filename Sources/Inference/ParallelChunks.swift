import Dispatch
import Storage
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Work split across cores: `body` runs on disjoint chunks of `0..<count`, at most `chunk` items
/// each, with one `scratch` buffer of `scratchCount` Floats per worker (allocated once per worker,
/// never per row). Small inputs run inline on the caller's thread.
///
/// Each worker claims the next chunk from a shared counter rather than taking every `workers`-th
/// one: `concurrentPerform` starts its second worker 20-30 µs after the first on this 2-vCPU VM, so
/// with a fixed share that worker finished last on every call (the 120,000-row one-output kernel
/// took 160 µs instead of 125 µs), and a core busy with other work held up the whole call.
func forEachChunk(count: Int, chunk: Int, scratchCount: Int,
                  _ body: (Range<Int>, UnsafeMutablePointer<Float>) -> Void) {
    let chunks = (count + chunk - 1) / chunk
    let workers = min(chunks, BackgroundThread.workers(activeCores))
    if workers <= 1 {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: max(scratchCount, 1)) { scratch in
            for c in 0..<chunks { body((c * chunk)..<min(count, (c + 1) * chunk), scratch.baseAddress!) }
        }
        return
    }
    let next = ChunkCounter()
    withoutActuallyEscaping(body) { body in
        let shared = SharedDuringCall(body)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: max(scratchCount, 1)) { scratch in
                while true {
                    let c = next.claim()
                    guard c < chunks else { break }
                    shared.value((c * chunk)..<min(count, (c + 1) * chunk), scratch.baseAddress!)
                }
            }
        }
    }
}

/// The next unclaimed chunk of one `forEachChunk` call, shared by its workers.
private final class ChunkCounter: Sendable {
    private let next = Atomic<Int>(0)

    /// A chunk index no other worker gets (past the last chunk once all are claimed). Relaxed: the
    /// chunks' data is published by `concurrentPerform`'s start and end, not by this counter.
    func claim() -> Int { next.wrappingAdd(1, ordering: .relaxed).oldValue }
}

/// A chunk body handed to the workers of one `concurrentPerform` call.
///
/// It is not checked for `Sendable` because it captures the caller's buffers. That is sound here and
/// only here: `concurrentPerform` returns after every worker is done (so nothing outlives the call),
/// the buffers it reads are not mutated during the call, and each worker writes only the output rows
/// of its own chunks, which never overlap.
private struct SharedDuringCall: @unchecked Sendable {
    let value: (Range<Int>, UnsafeMutablePointer<Float>) -> Void
    init(_ value: @escaping (Range<Int>, UnsafeMutablePointer<Float>) -> Void) { self.value = value }
}

/// Cores this process may use.
let activeCores: Int = {
    #if canImport(Glibc)
    return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    #else
    return 4
    #endif
}()
