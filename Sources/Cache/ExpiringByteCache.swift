// Cache module: keeps computed answers (bytes) for a while. The in-process LRU is the embedded
// default; a Redis-backed cache (libhiredis) is the shared option for several replicas.

/// A byte-value cache with per-entry expiry. Implementations never throw: a cache that cannot answer
/// behaves as a miss, so cache trouble never fails a request.
public protocol ExpiringByteCache: Sendable {
    /// The value stored under `key`, or nil when absent, expired or unavailable.
    func get(_ key: String) async -> [UInt8]?
    /// Stores `value` under `key` for `ttl`; values larger than the cache accepts are dropped.
    func set(_ key: String, _ value: [UInt8], ttl: Duration) async
    /// A one-line description for /readyz and logs (kind, size, state).
    var status: CacheStatus { get async }
    /// Whether other replicas read what this cache stores (worth sharing per-product data through it).
    var sharedAcrossReplicas: Bool { get }
}

extension ExpiringByteCache {
    public var sharedAcrossReplicas: Bool { false }
}

/// What the cache reports about itself.
public struct CacheStatus: Sendable, Equatable {
    public let kind: String
    public let entries: Int
    public let bytes: Int
    public let healthy: Bool

    public init(kind: String, entries: Int, bytes: Int, healthy: Bool) {
        self.kind = kind
        self.entries = entries
        self.bytes = bytes
        self.healthy = healthy
    }
}
