/// A protocol error detected while reading a request. The server answers it with a JSON error
/// response and closes the connection.
struct RequestError: Error, Sendable, Equatable {
    var status: HTTPStatus
    /// snake_case machine-readable code, stable per status.
    var code: StaticString
    /// Human-readable detail.
    var message: String

    static func == (lhs: RequestError, rhs: RequestError) -> Bool {
        lhs.status == rhs.status && lhs.message == rhs.message
    }

    static func badRequest(_ message: String) -> RequestError {
        RequestError(status: .badRequest, code: "bad_request", message: message)
    }

    static let uriTooLong = RequestError(
        status: .uriTooLong, code: "uri_too_long", message: "The request line is too long.")

    static func headersTooLarge(_ message: String) -> RequestError {
        RequestError(status: .requestHeaderFieldsTooLarge, code: "header_fields_too_large", message: message)
    }

    static let contentTooLarge = RequestError(
        status: .contentTooLarge, code: "content_too_large", message: "The request body is too large.")

    static func notImplemented(_ message: String) -> RequestError {
        RequestError(status: .notImplemented, code: "not_implemented", message: message)
    }

    static let expectationFailed = RequestError(
        status: .expectationFailed, code: "expectation_failed", message: "Only 'Expect: 100-continue' is supported.")

    static let versionNotSupported = RequestError(
        status: .httpVersionNotSupported, code: "http_version_not_supported", message: "Only HTTP/1.x is supported.")

    static let timeout = RequestError(
        status: .requestTimeout, code: "request_timeout", message: "The request was not received in time.")

    static let serviceUnavailable = RequestError(
        status: .serviceUnavailable, code: "service_unavailable",
        message: "The server is at its connection limit; retry later.")
}
