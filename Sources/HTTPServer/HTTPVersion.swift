/// An HTTP protocol version as sent in a request line (`HTTP/1.0`, `HTTP/1.1`).
///
/// The server accepts any `HTTP/1.x`; minor versions above 1 are treated as 1.1 (RFC 9110 §6.2).
public struct HTTPVersion: Sendable, Hashable, CustomStringConvertible {
    /// The major version number.
    public var major: Int
    /// The minor version number.
    public var minor: Int

    /// Creates a version from its numbers.
    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// HTTP/1.0: connections close after each response unless the client asks for keep-alive.
    public static let http1_0 = HTTPVersion(major: 1, minor: 0)
    /// HTTP/1.1: persistent connections by default.
    public static let http1_1 = HTTPVersion(major: 1, minor: 1)

    /// `HTTP/<major>.<minor>`.
    public var description: String { "HTTP/\(major).\(minor)" }
}
