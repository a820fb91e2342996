internal import Metrics
import Synchronization

/// An `ExpiringByteCache` in Redis (through libhiredis), shared by several replicas. Redis trouble never
/// fails a request: any error — refused connection, timeout, error reply, unexpected reply — makes
/// `get` a miss and `set` a no-op, and a broken connection is reopened on its next use. A circuit
/// breaker stops touching the network after `breakerThreshold` consecutive failures for
/// `breakerCoolDown`, then lets one trial call through; its success resumes caching.
///
/// Keys are stored as their UTF-8 bytes (after `keyPrefix`); values are stored sealed by a
/// `ValueSeal` (format version, HMAC-SHA256 over key and value) with `SET key value PX ttl`, and a
/// value read back counts only if its seal verifies for the key it was read from: anything else
/// (written by another client, moved from another key, signed with another secret) is a miss,
/// counted in `Statistics.rejected` and `cache_rejected_values_total`, and is overwritten by the
/// caller's next `set`. Values larger than `maxValueBytes` are neither stored nor returned.
/// With `cluster: true` the URL names a seed node of a Redis Cluster and each key goes to the
/// master owning its hash slot (one connection pool per node; one breaker for the whole cluster).
/// A redirect to a node the cluster's slot map does not list is refused (after one reload of the
/// map): the connection would carry the password to whatever host the reply names.
public final class RedisCache: ExpiringByteCache {
    public struct Configuration: Sendable, Equatable {
        /// Bound on opening a TCP connection (not on resolving a host name).
        public var connectTimeout: Duration
        /// Bound on each socket read/write of a command.
        public var commandTimeout: Duration
        /// Number of connections, i.e. of Redis calls in flight at once.
        public var poolSize: Int
        /// Larger values are not stored, and values read back larger than this are ignored (the
        /// seal's 33 bytes come on top).
        public var maxValueBytes: Int
        /// Consecutive failures that open the circuit breaker.
        public var breakerThreshold: Int
        /// How long an open breaker refuses calls before letting a trial through.
        public var breakerCoolDown: Duration
        /// Prepended to every key (e.g. "pricing:"), so several services can share a database.
        public var keyPrefix: String
        /// Redis Cluster: the URL names one node (a seed); keys are routed to the master owning
        /// their hash slot (CLUSTER SLOTS, MOVED/ASK redirects, `{hash tags}`). Database must be 0.
        public var cluster: Bool
        /// How long the DBSIZE/INFO figures of `status` (/readyz, /metrics) are reused before every
        /// master is asked again, so that frequent probes do not each cost a round of every master.
        public var statusInterval: Duration

        public init(
            connectTimeout: Duration = .milliseconds(250),
            commandTimeout: Duration = .milliseconds(250),
            poolSize: Int = 8,
            maxValueBytes: Int = 1 << 20,
            breakerThreshold: Int = 5,
            breakerCoolDown: Duration = .seconds(2),
            keyPrefix: String = "",
            cluster: Bool = false,
            statusInterval: Duration = .seconds(5)
        ) {
            self.connectTimeout = connectTimeout
            self.commandTimeout = commandTimeout
            self.poolSize = poolSize
            self.maxValueBytes = maxValueBytes
            self.breakerThreshold = breakerThreshold
            self.breakerCoolDown = breakerCoolDown
            self.keyPrefix = keyPrefix
            self.cluster = cluster
            self.statusInterval = statusInterval
        }
    }

    /// Counters since start, for metrics export.
    public struct Statistics: Sendable, Equatable {
        /// `get` calls that returned a value.
        public var hits = 0
        /// `get` calls that returned nil, for any reason (absent, expired, oversized, error, breaker open).
        public var misses = 0
        /// `set` calls that reached Redis and were acknowledged.
        public var stores = 0
        /// Failed Redis calls: connection/timeout/protocol failures plus error or unexpected replies.
        public var errors = 0
        /// Calls answered without touching the network because the breaker was open.
        public var shortCircuited = 0
        /// Values not stored (too large) or ignored on read (too large).
        public var oversized = 0
        /// Times the breaker opened.
        public var breakerOpenings = 0
        /// MOVED/ASK redirects followed (cluster mode).
        public var redirects = 0
        /// Values read back whose seal did not verify (foreign, forged, moved, other secret): misses.
        public var rejected = 0
        /// Redirects refused because they named a node outside the cluster's slot map.
        public var refusedRedirects = 0

        public init() {}
    }

    public let endpoint: RedisEndpoint
    public let configuration: Configuration
    private let router: RedisClusterRouter
    private let breaker: CircuitBreaker
    /// `configuration.keyPrefix` as bytes, converted once.
    private let keyPrefix: [UInt8]
    private let seal: ValueSeal
    private let storeFigures: RecentAnswer<(entries: Int, bytes: Int)>
    private let counters = Mutex(Statistics())
    private let lastFailure = Mutex<String?>(nil)

    /// A cache on the Redis at `url`. `seal` signs and verifies the values: give every replica the
    /// same secret (`ValueSeal(secret:)`) to share values; the default, a random per-process secret,
    /// is safe but shares nothing.
    public init(url: String, configuration: Configuration = .init(), seal: ValueSeal = .ephemeral()) throws {
        endpoint = try RedisEndpoint(url: url)
        guard configuration.poolSize >= 1 else { throw RedisCacheError.invalidConfiguration("poolSize must be at least 1") }
        guard configuration.connectTimeout > .zero, configuration.commandTimeout > .zero else {
            throw RedisCacheError.invalidConfiguration("timeouts must be positive")
        }
        guard configuration.maxValueBytes >= 0 else { throw RedisCacheError.invalidConfiguration("maxValueBytes must not be negative") }
        guard configuration.breakerThreshold >= 1 else { throw RedisCacheError.invalidConfiguration("breakerThreshold must be at least 1") }
        guard configuration.breakerCoolDown >= .zero else { throw RedisCacheError.invalidConfiguration("breakerCoolDown must not be negative") }
        guard configuration.statusInterval >= .zero else { throw RedisCacheError.invalidConfiguration("statusInterval must not be negative") }
        guard !configuration.cluster || endpoint.database == 0 else {
            throw RedisCacheError.invalidConfiguration("Redis Cluster has only database 0, the URL selects \(endpoint.database)")
        }
        self.configuration = configuration
        self.seal = seal
        storeFigures = RecentAnswer(maxAge: configuration.statusInterval)
        keyPrefix = Array(configuration.keyPrefix.utf8)
        router = RedisClusterRouter(endpoint: endpoint, cluster: configuration.cluster, poolSize: configuration.poolSize,
                                    connectTimeout: configuration.connectTimeout, commandTimeout: configuration.commandTimeout)
        breaker = CircuitBreaker(threshold: configuration.breakerThreshold, coolDown: configuration.breakerCoolDown)
    }

    // MARK: ExpiringByteCache

    /// Every replica pointed at the same Redis reads what this one stores.
    public var sharedAcrossReplicas: Bool { true }

    public func get(_ key: String) async -> [UInt8]? {
        let k = redisKey(key)
        let replies = await perform([[Self.get, k]], key: k)
        var value: [UInt8]?
        var failed = false, oversized = false, rejected = false
        switch replies?.first {
        case .string(let bytes)?:
            if bytes.count - ValueSeal.overhead > configuration.maxValueBytes {
                oversized = true
            } else {
                value = seal.open(bytes, key: k)
                rejected = value == nil
            }
        case .null?, nil:
            break
        case .error(let message)?:
            // e.g. WRONGTYPE when another client stored a list under the key: a miss.
            failed = true
            note("GET: \(message)")
        case let other?:
            failed = true
            note("GET: unexpected reply \(other)")
        }
        counters.withLock { c in
            if value != nil { c.hits += 1 } else { c.misses += 1 }
            if failed { c.errors += 1 }
            if oversized { c.oversized += 1 }
            if rejected { c.rejected += 1 }
        }
        if rejected {
            // Rare (an attack, a secret rotation, an older format), so the counter is looked up here.
            Counter(label: "cache_rejected_values_total").increment()
            note("GET: a value failed verification (not sealed with this secret for this key): ignored")
        }
        return value
    }

    public func set(_ key: String, _ value: [UInt8], ttl: Duration) async {
        guard value.count <= configuration.maxValueBytes else {
            counters.withLock { $0.oversized += 1 }
            return
        }
        guard ttl > .zero else { return }
        let (seconds, attoseconds) = ttl.components
        let (milliseconds, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return }
        // Rounded up, so a sub-millisecond TTL still means "store briefly", not "store forever".
        let px = milliseconds + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        let k = redisKey(key)
        let replies = await perform([[Self.set, k, seal.seal(value, key: k), Self.px, Array(String(px).utf8)]], key: k)
        guard let reply = replies?.first else { return }
        if case .status = reply {
            counters.withLock { $0.stores += 1 }
        } else {
            note("SET: unexpected reply \(reply)")
            counters.withLock { $0.errors += 1 }
        }
    }

    /// kind "redis"; entries = DBSIZE of the database (all keys, not only this service's), bytes =
    /// the server's used_memory (in cluster mode: summed over the masters); both -1 when unknown,
    /// and both up to `statusInterval` old. healthy = the breaker is closed, as of now. Asking for
    /// the figures goes through the breaker like any call, so it never waits on a Redis that is down.
    public var status: CacheStatus {
        get async {
            let figures = await storeFigures.value { await queryStoreFigures() }
            return CacheStatus(kind: "redis", entries: figures.entries, bytes: figures.bytes, healthy: breaker.state == .closed)
        }
    }

    /// DBSIZE and INFO memory of every master (a round trip each).
    private func queryStoreFigures() async -> (entries: Int, bytes: Int) {
        if router.claimRefresh() { await refreshSlots() }
        var entries = 0, bytes = 0
        for node in router.masters() {
            let replies = await perform([[Self.dbsize], [Self.info, Self.memory]], at: node)
            guard let replies, replies.count == 2 else { return (-1, -1) }
            if entries >= 0, case .integer(let n) = replies[0] { entries += n } else { entries = -1 }
            if bytes >= 0, case .string(let info) = replies[1], let used = Self.usedMemory(in: info) { bytes += used } else { bytes = -1 }
        }
        return (entries, bytes)
    }

    // MARK: Observability

    /// "closed", "open" or "half-open".
    public var breakerState: String { breaker.state.rawValue }

    /// A snapshot of the counters.
    public var statistics: Statistics {
        var snapshot = counters.withLock { $0 }
        snapshot.breakerOpenings = breaker.timesOpened
        return snapshot
    }

    /// The most recent failure, for logs and /readyz (never contains the password).
    public var lastError: String? { lastFailure.withLock { $0 } }

    // MARK: Internals

    private static let get = Array("GET".utf8)
    private static let set = Array("SET".utf8)
    private static let px = Array("PX".utf8)
    private static let dbsize = Array("DBSIZE".utf8)
    private static let info = Array("INFO".utf8)
    private static let memory = Array("memory".utf8)
    private static let asking = Array("ASKING".utf8)
    private static let clusterSlots: [[UInt8]] = [Array("CLUSTER".utf8), Array("SLOTS".utf8)]
    private static let maxRedirects = 5

    private func redisKey(_ key: String) -> [UInt8] {
        keyPrefix + Array(key.utf8)
    }

    /// Runs `commands` on the node serving `key` (cluster mode), following MOVED/ASK redirects.
    /// nil when the breaker refused or a call failed (both already counted). Error replies are
    /// returned: Redis answered, so they do not trip the breaker.
    private func perform(_ commands: [[[UInt8]]], key: [UInt8]) async -> [RedisValue]? {
        if router.claimRefresh() { await refreshSlots() }
        var node = router.node(forKey: key)
        var ask = false
        for _ in 0...Self.maxRedirects {
            guard let replies = await perform(ask ? [[Self.asking]] + commands : commands, at: node) else { return nil }
            let answer = ask ? Array(replies.dropFirst()) : replies
            guard router.isCluster, case .error(let message)? = answer.first,
                  let redirect = RedisClusterRouter.redirect(message)
            else { return answer }
            guard await isClusterNode(redirect.node) else {
                counters.withLock { $0.errors += 1; $0.refusedRedirects += 1 }
                note("refused a redirect to \(redirect.node): not a node of the cluster's slot map (CLUSTER SLOTS); "
                    + "no connection, and so no password, goes there")
                return nil
            }
            counters.withLock { $0.redirects += 1 }
            if !redirect.ask { router.apply(moved: redirect) }
            node = redirect.node
            ask = redirect.ask
        }
        counters.withLock { $0.errors += 1 }
        note("more than \(Self.maxRedirects) cluster redirects")
        return nil
    }

    /// Whether `node` is the seed or listed in the slot map, reloading the map once if it is not:
    /// a MOVED/ASK names a host, and connecting there would send it the password.
    private func isClusterNode(_ node: RedisClusterRouter.Node) async -> Bool {
        if router.isKnown(node) { return true }
        await refreshSlots()
        return router.isKnown(node)
    }

    /// Loads the cluster's slot map from the first node that gives one.
    private func refreshSlots() async {
        for node in router.refreshCandidates() {
            guard let replies = await perform([Self.clusterSlots], at: node) else {
                if breaker.isRefusing { break }
                continue
            }
            if let reply = replies.first, router.apply(clusterSlots: reply, from: node) { return }
            note("CLUSTER SLOTS on \(node): unexpected reply \(replies.first.map { "\($0)" } ?? "none")")
        }
        router.markStale()
    }

    /// One guarded round trip to `node`.
    private func perform(_ commands: [[[UInt8]]], at node: RedisClusterRouter.Node) async -> [RedisValue]? {
        // Cheap pre-check, so callers do not queue for a connection only to be refused.
        if breaker.isRefusing {
            counters.withLock { $0.shortCircuited += 1 }
            return nil
        }
        let result: Result<[RedisValue], RedisFailure>? = await router.pool(for: node).withConnection { connection in
            // Asked again now that we hold a connection: the breaker may have opened meanwhile.
            guard breaker.acquire() else { return nil }
            let result = await connection.execute(commands)
            switch result {
            case .success: breaker.recordSuccess()
            case .failure: breaker.recordFailure()
            }
            return result
        }
        switch result {
        case nil:
            counters.withLock { $0.shortCircuited += 1 }
            return nil
        case .failure(let failure)?:
            counters.withLock { $0.errors += 1 }
            note(router.isCluster ? "\(node): \(failure)" : failure.description)
            router.markStale()  // a node failing may mean a failover: reload the slot map
            return nil
        case .success(let replies)?:
            return replies
        }
    }

    private func note(_ message: String) {
        lastFailure.withLock { $0 = message }
    }

    /// `used_memory:<n>` from an INFO reply.
    static func usedMemory(in info: [UInt8]) -> Int? {
        let text = String(decoding: info, as: UTF8.self)
        for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix("used_memory:") {
            return Int(line.dropFirst("used_memory:".count).trimmingPrefix(while: \.isWhitespace))
        }
        return nil
    }
}
