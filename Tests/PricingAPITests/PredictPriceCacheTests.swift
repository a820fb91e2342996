import ArtifactFormats
import Cache
import HTTPServer
import Pricing
import PricingAPI
import Synchronization
import TestSupport
import XCTest

/// The predict-price cache: hits, normalized keys, version isolation, damaged values, single flight.
final class PredictPriceCacheTests: XCTestCase {
    /// An in-process cache that counts stores and can be pre-filled.
    final class CountingCache: ExpiringByteCache {
        let inner = InProcessCache(capacityBytes: 1 << 20)
        let stores = Mutex(0)
        func get(_ key: String) async -> [UInt8]? { await inner.get(key) }
        func set(_ key: String, _ value: [UInt8], ttl: Duration) async {
            stores.withLock { $0 += 1 }
            await inner.set(key, value, ttl: ttl)
        }
        var status: CacheStatus { get async { await inner.status } }
    }

    func get(_ router: PricingRouter, _ query: String) async -> HTTPResponse {
        await router.handle(HTTPRequest(method: "GET", path: "/v1/predict-price/85123A", query: query, headers: ["Host": "x"]))
    }

    func body(_ response: HTTPResponse) -> [UInt8] {
        if case .bytes(let b) = response.body { return b }
        return []
    }

    func testSecondRequestIsAHitWithTheSameBody() async throws {
        let cache = CountingCache()
        let router = PricingRouter(engine: try PricingEngine(path: CommittedModels.root), cors: CORSPolicy(allowedOrigins: []), cache: cache)
        let first = await get(router, "num_price_bins=30&unitprice_min=1.50")
        XCTAssertEqual(first.headers["x-cache"], "MISS")
        let second = await get(router, "unitprice_min=1.5&num_price_bins=30")  // same request, other spelling
        XCTAssertEqual(second.headers["x-cache"], "HIT")
        XCTAssertEqual(body(first), body(second))
        XCTAssertEqual(second.headers["x-model"], "mlp")
        let other = await get(router, "num_price_bins=31&unitprice_min=1.5")
        XCTAssertEqual(other.headers["x-cache"], "MISS")
        XCTAssertEqual(cache.stores.withLock { $0 }, 2)
        let ready = await router.handle(HTTPRequest(method: "GET", path: "/readyz", headers: ["Host": "x"]))
        XCTAssertTrue(String(decoding: body(ready), as: UTF8.self).contains(#""cache":{"kind":"in-process","entries":2"#))
    }

    func testKeysCarryTheModelVersionAndDamagedValuesAreIgnored() async throws {
        let engine = try PricingEngine(path: CommittedModels.root)
        let cache = CountingCache()
        let request = try PredictPriceQuery.request(stockcode: "85123A", query: [("num_price_bins", "10")])
        let key = PriceAnswers.curveKey(request, version: engine.version)
        XCTAssertTrue(key.contains(engine.version))
        XCTAssertNotEqual(key, PriceAnswers.curveKey(request, version: engine.version + "-next"))
        // A curve stored under this key by another version is not served.
        let curve = try engine.sweep(request)
        let foreign = PriceCurve(stockcode: curve.stockcode, description: curve.description, points: curve.points,
                                 recommendation: curve.recommendation, baseline: curve.baseline, model: curve.model, skippedModels: [],
                                 modelVersion: "v0-old", contextRows: curve.contextRows)
        await cache.inner.set(key, CachedCurve(foreign).encoded(), ttl: .seconds(60))
        let router = PricingRouter(engine: engine, cors: CORSPolicy(allowedOrigins: []), cache: cache)
        let response = await get(router, "num_price_bins=10")
        XCTAssertEqual(response.headers["x-cache"], "MISS")
        XCTAssertEqual(response.headers["x-model-version"], engine.version)
        // Garbage and truncated values are ignored and replaced.
        for damaged in [[UInt8]("garbage".utf8), Array(CachedCurve(curve).encoded().dropLast(5)), []] {
            await cache.inner.set(key, damaged, ttl: .seconds(60))
            let r = await get(router, "num_price_bins=10")
            XCTAssertEqual(r.status.code, 200)
            XCTAssertEqual(r.headers["x-cache"], "MISS")
        }
        let hit = await get(router, "num_price_bins=10")
        XCTAssertEqual(hit.headers["x-cache"], "HIT")
        // Gzip clients get the stored bytes; NDJSON clients get lines; both decode to the same rows.
        let gz = await router.handle(HTTPRequest(method: "GET", path: "/v1/predict-price/85123A", query: "num_price_bins=10",
                                                 headers: ["Host": "x", "Accept-Encoding": "gzip"]))
        XCTAssertEqual(gz.headers["x-cache"], "HIT")
        XCTAssertEqual(gz.headers["content-encoding"], "gzip")
        XCTAssertEqual(try Gzip.decompress(body(gz), file: "gz"), body(hit))
        let lines = await router.handle(HTTPRequest(method: "GET", path: "/v1/predict-price/85123A", query: "num_price_bins=10",
                                                    headers: ["Host": "x", "Accept": "application/x-ndjson"]))
        XCTAssertEqual(lines.headers["x-cache"], "HIT")
        XCTAssertEqual(String(decoding: body(lines), as: UTF8.self).split(separator: "\n").count, 10)
        XCTAssertEqual(CachedCurve(decoding: CachedCurve(curve).encoded()), CachedCurve(curve))
        XCTAssertEqual(CachedCurve(curve).jsonArray(), CurveJSON.array(curve))
        XCTAssertEqual(CachedCurve(curve).ndjson(), curve.points.flatMap { CurveJSON.line($0, curve: curve) })
        // Every row's decision fields survive the cache: the stored bytes are the rendered rows.
        let cachedRows = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(XCTUnwrap(CachedCurve(curve).jsonArray()))) as? [[String: Any]])
        XCTAssertEqual(cachedRows.count, 10)
        // Foundation's JSON reader on Linux may miss the last bit of a shortest-representation double: compare
        // the numbers to a relative 1e-12.
        func close(_ value: Any?, _ expected: Double) -> Bool {
            guard let v = (value as? NSNumber)?.doubleValue else { return false }
            return abs(v - expected) <= 1e-12 * max(1, abs(expected))
        }
        XCTAssertTrue(cachedRows.allSatisfy { close($0["recommended_price"], curve.recommendation.price)
                                              && $0["decision"] as? String == curve.recommendation.decision.rawValue
                                              && close($0["probability_of_gain"], curve.recommendation.probabilityOfGain) })
        XCTAssertLessThan(CachedCurve(curve).encoded().count, CurveJSON.array(curve).count / 3)  // compact
    }

    /// A cached body inflates at most to the size recorded beside it (which the row count bounds),
    /// never to the 1 GiB default of `Gzip.decompress`.
    func testCachedBodiesInflateOnlyToTheirRecordedSize() throws {
        let engine = try PricingEngine(path: CommittedModels.root)
        let curve = try engine.sweep(PredictPriceQuery.request(stockcode: "85123A", query: [("num_price_bins", "10")]))
        let genuine = CachedCurve(curve)
        XCTAssertEqual(genuine.jsonBytes, CurveJSON.array(curve).count)
        let encoded = genuine.encoded()
        // Everything up to and including the recorded JSON size; then the body's length and the body.
        let head = Array(encoded.dropLast(genuine.gzippedJSON.count + 4))
        func le32(_ n: Int) -> [UInt8] { withUnsafeBytes(of: UInt32(n).littleEndian) { Array($0) } }
        func framed(_ head: [UInt8], _ body: [UInt8]) -> [UInt8] { head + le32(body.count) + body }
        XCTAssertEqual(CachedCurve(decoding: framed(head, genuine.gzippedJSON)), genuine)

        let bomb = Gzip.compress([UInt8](repeating: 0x20, count: 8 << 20))  // 8 MiB of spaces in ~8 KB
        XCTAssertLessThan(bomb.count, 64 << 10)
        // Its gzip trailer declares 8 MiB, the header 10 rows' worth: refused without inflating.
        XCTAssertNil(CachedCurve(decoding: framed(head, bomb)))
        // A trailer patched to agree passes the cheap checks, but inflation stops at the recorded size.
        var lying = bomb
        lying.replaceSubrange((lying.count - 4)..., with: le32(genuine.jsonBytes))
        let decoded = try XCTUnwrap(CachedCurve(decoding: framed(head, lying)))
        XCTAssertNil(decoded.jsonArray())
        XCTAssertNil(decoded.ndjson())
        // A recorded size beyond what 10 rows can hold is refused, even with an honest trailer.
        var bigHead = head
        bigHead.replaceSubrange((bigHead.count - 4)..., with: le32(8 << 20))
        XCTAssertNil(CachedCurve(decoding: framed(bigHead, bomb)))
    }

    func testConcurrentIdenticalRequestsComputeOnce() async throws {
        let cache = CountingCache()
        let router = PricingRouter(engine: try PricingEngine(path: CommittedModels.root), cors: CORSPolicy(allowedOrigins: []), cache: cache)
        let statuses = await withTaskGroup(of: String.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    let request = HTTPRequest(method: "GET", path: "/v1/predict-price/85123A", query: "num_price_bins=1000&unit_cost=0.5",
                                              headers: ["Host": "x"])
                    return await router.handle(request).headers["x-cache"] ?? ""
                }
            }
            var out: [String] = []
            for await s in group { out.append(s) }
            return out
        }
        XCTAssertEqual(statuses.count, 16)
        XCTAssertEqual(cache.stores.withLock { $0 }, 1, "one computation stored, \(statuses)")
    }
}
