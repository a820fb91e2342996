/// A connection's receive buffer: one contiguous allocation that bytes are read into and parsed in
/// place. It starts small (idle connections stay cheap), grows only while a request head needs it,
/// and shrinks back once empty.
///
/// Owned by a single ``HTTPConnection`` and only touched on its queue.
final class ReceiveBuffer {
    private var storage: UnsafeMutableRawBufferPointer
    /// Start of the unconsumed bytes.
    private(set) var readIndex = 0
    /// End of the valid bytes.
    private(set) var writeIndex = 0
    private let initialCapacity: Int

    init(initialCapacity: Int) {
        self.initialCapacity = max(initialCapacity, 512)
        storage = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    }

    deinit {
        storage.deallocate()
    }

    var readableCount: Int { writeIndex - readIndex }
    var capacity: Int { storage.count }

    /// The unconsumed bytes. Valid until the next mutating call.
    var readable: UnsafeBufferPointer<UInt8> {
        guard let base = storage.baseAddress else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: (base + readIndex).assumingMemoryBound(to: UInt8.self), count: readableCount)
    }

    /// Marks `count` readable bytes as consumed.
    func consume(_ count: Int) {
        readIndex += min(count, readableCount)
        if readIndex == writeIndex {
            readIndex = 0
            writeIndex = 0
        }
    }

    /// Reads once from `fd` into free space, growing the buffer up to `maxCapacity`.
    /// Returns the `recv` result (0 = EOF, -1 = error with errno set), or -2 if the buffer is full.
    func read(from fd: Int32, maxCapacity: Int) -> Int {
        if !prepareSpace(maxCapacity: maxCapacity) { return -2 }
        guard let base = storage.baseAddress else { return -2 }
        let n = Socket.receive(fd, base + writeIndex, storage.count - writeIndex)
        if n > 0 { writeIndex += n }
        return n
    }

    /// Releases a grown buffer while the connection is idle.
    func shrinkIfIdle() {
        if readableCount == 0 && storage.count > initialCapacity {
            storage.deallocate()
            storage = UnsafeMutableRawBufferPointer(start: nil, count: 0)
            readIndex = 0
            writeIndex = 0
        }
    }

    private func prepareSpace(maxCapacity: Int) -> Bool {
        if storage.baseAddress == nil {
            storage = .allocate(byteCount: initialCapacity, alignment: 16)
            return true
        }
        let free = storage.count - writeIndex
        if free >= 1024 || (free > 0 && storage.count >= maxCapacity) { return true }
        // Move the unconsumed bytes to the front if that frees enough space.
        if readIndex > 0 {
            let count = readableCount
            if let base = storage.baseAddress, count > 0 {
                (base).copyMemory(from: base + readIndex, byteCount: count)
            }
            readIndex = 0
            writeIndex = count
            if storage.count - writeIndex >= 1024 { return true }
        }
        guard storage.count < maxCapacity else { return storage.count > writeIndex }
        let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: min(storage.count * 2, maxCapacity), alignment: 16)
        if let base = storage.baseAddress, let dest = grown.baseAddress, writeIndex > 0 {
            dest.copyMemory(from: base, byteCount: writeIndex)
        }
        storage.deallocate()
        storage = grown
        return true
    }
}
