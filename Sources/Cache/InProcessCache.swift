import Synchronization

/// The embedded default: an LRU bounded in bytes (keys + values), with the same expiry semantics as
/// Redis' `SET key value EX ttl`. Lookups and stores are O(1) under one lock.
public final class InProcessCache: ExpiringByteCache {
    /// Bytes of bookkeeping counted per entry on top of key and value.
    static let entryOverhead = 64

    private struct Entry {
        var key: String
        var value: [UInt8]
        var expiresAt: ContinuousClock.Instant
        var previous: Int
        var next: Int
        var cost: Int { key.utf8.count + value.count + InProcessCache.entryOverhead }
    }

    /// Entries in a slab with an intrusive doubly linked list, most recently used at `head`.
    private struct State {
        var slots: [Entry?] = []
        var free: [Int] = []
        var index: [String: Int] = [:]
        var head = -1
        var tail = -1
        var bytes = 0
    }

    public let capacityBytes: Int
    private let clock = ContinuousClock()
    private let state = Mutex(State())

    public init(capacityBytes: Int) {
        self.capacityBytes = capacityBytes
    }

    public var status: CacheStatus {
        get async {
            state.withLock { CacheStatus(kind: "in-process", entries: $0.index.count, bytes: $0.bytes, healthy: true) }
        }
    }

    public func get(_ key: String) async -> [UInt8]? {
        let now = clock.now
        return state.withLock { s -> [UInt8]? in
            guard let i = s.index[key], let entry = s.slots[i] else { return nil }
            if entry.expiresAt <= now {
                Self.remove(i, from: &s)
                return nil
            }
            Self.unlink(i, in: &s)
            Self.pushFront(i, in: &s)
            return entry.value
        }
    }

    public func set(_ key: String, _ value: [UInt8], ttl: Duration) async {
        let entry = Entry(key: key, value: value, expiresAt: clock.now.advanced(by: ttl), previous: -1, next: -1)
        guard entry.cost <= capacityBytes, ttl > .zero else { return }
        state.withLock { s in
            if let old = s.index[key] { Self.remove(old, from: &s) }
            while s.bytes + entry.cost > capacityBytes, s.tail >= 0 { Self.remove(s.tail, from: &s) }
            let i: Int
            if let reused = s.free.popLast() {
                i = reused
                s.slots[i] = entry
            } else {
                i = s.slots.count
                s.slots.append(entry)
            }
            s.index[key] = i
            s.bytes += entry.cost
            Self.pushFront(i, in: &s)
        }
    }

    private static func unlink(_ i: Int, in s: inout State) {
        let p = s.slots[i]!.previous, n = s.slots[i]!.next
        if p >= 0 { s.slots[p]!.next = n } else { s.head = n }
        if n >= 0 { s.slots[n]!.previous = p } else { s.tail = p }
        s.slots[i]!.previous = -1
        s.slots[i]!.next = -1
    }

    private static func pushFront(_ i: Int, in s: inout State) {
        s.slots[i]!.next = s.head
        s.slots[i]!.previous = -1
        if s.head >= 0 { s.slots[s.head]!.previous = i }
        s.head = i
        if s.tail < 0 { s.tail = i }
    }

    private static func remove(_ i: Int, from s: inout State) {
        unlink(i, in: &s)
        let entry = s.slots[i]!
        s.bytes -= entry.cost
        s.index[entry.key] = nil
        s.slots[i] = nil
        s.free.append(i)
    }
}
