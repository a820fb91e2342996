@testable import Cache
import Foundation
import TestSupport
import XCTest

/// Values kept in Redis are signed for the key they are stored under: whoever can write to Redis
/// (but does not hold the secret) cannot plant a value, move one to another key, or replay one signed
/// with an old secret. Each such value is a miss, counted, and overwritten by the next store.
final class SealedValueTests: XCTestCase {
    private var server: RedisServerHarness!
    private let secret = Array("a-deployment-secret-of-at-least-32-bytes".utf8)

    override func setUpWithError() throws {
        server = try RedisServerHarness()
        try server.start()
    }

    override func tearDown() {
        server?.stop()
        server = nil
    }

    private func makeCache(secret: [UInt8]? = nil, _ configuration: RedisCache.Configuration = .init()) throws -> RedisCache {
        try RedisCache(url: server.url, configuration: configuration, seal: ValueSeal(secret: secret ?? self.secret))
    }

    private func raw(_ key: String) throws -> [UInt8]? {
        guard case .bulk(let bytes) = try server.command(["GET", key]) else { return nil }
        return bytes
    }

    private func write(_ key: String, _ value: [UInt8]) throws {
        XCTAssertEqual(try server.command([Array("SET".utf8), Array(key.utf8), value]), .status("OK"))
    }

    func testForgedValuesAreMissesCountedAndOverwritten() async throws {
        let cache = try makeCache()
        let genuine: [UInt8] = Array("the real curve".utf8)
        // A value another client wrote: plain bytes, a CRC-era frame, and a frame with the right
        // layout (version byte, 32-byte tag) but a tag made without the secret.
        let forgeries: [[UInt8]] = [
            Array("PCv4 forged prices".utf8),
            [ValueSeal.version] + [UInt8](repeating: 0xAB, count: ValueSeal.tagBytes) + genuine,
            [],
        ]
        for (i, forged) in forgeries.enumerated() {
            try write("k", forged)
            let read = await cache.get("k")
            XCTAssertNil(read, "forgery \(i) was accepted")
            XCTAssertEqual(cache.statistics.rejected, i + 1)
        }
        XCTAssertTrue(cache.lastError?.contains("failed verification") ?? false, cache.lastError ?? "nil")
        // The caller recomputes and stores: the forged value is replaced by a sealed one.
        await cache.set("k", genuine, ttl: .seconds(60))
        let stored = try XCTUnwrap(raw("k"))
        XCTAssertEqual(stored.count, genuine.count + ValueSeal.overhead)
        XCTAssertEqual(stored.first, ValueSeal.version)
        XCTAssertEqual(Array(stored.suffix(genuine.count)), genuine)
        let read = await cache.get("k")
        XCTAssertEqual(read, genuine)
        XCTAssertEqual(cache.statistics.rejected, 3)
        XCTAssertEqual(cache.breakerState, "closed")  // a forgery is not an outage
    }

    func testEveryByteOfASealedValueIsCovered() async throws {
        let cache = try makeCache()
        let genuine: [UInt8] = [0, 1, 2, 3, 255]
        await cache.set("k", genuine, ttl: .seconds(60))
        let stored = try XCTUnwrap(raw("k"))
        // Flip one bit in the version byte, in the tag, in the value; and truncate.
        var damaged = [stored.dropLast(1).map { $0 }]
        for index in [0, 1, ValueSeal.overhead - 1, ValueSeal.overhead, stored.count - 1] {
            var copy = stored
            copy[index] ^= 0x01
            damaged.append(copy)
        }
        for (i, value) in damaged.enumerated() {
            try write("k", value)
            let read = await cache.get("k")
            XCTAssertNil(read, "damage \(i) was accepted")
        }
        XCTAssertEqual(cache.statistics.rejected, damaged.count)
    }

    func testAValueMovedToAnotherKeyIsRefused() async throws {
        let cache = try makeCache(.init(keyPrefix: "svc:"))
        let cheap: [UInt8] = Array("price 0.01".utf8)
        await cache.set("product-A", cheap, ttl: .seconds(60))
        // Copied verbatim (seal and all) to another product's key, and to another prefix.
        let sealed = try XCTUnwrap(raw("svc:product-A"))
        try write("svc:product-B", sealed)
        let moved = await cache.get("product-B")
        XCTAssertNil(moved)
        let otherService = try makeCache(.init(keyPrefix: "other:"))
        try write("other:product-A", sealed)
        let crossPrefix = await otherService.get("product-A")
        XCTAssertNil(crossPrefix)
        // Where it was stored it still reads.
        let original = await cache.get("product-A")
        XCTAssertEqual(original, cheap)
        XCTAssertEqual(cache.statistics.rejected, 1)
        XCTAssertEqual(otherService.statistics.rejected, 1)
    }

    func testReplicasShareValuesOnlyUnderTheSameSecret() async throws {
        let replicaA = try makeCache(), replicaB = try makeCache()
        await replicaA.set("k", [42], ttl: .seconds(60))
        let shared = await replicaB.get("k")
        XCTAssertEqual(shared, [42])

        // A rotated secret: values signed with the old one are misses, then recomputed and overwritten.
        let rotated = try makeCache(secret: Array("the-next-deployment-secret-32-bytes-long".utf8))
        let old = await rotated.get("k")
        XCTAssertNil(old)
        XCTAssertEqual(rotated.statistics.rejected, 1)
        await rotated.set("k", [43], ttl: .seconds(60))
        let fresh = await rotated.get("k")
        XCTAssertEqual(fresh, [43])

        // Without a configured secret each process has its own: safe, but nothing is shared.
        let ephemeralA = try RedisCache(url: server.url), ephemeralB = try RedisCache(url: server.url)
        await ephemeralA.set("e", [1], ttl: .seconds(60))
        let own = await ephemeralA.get("e"), other = await ephemeralB.get("e")
        XCTAssertEqual(own, [1])
        XCTAssertNil(other)
    }
}

/// The seal without a server.
final class ValueSealTests: XCTestCase {
    func testShortSecretsAreRefusedWithAHint() {
        XCTAssertThrowsError(try ValueSeal(secret: Array("short".utf8))) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("at least 32"), message)
            XCTAssertTrue(message.contains("openssl rand"), message)
        }
    }

    func testSealOpensOnlyForItsKey() throws {
        let seal = try ValueSeal(secret: [UInt8](repeating: 7, count: 32))
        let sealed = seal.seal([1, 2, 3], key: Array("a".utf8))
        XCTAssertEqual(seal.open(sealed, key: Array("a".utf8)), [1, 2, 3])
        XCTAssertNil(seal.open(sealed, key: Array("b".utf8)))
        // The key's length is signed too: the tag of ("a", "b\u{1}") does not pass for ("ab", "\u{1}").
        let shifted = Array(seal.seal(Array("b".utf8) + [1], key: Array("a".utf8)).prefix(ValueSeal.overhead)) + [1]
        XCTAssertNil(seal.open(shifted, key: Array("ab".utf8)))
        XCTAssertNil(try ValueSeal(secret: [UInt8](repeating: 8, count: 32)).open(sealed, key: Array("a".utf8)))
        XCTAssertFalse(seal.isEphemeral)
        XCTAssertTrue(ValueSeal.ephemeral().isEphemeral)
    }
}
