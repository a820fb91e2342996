// PricingAPI: the HTTP API of the service (routes, JSON, errors, CORS) on the HTTPServer module.
public import HTTPServer
public import Pricing
public import Cache
import Dispatch
import Foundation
import Storage

/// The service's routes:
/// - `GET /v1/predict-price/{stockcode}`: the price curve (JSON array, or NDJSON with
///   `Accept: application/x-ndjson`), metadata in `X-Model`, `X-Model-Version`, `X-Cache`,
///   `X-Compute-Time-Ms` and `X-Fallback-Reasons` headers;
/// - `GET /v1/products`: the catalogue, searchable and paged;
/// - `GET|POST /v1/recommendations`, `GET /v1/recommendations/{stockcode}`: repricing runs under the
///   shop's rules (PricingRouter+Recommendations.swift);
/// - `GET /healthz` (process alive) and `GET /readyz` (models loaded, which model is active);
/// - `GET /metrics` (Prometheus text) and `GET /openapi.json` (this API as OpenAPI 3.1);
/// - `POST /admin/reload` (bearer token): look for a newer model version now;
/// - `OPTIONS` preflight answered from the CORS policy alone.
/// Errors are JSON bodies `{"error": {"code", "message"}}` with the matching status.
public struct PricingRouter: HTTPHandler {
    public let slot: EngineSlot
    public let cors: CORSPolicy
    /// Computed curves by (model version, stockcode, normalized query); nil disables caching.
    public let cache: (any PriceCache)?
    public let cacheTTL: Duration
    /// Swaps in new model versions; `POST /admin/reload` triggers it when `adminToken` is set.
    public let reloader: ModelReloader?
    public let adminToken: String?
    private let flight = SingleFlight<Result<PriceCurve, SweepError>>()
    /// Bodies at least this large are gzip-compressed for clients that accept it.
    public let gzipMinimumBytes: Int
    /// The configured business rules of repricing runs (`pricing_rules`); a request may override them.
    public let pricingRules: PricingRules
    /// Repricing runs, computed once per model version, rules and catalogue, within the admission limits.
    public let runs: RepricingRuns
    /// Each client address's budget for uncached work (curves, one-product recommendations, new runs).
    public let workBudget: ClientWorkBudget
    /// Who may read /metrics and /readyz's detail (`metrics_access`); the status of /readyz is public.
    public var metricsAccess = MetricsAccess.public
    /// Wrong admin tokens per client address (PricingRouter+Access.swift).
    public var adminThrottle = FailedTokenThrottle()

    public init(engine: PricingEngine, cors: CORSPolicy, cache: (any PriceCache)? = nil, gzipMinimumBytes: Int = 1024,
                pricingRules: PricingRules = PricingRules(), admission: AdmissionSettings = AdmissionSettings()) {
        self.init(slot: EngineSlot(engine), cors: cors, cache: cache, gzipMinimumBytes: gzipMinimumBytes, pricingRules: pricingRules,
                  admission: admission)
    }

    /// A router whose models arrive later (or are swapped): until `slot` holds an engine, the model
    /// routes and /readyz answer 503 `not_ready`.
    public init(slot: EngineSlot, cors: CORSPolicy, cache: (any PriceCache)? = nil, cacheTTL: Duration = .seconds(3600),
                reloader: ModelReloader? = nil, adminToken: String? = nil, gzipMinimumBytes: Int = 1024,
                pricingRules: PricingRules = PricingRules(), admission: AdmissionSettings = AdmissionSettings()) {
        ServiceMetrics.bootstrap()
        self.pricingRules = pricingRules.normalized
        runs = RepricingRuns(settings: admission, pinnedRules: pricingRules.normalized)
        workBudget = ClientWorkBudget(millisecondsPerSecond: admission.clientWorkMillisecondsPerSecond,
                                      burstMilliseconds: admission.clientWorkBurstMilliseconds)
        self.reloader = reloader
        self.adminToken = adminToken
        self.slot = slot
        self.cache = cache
        self.cacheTTL = cacheTTL
        self.cors = cors
        self.gzipMinimumBytes = gzipMinimumBytes
    }

    public func handle(_ request: HTTPRequest) async -> HTTPResponse {
        let start = DispatchTime.now().uptimeNanoseconds
        var response = await route(request)
        // Every answer says which version was serving (predict-price sets the one it actually used).
        if !response.headers.contains("x-model-version"), let version = slot.engine?.version {
            response.headers.add("X-Model-Version", version)
        }
        ServiceMetrics.request(route: Self.routeLabel(request.path), method: Self.methodLabel(request.method), status: response.status.code,
                               nanoseconds: DispatchTime.now().uptimeNanoseconds - start)
        if let origin = request.headers["origin"] {
            // Vary on every response to a cross-origin request, allowed or not, so a shared cache never
            // hands one origin's answer to another.
            if !response.headers.values(for: "vary").contains(where: { $0.contains("Origin") }) { response.headers.add("Vary", "Origin") }
            if request.method != "OPTIONS", let headers = cors.headers(origin: origin) {
                for (name, value) in headers where name != "Vary" { response.headers.add(name, value) }
            }
        }
        return compressIfWorthIt(response, request: request)
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
        switch path {
        case "/v1/recommendations": return await recommendationsRoute(request)
        case "/v1/products": return methods(request, allowed: ["GET", "HEAD"]) { withEngine { products(request, $0) } }
        case "/healthz": return methods(request, allowed: ["GET", "HEAD"]) { json(#"{"status":"ok"}"#) }
        case "/readyz":
            guard request.method == "GET" || request.method == "HEAD" else { return methods(request, allowed: ["GET", "HEAD"]) { notReady() } }
            guard let engine = slot.engine else { return notReady() }
            if metricsRefusal(request) != nil { return readinessStatus(engine) }
            return readiness(engine, cache: await cache?.status, reload: await reloader?.lastEvent)
        case "/metrics":
            if let cache { ServiceMetrics.cacheState(await cache.status) }
            ServiceMetrics.admissionState(runsRunning: runs.running, clients: workBudget.count)
            return methods(request, allowed: ["GET", "HEAD"]) {
                if let refusal = metricsRefusal(request) { return refusal }
                return HTTPResponse(status: .ok, headers: HTTPHeaders([("Content-Type", "text/plain; version=0.0.4; charset=utf-8")]),
                             body: ServiceMetrics.exposition())
            }
        case "/admin/reload": return await adminReload(request)
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
        switch path {
        case "/v1/recommendations", "/v1/products", "/healthz", "/readyz", "/metrics", "/openapi.json", "/admin/reload": return path
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

    /// The cache key of a validated request: version, product and the normalized query, so that
    /// `unitprice_min=1.50` and `unitprice_min=1.5` share an entry and a new version never sees an old one.
    /// The `{version|stockcode}` hash tag keeps all of a product's keys on one Redis Cluster slot.
    public static func cacheKey(_ request: SweepRequest, version: String) -> String {
        func text(_ v: Double?) -> String { v.map { String($0) } ?? "-" }
        return "pv1|{\(version)|\(request.stockcode)}|\(text(request.minPrice))|\(text(request.maxPrice))|\(request.bins)|\(text(request.unitCost))"
    }

    /// The cache key of a product's context rows in `version` (same hash tag as its curves).
    public static func productKey(_ stockcode: String, version: String) -> String { "pd1|{\(version)|\(stockcode)}" }

    func predictPrice(_ stockcode: String, _ request: HTTPRequest, _ engine: PricingEngine) async -> HTTPResponse {
        let start = DispatchTime.now().uptimeNanoseconds
        let sweepRequest: SweepRequest
        do {
            sweepRequest = try PredictPriceQuery.request(stockcode: stockcode, query: request.queryItems.map { ($0.name, $0.value) })
        } catch {
            return error.response
        }
        let key = Self.cacheKey(sweepRequest, version: engine.version)
        if let cache, let bytes = await cache.get(key), let cached = CachedCurve(decoding: bytes),
           cached.modelVersion == engine.version, cached.stockcode == sweepRequest.stockcode, cached.rows == sweepRequest.bins {
            let ndjson = accepts(request, "application/x-ndjson")
            var headers = metadata(model: cached.model, version: cached.modelVersion, skipped: cached.skippedModels,
                                   cacheStatus: "HIT", start: start)
            headers.append(("Content-Type", ndjson ? "application/x-ndjson" : "application/json"))
            if !ndjson, acceptsGzip(request) {
                ServiceMetrics.cache(hit: true)
                headers += [("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")]
                return HTTPResponse(status: .ok, headers: HTTPHeaders(headers), body: cached.gzippedJSON)
            }
            if let body = ndjson ? cached.ndjson() : cached.jsonArray() {
                ServiceMetrics.cache(hit: true)
                return HTTPResponse(status: .ok, headers: HTTPHeaders(headers), body: body)
            }
        }
        if let refusal = spendWorkBudget(Self.uncachedRequestMilliseconds, request) { return refusal }
        // Identical requests arriving together compute once; the sweep runs on the global pool, not on
        // the thread serving this connection's core, so cheap requests elsewhere are not held behind it.
        let (result, _) = await flight.run(key) {
            let context = await cachedProductRows(stockcode, engine)
            let result: Result<PriceCurve, SweepError> = await withCheckedContinuation { continuation in
                DispatchQueue.global(qos: .userInitiated).async {
                    do throws(SweepError) {
                        continuation.resume(returning: .success(try engine.sweep(sweepRequest, context: context.rows)))
                    } catch {
                        continuation.resume(returning: .failure(error))
                    }
                }
            }
            if context.share, case .success = result { await shareProductRows(stockcode, engine) }
            // Stored before the flight ends: a request arriving just after it finds the value in the cache
            // instead of starting a second computation.
            if case .success(let curve) = result {
                ServiceMetrics.modelAnswered(curve.model)
                if let cache { await cache.set(key, CachedCurve(curve).encoded(), ttl: cacheTTL) }
            }
            return result
        }
        switch result {
        case .failure(let error):
            return APIError(sweep: error).response
        case .success(let curve):
            if cache != nil { ServiceMetrics.cache(hit: false) }
            return render(curve, request, cacheStatus: "MISS", start: start)
        }
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
        if accepts(request, "application/x-ndjson") {
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
        let matching = engine.store.products.filter { p in
            guard let search, !search.isEmpty else { return true }
            return p.stockcode.uppercased().contains(search) || p.description.uppercased().contains(search)
        }
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

    /// Whether the Accept header names `type` with a non-zero quality.
    func accepts(_ request: HTTPRequest, _ type: String) -> Bool {
        Self.quality(of: type, in: request.headers.values(for: "accept")).map { $0 > 0 } ?? false
    }

    /// The q-value a header's list gives `token` (1 when unqualified), or nil when it is not listed.
    static func quality(of token: String, in values: [String]) -> Double? {
        for value in values {
            for part in value.split(separator: ",") {
                let fields = part.split(separator: ";").map { $0.trimmingCharacters().lowercased() }
                guard fields.first == token else { continue }
                return fields.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            }
        }
        return nil
    }

    /// gzip when the client accepts it (q > 0) and the complete body is large enough to be worth it.
    func compressIfWorthIt(_ response: HTTPResponse, request: HTTPRequest) -> HTTPResponse {
        guard case .bytes(let body) = response.body, body.count >= gzipMinimumBytes, !response.headers.contains("content-encoding"),
              acceptsGzip(request) else { return response }
        var out = response
        out.body = .bytes(Gzip.compress(body))
        out.headers.add("Content-Encoding", "gzip")
        out.headers.add("Vary", "Accept-Encoding")
        return out
    }

    /// An explicit `gzip` entry decides; `*` counts only when gzip is not named (RFC 9110 §12.5.3).
    func acceptsGzip(_ request: HTTPRequest) -> Bool {
        let values = request.headers.values(for: "accept-encoding")
        let q = Self.quality(of: "gzip", in: values) ?? Self.quality(of: "*", in: values) ?? 0
        return q > 0
    }
}

extension Substring {
    func trimmingCharacters() -> String {
        String(self.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
