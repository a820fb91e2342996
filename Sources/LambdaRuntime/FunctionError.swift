/// An error reported to the Runtime API: the JSON body `{"errorMessage", "errorType"}` and the
/// `Lambda-Runtime-Function-Error-Type` header.
public struct FunctionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A `Category.Reason` name, e.g. `Runtime.ModelsUnavailable`.
    public var type: String
    /// What went wrong, for CloudWatch and the caller.
    public var message: String

    /// Creates an error report.
    public init(type: String, message: String) {
        self.type = type
        self.message = message
    }

    /// `type: message`.
    public var description: String { "\(type): \(message)" }

    var headers: [(String, String)] {
        [("Content-Type", "application/json"), ("Lambda-Runtime-Function-Error-Type", type)]
    }

    var body: [UInt8] {
        struct Body: Encodable {
            var errorMessage: String
            var errorType: String
            var stackTrace: [String] = []
        }
        return JSONCoding.encode(Body(errorMessage: message, errorType: type))
    }
}
