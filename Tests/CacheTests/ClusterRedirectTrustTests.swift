@testable import Cache
import Foundation
import Synchronization
import XCTest

/// A MOVED/ASK reply names a host, and following it opens a connection that starts with AUTH: the
/// password must only ever go to nodes of the cluster's own slot map. A scripted seed node redirects
/// to a scripted "trap" node that records whatever reaches it.
final class ClusterRedirectTrustTests: XCTestCase {
    /// Values the scripts read while the test changes them.
    final class Setting<Value: Sendable>: Sendable {
        private let value: Mutex<Value>
        init(_ value: Value) { self.value = Mutex(value) }
        var current: Value {
            get { value.withLock { $0 } }
            set { value.withLock { $0 = newValue } }
        }
    }

    func testRedirectToANodeOutsideTheSlotMapReceivesNoPassword() async throws {
        let trap = try ScriptedRedisNode { command in
            command.first?.uppercased() == "AUTH" ? ScriptedRedisNode.ok : "$-1\r\n"
        }
        defer { trap.stop() }
        let seedPort = Setting(0)
        let mapListsTrap = Setting(false)
        let seed = try ScriptedRedisNode { command in
            switch command.first?.uppercased() {
            case "AUTH": return ScriptedRedisNode.ok
            case "CLUSTER": return ScriptedRedisNode.clusterSlots([seedPort.current] + (mapListsTrap.current ? [trap.port] : []))
            case "GET", "SET":
                let key = command.count > 1 ? command[1] : ""
                let slot = RedisClusterRouter.slot(for: Array(key.utf8))
                return ScriptedRedisNode.error("\(key.hasPrefix("ask") ? "ASK" : "MOVED") \(slot) 127.0.0.1:\(trap.port)")
            default: return ScriptedRedisNode.error("ERR unexpected \(command.first ?? "")")
            }
        }
        defer { seed.stop() }
        seedPort.current = seed.port
        let cache = try RedisCache(url: "redis://:hunter2-cluster@127.0.0.1:\(seed.port)",
                                   configuration: .init(poolSize: 1, breakerThreshold: 100, cluster: true))

        // Not in the map, still not after reloading it: refused, a miss, and the trap sees nothing.
        let moved = await cache.get("moved-key")
        XCTAssertNil(moved)
        await cache.set("moved-key", [1], ttl: .seconds(60))
        let asked = await cache.get("ask-key")
        XCTAssertNil(asked)
        XCTAssertEqual(trap.connections, 0, "a connection (and so AUTH) went to a host outside the slot map")
        XCTAssertEqual(cache.statistics.refusedRedirects, 3)
        XCTAssertEqual(cache.statistics.redirects, 0)
        XCTAssertTrue(cache.lastError?.contains("refused a redirect to 127.0.0.1:\(trap.port)") ?? false, cache.lastError ?? "nil")
        XCTAssertFalse(cache.lastError?.contains("hunter2") ?? true)
        // Each refusal first reloaded the map (plus the first load).
        XCTAssertEqual(seed.commands.filter { $0.first == "CLUSTER" }.count, 4)
        XCTAssertEqual(cache.breakerState, "closed")

        // Control: once the cluster's map lists the node, the redirect is followed after one reload,
        // and the trap does get the password: the refusal above is what kept it away.
        mapListsTrap.current = true
        _ = await cache.get("moved-again")
        XCTAssertGreaterThan(trap.connections, 0)
        XCTAssertTrue(trap.commands.contains(["AUTH", "hunter2-cluster"]), "\(trap.commands)")
        XCTAssertEqual(cache.statistics.refusedRedirects, 3)
    }
}
