#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `body` with `count` uninitialised Floats allocated the way NumPy allocates an array on Linux,
/// for the kernel rows of the benchmark, which are compared with NumPy's sgemm on arrays NumPy made.
///
/// NumPy (numpy/_core/src/multiarray/alloc.c) mallocs the data and, for 4 MB or more, asks for
/// transparent huge pages with `madvise(MADV_HUGEPAGE)` from the first 4 KB page boundary on (this
/// machine's THP setting is `madvise`, so only memory asked for gets them). A Swift array gets 4 KB
/// pages. The one-output layer streams 15 MB once per call: on 4 KB pages that is 3,750 pages, more
/// than the second-level TLB holds, and the hardware prefetcher stops at each page boundary, so the
/// same kernel ran 1.2-1.5x slower on them than on NumPy's kind of memory, which made the row compare
/// allocations rather than kernels. `hugePages: false` keeps 4 KB pages (`bench --no-huge-pages`).
func withNumPyLikeAllocation<R>(count: Int, hugePages: Bool, _ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
    let bytes = max(1, count) * MemoryLayout<Float>.stride
    guard let raw = malloc(bytes) else { fatalError("cannot allocate \(bytes) bytes for the benchmark") }
    defer { free(raw) }
    #if os(Linux)
    let page = 4096
    if hugePages && bytes >= 1 << 22 {
        let offset = page - Int(bitPattern: raw) % page
        _ = madvise(raw + offset, bytes - offset, MADV_HUGEPAGE)  // advice: without THP it is a no-op
    }
    #endif
    return try body(UnsafeMutableBufferPointer(start: raw.bindMemory(to: Float.self, capacity: count), count: count))
}
