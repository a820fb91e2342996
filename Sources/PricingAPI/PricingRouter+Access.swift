import HTTPServer
import Pricing

/// Who may use the admin route and see the service's internals: the bearer-token check (compared in
/// constant time, wrong guesses throttled per client address by ``FailedTokenThrottle``) and the
/// `metrics_access` rule of `/metrics` and `/readyz`'s detail.
extension PricingRouter {
    /// nil when `request` carries the admin token; else the answer refusing it: 403 when no token is
    /// configured, 429 with `Retry-After` while the client is locked out, 401 otherwise.
    func adminRefusal(_ request: HTTPRequest, route: String) -> HTTPResponse? {
        guard let adminToken, !adminToken.isEmpty else {
            return APIError(status: 403, code: "admin_disabled", message: "the admin routes are disabled: set ADMIN_TOKEN to enable them").response
        }
        let client = FailedTokenThrottle.clientAddress(request.remoteAddress)
        // Checked before the token, so a locked-out guesser learns nothing even from a right guess.
        if let seconds = adminThrottle.retryAfter(client) { return tooManyFailures(seconds) }
        let presented = Self.bearerToken(request)
        guard let presented, Self.constantTimeEqual(Array(presented.utf8), Array(adminToken.utf8)) else {
            // Only a token presented and wrong is a guess; a request without one is not counted.
            if presented != nil { adminThrottle.recordFailure(client) }
            return APIError(status: 401, code: "unauthorized", message: "\(route) needs the header Authorization: Bearer <ADMIN_TOKEN>")
                .response(extraHeaders: [("WWW-Authenticate", "Bearer")])
        }
        adminThrottle.recordSuccess(client)
        return nil
    }

    /// nil when `metrics_access` lets `request` see `/metrics` and `/readyz`'s detail; else the answer
    /// refusing `/metrics` (403 off loopback, or the admin token's 401/429).
    func metricsRefusal(_ request: HTTPRequest) -> HTTPResponse? {
        switch metricsAccess {
        case .public:
            return nil
        case .loopback:
            guard Self.isLoopback(FailedTokenThrottle.clientAddress(request.remoteAddress)) else {
                return APIError(status: 403, code: "forbidden", message: "this route answers only on the loopback address (metrics_access is loopback)").response
            }
            return nil
        case .adminToken:
            return adminRefusal(request, route: "GET /metrics")
        }
    }

    /// `/readyz` for a client not allowed the detail: the status alone (what a load balancer reads),
    /// without model failure reasons or reload errors, which name paths and source URLs.
    func readinessStatus(_ engine: PricingEngine) -> HTTPResponse {
        let degraded = engine.chain.entries.first?.name != engine.chain.models.first?.name
        return json(degraded ? #"{"status":"degraded"}"# : #"{"status":"ready"}"#)
    }

    func tooManyFailures(_ seconds: Int) -> HTTPResponse {
        APIError(status: 429, code: "too_many_failures",
                 message: "too many wrong admin tokens from this address; retry in \(seconds) s")
            .response(extraHeaders: [("Retry-After", String(seconds))])
    }

    /// The token of an `Authorization: Bearer <token>` header.
    static func bearerToken(_ request: HTTPRequest) -> String? {
        request.headers["authorization"].flatMap { value -> String? in
            let parts = value.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
            return String(parts[1].trimmingWhitespace())
        }
    }

    /// 127.0.0.0/8, ::1 and IPv4-mapped loopback. An empty address (a request made in-process) is not.
    static func isLoopback(_ address: String) -> Bool {
        address.hasPrefix("127.") || address == "::1" || address.lowercased().hasPrefix("::ffff:127.")
    }

    /// Compares without an early exit, so response time does not reveal how much of a guess was right.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) {
            difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return difference == 0
    }
}
