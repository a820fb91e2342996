import ArtifactFormats
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

/// The admin token's throttle and the `metrics_access` rule, with the real router on a loopback
/// socket (requests from 127.0.0.1) and in-process requests for other client addresses; and a forced
/// reload of the version already serving, which must not fetch it again.
final class AdminAccessTests: XCTestCase {
    static let token = "admin-token-for-tests"
    nonisolated(unsafe) static var engine: PricingEngine?

    func engine() throws -> PricingEngine {
        if let engine = Self.engine { return engine }
        let engine = try PricingEngine(path: CommittedModels.root)
        Self.engine = engine
        return engine
    }

    func router(access: MetricsAccess = .public, source: (any ArtifactSource)? = nil) throws -> PricingRouter {
        let slot = EngineSlot(try engine())
        let reloader = ModelReloader(source: source ?? LocalArtifactSource(path: CommittedModels.root), slot: slot, trust: TestSigning.trust,
                                     logger: Logger(label: "test"))
        var router = PricingRouter(slot: slot, cors: CORSPolicy(allowedOrigins: []), reloader: reloader, adminToken: Self.token)
        router.metricsAccess = access
        return router
    }

    /// Serves `router` on a loopback port for the duration of `body`.
    func serving(_ router: PricingRouter, _ body: (Int) throws -> Void) throws {
        var configuration = HTTPServer.Configuration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        let server = HTTPServer(configuration: configuration, handler: router)
        let port = try server.start()
        defer {
            let done = DispatchSemaphore(value: 0)
            Task { await server.shutdown(gracePeriod: .seconds(1)); done.signal() }
            done.wait()
        }
        try body(port)
    }

    func send(_ port: Int, _ method: String, _ target: String, token: String? = nil) throws -> TestClient.Response {
        let client = try TestClient(port: port, timeout: 30)
        let auth = token.map { "Authorization: Bearer \($0)\r\n" } ?? ""
        try client.send("\(method) \(target) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\(auth)Content-Length: 0\r\n\r\n")
        return try client.readResponse()
    }

    func fromElsewhere(_ router: PricingRouter, _ method: String, _ path: String, token: String? = nil) async -> HTTPResponse {
        var headers: HTTPHeaders = ["Host": "x"]
        if let token { headers.add("Authorization", "Bearer \(token)") }
        let parts = path.split(separator: "?", maxSplits: 1).map(String.init)
        return await router.handle(HTTPRequest(method: method, path: parts[0], query: parts.count > 1 ? parts[1] : "", headers: headers,
                                               remoteAddress: "203.0.113.9:40000"))
    }

    func bodyText(_ response: HTTPResponse) -> String {
        guard case .bytes(let bytes) = response.body else { return "" }
        return String(decoding: bytes, as: UTF8.self)
    }

    func testWrongAdminTokensAreThrottledPerClientAddress() async throws {
        let router = try router()
        try serving(router) { port in
            XCTAssertEqual(try send(port, "POST", "/admin/reload").status, 401, "no token is not a guess")
            for attempt in 1...router.adminThrottle.maxFailures {
                XCTAssertEqual(try send(port, "POST", "/admin/reload", token: "guess-\(attempt)").status, 401)
            }
            // Locked out: even the right token is refused, with the time to wait.
            let locked = try send(port, "POST", "/admin/reload", token: Self.token)
            XCTAssertEqual(locked.status, 429, locked.text)
            let retry = try XCTUnwrap(locked.header("retry-after").flatMap(Int.init))
            XCTAssertTrue((1...60).contains(retry), "\(retry)")
            XCTAssertTrue(locked.text.contains("too_many_failures"), locked.text)
        }
        // Another client address is not affected.
        let other = await fromElsewhere(router, "POST", "/admin/reload", token: Self.token)
        XCTAssertEqual(other.status.code, 200, bodyText(other))
    }

    func testTheLockoutEndsAndARightTokenClearsTheCount() {
        let throttle = FailedTokenThrottle(maxFailures: 3, window: .seconds(60), lockout: .seconds(30))
        let start = ContinuousClock.now
        throttle.recordFailure("a", now: start)
        throttle.recordFailure("a", now: start)
        throttle.recordSuccess("a")
        XCTAssertNil(throttle.recordFailure("a", now: start), "the count started afresh after the right token")
        throttle.recordFailure("a", now: start)
        XCTAssertEqual(throttle.recordFailure("a", now: start), 30)
        XCTAssertEqual(throttle.retryAfter("a", now: start + .seconds(10)), 20)
        XCTAssertNil(throttle.retryAfter("b", now: start + .seconds(10)))
        XCTAssertNil(throttle.retryAfter("a", now: start + .seconds(31)))
        XCTAssertNil(throttle.recordFailure("a", now: start + .seconds(31)), "a new window after the lockout")
        XCTAssertEqual(FailedTokenThrottle.clientAddress("127.0.0.1:5123"), "127.0.0.1")
        XCTAssertEqual(FailedTokenThrottle.clientAddress("[::1]:5123"), "::1")
        XCTAssertEqual(FailedTokenThrottle.clientAddress("198.51.100.4"), "198.51.100.4")
    }

    func testLoopbackAccessHidesMetricsAndReadinessDetailFromOtherAddresses() async throws {
        let router = try router(access: .loopback)
        try serving(router) { port in
            XCTAssertEqual(try send(port, "GET", "/metrics").status, 200)
            XCTAssertTrue(try send(port, "GET", "/readyz").text.contains("\"models\""))
        }
        let metrics = await fromElsewhere(router, "GET", "/metrics")
        XCTAssertEqual(metrics.status.code, 403, bodyText(metrics))
        let ready = await fromElsewhere(router, "GET", "/readyz")
        XCTAssertEqual(ready.status.code, 200)
        XCTAssertEqual(bodyText(ready), #"{"status":"ready"}"#)
    }

    func testAdminTokenAccessNeedsTheToken() async throws {
        let router = try router(access: .adminToken)
        let refused = await fromElsewhere(router, "GET", "/metrics")
        XCTAssertEqual(refused.status.code, 401)
        XCTAssertEqual(refused.headers["www-authenticate"], "Bearer")
        let allowed = await fromElsewhere(router, "GET", "/metrics", token: Self.token)
        XCTAssertEqual(allowed.status.code, 200)
        XCTAssertTrue(bodyText(allowed).contains("# TYPE"), bodyText(allowed))
        let statusOnly = await fromElsewhere(router, "GET", "/readyz")
        XCTAssertEqual(bodyText(statusOnly), #"{"status":"ready"}"#)
        let detail = await fromElsewhere(router, "GET", "/readyz", token: Self.token)
        XCTAssertTrue(bodyText(detail).contains("\"active_model\""), bodyText(detail))
        // The default keeps both open, as load balancers and the compose stack expect.
        let open = try self.router()
        let openMetrics = await fromElsewhere(open, "GET", "/metrics")
        XCTAssertEqual(openMetrics.status.code, 200)
    }

    func testMetricsAccessIsASetting() throws {
        XCTAssertEqual(try ServiceConfiguration.load(file: nil, environment: [:]).metricsAccess, .public)
        XCTAssertEqual(try ServiceConfiguration.load(file: nil, environment: ["METRICS_ACCESS": "loopback"]).metricsAccess, .loopback)
        let withToken = try ServiceConfiguration.load(file: nil, environment: ["METRICS_ACCESS": "admin_token", "ADMIN_TOKEN": "t"])
        XCTAssertEqual(withToken.metricsAccess, .adminToken)
        XCTAssertThrowsError(try ServiceConfiguration.load(file: nil, environment: ["METRICS_ACCESS": "admin_token"])) { error in
            XCTAssertEqual("\(error)", "metrics_access admin_token needs admin_token (ADMIN_TOKEN) to be set")
        }
        XCTAssertThrowsError(try ServiceConfiguration.load(file: nil, environment: ["METRICS_ACCESS": "private"])) { error in
            XCTAssertEqual("\(error)", "environment: metrics_access must be one of public, loopback, admin_token")
        }
    }

    func testAForcedReloadOfTheServingVersionFetchesNothing() async throws {
        let source = CountingSource(LocalArtifactSource(path: CommittedModels.root))
        let router = try router(source: source)
        for _ in 0..<3 {
            let response = await fromElsewhere(router, "POST", "/admin/reload?force=true", token: Self.token)
            XCTAssertEqual(response.status.code, 200, bodyText(response))
            XCTAssertTrue(bodyText(response).contains(#""result":"unchanged""#), bodyText(response))
        }
        XCTAssertEqual(source.latestCalls.withLock { $0 }, 3, "each reload asks which version is current")
        XCTAssertEqual(source.localCalls.withLock { $0 }, 0, "the serving version is not fetched again")
    }
}

/// A real local source that counts what it is asked.
final class CountingSource: ArtifactSource {
    let wrapped: LocalArtifactSource
    let latestCalls = Mutex(0)
    let localCalls = Mutex(0)

    init(_ wrapped: LocalArtifactSource) { self.wrapped = wrapped }

    var description: String { wrapped.description }

    func latestVersion() async throws(ArtifactError) -> String {
        latestCalls.withLock { $0 += 1 }
        return try await wrapped.latestVersion()
    }

    func localVersion(_ version: String) async throws(ArtifactError) -> String {
        localCalls.withLock { $0 += 1 }
        return try await wrapped.localVersion(version)
    }
}
