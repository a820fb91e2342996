import ArtifactFormats
import Logging

/// A log handler that masks credentials in URLs (``CredentialRedaction``) in every message and
/// metadata value before the handler it wraps writes them.
///
/// Installed once at bootstrap, so that every module's log lines are covered, including those of
/// modules that print settings they were given (the Redis cache, the artifact sources) and lines
/// added later, rather than relying on each call site to remember.
struct RedactingLogHandler<Wrapped: LogHandler>: LogHandler {
    var wrapped: Wrapped

    init(_ wrapped: Wrapped) { self.wrapped = wrapped }

    func log(event: LogEvent) {
        var event = event
        event.message = Logger.Message(stringLiteral: CredentialRedaction.redactingURLs(in: event.message.description))
        event.metadata = event.metadata.map(Self.redacting)
        wrapped.log(event: event)
    }

    static func redacting(_ metadata: Logger.Metadata) -> Logger.Metadata {
        metadata.mapValues(redacting)
    }

    static func redacting(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let text): .string(CredentialRedaction.redactingURLs(in: text))
        case .stringConvertible(let item): .string(CredentialRedaction.redactingURLs(in: item.description))
        case .array(let items): .array(items.map(redacting))
        case .dictionary(let entries): .dictionary(redacting(entries))
        }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { wrapped.metadataProvider }
        set { wrapped.metadataProvider = newValue }
    }

    // The handler's own metadata is redacted when a line is written, with the rest of the line: it is
    // merged into the event by the wrapped handler, so it is masked here on the way in.
    var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = Self.redacting(newValue) }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue.map(Self.redacting) }
    }

    var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }
}
