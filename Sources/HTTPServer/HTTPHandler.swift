/// Produces a response for each request. Called concurrently for different connections, and
/// sequentially (in request order) for the requests of one connection.
public protocol HTTPHandler: Sendable {
    /// Returns the response for `request`. Errors must be mapped to responses by the handler.
    func handle(_ request: HTTPRequest) async -> HTTPResponse
}

/// An ``HTTPHandler`` backed by a closure.
public struct ClosureHTTPHandler: HTTPHandler {
    private let body: @Sendable (HTTPRequest) async -> HTTPResponse

    /// Wraps `body`.
    public init(_ body: @escaping @Sendable (HTTPRequest) async -> HTTPResponse) {
        self.body = body
    }

    public func handle(_ request: HTTPRequest) async -> HTTPResponse {
        await body(request)
    }
}
