/// A response produced by an ``HTTPHandler``.
///
/// The server adds `Date`, `Connection` and either `Content-Length` (complete bodies) or
/// `Transfer-Encoding: chunked` (streamed bodies); any such fields set here are replaced.
public struct HTTPResponse: Sendable {
    /// How the body is produced.
    public enum Body: Sendable {
        /// The whole body, sent with `Content-Length`.
        case bytes([UInt8])
        /// A body produced incrementally. The closure runs after the head has been sent; each
        /// ``ResponseBodyWriter/write(_:)-([UInt8])`` call goes out as one chunk
        /// (`Transfer-Encoding: chunked`) and waits while the client is not reading. The server
        /// writes the terminating chunk when the closure returns. If it throws, the connection is
        /// closed without the terminating chunk so the client can tell the body is incomplete.
        /// Not called for `HEAD` requests.
        case stream(@Sendable (ResponseBodyWriter) async throws -> Void)
    }

    /// The status code and reason phrase.
    public var status: HTTPStatus
    /// Header fields set by the application.
    public var headers: HTTPHeaders
    /// The body.
    public var body: Body

    /// A response with a complete body.
    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = .bytes(body)
    }

    /// A response with a complete UTF-8 body.
    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = [:], body: String) {
        self.init(status: status, headers: headers, body: Array(body.utf8))
    }

    /// A response with the given body kind.
    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = [:], body: Body) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A streamed (chunked) response; see ``Body/stream(_:)``.
    public static func stream(
        status: HTTPStatus = .ok,
        headers: HTTPHeaders = [:],
        _ produce: @escaping @Sendable (ResponseBodyWriter) async throws -> Void
    ) -> HTTPResponse {
        HTTPResponse(status: status, headers: headers, body: .stream(produce))
    }
}

extension HTTPResponse.Body {
    /// The whole body: the bytes of ``bytes(_:)``, or everything a ``stream(_:)`` producer writes,
    /// collected in order (for transports that answer with one complete body, such as AWS Lambda's
    /// buffered responses). Rethrows the producer's error.
    public func collect() async throws -> [UInt8] {
        switch self {
        case .bytes(let bytes):
            return bytes
        case .stream(let produce):
            let collector = BodyCollector()
            defer { collector.close() }
            try await produce(ResponseBodyWriter(collector: collector))
            return collector.bytes
        }
    }
}
