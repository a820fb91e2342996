import HTTPServer

/// The CORS policy around a handler: every response to a cross-origin request varies on `Origin`
/// (allowed or not, so a shared cache never hands one origin's answer to another), and an allowed
/// origin gets the policy's headers (a preflight answered them already).
struct CORSHeaders<Inner: HTTPHandler>: HTTPHandler {
    let policy: CORSPolicy
    let inner: Inner

    init(_ policy: CORSPolicy, _ inner: Inner) {
        self.policy = policy
        self.inner = inner
    }

    func handle(_ request: HTTPRequest) async -> HTTPResponse {
        var response = await inner.handle(request)
        guard let origin = request.headers["origin"] else { return response }
        if !response.headers.values(for: "vary").contains(where: { $0.contains("Origin") }) { response.headers.add("Vary", "Origin") }
        if request.method != "OPTIONS", let headers = policy.headers(origin: origin) {
            for (name, value) in headers where name != "Vary" { response.headers.add(name, value) }
        }
        return response
    }
}
