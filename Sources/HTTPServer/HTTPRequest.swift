/// A parsed HTTP request, handed to an ``HTTPHandler`` once its head and whole body have arrived.
public struct HTTPRequest: Sendable {
    /// The request method exactly as sent (methods are case-sensitive): `GET`, `POST`, ...
    public var method: String
    /// The path of the request target, still percent-encoded: `/a%20b` for `GET /a%20b?x=1`.
    /// For an absolute-form target (`GET http://host/p?q HTTP/1.1`) this is `/p`; for `OPTIONS *` it is `*`;
    /// for `CONNECT host:443` it is the authority.
    public var path: String
    /// The raw query string after `?` (without it), or "" when the target has none.
    public var query: String
    /// The protocol version from the request line.
    public var version: HTTPVersion
    /// The header fields, looked up case-insensitively: `request.headers["content-type"]`.
    public var headers: HTTPHeaders
    /// The request body, de-chunked. Empty when the request has none.
    public var body: [UInt8]
    /// The peer address as `ip:port` (`[ip]:port` for IPv6).
    public var remoteAddress: String

    /// Creates a request (useful for calling handlers directly in tests).
    public init(
        method: String,
        path: String,
        query: String = "",
        version: HTTPVersion = .http1_1,
        headers: HTTPHeaders = [:],
        body: [UInt8] = [],
        remoteAddress: String = ""
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.version = version
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
    }
}
