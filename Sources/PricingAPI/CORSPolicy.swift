import HTTPServer

/// Which browser origins may call the API. Origins match exactly (scheme, host and port); `*`
/// allows any origin but then never with credentials, as the CORS rules require.
public struct CORSPolicy: Sendable {
    public let allowedOrigins: Set<String>
    public let allowCredentials: Bool
    public static let methods = "GET, HEAD, OPTIONS"
    public static let maxAgeSeconds = 600

    public init(allowedOrigins: [String], allowCredentials: Bool = true) {
        self.allowedOrigins = Set(allowedOrigins)
        self.allowCredentials = allowCredentials && !allowedOrigins.contains("*")
    }

    var allowsAny: Bool { allowedOrigins.contains("*") }

    /// The headers for a response to `origin`, or nil when the origin is not allowed.
    func headers(origin: String) -> [(String, String)]? {
        if allowedOrigins.contains(origin) {
            var h = [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
            if allowCredentials { h.append(("Access-Control-Allow-Credentials", "true")) }
            h.append(("Access-Control-Expose-Headers", "X-Model, X-Model-Version, X-Cache, X-Compute-Time-Ms, X-Fallback-Reasons"))
            return h
        }
        if allowsAny {
            return [("Access-Control-Allow-Origin", "*"),
                    ("Access-Control-Expose-Headers", "X-Model, X-Model-Version, X-Cache, X-Compute-Time-Ms, X-Fallback-Reasons")]
        }
        return nil
    }

    /// The answer to a preflight `OPTIONS` request; it never touches the models. Without an Origin it is a
    /// plain OPTIONS, and Allow lists the path's own methods (`allowed`).
    func preflight(_ request: HTTPRequest, allowed: [String] = ["GET", "HEAD"]) -> HTTPResponse {
        guard let origin = request.headers["origin"] else {
            return HTTPResponse(status: 204, headers: HTTPHeaders([("Allow", (allowed + ["OPTIONS"]).joined(separator: ", "))]))
        }
        guard var headers = self.headers(origin: origin) else {
            return APIError(status: 403, code: "origin_not_allowed", message: "origin \(origin) may not call this API").response
        }
        let method = request.headers["access-control-request-method"] ?? "GET"
        guard ["GET", "HEAD"].contains(method) else {
            return APIError(status: 405, code: "method_not_allowed", message: "\(method) is not allowed; allowed: \(Self.methods)")
                .response(extraHeaders: [("Allow", Self.methods)])
        }
        headers.append(("Access-Control-Allow-Methods", Self.methods))
        if let requested = request.headers["access-control-request-headers"] { headers.append(("Access-Control-Allow-Headers", requested)) }
        headers.append(("Access-Control-Max-Age", String(Self.maxAgeSeconds)))
        return HTTPResponse(status: 204, headers: HTTPHeaders(headers))
    }
}
