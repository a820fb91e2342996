import Synchronization

/// Where each command goes. Standalone: always the URL's server. Cluster: the master owning the
/// key's hash slot, from a slot map loaded with CLUSTER SLOTS (lazily, and again after a failure
/// or a MOVED redirect); a connection pool per node, opened on first use. Only the seed and the
/// nodes the last slot map listed are trusted with a connection (and so with the password).
final class RedisClusterRouter: Sendable {
    struct Node: Hashable, Sendable, CustomStringConvertible {
        var host: String
        var port: Int
        var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    struct Redirect: Equatable, Sendable {
        var ask: Bool
        var slot: Int
        var node: Node
    }

    static let slotCount = 16384

    private struct State {
        var pools: [Node: RedisConnectionPool] = [:]
        /// Owner of each slot (cluster mode; empty until the first CLUSTER SLOTS).
        var slots: [Node?] = []
        /// Every node (master or replica) the last CLUSTER SLOTS reply listed.
        var members: Set<Node> = []
        var needsRefresh = true
    }

    let seed: Node
    let isCluster: Bool
    private let endpoint: RedisEndpoint
    private let poolSize: Int
    private let connectTimeout: Duration
    private let commandTimeout: Duration
    private let state = Mutex(State())

    init(endpoint: RedisEndpoint, cluster: Bool, poolSize: Int, connectTimeout: Duration, commandTimeout: Duration) {
        self.endpoint = endpoint
        seed = Node(host: endpoint.host, port: endpoint.port)
        isCluster = cluster
        self.poolSize = poolSize
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
    }

    /// The connection pool for `node` (created on first use; connections open lazily).
    func pool(for node: Node) -> RedisConnectionPool {
        state.withLock { s in
            if let pool = s.pools[node] { return pool }
            var nodeEndpoint = endpoint
            nodeEndpoint.host = node.host
            nodeEndpoint.port = node.port
            let pool = RedisConnectionPool(endpoint: nodeEndpoint, size: poolSize,
                                           connectTimeout: connectTimeout, commandTimeout: commandTimeout)
            s.pools[node] = pool
            return pool
        }
    }

    /// The node to send a command on `key` to (the seed when the slot's owner is unknown).
    func node(forKey key: [UInt8]) -> Node {
        guard isCluster else { return seed }
        let slot = Self.slot(for: key)
        return state.withLock { s in s.slots.isEmpty ? nil : s.slots[slot] } ?? seed
    }

    /// True for one caller when the slot map should be (re)loaded; that caller then loads it.
    func claimRefresh() -> Bool {
        guard isCluster else { return false }
        return state.withLock { s in
            defer { s.needsRefresh = false }
            return s.needsRefresh
        }
    }

    func markStale() {
        if isCluster { state.withLock { $0.needsRefresh = true } }
    }

    /// Nodes to ask for the slot map: the seed first, then the others known.
    func refreshCandidates() -> [Node] {
        let known = state.withLock { s in Set(s.slots.compactMap { $0 }).union(s.pools.keys) }
        return [seed] + known.subtracting([seed]).sorted { $0.description < $1.description }
    }

    /// Whether `node` is the seed or a node the last slot map listed: the only nodes a redirect may
    /// send a connection to.
    func isKnown(_ node: Node) -> Bool {
        node == seed || state.withLock { $0.members.contains(node) }
    }

    /// Every node owning at least one slot (the seed when the map is unknown).
    func masters() -> [Node] {
        let owners = state.withLock { s in Set(s.slots.compactMap { $0 }) }
        return owners.isEmpty ? [seed] : owners.sorted { $0.description < $1.description }
    }

    /// Installs the slot map from a CLUSTER SLOTS reply got from `source`. False if the reply is
    /// not a slot map.
    func apply(clusterSlots reply: RedisValue, from source: Node) -> Bool {
        guard case .array(let ranges) = reply, !ranges.isEmpty else { return false }
        var slots = [Node?](repeating: nil, count: Self.slotCount)
        var members: Set<Node> = []
        for range in ranges {
            guard case .array(let fields) = range, fields.count >= 3,
                  case .integer(let first) = fields[0], case .integer(let last) = fields[1],
                  0 <= first, first <= last, last < Self.slotCount,
                  case .array(let master) = fields[2], master.count >= 2,
                  case .string(let hostBytes) = master[0], case .integer(let port) = master[1], (1...65535).contains(port)
            else { return false }
            var host = String(decoding: hostBytes, as: UTF8.self)
            if host.isEmpty || host == "?" { host = source.host }  // "the node you asked"
            let node = Node(host: host, port: port)
            for slot in first...last { slots[slot] = node }
            members.insert(node)
            // Replicas follow the master: [host, port, id, ...] each.
            for case .array(let replica) in fields.dropFirst(3) where replica.count >= 2 {
                if case .string(let replicaHost) = replica[0], case .integer(let replicaPort) = replica[1], (1...65535).contains(replicaPort) {
                    let name = String(decoding: replicaHost, as: UTF8.self)
                    members.insert(Node(host: name.isEmpty || name == "?" ? source.host : name, port: replicaPort))
                }
            }
        }
        state.withLock { s in
            s.slots = slots
            s.members = members
            s.needsRefresh = false
        }
        return true
    }

    /// After MOVED to a known node: the slot lives elsewhere now (a full reload follows on the next call).
    func apply(moved redirect: Redirect) {
        state.withLock { s in
            if s.slots.isEmpty { s.slots = [Node?](repeating: nil, count: Self.slotCount) }
            s.slots[redirect.slot] = redirect.node
            s.needsRefresh = true
        }
    }

    /// Parses "MOVED <slot> <host>:<port>" / "ASK <slot> <host>:<port>" error replies.
    static func redirect(_ message: String) -> Redirect? {
        let parts = message.split(separator: " ")
        guard parts.count == 3, parts[0] == "MOVED" || parts[0] == "ASK",
              let slot = Int(parts[1]), (0..<slotCount).contains(slot),
              let colon = parts[2].lastIndex(of: ":"), let port = Int(parts[2][parts[2].index(after: colon)...]),
              (1...65535).contains(port)
        else { return nil }
        var host = parts[2][..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        return Redirect(ask: parts[0] == "ASK", slot: slot, node: Node(host: String(host), port: port))
    }

    /// The cluster hash slot of `key`: CRC16 (XMODEM) mod 16384 of the key, or of its hash tag —
    /// the bytes between the first "{" and the next "}", when there are any.
    static func slot(for key: [UInt8]) -> Int {
        var hashed = key[...]
        if let open = key.firstIndex(of: UInt8(ascii: "{")),
           let close = key[(open + 1)...].firstIndex(of: UInt8(ascii: "}")), close > open + 1 {
            hashed = key[(open + 1)..<close]
        }
        return Int(crc16(hashed) % UInt16(slotCount))
    }

    static func crc16(_ bytes: ArraySlice<UInt8>) -> UInt16 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc ^= UInt16(byte) << 8
            for _ in 0..<8 {
                crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1
            }
        }
        return crc
    }
}
