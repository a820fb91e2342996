import ArtifactFormats
import Cache
import Foundation
import HTTPServer
import Pricing
import PricingAPI
import TestSupport
import XCTest

/// Whoever can write to the shared Redis (without the cache secret) must not choose the prices the
/// replicas serve: a planted, CRC-era, moved or over-inflating value is ignored, the answer is
/// computed as if the cache were empty, and the key is overwritten with a genuine value.
final class CacheTamperingTests: XCTestCase {
    private let secret = Array("tampering-tests-secret-0123456789abcdef".utf8)

    func get(_ router: PricingRouter, _ query: String, gzip: Bool = false) async -> HTTPResponse {
        var headers: HTTPHeaders = ["Host": "x"]
        if gzip { headers.add("Accept-Encoding", "gzip") }
        return await router.handle(HTTPRequest(method: "GET", path: "/v1/predict-price/85123A", query: query, headers: headers))
    }

    func body(_ response: HTTPResponse) -> [UInt8] {
        if case .bytes(let b) = response.body { return b }
        return []
    }

    func rejectedCount(_ router: PricingRouter) async -> Double {
        let text = String(decoding: body(await router.handle(HTTPRequest(method: "GET", path: "/metrics", headers: ["Host": "x"]))), as: UTF8.self)
        let line = text.split(separator: "\n").first { $0.hasPrefix("cache_rejected_values_total ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
    }

    /// A predict-price value in the layout before signing (magic PCv4, CRC-32 of the body): what an
    /// attacker could recompute.
    func crcEraValue(version: String, model: String, rows: Int, json: [UInt8]) -> [UInt8] {
        func u32(_ n: Int) -> [UInt8] { withUnsafeBytes(of: UInt32(n).littleEndian) { Array($0) } }
        func string(_ s: String) -> [UInt8] { u32(s.utf8.count) + Array(s.utf8) }
        let gz = Gzip.compress(json)
        return Array("PCv4".utf8) + string(version) + string(model) + string("85123A") + u32(0) + u32(rows)
            + u32(Int(Gzip.crc32(gz))) + u32(gz.count) + gz
    }

    func testTamperedValuesInRedisAreIgnoredAndTheAnswerStaysRight() async throws {
        let redis = try RedisServerHarness()
        try redis.start()
        defer { redis.stop() }
        let cache = try RedisCache(url: redis.url, seal: ValueSeal(secret: secret))
        let engine = try PricingEngine(path: CommittedModels.root)
        let router = PricingRouter(engine: engine, cors: CORSPolicy(allowedOrigins: []), cache: cache)
        func key(_ query: [(String, String)]) throws -> String {
            PriceAnswers.curveKey(try PredictPriceQuery.request(stockcode: "85123A", query: query), version: engine.version)
        }
        func expected(_ query: [(String, String)]) throws -> [UInt8] {
            CurveJSON.array(try engine.sweep(PredictPriceQuery.request(stockcode: "85123A", query: query)))
        }
        func plant(_ key: String, _ value: [UInt8]) throws {
            XCTAssertEqual(try redis.command([Array("SET".utf8), Array(key.utf8), value]), .status("OK"))
        }
        let query = [("num_price_bins", "10")]
        let other = [("num_price_bins", "10"), ("unit_cost", "0.5")]  // same product and rows, another answer
        let truth = try expected(query)
        XCTAssertNotEqual(truth, try expected(other))
        var rejected = await rejectedCount(router)

        /// Asks for `query` (plain and gzip); both answers must be the computed truth, the planted
        /// value counted once as rejected by its seal (when `bySeal`), and the key left holding a
        /// genuine value.
        func assertIgnored(_ what: String, bySeal: Bool = true, line: UInt = #line) async throws {
            for gzip in [false, true] {
                let response = await get(router, "num_price_bins=10", gzip: gzip)
                XCTAssertEqual(response.status.code, 200, what, line: line)
                let answer = response.headers["content-encoding"] == "gzip" ? try Gzip.decompress(body(response), file: "answer") : body(response)
                XCTAssertEqual(answer, truth, what, line: line)
            }
            let after = await rejectedCount(router)
            XCTAssertEqual(after, rejected + (bySeal ? 1 : 0), what, line: line)
            rejected = after
            let again = await cache.get(try key(query))
            XCTAssertEqual(again.flatMap(CachedCurve.init(decoding:))?.jsonArray(), truth, "\(what): not overwritten", line: line)
        }

        // A CRC-era frame whose rows say 0.01: the CRC is right, the seal missing.
        let forged = Array(String(decoding: truth, as: UTF8.self)
            .replacingOccurrences(of: "\"recommended_price\":", with: "\"recommended_price\":0.01,\"was\":").utf8)
        try plant(try key(query), crcEraValue(version: engine.version, model: "mlp", rows: 10, json: forged))
        try await assertIgnored("CRC-era frame")

        // The current layout, well formed (another query's answer), but not signed.
        let foreign = CachedCurve(try engine.sweep(PredictPriceQuery.request(stockcode: "85123A", query: other)))
        try plant(try key(query), foreign.encoded())
        try await assertIgnored("unsigned current-layout value")

        // A genuine signed value copied from another query's key: well formed and signed, but not for this key.
        _ = await get(router, "num_price_bins=10&unit_cost=0.5")
        guard case .bulk(let signed?) = try redis.command(["GET", try key(other)]) else { return XCTFail("no value for \(other)") }
        try plant(try key(query), signed)
        try await assertIgnored("value moved from another key")

        // Signed (by a holder of the secret, or a bug) but inflating far beyond what 10 rows can take:
        // the decoder refuses it before anything is inflated.
        let bomb = Gzip.compress([UInt8](repeating: 0x20, count: 8 << 20))
        let genuine = CachedCurve(try engine.sweep(PredictPriceQuery.request(stockcode: "85123A", query: query))).encoded()
        let head = Array(genuine.dropLast(CachedCurve(decoding: genuine)!.gzippedJSON.count + 8))
        func u32(_ n: Int) -> [UInt8] { withUnsafeBytes(of: UInt32(n).littleEndian) { Array($0) } }
        await cache.set(try key(query), head + u32(8 << 20) + u32(bomb.count) + bomb, ttl: .seconds(60))
        try await assertIgnored("over-inflating value", bySeal: false)
    }
}
