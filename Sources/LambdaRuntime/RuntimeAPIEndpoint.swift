/// The Runtime API's address, from `AWS_LAMBDA_RUNTIME_API` (`host:port`, `[v6addr]:port`).
public struct RuntimeAPIEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// The host name or address, without brackets.
    public var host: String
    /// The TCP port.
    public var port: Int

    /// Parses `host:port`; throws ``RuntimeAPIError/invalidEndpoint(_:)`` otherwise.
    public init(_ text: String) throws(RuntimeAPIError) {
        var rest = Substring(text)
        if rest.hasPrefix("http://") { rest = rest.dropFirst("http://".count) }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]),
              (1...65_535).contains(port) else { throw .invalidEndpoint(text) }
        var host = rest[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard !host.isEmpty, !host.contains("/") else { throw .invalidEndpoint(text) }
        self.host = String(host)
        self.port = port
    }

    /// `host:port` (IPv6 addresses in brackets).
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
