import Cache
import Foundation
import HTTPServer
import Pricing
import PricingAPI
import TestSupport
import XCTest

/// Per-product data in Redis: the first replica to inflate a product's shard shares its context rows;
/// a fresh replica takes them from Redis and answers exactly as if it had read its own store; a
/// value altered in Redis is ignored.
final class ProductRowsCacheTests: XCTestCase {
    func get(_ router: PricingRouter, _ code: String, bins: Int) async -> HTTPResponse {
        await router.handle(HTTPRequest(method: "GET", path: "/v1/predict-price/\(code)", query: "num_price_bins=\(bins)", headers: ["Host": "x"]))
    }

    func body(_ response: HTTPResponse) -> [UInt8] {
        if case .bytes(let b) = response.body { return b }
        return []
    }

    func metric(_ name: String) async -> Double {
        let router = PricingRouter(slot: EngineSlot(), cors: CORSPolicy(allowedOrigins: []))
        let text = String(decoding: body(await router.handle(HTTPRequest(method: "GET", path: "/metrics", headers: ["Host": "x"]))), as: UTF8.self)
        let line = text.split(separator: "\n").first { $0.hasPrefix(name + " ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
    }

    func testAFreshReplicaTakesProductRowsFromRedis() async throws {
        let redis = try RedisServerHarness()
        try redis.start()
        defer { redis.stop() }
        let cache = try RedisCache(url: redis.url)
        var ready = false
        for _ in 0..<100 where !ready {
            await cache.set("probe", [1], ttl: .seconds(5))
            ready = await cache.get("probe") == [1]
            if !ready { try await Task.sleep(for: .milliseconds(50)) }
        }
        XCTAssertTrue(ready, "redis-server did not come up")
        let code = "85123A"
        let first = PricingRouter(engine: try PricingEngine(path: CommittedModels.root), cors: CORSPolicy(allowedOrigins: []), cache: cache)
        let fromArtifact = await metric(#"pricing_product_rows_total{source="artifact"}"#)
        let a = await get(first, code, bins: 20)
        XCTAssertEqual(a.status.code, 200)
        let artifactAfterFirst = await metric(#"pricing_product_rows_total{source="artifact"}"#)
        XCTAssertEqual(artifactAfterFirst, fromArtifact + 1)
        let engine = try XCTUnwrap(first.slot.engine)
        let storedValue = await cache.get(PriceAnswers.productKey(code, version: engine.version))
        let stored = try XCTUnwrap(storedValue)
        XCTAssertLessThan(stored.count, 5_000, "product rows should be compact")

        // A second replica (own engine, shard not inflated) with another query: rows come from Redis.
        let fresh = try PricingEngine(path: CommittedModels.root)
        XCTAssertFalse(fresh.store.hasRowsInMemory(code))
        let second = PricingRouter(engine: fresh, cors: CORSPolicy(allowedOrigins: []), cache: cache)
        let fromCache = await metric(#"pricing_product_rows_total{source="cache"}"#)
        let b = await get(second, code, bins: 33)
        XCTAssertEqual(b.status.code, 200)
        XCTAssertEqual(b.headers["x-cache"], "MISS")
        let cacheAfter = await metric(#"pricing_product_rows_total{source="cache"}"#)
        XCTAssertEqual(cacheAfter, fromCache + 1)
        XCTAssertFalse(fresh.store.hasRowsInMemory(code), "the fresh replica should not have inflated the shard")
        // The answer equals what the store's own rows give.
        let reference = try engine.sweep(SweepRequest(stockcode: code, bins: 33))
        XCTAssertEqual(body(b), CurveJSON.array(reference))

        // A value altered in Redis (one bit of one float) fails its seal: the third replica reads its
        // shard and rewrites a good value.
        let productKey = PriceAnswers.productKey(code, version: engine.version)
        guard case .bulk(var damaged?) = try redis.command(["GET", productKey]) else { return XCTFail("GET \(productKey)") }
        damaged[damaged.count - 3] ^= 0x40
        XCTAssertEqual(try redis.command([Array("SET".utf8), Array(productKey.utf8), damaged]), .status("OK"))
        let rejectedBefore = await metric("cache_rejected_values_total")
        let third = PricingRouter(engine: try PricingEngine(path: CommittedModels.root), cors: CORSPolicy(allowedOrigins: []), cache: cache)
        let artifactBefore = await metric(#"pricing_product_rows_total{source="artifact"}"#)
        let c = await get(third, code, bins: 34)
        XCTAssertEqual(c.status.code, 200)
        XCTAssertEqual(body(c), CurveJSON.array(try engine.sweep(SweepRequest(stockcode: code, bins: 34))))
        let artifactAfter = await metric(#"pricing_product_rows_total{source="artifact"}"#)
        XCTAssertEqual(artifactAfter, artifactBefore + 1)
        let rejectedAfter = await metric("cache_rejected_values_total")
        XCTAssertEqual(rejectedAfter, rejectedBefore + 1)
        let rewritten = await cache.get(PriceAnswers.productKey(code, version: engine.version))
        XCTAssertEqual(rewritten, stored)
    }
}
