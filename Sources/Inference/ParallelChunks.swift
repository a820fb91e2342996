import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Work split across cores: `body` runs on disjoint chunks of `0..<count`, at most `chunk` items
/// each, with one `scratch` buffer of `scratchCount` Floats per worker (allocated once per worker,
/// never per row). Small inputs run inline on the caller's thread.
func forEachChunk(count: Int, chunk: Int, scratchCount: Int,
                  _ body: (Range<Int>, UnsafeMutablePointer<Float>) -> Void) {
    let chunks = (count + chunk - 1) / chunk
    let workers = min(chunks, activeCores)
    if workers <= 1 {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: max(scratchCount, 1)) { scratch in
            for c in 0..<chunks { body((c * chunk)..<min(count, (c + 1) * chunk), scratch.baseAddress!) }
        }
        return
    }
    withoutActuallyEscaping(body) { body in
        let shared = SharedDuringCall(body)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: max(scratchCount, 1)) { scratch in
                var c = worker
                while c < chunks {
                    shared.value((c * chunk)..<min(count, (c + 1) * chunk), scratch.baseAddress!)
                    c += workers
                }
            }
        }
    }
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
