import Cache
import Dispatch
import Foundation
import HTTPServer
import Pricing
import PricingAPI
import TestSupport
import XCTest

/// Admission control over real sockets on loopback: bounded repricing runs (429 with Retry-After),
/// runs cancelled when their last reader leaves, equivalent rules sharing a run, the per-client
/// budget of uncached work, HEAD never starting work, and the configured run never evicted.
final class AdmissionTests: XCTestCase {
    nonisolated(unsafe) static var engine: PricingEngine?
    var servers: [HTTPServer] = []

    func engine() throws -> PricingEngine {
        if let engine = Self.engine { return engine }
        let engine = try PricingEngine(path: CommittedModels.root)
        Self.engine = engine
        return engine
    }

    func start(_ admission: AdmissionSettings, cache: (any ExpiringByteCache)? = nil) throws -> (port: Int, router: PricingRouter) {
        let router = PricingRouter(slot: EngineSlot(try engine()), cors: CORSPolicy(allowedOrigins: []), cache: cache, admission: admission)
        var configuration = HTTPServer.Configuration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        let server = HTTPServer(configuration: configuration, handler: router)
        let port = try server.start()
        servers.append(server)
        return (port, router)
    }

    override func tearDown() {
        for server in servers {
            let done = DispatchSemaphore(value: 0)
            Task { await server.shutdown(gracePeriod: .seconds(1)); done.signal() }
            done.wait()
        }
        servers = []
    }

    func request(_ port: Int, _ target: String, method: String = "GET", body: String? = nil, source: String? = nil) throws -> TestClient.Response {
        let client = try TestClient(port: port, timeout: 60, source: source)
        var head = "\(method) \(target) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        if let body { head += "Content-Type: text/csv\r\nContent-Length: \(body.utf8.count)\r\n" }
        try client.send(head + "\r\n" + (body ?? ""))
        return try client.readResponse(head: method == "HEAD")
    }

    /// Sends a request and keeps the connection open without reading the body: a reader of the run.
    func openReader(_ port: Int, _ target: String) throws -> TestClient {
        let client = try TestClient(port: port, timeout: 60)
        try client.send("GET \(target) HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try client.readHead()
        return client
    }

    /// Polls `condition` until it holds or `seconds` pass; returns how long it took.
    func eventually(within seconds: Double, _ condition: () -> Bool) -> Double? {
        let start = DispatchTime.now().uptimeNanoseconds
        while true {
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if condition() { return elapsed }
            if elapsed > seconds { return nil }
            usleep(5_000)
        }
    }

    /// A counter's value in /metrics (0 when absent). Metrics are process-wide, so tests compare
    /// before and after.
    func metric(_ port: Int, _ line: String) throws -> Double {
        let text = try request(port, "/metrics").text
        guard let found = text.split(separator: "\n").first(where: { $0.hasPrefix(line + " ") }) else { return 0 }
        return Double(found.split(separator: " ").last ?? "") ?? 0
    }

    func testAnAbandonedRunIsCancelledAndTheNextRequestStartsItAgain() throws {
        let (port, router) = try start(AdmissionSettings())
        let cancelled = try metric(port, #"pricing_repricing_runs_total{event="cancelled"}"#)
        let target = "/v1/recommendations?sort=stockcode&limit=1&max_change_pct=7.5"
        var reader: TestClient? = try openReader(port, target)
        XCTAssertEqual(router.answers.runs.running, 1, "the request started a run")
        _ = reader
        reader = nil  // closes the socket: the client hangs up before the run is done
        // Noticed when the run delivers its next chunk (milliseconds in a release build; the bench
        // measures how soon the CPU is idle).
        XCTAssertNotNil(eventually(within: 60) { router.answers.runs.running == 0 }, "the run stops once its only reader has gone")
        XCTAssertNotNil(eventually(within: 5) { (try? self.metric(port, #"pricing_repricing_runs_total{event="cancelled"}"#)) == cancelled + 1 },
                        "counted as cancelled")
        // The cancelled run is gone: the same rules start a new run (read only its first row here).
        let again = try openReader(port, target)
        XCTAssertEqual(router.answers.runs.running, 1, "a new run, not the cancelled one")
        withExtendedLifetime(again) {}
    }

    func testRunsBeyondTheLimitAre429WithRetryAfterAndSameRulesShareTheRun() throws {
        var settings = AdmissionSettings()
        settings.maxConcurrentRuns = 1
        let (port, router) = try start(settings)
        let busy = try metric(port, #"pricing_admission_refusals_total{reason="runs_busy"}"#)
        var first: TestClient? = try openReader(port, "/v1/recommendations?sort=stockcode&max_change_pct=9")
        let refused = try request(port, "/v1/recommendations?max_change_pct=11")
        XCTAssertEqual(refused.status, 429, refused.text)
        XCTAssertEqual(refused.header("retry-after"), "1")
        XCTAssertEqual(refused.errorCode, "too_many_requests")
        XCTAssertEqual(refused.header("content-type"), "application/json")
        XCTAssertEqual(try metric(port, #"pricing_admission_refusals_total{reason="runs_busy"}"#), busy + 1)
        // 9 and 9.00001 are the same rules after normalization: the second request joins the running run.
        var second: TestClient? = try TestClient(port: port, timeout: 60)
        try second!.send("GET /v1/recommendations?sort=stockcode&max_change_pct=9.00001 HTTP/1.1\r\nHost: x\r\n\r\n")
        let head = try second!.readHead()
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.header("x-cache"), "HIT")
        let documentHead = String(decoding: try XCTUnwrap(try second!.readChunk()), as: UTF8.self)
        XCTAssertTrue(documentHead.contains(#""max_change_pct":9,"#), documentHead)
        XCTAssertEqual(router.answers.runs.running, 1, "still one run")
        // Both readers leave: the run stops and its slot is free again.
        _ = (first, second)
        first = nil
        second = nil
        XCTAssertNotNil(eventually(within: 60) { router.answers.runs.running == 0 })
        let small = try request(port, "/v1/recommendations?max_change_pct=11", method: "POST", body: "stockcode,current_price\n85123A,2.5\n")
        XCTAssertEqual(small.status, 200, small.text)
    }

    func testNewRunsPerMinuteAreBounded() throws {
        var settings = AdmissionSettings()
        settings.maxNewRunsPerMinute = 2
        let (port, _) = try start(settings)
        let catalogue = { (price: Int) in "stockcode,current_price\n85123A,\(price)\n" }
        XCTAssertEqual(try request(port, "/v1/recommendations", method: "POST", body: catalogue(2)).status, 200)
        XCTAssertEqual(try request(port, "/v1/recommendations", method: "POST", body: catalogue(3)).status, 200)
        let refused = try request(port, "/v1/recommendations", method: "POST", body: catalogue(4))
        XCTAssertEqual(refused.status, 429, refused.text)
        let wait = try XCTUnwrap(Int(refused.header("retry-after") ?? ""))
        XCTAssertTrue((1...60).contains(wait), "retry once the oldest start leaves the minute, got \(wait)")
        // A run already computed is still served: only new work is refused.
        let again = try request(port, "/v1/recommendations", method: "POST", body: catalogue(2))
        XCTAssertEqual(again.status, 200)
        XCTAssertEqual(again.header("x-cache"), "HIT")
    }

    func testEachClientHasItsOwnBudgetForUncachedWorkAndCachedAnswersAreFree() throws {
        var settings = AdmissionSettings()
        settings.clientWorkMillisecondsPerSecond = 0.01  // refills one request (0.5 ms) in 50 s: never within the test
        settings.clientWorkBurstMilliseconds = 1
        let (port, _) = try start(settings, cache: InProcessCache(capacityBytes: 1 << 22))
        let refusals = try metric(port, #"pricing_admission_refusals_total{reason="client_budget"}"#)
        XCTAssertEqual(try request(port, "/v1/predict-price/85123A?num_price_bins=10").status, 200)
        XCTAssertEqual(try request(port, "/v1/predict-price/85123A?num_price_bins=11").status, 200)
        let refused = try request(port, "/v1/predict-price/85123A?num_price_bins=12")
        XCTAssertEqual(refused.status, 429, refused.text)
        XCTAssertEqual(refused.errorCode, "too_many_requests")
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(Int(refused.header("retry-after") ?? "")), 30)
        let cached = try request(port, "/v1/predict-price/85123A?num_price_bins=10")
        XCTAssertEqual(cached.status, 200, "a cached answer costs nothing")
        XCTAssertEqual(cached.header("x-cache"), "HIT")
        XCTAssertEqual(try request(port, "/v1/recommendations/85123A?max_change_pct=3").status, 429, "one-product recommendations share the budget")
        let other = try request(port, "/v1/predict-price/85123A?num_price_bins=12", source: "127.0.0.2")
        XCTAssertEqual(other.status, 200, "another client address has its own budget")
        XCTAssertEqual(try metric(port, #"pricing_admission_refusals_total{reason="client_budget"}"#), refusals + 2)
    }

    func testHeadNeverStartsARun() throws {
        let (port, router) = try start(AdmissionSettings())
        let started = try metric(port, #"pricing_repricing_runs_total{event="started"}"#)
        let head = try request(port, "/v1/recommendations?max_change_pct=13", method: "HEAD")
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.header("x-cache"), "MISS")
        XCTAssertEqual(head.header("content-type"), "application/json")
        XCTAssertEqual(router.answers.runs.running, 0)
        XCTAssertEqual(try metric(port, #"pricing_repricing_runs_total{event="started"}"#), started)
    }

    func testTheConfiguredRunIsNeverEvictedByOthers() throws {
        var settings = AdmissionSettings()
        settings.maxNewRunsPerMinute = 100
        let (port, router) = try start(settings)
        XCTAssertEqual(try request(port, "/v1/recommendations?limit=1").status, 200)
        for price in 1...(router.answers.runs.capacity + 2) {
            let response = try request(port, "/v1/recommendations", method: "POST", body: "stockcode,current_price\n85123A,\(price)\n")
            XCTAssertEqual(response.status, 200, response.text)
        }
        XCTAssertEqual(try request(port, "/v1/recommendations?limit=1").header("x-cache"), "HIT")
    }

    func testACatalogueOfUnknownStockcodesGetsABoundedReport() throws {
        let (port, _) = try start(AdmissionSettings())
        let lines = (0..<5000).map { "NOPE\($0),1.5" }.joined(separator: "\n")
        let response = try request(port, "/v1/recommendations", method: "POST", body: "stockcode,current_price\n" + lines + "\n")
        XCTAssertEqual(response.status, 200, response.text)
        let doc = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        let listed = try XCTUnwrap(doc["skipped"] as? [[String: Any]])
        XCTAssertEqual(listed.count, 1000)
        XCTAssertEqual(listed.first?["line"] as? Int, 2, "the first lines, in line order")
        XCTAssertEqual(doc["skipped_total"] as? Int, 5000, "every skipped line is counted")
        XCTAssertLessThan(response.body.count, 200_000)
    }

    func testTheBudgetRefillsAndIsKeptPerAddress() {
        let budget = ClientWorkBudget(millisecondsPerSecond: 10, burstMilliseconds: 20)
        XCTAssertNil(budget.spend(15, client: "a", at: 0))
        XCTAssertEqual(budget.spend(15, client: "a", at: 0), 1, "5 left, 10 missing at 10 per second")
        XCTAssertNil(budget.spend(15, client: "a", at: 1_000_000_000), "refilled by 10")
        XCTAssertNil(budget.spend(15, client: "b", at: 0), "b's bucket is its own")
        XCTAssertNil(budget.spend(500, client: "c", at: 0), "work larger than the bucket runs on a full bucket")
        XCTAssertEqual(budget.spend(1, client: "c", at: 0), 1)
        XCTAssertNil(ClientWorkBudget(millisecondsPerSecond: 0, burstMilliseconds: 1).spend(1e9, client: "a"), "rate 0: no limit")
        XCTAssertEqual(ClientWorkBudget.client(ofPeer: "127.0.0.1:5123"), "127.0.0.1")
        XCTAssertEqual(ClientWorkBudget.client(ofPeer: "[::1]:5123"), "::1")
        XCTAssertEqual(ClientWorkBudget.client(ofPeer: "::1"), "::1")
    }

    func testRulesAreNormalizedToStepsNoRetailerTellsApart() {
        let rules = PricingRules(minMarginPercent: 12.34, maxChangePercent: 99.97, priceEnding: nil, minProbabilityOfGain: 0.8049).normalized
        XCTAssertEqual(rules.minMarginPercent, 12.3)
        XCTAssertEqual(rules.maxChangePercent, 99.9, "kept below 100, as the rule requires")
        XCTAssertEqual(rules.minProbabilityOfGain, 0.8)
        XCTAssertEqual(PricingRules(maxChangePercent: 20.000001).normalized.key, PricingRules(maxChangePercent: 20).normalized.key)
        XCTAssertNoThrow(try rules.validate())
    }

    func testTheSettingsLoadAndBadValuesAreNamed() throws {
        let c = try ServiceConfiguration.load(file: nil, environment: ["MAX_CONCURRENT_RUNS": "3", "CLIENT_WORK_MS_PER_SECOND": "0"])
        XCTAssertEqual(c.admission.maxConcurrentRuns, 3)
        XCTAssertEqual(c.admission.clientWorkMillisecondsPerSecond, 0)
        XCTAssertThrowsError(try ServiceConfiguration.load(file: nil, environment: ["MAX_CONCURRENT_RUNS": "0"])) {
            XCTAssertTrue("\($0)".contains("max_concurrent_runs"), "\($0)")
        }
        XCTAssertThrowsError(try ServiceConfiguration.load(file: nil, environment: ["CLIENT_WORK_BURST_MS": "-1"])) {
            XCTAssertTrue("\($0)".contains("client_work_burst_ms"), "\($0)")
        }
    }
}
