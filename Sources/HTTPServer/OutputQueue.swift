/// Bytes waiting to be written to a connection's socket, as a list of arrays so large bodies are
/// sent from the application's own array without copying.
struct OutputQueue {
    enum FlushResult {
        case drained
        case blocked
        case failed(Int32)
    }

    private var segments: [[UInt8]] = []
    private var first = 0
    private var offset = 0
    /// Bytes not yet accepted by the socket.
    private(set) var pendingBytes = 0

    var isEmpty: Bool { pendingBytes == 0 }

    mutating func append(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        segments.append(bytes)
        pendingBytes += bytes.count
    }

    /// Writes as much as the socket accepts without blocking.
    mutating func flush(to fd: Int32) -> FlushResult {
        while first < segments.count {
            let more = first + 1 < segments.count
            let start = offset
            let n = segments[first].withUnsafeBytes { raw in
                Socket.transmit(fd, raw.baseAddress! + start, raw.count - start, more: more)
            }
            if n > 0 {
                offset += n
                pendingBytes -= n
                if offset == segments[first].count {
                    first += 1
                    offset = 0
                }
                continue
            }
            let code = Socket.lastError
            if n < 0 && Socket.isInterrupted(code) { continue }
            if n < 0 && Socket.isWouldBlock(code) {
                compact()
                return .blocked
            }
            return .failed(n == 0 ? 0 : code)
        }
        segments.removeAll(keepingCapacity: segments.capacity <= 16)
        first = 0
        offset = 0
        return .drained
    }

    /// Drops everything (the connection is closing).
    mutating func discard() {
        segments = []
        first = 0
        offset = 0
        pendingBytes = 0
    }

    private mutating func compact() {
        if first > 0 {
            segments.removeFirst(first)
            first = 0
        }
    }
}
