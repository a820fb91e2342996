import Dispatch
import Foundation
import HTTPServer
import Logging
import Pricing
import PricingAPI
import Storage
import Synchronization
import TestSupport
import XCTest

/// Hot reload on a real server on loopback: a new version swaps in under load with no failed request
/// and no answer mixing versions; bad versions are rejected while the old one keeps serving.
final class ModelReloadTests: XCTestCase {
    static let token = "reload-test-token"
    var root: VersionedRoot!
    var server: HTTPServer!
    var port = 0
    var slot: EngineSlot!

    override func setUp() async throws {
        root = try VersionedRoot()
        slot = EngineSlot()
        let reloader = ModelReloader(source: LocalArtifactSource(path: root.path), slot: slot, trust: TestSigning.trust, logger: Logger(label: "reload-test"))
        guard case .swapped = await reloader.reload() else { return XCTFail("the base version does not load") }
        var configuration = HTTPServer.Configuration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        let router = PricingRouter(slot: slot, cors: CORSPolicy(allowedOrigins: []), reloader: reloader, adminToken: Self.token)
        server = HTTPServer(configuration: configuration, handler: router)
        port = try server.start()
    }

    override func tearDown() async throws {
        await server?.shutdown(gracePeriod: .seconds(2))
        root?.remove()
    }

    func request(_ method: String, _ target: String, token: String? = ModelReloadTests.token) throws -> TestClient.Response {
        let client = try TestClient(port: port, timeout: 60)
        var head = "\(method) \(target) HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: 0\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        try client.send(head + "\r\n")
        return try client.readResponse()
    }

    func reload(force: Bool = false) throws -> TestClient.Response {
        try request("POST", "/admin/reload" + (force ? "?force=true" : ""))
    }

    func servingVersion() throws -> String? {
        let ready = try request("GET", "/readyz")
        return (try JSONSerialization.jsonObject(with: Data(ready.body)) as? [String: Any])?["model_version"] as? String
    }

    /// One answer seen by the load: the version header and the price grid's ends.
    struct Observation {
        let status: Int
        let version: String
        let low: Double
        let high: Double
        let started: UInt64
        let stockcode: String
    }

    func testReloadUnderLoadSwapsAtomicallyWithNoFailedRequest() async throws {
        let newVersion = "v2-reload-test"
        try root.variant(newVersion, priceScale: 3)
        let baseEngine = try XCTUnwrap(slot.engine)
        let store = baseEngine.store
        let codes = Array(store.products.prefix(40).map(\.stockcode))
        let stop = Atomic<Bool>(false)
        let observations = Mutex<[Observation]>([])
        let failures = Mutex<[String]>([])
        let group = DispatchGroup()
        let clients = 8
        for client in 0..<clients {
            DispatchQueue.global().async(group: group) { [port] in
                var i = client
                while !stop.load(ordering: .relaxed) {
                    let code = codes[i % codes.count]
                    i += clients
                    let started = DispatchTime.now().uptimeNanoseconds
                    do {
                        let connection = try TestClient(port: port, timeout: 20)
                        try connection.send("GET /v1/predict-price/\(code)?num_price_bins=12 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                        let response = try connection.readResponse()
                        let rows = try JSONSerialization.jsonObject(with: Data(response.body)) as? [[String: Any]] ?? []
                        guard response.status == 200, rows.count == 12,
                              let low = rows.first?["unit_price"] as? Double, let high = rows.last?["unit_price"] as? Double else {
                            failures.withLock { $0.append("\(code): \(response.status) \(response.text.prefix(200))") }
                            continue
                        }
                        observations.withLock {
                            $0.append(Observation(status: response.status, version: response.header("x-model-version") ?? "", low: low,
                                                  high: high, started: started, stockcode: code))
                        }
                    } catch {
                        failures.withLock { $0.append("\(code): \(error)") }
                    }
                }
            }
        }
        // Enough answers on each side of the swap, however slow the build: wait for them, not a fixed time.
        func waitFor(_ version: String, count: Int) async throws {
            let deadline = DispatchTime.now().uptimeNanoseconds + 30_000_000_000
            while observations.withLock({ $0.filter { $0.version == version }.count }) < count,
                  DispatchTime.now().uptimeNanoseconds < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        try await waitFor(root.baseVersion, count: 20)
        try root.setLatest(newVersion)
        let reloadStart = DispatchTime.now().uptimeNanoseconds
        let answer = try reload()
        let reloadEnd = DispatchTime.now().uptimeNanoseconds
        try await waitFor(newVersion, count: 20)
        stop.store(true, ordering: .relaxed)
        await withCheckedContinuation { continuation in group.notify(queue: .global()) { continuation.resume() } }

        XCTAssertEqual(answer.status, 200, answer.text)
        XCTAssertTrue(answer.text.contains(#""result":"swapped""#), answer.text)
        XCTAssertTrue(answer.text.contains(#""from":"\#(root.baseVersion)""#), answer.text)
        XCTAssertEqual(try servingVersion(), newVersion)
        XCTAssertEqual(failures.withLock { $0 }, [], "requests failed during the reload")
        let seen = observations.withLock { $0 }
        let before = seen.filter { $0.version == root.baseVersion }
        let after = seen.filter { $0.version == newVersion }
        XCTAssertEqual(before.count + after.count, seen.count, "an answer carried an unknown version")
        XCTAssertGreaterThanOrEqual(before.count, 20)
        XCTAssertGreaterThanOrEqual(after.count, 20)
        // Each answer's grid is its version's: the price history (the old one, or the new one three times
        // higher) widened to the supported range, which both versions share.
        for o in seen {
            let index = try XCTUnwrap(store.index(of: o.stockcode))
            let product = store.products[index]
            let response = try XCTUnwrap(baseEngine.priceResponse.product(index))
            let scale = o.version == newVersion ? 3.0 : 1.0
            let low = min(product.price.min * scale, response.supportLow), high = max(product.price.max * scale, response.supportHigh)
            XCTAssertEqual(o.low, low, accuracy: 1e-9 * high, "\(o.stockcode) answered by \(o.version)")
            XCTAssertEqual(o.high, high, accuracy: 1e-9 * high, "\(o.stockcode) answered by \(o.version)")
        }
        // Nothing that started after the swap was acknowledged is answered by the old version.
        XCTAssertEqual(seen.filter { $0.started > reloadEnd && $0.version != newVersion }.count, 0)
        let seconds = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any])?["seconds"] as? Double)
        print("reload under load: \(String(format: "%.3f", seconds)) s inside the service, "
              + "\(String(format: "%.3f", Double(reloadEnd - reloadStart) / 1e9)) s for POST /admin/reload; "
              + "\(seen.count) requests answered by \(clients) clients (\(before.count) old version, \(after.count) new), 0 failed")
    }

    func testBadVersionsAreRejectedAndTheOldOneKeepsServing() throws {
        let base = root.baseVersion
        // A feature shard altered after publishing: the checksum no longer matches.
        try root.variant("v3-corrupt-shard") { v in
            var bytes = try v.read("features/context-000.safetensors.gz")
            bytes[bytes.count / 2] ^= 0xFF
            try v.write("features/context-000.safetensors.gz", bytes)
        }
        // Models that disagree with the training pipeline's reference sweeps.
        try root.variant("v4-parity") { v in
            try v.scaleGoldenQuantities(of: "mlp", by: 1.5)
        }
        // A model file that will not load (valid checksum, nonsense content).
        try root.variant("v5-broken-model") { v in try v.replaceSigned("lightgbm.txt", Array("not a lightgbm model\n".utf8)) }

        let cases: [(version: String, reason: String)] = [
            ("v3-corrupt-shard", "sha256"), ("v4-parity", "parity self-check"), ("v5-broken-model", "models that do not load"),
            ("v6-never-published", "missing"),
        ]
        for (version, reason) in cases {
            try root.setLatest(version)
            let answer = try reload()
            XCTAssertEqual(answer.status, 422, "\(version): \(answer.text)")
            XCTAssertEqual(answer.errorCode, "version_rejected", version)
            XCTAssertTrue(answer.text.contains(reason), "\(version) should be rejected for \(reason): \(answer.text)")
            XCTAssertTrue(answer.text.contains(#""model_version":"\#(base)""#), answer.text)
            XCTAssertEqual(try servingVersion(), base)
            let ready = try JSONSerialization.jsonObject(with: Data(try request("GET", "/readyz").body)) as? [String: Any]
            let last = ready?["last_reload"] as? [String: Any]
            XCTAssertEqual(last?["result"] as? String, "rejected")
            XCTAssertEqual(last?["rejected_version"] as? String, version)
            let predict = try request("GET", "/v1/predict-price/85123A?num_price_bins=5")
            XCTAssertEqual(predict.status, 200)
            XCTAssertEqual(predict.header("x-model-version"), base)
            // Asked again, a rejected version is not refetched; forced, it is tried (and rejected) again.
            XCTAssertEqual(try reload().status, 200)
            XCTAssertEqual(try reload(force: true).status, 422)
        }
        let metrics = try request("GET", "/metrics").text
        XCTAssertTrue(metrics.contains(#"pricing_model_reloads_total{result="rejected"}"#), metrics)
        XCTAssertTrue(metrics.contains(#"pricing_model_version_info{model_version="\#(base)"} 1"#), metrics)

        // Back to a good version: it swaps in.
        try root.variant("v7-good")
        try root.setLatest("v7-good")
        let good = try reload()
        XCTAssertEqual(good.status, 200, good.text)
        XCTAssertEqual(try servingVersion(), "v7-good")
        XCTAssertEqual(try request("GET", "/healthz").header("x-model-version"), "v7-good")
        XCTAssertTrue(try reload().text.contains(#""result":"unchanged""#))
    }

    func testAdminRouteNeedsTheToken() throws {
        XCTAssertEqual(try request("POST", "/admin/reload", token: nil).status, 401)
        let wrong = try request("POST", "/admin/reload", token: "guess")
        XCTAssertEqual(wrong.status, 401)
        XCTAssertEqual(wrong.header("www-authenticate"), "Bearer")
        XCTAssertEqual(wrong.errorCode, "unauthorized")
        XCTAssertEqual(try request("GET", "/admin/reload").status, 405)
        XCTAssertEqual(try request("POST", "/admin/reload").status, 200)
    }

    func testAdminRouteIsDisabledWithoutAToken() async throws {
        var configuration = HTTPServer.Configuration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        let reloader = ModelReloader(source: LocalArtifactSource(path: root.path), slot: slot, trust: TestSigning.trust, logger: Logger(label: "t"))
        let other = HTTPServer(configuration: configuration, handler: PricingRouter(slot: slot, cors: CORSPolicy(allowedOrigins: []),
                                                                                    reloader: reloader, adminToken: nil))
        let otherPort = try other.start()
        let client = try TestClient(port: otherPort)
        try client.send("POST /admin/reload HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer anything\r\nContent-Length: 0\r\n\r\n")
        let answer = try client.readResponse()
        XCTAssertEqual(answer.status, 403)
        XCTAssertEqual(answer.errorCode, "admin_disabled")
        await other.shutdown(gracePeriod: .seconds(1))
    }
}
