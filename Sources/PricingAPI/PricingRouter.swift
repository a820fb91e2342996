// PricingAPI: the HTTP API of the service (routes, parsing, rendering; CORS, compression and metrics
// around them) on the HTTPServer module, answering through Pricing's `PriceAnswers`.
public import HTTPServer
public import Pricing
public import Cache
import Dispatch
import Foundation

/// The service's routes:
/// - `GET /v1/predict-price/{stockcode}`: the price curve (JSON array, or NDJSON with
///   `Accept: application/x-ndjson`), metadata in `X-Model`, `X-Model-Version`, `X-Cache`,
///   `X-Compute-Time-Ms` and `X-Fallback-Reasons` headers;
/// - `GET /v1/products`: the catalogue, searchable and paged;
/// - `GET|POST /v1/recommendations`, `GET /v1/recommendations/{stockcode}`: repricing runs under the
///   shop's rules (PricingRouter+Recommendations.swift);
/// - `GET /v1/experiments`, `GET /v1/experiments/{stockcode}`: the version's price-test plan
///   (PricingRouter+Experiments.swift);
/// - `GET /healthz` (process alive) and `GET /readyz` (models loaded, which model is active);
/// - `GET /metrics` (Prometheus text) and `GET /openapi.json` (this API as OpenAPI 3.1);
/// - `POST /admin/reload` (bearer token): look for a newer model version now;
/// - `POST /v1/sales` (bearer token): realized sales into the ledger (PricingRouter+Sales.swift);
/// - `OPTIONS` preflight answered from the CORS policy alone.
/// Errors are JSON bodies `{"error": {"code", "message"}}` with the matching status.
///
/// A request passes, outside in: response compression, CORS headers, request metrics, the model
/// version header, then the route (Middleware/); each model route parses its query, makes one call to
/// ``answers`` and renders what comes back.
public struct PricingRouter: HTTPHandler {
    public let slot: EngineSlot
    public let cors: CORSPolicy
    /// Curves (cached, coalesced), one product's recommendation, repricing runs.
    public let answers: PriceAnswers
    /// Swaps in new model versions; `POST /admin/reload` triggers it when `adminToken` is set.
    public let reloader: ModelReloader?
    public let adminToken: String?
    /// Bodies at least this large are gzip-compressed for clients that accept it.
    public let gzipMinimumBytes: Int
    /// The configured business rules of repricing runs (`pricing_rules`); a request may override them.
    public let pricingRules: PricingRules
    /// Each client address's budget for uncached work (curves, one-product recommendations, new runs).
    public let workBudget: ClientWorkBudget
    /// Who may read /metrics and /readyz's detail (`metrics_access`); the status of /readyz is public.
    public var metricsAccess = MetricsAccess.public
    /// Wrong admin tokens per client address (PricingRouter+Access.swift).
    public var adminThrottle = FailedTokenThrottle()
    /// Where `POST /v1/sales` writes (nil: not configured, the route answers 503).
    public var ledger: LedgerSlot?

    public init(engine: PricingEngine, cors: CORSPolicy, cache: (any ExpiringByteCache)? = nil, gzipMinimumBytes: Int = 1024,
                pricingRules: PricingRules = PricingRules(), admission: AdmissionSettings = AdmissionSettings()) {
        self.init(slot: EngineSlot(engine), cors: cors, cache: cache, gzipMinimumBytes: gzipMinimumBytes, pricingRules: pricingRules,
                  admission: admission)
    }

    /// A router whose models arrive later (or are swapped): until `slot` holds an engine, the model
    /// routes and /readyz answer 503 `not_ready`.
    public init(slot: EngineSlot, cors: CORSPolicy, cache: (any ExpiringByteCache)? = nil, cacheTTL: Duration = .seconds(3600),
                reloader: ModelReloader? = nil, adminToken: String? = nil, gzipMinimumBytes: Int = 1024,
                pricingRules: PricingRules = PricingRules(), admission: AdmissionSettings = AdmissionSettings()) {
        ServiceMetrics.bootstrap()
        self.pricingRules = pricingRules.normalized
        answers = PriceAnswers(cache: cache, cacheTTL: cacheTTL,
                               runLimits: RunLimits(maxConcurrentRuns: admission.maxConcurrentRuns,
                                                    maxNewRunsPerMinute: admission.maxNewRunsPerMinute),
                               pinnedRules: pricingRules.normalized, events: ServiceMetrics.answerEvents)
        workBudget = ClientWorkBudget(millisecondsPerSecond: admission.clientWorkMillisecondsPerSecond,
                                      burstMilliseconds: admission.clientWorkBurstMilliseconds)
        self.reloader = reloader
        self.adminToken = adminToken
        self.slot = slot
        self.cors = cors
        self.gzipMinimumBytes = gzipMinimumBytes
    }

    public func handle(_ request: HTTPRequest) async -> HTTPResponse {
        let routes = ClosureHTTPHandler { request in await route(request) }
        let stack = ResponseCompression(minimumBytes: gzipMinimumBytes,
                                        CORSHeaders(cors, RequestMetrics(ModelVersionHeader(slot, routes))))
        return await stack.handle(request)
    }

    func route(_ request: HTTPRequest) async -> HTTPResponse {
        let path = request.path
        if path.hasPrefix("/v1/predict-price/") {
            let raw = path.dropFirst("/v1/predict-price/".count)
            guard let code = HTTPRequest.percentDecode(raw), !code.isEmpty, code.count <= 64, !code.contains("/") else {
                return APIError(status: 404, code: "not_found", message: "no route for \(path)").response
            }
            if request.method == "GET" || request.method == "HEAD" {
                guard let engine = slot.engine else { return notReady() }
                return await predictPrice(code, request, engine)
            }
            return methods(request, allowed: ["GET", "HEAD"]) { notReady() }
        }
        if path.hasPrefix("/v1/recommendations/") {
            let raw = path.dropFirst("/v1/recommendations/".count)
            guard let code = HTTPRequest.percentDecode(raw), !code.isEmpty, code.count <= 64, !code.contains("/") else {
                return APIError(status: 404, code: "not_found", message: "no route for \(path)").response
            }
            return await recommendationRoute(code, request)
        }
        if path.hasPrefix("/v1/experiments/") {
            let raw = path.dropFirst("/v1/experiments/".count)
            guard let code = HTTPRequest.percentDecode(raw), !code.isEmpty, code.count <= 64, !code.contains("/") else {
                return APIError(status: 404, code: "not_found", message: "no route for \(path)").response
            }
            return experimentRoute(code, request)
        }
        switch path {
        case "/v1/experiments": return experimentsRoute(request)
        case "/v1/recommendations": return await recommendationsRoute(request)
        case "/v1/products": return methods(request, allowed: ["GET", "HEAD"]) { withEngine { products(request, $0) } }
        case "/healthz": return methods(request, allowed: ["GET", "HEAD"]) { json(#"{"status":"ok"}"#) }
        case "/readyz":
            guard request.method == "GET" || request.method == "HEAD" else { return methods(request, allowed: ["GET", "HEAD"]) { notReady() } }
            guard let engine = slot.engine else { return notReady() }
            if metricsRefusal(request) != nil { return readinessStatus(engine) }
            return readiness(engine, cache: await answers.cache?.status, reload: await reloader?.lastEvent)
        case "/metrics":
            if let cache = answers.cache { ServiceMetrics.cacheState(await cache.status) }
            ServiceMetrics.admissionState(runsRunning: answers.runs.running, clients: workBudget.count)
            return methods(request, allowed: ["GET", "HEAD"]) {
                if let refusal = metricsRefusal(request) { return refusal }
                return HTTPResponse(status: .ok, headers: HTTPHeaders([("Content-Type", "text/plain; version=0.0.4; charset=utf-8")]),
                             body: ServiceMetrics.exposition())
            }
        case "/admin/reload": return await adminReload(request)
        case "/v1/sales": return await sales(request)
        case _ where DashboardPage.paths.contains(path):
            return methods(request, allowed: ["GET", "HEAD"]) { DashboardPage.response(request) }
        case "/openapi.json":
            return methods(request, allowed: ["GET", "HEAD"]) {
                HTTPResponse(status: .ok, headers: HTTPHeaders([("Content-Type", "application/json")]), body: OpenAPIDocument.bytes)
            }
        default: return APIError(status: 404, code: "not_found", message: "no route for \(path)").response
        }
    }

    /// The method as a metric label: any other token is "other", so clients cannot create series.
    static func methodLabel(_ method: String) -> String {
        ["GET", "HEAD", "OPTIONS", "POST", "PUT", "DELETE", "PATCH"].contains(method) ? method : "other"
    }

    /// The route template of a path, so metric labels stay few.
    static func routeLabel(_ path: String) -> String {
        if path.hasPrefix("/v1/predict-price/") { return "/v1/predict-price/{stockcode}" }
        if path.hasPrefix("/v1/recommendations/") { return "/v1/recommendations/{stockcode}" }
        if path.hasPrefix("/v1/experiments/") { return "/v1/experiments/{stockcode}" }
        switch path {
        case "/v1/experiments": return path
        case "/v1/recommendations", "/v1/products", "/v1/sales", "/healthz", "/readyz", "/metrics", "/openapi.json", "/admin/reload": return path
        case _ where DashboardPage.paths.contains(path): return path
        default: return "unmatched"
        }
    }

    func methods(_ request: HTTPRequest, allowed: [String], _ body: () -> HTTPResponse) -> HTTPResponse {
        if request.method == "OPTIONS" { return cors.preflight(request, allowed: allowed) }
        guard allowed.contains(request.method) else {
            let allow = (allowed + ["OPTIONS"]).joined(separator: ", ")
            return APIError(status: 405, code: "method_not_allowed", message: "\(request.method) is not allowed here; allowed: \(allow)")
                .response(extraHeaders: [("Allow", allow)])
        }
        return body()
    }

    /// Runs `body` with the engine in use, or answers 503 while the models are still loading.
    func withEngine(_ body: (PricingEngine) -> HTTPResponse) -> HTTPResponse {
        guard let engine = slot.engine else { return notReady() }
        return body(engine)
    }

    func notReady() -> HTTPResponse {
        APIError(status: 503, code: "not_ready", message: "the models are still loading; retry shortly")
            .response(extraHeaders: [("Retry-After", "1")])
    }

    func predictPrice(_ stockcode: String, _ request: HTTPRequest, _ engine: PricingEngine) async -> HTTPResponse {
        let start = DispatchTime.now().uptimeNanoseconds
        let sweepRequest: SweepRequest
        do {
            sweepRequest = try PredictPriceQuery.request(stockcode: stockcode, query: request.queryItems.map { ($0.name, $0.value) })
        } catch {
            return error.response
        }
        var refusal: HTTPResponse?
        var answer = await answers.curve(sweepRequest, on: engine, renderedBy: { CurveJSON.array($0) }) {
            refusal = spendWorkBudget(Self.uncachedRequestMilliseconds, request)
            return refusal == nil
        }
        if case .cached(let cached) = answer {
            if let response = render(cached, request, start: start) { return response }
            // A stored body that does not inflate: computed again (and stored over it).
            answer = await answers.curve(sweepRequest, on: engine, renderedBy: { CurveJSON.array($0) }, readingCache: false) {
                refusal = spendWorkBudget(Self.uncachedRequestMilliseconds, request)
                return refusal == nil
            }
        }
        switch answer {
        case .computed(let curve): return render(curve, request, cacheStatus: "MISS", start: start)
        case .failed(let error): return APIError(sweep: error).response
        case .notAdmitted, .cached: return refusal ?? notReady()
        }
    }

    /// A cached answer as the client asked for it (the stored gzip as is when it accepts gzip and not
    /// NDJSON), or nil when the stored body does not inflate.
    func render(_ cached: CachedCurve, _ request: HTTPRequest, start: UInt64) -> HTTPResponse? {
        let ndjson = request.accepts("application/x-ndjson")
        var headers = metadata(model: cached.model, version: cached.modelVersion, skipped: cached.skippedModels,
                               cacheStatus: "HIT", start: start)
        headers.append(("Content-Type", ndjson ? "application/x-ndjson" : "application/json"))
        if !ndjson, request.acceptsGzip {
            headers += [("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")]
            return HTTPResponse(status: .ok, headers: HTTPHeaders(headers), body: cached.gzippedJSON)
        }
        guard let body = ndjson ? cached.ndjson() : cached.jsonArray() else { return nil }
        return HTTPResponse(status: .ok, headers: HTTPHeaders(headers), body: body)
    }

    /// The metadata headers of a predict-price answer.
    func metadata(model: String, version: String, skipped: [String], cacheStatus: String, start: UInt64) -> [(String, String)] {
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        var headers: [(String, String)] = [
            ("X-Model", model), ("X-Model-Version", version), ("X-Cache", cacheStatus),
            ("X-Compute-Time-Ms", String((elapsed * 1000).rounded() / 1000)), ("Cache-Control", "no-store"),
        ]
        if !skipped.isEmpty { headers.append(("X-Fallback-Reasons", skipped.joined(separator: "; "))) }
        return headers
    }

    func render(_ curve: PriceCurve, _ request: HTTPRequest, cacheStatus: String, start: UInt64) -> HTTPResponse {
        var headers = metadata(model: curve.model, version: curve.modelVersion, skipped: curve.skippedModels,
                               cacheStatus: cacheStatus, start: start)
        if request.accepts("application/x-ndjson") {
            headers.append(("Content-Type", "application/x-ndjson"))
            let decision = CurveJSON.decisionFields(curve)
            return HTTPResponse.stream(headers: HTTPHeaders(headers)) { writer in
                for point in curve.points { try await writer.write(CurveJSON.line(point, curve: curve, decision: decision)) }
            }
        }
        headers.append(("Content-Type", "application/json"))
        return HTTPResponse(status: .ok, headers: HTTPHeaders(headers), body: CurveJSON.array(curve))
    }

    func products(_ request: HTTPRequest, _ engine: PricingEngine) -> HTTPResponse {
        var limit = 50, offset = 0
        var search: String?
        for item in request.queryItems {
            switch item.name {
            case "limit":
                guard let v = Int(item.value), (1...500).contains(v) else {
                    return APIError.badRequest("invalid_limit", "limit must be an integer between 1 and 500, got \"\(item.value)\"").response
                }
                limit = v
            case "offset":
                guard let v = Int(item.value), v >= 0 else {
                    return APIError.badRequest("invalid_offset", "offset must be an integer from 0 to \(Int.max), got \"\(item.value)\"").response
                }
                offset = v
            case "q": search = item.value.uppercased()
            default:
                return APIError.badRequest("unknown_parameter", "unknown query parameter \(item.name); allowed: limit, offset, q").response
            }
        }
        let matching = engine.products(matching: search)
        let page = matching.dropFirst(offset).prefix(limit)
        var w = JSONWriter(capacity: 160 * page.count + 64)
        w.raw("{"); w.key("total"); w.number(matching.count); w.raw(",")
        w.key("limit"); w.number(limit); w.raw(","); w.key("offset"); w.number(offset); w.raw(",")
        w.key("products"); w.raw("[")
        for (i, p) in page.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{"); w.key("stockcode"); w.string(p.stockcode); w.raw(",")
            w.key("description"); w.string(p.description); w.raw(",")
            w.key("lines"); w.number(p.lines); w.raw(",")
            w.key("price_min"); w.number(p.price.min); w.raw(",")
            w.key("price_median"); w.number(p.price.median); w.raw(",")
            w.key("price_max"); w.number(p.price.max); w.raw(",")
            w.key("price_last"); w.number(p.price.last); w.raw(",")
            w.key("last_sold"); w.string(p.lastSold); w.raw("}")
        }
        w.raw("]}")
        return HTTPResponse(status: .ok, headers: HTTPHeaders([("Content-Type", "application/json")]), body: w.bytes)
    }

    func readiness(_ engine: PricingEngine, cache: CacheStatus?, reload: (outcome: ModelReloader.Outcome, at: Date)? = nil) -> HTTPResponse {
        let entries = engine.chain.entries
        let active = engine.chain.models.first?.name ?? ""
        let degraded = entries.first?.name != active
        var w = JSONWriter()
        w.raw("{"); w.key("status"); w.string(degraded ? "degraded" : "ready"); w.raw(",")
        w.key("model_version"); w.string(engine.version); w.raw(",")
        w.key("active_model"); w.string(active); w.raw(",")
        w.key("models"); w.raw("[")
        for (i, entry) in entries.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{"); w.key("name"); w.string(entry.name); w.raw(",")
            switch entry {
            case .loaded: w.key("loaded"); w.bool(true)
            case .failed(_, let reason): w.key("loaded"); w.bool(false); w.raw(","); w.key("reason"); w.string(reason)
            }
            w.raw("}")
        }
        w.raw("],")
        w.key("cache")
        if let cache {
            w.raw("{"); w.key("kind"); w.string(cache.kind); w.raw(","); w.key("entries"); w.number(cache.entries); w.raw(",")
            w.key("bytes"); w.number(cache.bytes); w.raw(","); w.key("healthy"); w.bool(cache.healthy); w.raw("}")
        } else {
            w.raw("null")
        }
        if let reload { w.raw(","); w.key("last_reload"); Self.writeReload(reload, into: &w) }
        w.raw("}")
        return HTTPResponse(status: .ok, headers: HTTPHeaders([("Content-Type", "application/json")]), body: w.bytes)
    }

    func json(_ text: String) -> HTTPResponse {
        HTTPResponse(status: .ok, headers: HTTPHeaders([("Content-Type", "application/json")]), body: Array(text.utf8))
    }
}
