/// An error answer of the API: an HTTP status and a JSON body
/// `{"error": {"code": "...", "message": "..."}}` that a client can act on.
public struct APIError: Error, Equatable, Sendable {
    public let status: Int
    public let code: String
    public let message: String

    public init(status: Int, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var body: [UInt8] {
        var w = JSONWriter()
        w.raw("{\"error\":{")
        w.key("code")
        w.string(code)
        w.raw(",")
        w.key("message")
        w.string(message)
        w.raw("}}")
        return w.bytes
    }

    static func badRequest(_ code: String, _ message: String) -> APIError { APIError(status: 400, code: code, message: message) }
}
