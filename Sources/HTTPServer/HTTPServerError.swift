/// Errors thrown by ``HTTPServer`` and ``ResponseBodyWriter``.
public enum HTTPServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The operation is not valid in the server's current lifecycle state.
    case invalidState(HTTPServer.State)
    /// The host/port could not be resolved or is out of range.
    case invalidAddress(String)
    /// A socket call failed.
    case socket(operation: String, errno: Int32)
    /// The connection was closed (client gone, timeout or server shutdown) before the write.
    case connectionClosed

    public var description: String {
        switch self {
        case .invalidState(let state): "operation not valid while the server is \(state)"
        case .invalidAddress(let detail): "invalid address: \(detail)"
        case .socket(let operation, let code): "\(operation) failed: \(Socket.describe(code))"
        case .connectionClosed: "connection closed"
        }
    }
}
