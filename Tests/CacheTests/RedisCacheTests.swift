@testable import Cache
import Foundation
import Synchronization
import TestSupport
import XCTest

final class RedisCacheTests: XCTestCase {
    private var server: RedisServerHarness!

    override func setUpWithError() throws {
        server = try RedisServerHarness()
        try server.start()
    }

    override func tearDown() {
        server?.stop()
        server = nil
    }

    private func makeCache(_ configuration: RedisCache.Configuration = .init()) throws -> RedisCache {
        try RedisCache(url: server.url, configuration: configuration)
    }

    // MARK: Basics

    func testHitMissAndOverwrite() async throws {
        let cache = try makeCache()
        await assertMissHitAndOverwrite(cache)

        let stats = cache.statistics
        XCTAssertEqual(stats.hits, 2)
        XCTAssertEqual(stats.misses, 1)
        XCTAssertEqual(stats.stores, 2)
        XCTAssertEqual(stats.errors, 0)
        XCTAssertEqual(cache.breakerState, "closed")

        let status = await cache.status
        XCTAssertEqual(status.kind, "redis")
        XCTAssertEqual(status.entries, 1)
        XCTAssertGreaterThan(status.bytes, 0)
        XCTAssertTrue(status.healthy)
    }

    func testBinaryValuesAndKeys() async throws {
        let cache = try makeCache()
        let binary: [UInt8] = [0, 0, 255, 13, 10, 0, 36, 42, 0]
        await cache.set("bin", binary, ttl: .seconds(60))
        let read = await cache.get("bin")
        XCTAssertEqual(read, binary)

        let everyByte = (0..<4096).map { UInt8(truncatingIfNeeded: $0) }
        await cache.set("key with spaces\r\n%s %d\u{0}é", everyByte, ttl: .seconds(60))
        let weird = await cache.get("key with spaces\r\n%s %d\u{0}é")
        XCTAssertEqual(weird, everyByte)

        await cache.set("empty", [], ttl: .seconds(60))
        let empty = await cache.get("empty")
        XCTAssertEqual(empty, [])
        // Stored as the bytes behind their seal (version byte, 32-byte tag), readable by any client.
        guard case .bulk(let stored?) = try server.command([Array("GET".utf8), Array("bin".utf8)]) else { return XCTFail("GET") }
        XCTAssertEqual(Array(stored.dropFirst(ValueSeal.overhead)), binary)
    }

    func testTTLExpiry() async throws {
        let cache = try makeCache()
        await cache.set("short", [1], ttl: .milliseconds(200))
        await cache.set("long", [2], ttl: .seconds(60))
        let before = await cache.get("short")
        XCTAssertEqual(before, [1])
        if case .integer(let pttl) = try server.command(["PTTL", "short"]) {
            XCTAssertGreaterThan(pttl, 0)
            XCTAssertLessThanOrEqual(pttl, 200)
        } else {
            XCTFail("PTTL")
        }
        try await Task.sleep(for: .milliseconds(350))
        let after = await cache.get("short"), long = await cache.get("long")
        XCTAssertNil(after)
        XCTAssertEqual(long, [2])
    }

    func testKeyPrefixAndDatabaseSelection() async throws {
        let db0 = try makeCache(.init(keyPrefix: "svc:"))
        let db2 = try RedisCache(url: server.url + "/2")
        await db0.set("k", [1], ttl: .seconds(60))
        await db2.set("k", [2], ttl: .seconds(60))
        let a = await db0.get("k"), b = await db2.get("k")
        XCTAssertEqual(a, [1])
        XCTAssertEqual(b, [2])
        guard case .bulk(let stored?) = try server.command(["GET", "svc:k"]) else { return XCTFail("GET") }
        XCTAssertEqual(Array(stored.dropFirst(ValueSeal.overhead)), [1])
        XCTAssertEqual(try server.command(["EXISTS", "k"]), .integer(0))
    }

    // MARK: Foreign and oversized data

    /// The bound is on the caller's value; the seal's bytes come on top.
    func testOversizedValuesAreNotStoredAndIgnoredOnRead() async throws {
        let cache = try makeCache(.init(maxValueBytes: 1024))
        await cache.set("big", [UInt8](repeating: 7, count: 1025), ttl: .seconds(60))
        XCTAssertEqual(try server.command(["EXISTS", "big"]), .integer(0))
        await cache.set("fits", [UInt8](repeating: 7, count: 1024), ttl: .seconds(60))
        let fits = await cache.get("fits")
        XCTAssertEqual(fits?.count, 1024)

        // Written by another client, larger than this cache accepts: ignored.
        _ = try server.command([Array("SET".utf8), Array("foreign-big".utf8), [UInt8](repeating: 1, count: 5000)])
        let foreign = await cache.get("foreign-big")
        XCTAssertNil(foreign)
        XCTAssertEqual(cache.statistics.oversized, 2)
        XCTAssertEqual(cache.breakerState, "closed")
    }

    func testForeignValuesAreMisses() async throws {
        let cache = try makeCache()
        _ = try server.command([Array("SET".utf8), Array("k".utf8), Array("not what we wrote\u{0}\u{FF}".utf8)])
        let read = await cache.get("k")
        XCTAssertNil(read)
        XCTAssertEqual(cache.statistics.rejected, 1)
        XCTAssertEqual(cache.statistics.errors, 0)
    }

    func testNonStringKeyReadsAsMiss() async throws {
        let cache = try makeCache()
        XCTAssertEqual(try server.command(["LPUSH", "list", "x", "y"]), .integer(2))
        XCTAssertEqual(try server.command(["HSET", "hash", "f", "v"]), .integer(1))
        for _ in 0..<10 {  // more than the breaker threshold: a wrong type is not an outage
            let list = await cache.get("list"), hash = await cache.get("hash")
            XCTAssertNil(list)
            XCTAssertNil(hash)
        }
        XCTAssertEqual(cache.breakerState, "closed")
        XCTAssertEqual(cache.statistics.errors, 20)
        XCTAssertTrue(cache.lastError?.contains("WRONGTYPE") ?? false, cache.lastError ?? "nil")
        // SET replaces whatever type was there.
        await cache.set("list", [9], ttl: .seconds(60))
        let replaced = await cache.get("list")
        XCTAssertEqual(replaced, [9])
    }

    // MARK: Concurrency

    func testConcurrentGetsAndSets() async throws {
        let cache = try makeCache(.init(poolSize: 4))
        let results = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<50 {
                group.addTask {
                    let value = Array("value-\(i)".utf8) + [0, UInt8(i)]
                    await cache.set("c\(i)", value, ttl: .seconds(60))
                    await cache.set("shared", value, ttl: .seconds(60))
                    let own = await cache.get("c\(i)")
                    let shared = await cache.get("shared")
                    return own == value && shared?.starts(with: Array("value-".utf8)) == true
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        XCTAssertEqual(results.count, 50)
        XCTAssertTrue(results.allSatisfy { $0 })
        let stats = cache.statistics
        XCTAssertEqual(stats.hits, 100)
        XCTAssertEqual(stats.stores, 100)
        XCTAssertEqual(stats.errors, 0)
    }

    // MARK: Status

    func testStatusFiguresAreReusedWithinTheInterval() async throws {
        let cache = try makeCache(.init(statusInterval: .milliseconds(400)))
        await cache.set("k", [1], ttl: .seconds(60))
        let first = await cache.status
        XCTAssertEqual(first.entries, 1)
        // Probes within the interval (sequential and concurrent) do not ask Redis again.
        await cache.set("k2", [2], ttl: .seconds(60))
        for _ in 0..<5 { _ = await cache.status }
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<10 { group.addTask { _ = await cache.status } }
        }
        XCTAssertEqual(try dbsizeCalls(), 1)
        let reused = await cache.status
        XCTAssertEqual(reused.entries, 1)  // the figures of the first round
        XCTAssertTrue(reused.healthy)
        // After the interval, one new round.
        try await Task.sleep(for: .milliseconds(450))
        let later = await cache.status
        XCTAssertEqual(later.entries, 2)
        XCTAssertEqual(try dbsizeCalls(), 2)
    }

    /// How many DBSIZE commands the server has executed (INFO commandstats).
    private func dbsizeCalls() throws -> Int {
        guard case .bulk(let info?) = try server.command(["INFO", "commandstats"]) else { throw RedisServerHarness.Unavailable(description: "INFO") }
        let line = String(decoding: info, as: UTF8.self).split(whereSeparator: \.isNewline).first { $0.hasPrefix("cmdstat_dbsize:") }
        guard let calls = line?.split(separator: ",").first?.split(separator: "=").last, let n = Int(calls) else { return 0 }
        return n
    }

    // MARK: Outages

    func testRedisKilledUnderLoadThenRestarted() async throws {
        let cache = try makeCache(.init(commandTimeout: .milliseconds(250), poolSize: 4, breakerThreshold: 5,
                                        breakerCoolDown: .milliseconds(500)))
        let clock = ContinuousClock()
        let stop = Shared(false)
        let slowest = Shared(Duration.zero)

        let load = Task {
            await withTaskGroup(of: Void.self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        var n = 0
                        while !stop.value {
                            let start = clock.now
                            await cache.set("load-\(worker)-\(n % 20)", [UInt8(worker), 0, UInt8(n % 256)], ttl: .seconds(30))
                            _ = await cache.get("load-\(worker)-\((n + 7) % 20)")
                            let elapsed = clock.now - start
                            slowest.update { $0 = max($0, elapsed) }
                            n += 1
                            try? await Task.sleep(for: .milliseconds(2))
                        }
                    }
                }
            }
        }

        try await Task.sleep(for: .milliseconds(300))
        XCTAssertGreaterThan(cache.statistics.hits, 0)
        server.kill9()

        // While Redis is down: a get is a prompt miss and the breaker opens.
        let downStart = clock.now
        let whileDown = await cache.get("load-0-1")
        XCTAssertNil(whileDown)
        XCTAssertLessThan(clock.now - downStart, .seconds(1))
        var opened = false
        for _ in 0..<100 where !opened {
            opened = cache.breakerState == "open"
            if !opened { try await Task.sleep(for: .milliseconds(10)) }
        }
        XCTAssertTrue(opened, "breaker should open, is \(cache.breakerState)")
        let status = await cache.status  // refused by the open breaker: no network
        XCTAssertFalse(status.healthy)
        XCTAssertEqual(status.entries, -1)
        XCTAssertGreaterThan(cache.statistics.shortCircuited, 0)

        try await Task.sleep(for: .milliseconds(700))  // through at least one failing half-open trial
        server.kill9()
        try server.start()

        // Back: within a few seconds the breaker closes and values round-trip again.
        let recoveryStart = clock.now
        var recovered = false
        while !recovered, clock.now - recoveryStart < .seconds(5) {
            await cache.set("after-restart", [42], ttl: .seconds(30))
            recovered = await cache.get("after-restart") == [42]
            if !recovered { try await Task.sleep(for: .milliseconds(50)) }
        }
        XCTAssertTrue(recovered, "caching did not resume; last error: \(cache.lastError ?? "nil")")
        let hitsBefore = cache.statistics.hits
        try await Task.sleep(for: .milliseconds(200))
        XCTAssertGreaterThan(cache.statistics.hits, hitsBefore, "load should hit again")
        XCTAssertEqual(cache.breakerState, "closed")
        let healthy = await cache.status
        XCTAssertTrue(healthy.healthy)

        stop.update { $0 = true }
        await load.value
        let worst = slowest.value
        XCTAssertLessThan(worst, .seconds(1), "a get+set pair took \(worst)")
        XCTAssertGreaterThanOrEqual(cache.statistics.breakerOpenings, 1)
    }

    func testStalledRedisIsBoundedByTimeouts() async throws {
        let timeout = Duration.milliseconds(200)
        let cache = try makeCache(.init(commandTimeout: timeout, breakerThreshold: 3, breakerCoolDown: .milliseconds(300)))
        await cache.set("k", [1], ttl: .seconds(60))
        // The bound is relative to a reference measured here and now: one answered command plus a wait as long as
        // the command timeout. Idle, that is ~0.2 s; on a loaded machine every wake-up is late by the same delays a
        // timed-out command sees, so a fixed 1 s bound failed at load 14 while the code was right. A call that waits
        // for the stall instead of its timeout never returns before resume(), so the bound still catches it.
        let clock = ContinuousClock()
        let referenceStart = clock.now
        let answered = await cache.get("k")
        XCTAssertEqual(answered, [1])
        try await Task.sleep(for: timeout)
        let reference = clock.now - referenceStart
        let bound = max(.seconds(1), reference * 4)
        server.pause()
        for _ in 0..<3 {
            let start = clock.now
            let value = await cache.get("k")
            XCTAssertNil(value)
            XCTAssertLessThan(clock.now - start, bound, "reference \(reference)")
        }
        XCTAssertEqual(cache.breakerState, "open")
        XCTAssertTrue(cache.lastError?.contains("timed out") ?? false, cache.lastError ?? "nil")
        // The open breaker refuses without sending a command: it is counted as short-circuited, not as an error,
        // and takes less than one answered command plus one timeout's wait did.
        let before = cache.statistics
        let start = clock.now
        let refused = await cache.get("k")
        let refusedIn = clock.now - start
        XCTAssertNil(refused)
        XCTAssertLessThan(refusedIn, reference)
        XCTAssertEqual(cache.statistics.shortCircuited, before.shortCircuited + 1)
        XCTAssertEqual(cache.statistics.errors, before.errors)

        server.resume()
        try await Task.sleep(for: .milliseconds(350))
        let back = await cache.get("k")
        XCTAssertEqual(back, [1])
        XCTAssertEqual(cache.breakerState, "closed")
    }

    func testUnreachablePortGivesMissesNotErrors() async throws {
        let port = try RedisServerHarness.freePort()
        let cache = try RedisCache(url: "redis://127.0.0.1:\(port)", configuration: .init(breakerCoolDown: .seconds(30)))
        let clock = ContinuousClock()
        let start = clock.now
        for i in 0..<20 {
            await cache.set("k\(i)", [1], ttl: .seconds(1))
            let value = await cache.get("k\(i)")
            XCTAssertNil(value)
        }
        XCTAssertLessThan(clock.now - start, .seconds(2))
        XCTAssertEqual(cache.breakerState, "open")
        let stats = cache.statistics
        XCTAssertEqual(stats.errors, 5)
        XCTAssertEqual(stats.shortCircuited, 35)
        XCTAssertEqual(stats.misses, 20)
        let status = await cache.status
        XCTAssertEqual(status, CacheStatus(kind: "redis", entries: -1, bytes: -1, healthy: false))
        XCTAssertTrue(cache.lastError?.contains("connect") ?? false, cache.lastError ?? "nil")
    }

    func testPasswordAuthentication() async throws {
        server.stop()
        server = try RedisServerHarness(extraArguments: ["--requirepass", "s3cr:et/@"])
        try server.start()
        let good = try RedisCache(url: "redis://:s3cr%3Aet%2F%40@127.0.0.1:\(server.port)")
        await good.set("k", [5], ttl: .seconds(60))
        let read = await good.get("k")
        XCTAssertEqual(read, [5])

        let bad = try RedisCache(url: "redis://:wrong@127.0.0.1:\(server.port)")
        let miss = await bad.get("k")
        XCTAssertNil(miss)
        XCTAssertTrue(bad.lastError?.contains("AUTH") ?? false, bad.lastError ?? "nil")
        XCTAssertFalse(bad.lastError?.contains("wrong") ?? true)

        let none = try RedisCache(url: server.url)
        let noAuth = await none.get("k")
        XCTAssertNil(noAuth)
        XCTAssertEqual(none.statistics.errors, 1)  // NOAUTH error reply
    }
}

/// A value shared between test tasks.
private final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    var value: Value { mutex.withLock { $0 } }
    func update(_ body: (inout Value) -> Void) { mutex.withLock { body(&$0) } }
}

/// Tests that need no server.
final class RedisCacheConfigurationTests: XCTestCase {
    func testURLParsing() throws {
        XCTAssertEqual(try RedisEndpoint(url: "redis://localhost:6380"), RedisEndpoint(host: "localhost", port: 6380))
        XCTAssertEqual(try RedisEndpoint(url: "redis://cache.internal"), RedisEndpoint(host: "cache.internal", port: 6379))
        XCTAssertEqual(try RedisEndpoint(url: "redis://:pw@10.0.0.1:7000/3"),
                       RedisEndpoint(host: "10.0.0.1", port: 7000, password: "pw", database: 3))
        XCTAssertEqual(try RedisEndpoint(url: "REDIS://user:p%40ss@h:1/"),
                       RedisEndpoint(host: "h", port: 1, username: "user", password: "p@ss"))
        XCTAssertEqual(try RedisEndpoint(url: "redis://[::1]:6379/1"), RedisEndpoint(host: "::1", port: 6379, database: 1))
        XCTAssertEqual(try RedisEndpoint(url: "redis://:pw@h:1/2").description, "redis://:***@h:1/2")
    }

    func testBadURLsAreClearErrors() {
        let bad: [(String, String)] = [
            ("localhost:6379", "missing scheme"),
            ("http://localhost:6379", "unsupported scheme"),
            ("rediss://localhost:6379", "TLS"),
            ("redis://", "missing host"),
            ("redis://:6379", "missing host"),
            ("redis://host:port", "port 'port'"),
            ("redis://host:0", "port '0'"),
            ("redis://host:70000", "port '70000'"),
            ("redis://host:", "port ''"),
            ("redis://host:6379/db", "database 'db'"),
            ("redis://host:6379/-1", "database '-1'"),
            ("redis://secret@host:6379", "user info"),
            ("redis://host:6379?timeout=1", "query"),
        ]
        for (url, expected) in bad {
            XCTAssertThrowsError(try RedisCache(url: url), url) { error in
                let text = String(describing: error)
                XCTAssertTrue(text.contains("invalid Redis URL"), text)
                XCTAssertTrue(text.contains(expected), "\(url): \(text)")
                XCTAssertFalse(text.contains("secret"), "password leaked: \(text)")
            }
        }
        XCTAssertThrowsError(try RedisCache(url: "redis://h:1", configuration: .init(poolSize: 0)))
    }

    func testCircuitBreakerStates() async throws {
        let breaker = CircuitBreaker(threshold: 3, coolDown: .milliseconds(100))
        XCTAssertEqual(breaker.state, .closed)
        for _ in 0..<2 {
            XCTAssertTrue(breaker.acquire())
            breaker.recordFailure()
        }
        XCTAssertTrue(breaker.acquire())
        breaker.recordSuccess()  // a success resets the count
        for _ in 0..<3 {
            XCTAssertTrue(breaker.acquire())
            breaker.recordFailure()
        }
        XCTAssertEqual(breaker.state, .open)
        XCTAssertFalse(breaker.acquire())
        XCTAssertTrue(breaker.isRefusing)

        try await Task.sleep(for: .milliseconds(150))
        XCTAssertFalse(breaker.isRefusing)
        XCTAssertTrue(breaker.acquire())  // the one trial
        XCTAssertEqual(breaker.state, .halfOpen)
        XCTAssertFalse(breaker.acquire())  // others are still refused
        breaker.recordFailure()
        XCTAssertEqual(breaker.state, .open)
        XCTAssertFalse(breaker.acquire())

        try await Task.sleep(for: .milliseconds(150))
        XCTAssertTrue(breaker.acquire())
        breaker.recordSuccess()
        XCTAssertEqual(breaker.state, .closed)
        XCTAssertTrue(breaker.acquire())
        XCTAssertEqual(breaker.timesOpened, 2)
    }

    func testUsedMemoryParsing() {
        let info = Array("# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\n".utf8)
        XCTAssertEqual(RedisCache.usedMemory(in: info), 1_048_576)
        XCTAssertNil(RedisCache.usedMemory(in: Array("garbage".utf8)))
    }
}
