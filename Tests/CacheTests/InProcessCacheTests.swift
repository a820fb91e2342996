import Cache
import XCTest

final class InProcessCacheTests: XCTestCase {
    func testHitMissAndOverwrite() async {
        let cache = InProcessCache(capacityBytes: 10_000)
        await assertMissHitAndOverwrite(cache)
        let status = await cache.status
        XCTAssertEqual(status.entries, 1)
        XCTAssertEqual(status.bytes, 1 + 1 + 64)
    }

    func testExpiry() async throws {
        let cache = InProcessCache(capacityBytes: 10_000)
        await cache.set("short", [1], ttl: .milliseconds(50))
        await cache.set("long", [2], ttl: .seconds(60))
        try await Task.sleep(for: .milliseconds(120))
        let short = await cache.get("short"), long = await cache.get("long")
        XCTAssertNil(short)
        XCTAssertEqual(long, [2])
        let status = await cache.status
        XCTAssertEqual(status.entries, 1)  // the expired entry is gone, its bytes returned
    }

    func testEvictsLeastRecentlyUsedWithinTheByteBound() async {
        let value = [UInt8](repeating: 7, count: 100)
        let cost = 1 + 100 + 64
        let cache = InProcessCache(capacityBytes: 3 * cost)
        for key in ["a", "b", "c"] { await cache.set(key, value, ttl: .seconds(60)) }
        _ = await cache.get("a")  // a is now the most recently used
        await cache.set("d", value, ttl: .seconds(60))  // evicts b
        let b = await cache.get("b"), a = await cache.get("a"), d = await cache.get("d")
        XCTAssertNil(b)
        XCTAssertNotNil(a)
        XCTAssertNotNil(d)
        let status = await cache.status
        XCTAssertLessThanOrEqual(status.bytes, 3 * cost)
        // A value larger than the whole cache is not stored and evicts nothing.
        await cache.set("huge", [UInt8](repeating: 0, count: 10 * cost), ttl: .seconds(60))
        let huge = await cache.get("huge"), stillA = await cache.get("a")
        XCTAssertNil(huge)
        XCTAssertNotNil(stillA)
    }

    func testManyKeysStayConsistent() async {
        let cache = InProcessCache(capacityBytes: 50 * (2 + 8 + 64))
        for i in 0..<1000 { await cache.set(String(i % 97), [UInt8](repeating: UInt8(i % 256), count: 8), ttl: .seconds(60)) }
        let status = await cache.status
        XCTAssertLessThanOrEqual(status.bytes, 50 * (2 + 8 + 64))
        XCTAssertLessThanOrEqual(status.entries, 50)
        let last = await cache.get(String(999 % 97))
        XCTAssertEqual(last, [UInt8](repeating: UInt8(999 % 256), count: 8))
    }
}

final class SingleFlightTests: XCTestCase {
    actor Counter {
        var value = 0
        func increment() -> Int { value += 1; return value }
    }

    func testConcurrentIdenticalRequestsComputeOnce() async {
        let flight = SingleFlight<Int>()
        let counter = Counter()
        let results = await withTaskGroup(of: (Int, Bool).self) { group in
            for _ in 0..<20 {
                group.addTask {
                    await flight.run("k") {
                        try? await Task.sleep(for: .milliseconds(100))
                        return await counter.increment()
                    }
                }
            }
            var out: [(Int, Bool)] = []
            for await r in group { out.append(r) }
            return out
        }
        let computed = await counter.value
        XCTAssertEqual(computed, 1)
        XCTAssertEqual(results.filter(\.1).count, 1)
        XCTAssertTrue(results.allSatisfy { $0.0 == 1 })
        // A later call computes again.
        let again = await flight.run("k") { await counter.increment() }
        XCTAssertEqual(again.value, 2)
        XCTAssertTrue(again.computed)
    }
}
