/// An invocation event that is not an HTTP event the runtime understands (answered with 400
/// `bad_event` instead of failing the invocation).
public struct BadEvent: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong with the event.
    public var message: String
    /// The format to answer in: what the event claimed to be, else 1.0 (whose fields a 2.0 caller
    /// also reads).
    public var format: PayloadFormat

    /// Creates the error.
    public init(_ message: String, format: PayloadFormat = .v1) {
        self.message = message
        self.format = format
    }

    public var description: String { message }
}
