public import Logging

/// A log handler that hands every event to `record`, for tests that read what was logged (the access log,
/// the ledger's recording messages); each test keeps the events in the form it checks.
public struct CapturingLogHandler: LogHandler {
    public let record: @Sendable (LogEvent) -> Void
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info

    public init(record: @escaping @Sendable (LogEvent) -> Void) {
        self.record = record
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        record(event)
    }
}
