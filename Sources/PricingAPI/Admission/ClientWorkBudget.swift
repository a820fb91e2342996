import Dispatch
import Synchronization

/// A token bucket per client address for uncached work: each client earns `rate` milliseconds of
/// work per second up to `burst`, and a request that costs more than it has left is refused with the
/// time until it would fit. Cached answers cost nothing, so only work a client forces on the service
/// is counted, and one client's work never spends another's budget.
///
/// The table is bounded: beyond `maximumClients` entries, buckets that have refilled completely (which
/// behave exactly like an absent entry) are dropped, then the oldest.
public final class ClientWorkBudget: Sendable {
    public let rate: Double
    public let burst: Double
    public static let maximumClients = 10_000

    private struct Bucket {
        var tokens: Double
        var updated: UInt64
    }

    private let buckets = Mutex<[String: Bucket]>([:])

    /// `rate` 0 admits everything.
    public init(millisecondsPerSecond rate: Double, burstMilliseconds burst: Double) {
        self.rate = rate
        self.burst = max(burst, 1)
    }

    /// Spends `cost` milliseconds of `client`'s budget, or returns the whole seconds after which it
    /// could (nothing is spent then). `time` (uptime ns) is for tests.
    public func spend(_ cost: Double, client: String, at time: UInt64? = nil) -> Int? {
        guard rate > 0 else { return nil }
        let now = time ?? DispatchTime.now().uptimeNanoseconds
        // A single piece of work larger than the bucket is charged the whole bucket, so it can run on a
        // full budget rather than never.
        let cost = min(cost, burst)
        return buckets.withLock { buckets in
            var bucket = buckets[client] ?? Bucket(tokens: burst, updated: now)
            bucket.tokens = min(burst, bucket.tokens + Double(now &- bucket.updated) / 1e9 * rate)
            bucket.updated = now
            if bucket.tokens < cost {
                buckets[client] = bucket
                return max(1, Int(((cost - bucket.tokens) / rate).rounded(.up)))
            }
            bucket.tokens -= cost
            if buckets[client] == nil && buckets.count >= Self.maximumClients { Self.prune(&buckets, now: now, rate: rate, burst: burst) }
            buckets[client] = bucket
            return nil
        }
    }

    /// Clients tracked now.
    public var count: Int { buckets.withLock { $0.count } }

    private static func prune(_ buckets: inout [String: Bucket], now: UInt64, rate: Double, burst: Double) {
        buckets = buckets.filter { burst - $0.value.tokens > Double(now &- $0.value.updated) / 1e9 * rate }
        while buckets.count >= maximumClients, let oldest = buckets.min(by: { $0.value.updated < $1.value.updated }) {
            buckets[oldest.key] = nil
        }
    }

    /// The client part of a peer address `ip:port` or `[ip]:port`: every connection from one address
    /// shares a budget. (Behind a proxy every client shares the proxy's; the service does not trust
    /// forwarding headers, which any client can set.)
    public static func client(ofPeer address: String) -> String {
        if address.hasPrefix("["), let end = address.firstIndex(of: "]") {
            return String(address[address.index(after: address.startIndex)..<end])
        }
        if let colon = address.lastIndex(of: ":"), address.firstIndex(of: ":") == colon { return String(address[..<colon]) }
        return address
    }
}
