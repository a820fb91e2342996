import Cache
import Foundation
import HTTPServer
import Pricing
import PricingAPI
import TestSupport
import XCTest

/// Redis trouble never fails a request: predict-price keeps answering 200 while Redis is killed,
/// and caching resumes by itself when Redis comes back on the same port.
final class RedisOutageTests: XCTestCase {
    func request(_ router: PricingRouter, bins: Int) async -> HTTPResponse {
        await router.handle(HTTPRequest(method: "GET", path: "/v1/predict-price/85123A", query: "num_price_bins=\(bins)", headers: ["Host": "x"]))
    }

    func testRequestsSurviveRedisDyingAndCachingResumes() async throws {
        let redis = try RedisServerHarness()
        try redis.start()
        defer { redis.stop() }
        let cache = try RedisCache(url: redis.url,
                                   configuration: .init(breakerThreshold: 3, breakerCoolDown: .milliseconds(300)))
        let router = PricingRouter(engine: try PricingEngine(path: CommittedModels.root), cors: CORSPolicy(allowedOrigins: []), cache: cache)
        // Wait until Redis answers: a stored value reads back.
        var up = false
        for _ in 0..<50 where !up {
            await cache.set("probe", [1], ttl: .seconds(5))
            up = await cache.get("probe") == [1]
            if !up { try await Task.sleep(for: .milliseconds(100)) }
        }
        XCTAssertTrue(up, "redis-server did not come up")
        _ = await request(router, bins: 20)
        let hit = await request(router, bins: 20)
        XCTAssertEqual(hit.headers["x-cache"], "HIT")

        var statuses: [Int] = []
        for i in 0..<40 {
            if i == 10 {
                redis.kill9()
            }
            let started = ContinuousClock.now
            let response = await request(router, bins: 10 + i % 5)
            statuses.append(response.status.code)
            XCTAssertLessThan(ContinuousClock.now - started, .seconds(2), "request \(i) waited on a dead Redis")
        }
        XCTAssertEqual(Set(statuses), [200], "every request answered while Redis was down")
        XCTAssertNotEqual(cache.breakerState, "closed")
        let metrics = await router.handle(HTTPRequest(method: "GET", path: "/metrics", headers: ["Host": "x"]))
        if case .bytes(let text) = metrics.body {
            XCTAssertTrue(String(decoding: text, as: UTF8.self).contains(#"pricing_cache_healthy{kind="redis"} 0"#))
        }

        try redis.start()  // same port
        var resumed = false
        for _ in 0..<60 where !resumed {
            try await Task.sleep(for: .milliseconds(100))
            _ = await request(router, bins: 33)
            resumed = await request(router, bins: 33).headers["x-cache"] == "HIT"
        }
        XCTAssertTrue(resumed, "cache hits resume after Redis restarts")
        XCTAssertEqual(cache.breakerState, "closed")
    }
}
