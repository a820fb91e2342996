/// Why a call to the Lambda Runtime API failed.
public enum RuntimeAPIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `AWS_LAMBDA_RUNTIME_API` is not `host:port`.
    case invalidEndpoint(String)
    /// Nothing accepts connections at the endpoint (connection refused, host unreachable, ...):
    /// outside of tests this means the execution environment is going away.
    case unreachable(endpoint: String, reason: String)
    /// The connection broke while a request was in flight (after one reconnect attempt).
    case connectionLost(endpoint: String, reason: String)
    /// The Runtime API answered with a status the documented API does not give for this call.
    case unexpectedStatus(path: String, status: Int, body: String)
    /// The Runtime API's answer was not parseable HTTP/1.1, or `next` lacked the request id.
    case malformedResponse(String)

    /// Whether the Runtime API has gone away (as opposed to answering something unexpected).
    public var isGone: Bool {
        switch self {
        case .unreachable, .connectionLost: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .invalidEndpoint(let value): "AWS_LAMBDA_RUNTIME_API must be host:port, got \"\(value)\""
        case .unreachable(let endpoint, let reason): "the Lambda Runtime API at \(endpoint) is unreachable: \(reason)"
        case .connectionLost(let endpoint, let reason): "the connection to the Lambda Runtime API at \(endpoint) broke: \(reason)"
        case .unexpectedStatus(let path, let status, let body):
            "the Lambda Runtime API answered \(status) to \(path)\(body.isEmpty ? "" : ": \(body.prefix(300))")"
        case .malformedResponse(let detail): "malformed answer from the Lambda Runtime API: \(detail)"
        }
    }
}
