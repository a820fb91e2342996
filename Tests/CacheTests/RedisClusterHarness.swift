import Foundation
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Three cluster-enabled redis-servers joined into one cluster (no replicas) with
/// `redis-cli --cluster create`; all 16384 slots covered.
final class RedisClusterHarness: Sendable {
    let nodes: [RedisServerHarness]

    init() throws {
        nodes = try (0..<3).map { _ in try RedisServerHarness(clusterNode: ()) }
        do {
            for node in nodes { try node.start() }
            guard let cli = RedisServerHarness.findExecutable("redis-cli") else {
                throw RedisServerHarness.Unavailable(description: "redis-cli not on PATH")
            }
            let create = Process()
            create.executableURL = URL(fileURLWithPath: cli)
            create.arguments = ["--cluster", "create"] + nodes.map { "127.0.0.1:\($0.port)" } + ["--cluster-replicas", "0", "--cluster-yes"]
            create.standardOutput = FileHandle.nullDevice
            create.standardError = FileHandle.nullDevice
            try create.run()
            create.waitUntilExit()
            guard create.terminationStatus == 0 else {
                throw RedisServerHarness.Unavailable(description: "redis-cli --cluster create failed")
            }
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline {
                let ok = nodes.allSatisfy { node in
                    guard case .bulk(let info?)? = try? node.command(["CLUSTER", "INFO"]) else { return false }
                    return String(decoding: info, as: UTF8.self).contains("cluster_state:ok")
                }
                if ok { return }
                usleep(50_000)
            }
            throw RedisServerHarness.Unavailable(description: "cluster did not reach cluster_state:ok")
        } catch {
            stop()
            throw error
        }
    }

    var seedURL: String { nodes[0].url }

    func stop() { for node in nodes { node.stop() } }

    func nodeID(_ node: RedisServerHarness) throws -> String {
        guard case .bulk(let id?) = try node.command(["CLUSTER", "MYID"]) else {
            throw RedisServerHarness.Unavailable(description: "CLUSTER MYID")
        }
        return String(decoding: id, as: UTF8.self)
    }

    /// The node serving `key` (the others answer MOVED).
    func owner(of key: String) throws -> RedisServerHarness {
        for node in nodes where !(try node.command(["EXISTS", key])).isError { return node }
        throw RedisServerHarness.Unavailable(description: "no owner for \(key)")
    }

    func keySlot(_ key: [UInt8]) throws -> Int {
        guard case .integer(let slot) = try nodes[0].command([Array("CLUSTER".utf8), Array("KEYSLOT".utf8), key]) else {
            throw RedisServerHarness.Unavailable(description: "CLUSTER KEYSLOT")
        }
        return slot
    }
}
