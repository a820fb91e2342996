@testable import Cache
import Foundation
import Synchronization
import TestSupport
import XCTest

/// `RedisCache` in cluster mode against a real three-master Redis Cluster on loopback, created
/// once for the class (it takes ~2 s) and emptied before each test.
final class RedisClusterTests: XCTestCase {
    private static let shared = Mutex<RedisClusterHarness?>(nil)
    private var cluster: RedisClusterHarness!

    override func setUpWithError() throws {
        cluster = try Self.shared.withLock { shared in
            if let existing = shared { return existing }
            let created = try RedisClusterHarness()
            shared = created
            return created
        }
        for node in cluster.nodes { _ = try node.command(["FLUSHALL"]) }
    }

    override class func tearDown() {
        shared.withLock { shared in
            shared?.stop()
            shared = nil
        }
        super.tearDown()
    }

    func testHashSlotsMatchTheServer() throws {
        XCTAssertEqual(RedisClusterRouter.crc16(Array("123456789".utf8)[...]), 0x31C3)
        let keys: [[UInt8]] = [
            "foo", "bar", "{user1000}.following", "{user1000}.followers", "foo{}{bar}", "foo{{bar}}zap",
            "foo{bar}{zap}", "{}", "{", "}{x}", "price:v3:abc", "",
        ].map { Array($0.utf8) } + [[0, 255, 123, 0, 125], (0..<300).map { UInt8(truncatingIfNeeded: $0) }]
        for key in keys {
            XCTAssertEqual(RedisClusterRouter.slot(for: key), try cluster.keySlot(key), "\(key)")
        }
        XCTAssertEqual(RedisClusterRouter.slot(for: Array("{user1000}.following".utf8)),
                       RedisClusterRouter.slot(for: Array("{user1000}.followers".utf8)))
    }

    func testKeysAreRoutedToTheirMasters() async throws {
        let cache = try RedisCache(url: cluster.seedURL, configuration: .init(poolSize: 2, cluster: true))
        for i in 0..<60 {
            await cache.set("key-\(i)", [UInt8(i), 0, 1], ttl: .seconds(60))
        }
        for i in 0..<60 {
            let value = await cache.get("key-\(i)")
            XCTAssertEqual(value, [UInt8(i), 0, 1])
        }
        // Spread over all three masters, each holding only its own keys; no redirect was needed.
        for node in cluster.nodes {
            guard case .integer(let n) = try node.command(["DBSIZE"]) else { return XCTFail("DBSIZE") }
            XCTAssertGreaterThan(n, 5)
        }
        let stats = cache.statistics
        XCTAssertEqual(stats.redirects, 0)
        XCTAssertEqual(stats.hits, 60)
        XCTAssertEqual(stats.errors, 0)
        let status = await cache.status
        XCTAssertEqual(status.entries, 60)
        XCTAssertTrue(status.healthy)

        // Hash tags keep keys together; an unknown key is a miss, not a redirect loop.
        await cache.set("{order-7}.a", [1], ttl: .seconds(60))
        await cache.set("{order-7}.b", [2], ttl: .seconds(60))
        let owner = try cluster.owner(of: "{order-7}.a")
        guard case .array(let both?) = try owner.command(["MGET", "{order-7}.a", "{order-7}.b"]) else { return XCTFail("MGET") }
        XCTAssertEqual(both.map(unsealed), [[1], [2]])
        let missing = await cache.get("never-set")
        XCTAssertNil(missing)
    }

    func testMovedAndAskRedirectsAreFollowed() async throws {
        let cache = try RedisCache(url: cluster.seedURL, configuration: .init(poolSize: 2, cluster: true))
        let warm = await cache.get("warm-up")  // loads the slot map
        XCTAssertNil(warm)

        // MOVED: the slot of "moved-key" changes owner behind the cache's back.
        let from = try cluster.owner(of: "moved-key")
        let to = cluster.nodes.first { $0 !== from }!
        let slot = try cluster.keySlot(Array("moved-key".utf8))
        let toID = try cluster.nodeID(to)
        for node in [to] + cluster.nodes.filter({ $0 !== to }) {
            XCTAssertEqual(try node.command(["CLUSTER", "SETSLOT", String(slot), "NODE", toID]), .status("OK"))
        }
        await cache.set("moved-key", [7, 0, 7], ttl: .seconds(60))
        XCTAssertEqual(cache.statistics.redirects, 1)
        XCTAssertEqual(unsealed(try to.command(["GET", "moved-key"])), [7, 0, 7])
        let moved = await cache.get("moved-key")  // the slot map knows the new owner now
        XCTAssertEqual(moved, [7, 0, 7])
        XCTAssertEqual(cache.statistics.redirects, 1)

        // ASK: the slot of "ask-key" is being migrated; keys not on the source are on the target.
        let source = try cluster.owner(of: "ask-key")
        let target = cluster.nodes.first { $0 !== source }!
        let askSlot = try cluster.keySlot(Array("ask-key".utf8))
        XCTAssertEqual(try target.command(["CLUSTER", "SETSLOT", String(askSlot), "IMPORTING", try cluster.nodeID(source)]), .status("OK"))
        XCTAssertEqual(try source.command(["CLUSTER", "SETSLOT", String(askSlot), "MIGRATING", try cluster.nodeID(target)]), .status("OK"))
        await cache.set("ask-key", [4, 2], ttl: .seconds(60))
        let asked = await cache.get("ask-key")
        XCTAssertEqual(asked, [4, 2])
        XCTAssertEqual(cache.statistics.redirects, 3)  // one ASK each; ASK does not change the slot map
        XCTAssertEqual(cache.statistics.errors, 0)
        XCTAssertEqual(cache.breakerState, "closed")
        for node in [source, target] {
            _ = try node.command(["CLUSTER", "SETSLOT", String(askSlot), "STABLE"])
        }
    }
}

/// The value behind a stored value's seal (version byte and tag).
private func unsealed(_ reply: RedisServerHarness.Reply) -> [UInt8]? {
    guard case .bulk(let bytes?) = reply else { return nil }
    return Array(bytes.dropFirst(ValueSeal.overhead))
}

extension RedisCacheConfigurationTests {
    func testClusterModeRejectsADatabase() {
        XCTAssertThrowsError(try RedisCache(url: "redis://127.0.0.1:7000/1", configuration: .init(cluster: true)))
    }

    func testRedirectParsing() {
        XCTAssertEqual(RedisClusterRouter.redirect("MOVED 3999 127.0.0.1:6381"),
                       .init(ask: false, slot: 3999, node: .init(host: "127.0.0.1", port: 6381)))
        XCTAssertEqual(RedisClusterRouter.redirect("ASK 1 ::1:7000"), .init(ask: true, slot: 1, node: .init(host: "::1", port: 7000)))
        XCTAssertNil(RedisClusterRouter.redirect("WRONGTYPE Operation against a key holding the wrong kind of value"))
        XCTAssertNil(RedisClusterRouter.redirect("MOVED 99999 h:1"))
    }
}
