public import HTTPServer
import Foundation

/// An API Gateway or function URL event translated into the server's ``HTTPServer/HTTPRequest``.
///
/// Paths: for 1.0, a `/{proxy+}` resource's `proxy` parameter is the path below the API (whatever
/// custom-domain base path or stage came before it); otherwise `path`, which execute-api URLs already
/// give without the stage, and from which a leading `/{stage}` is removed when the request came
/// through a custom domain mapped at the stage's name. For 2.0, `rawPath` carries `/{stage}` for
/// named stages (not for `$default` or function URLs), which is removed. Fields that API Gateway
/// hands over decoded (1.0 query parameters) are percent-encoded again, so the handler sees the same
/// request target it would have seen over HTTP.
public struct ProxyEvent: Sendable {
    /// The event's payload format, which is also the format of the answer.
    public var format: PayloadFormat
    /// The request to hand to the HTTP handler.
    public var request: HTTPRequest

    /// Decodes an event document; throws ``BadEvent`` when it is not an HTTP event.
    public init(decoding event: [UInt8]) throws(BadEvent) {
        let decoded: HTTPEvent
        do {
            decoded = try JSONDecoder().decode(HTTPEvent.self, from: Data(event))
        } catch let error as BadEvent {
            throw error
        } catch {
            if case .dataCorrupted? = error as? DecodingError { throw BadEvent("the event is not valid JSON") }
            throw BadEvent("the event is not a JSON object")
        }
        switch decoded {
        case .rest(let event):
            format = .v1
            request = try Self.request(event)
        case .httpAPI(let event):
            format = .v2
            request = try Self.request(event)
        }
    }

    /// `path` without a leading `/{stage}` segment; unchanged for no stage or `$default`.
    static func strippingStage(_ path: String, stage: String?) -> String {
        guard let stage, !stage.isEmpty, stage != "$default" else { return path }
        let prefix = "/" + stage
        if path == prefix { return "/" }
        if path.hasPrefix(prefix + "/") { return String(path.dropFirst(prefix.count)) }
        return path
    }

    /// The `(name, value)` pairs of an event's field map, by name, leaving out null values.
    static func sortedPairs(_ fields: [String: String?]) -> [(String, String)] {
        fields.sorted { $0.key < $1.key }.compactMap { name, value in value.map { (name, $0) } }
    }

    /// The `(name, value)` pairs of a 1.0 multi-value map, by name and then in order, leaving out nulls.
    static func sortedPairs(multiValue fields: [String: [String?]?]) -> [(String, String)] {
        fields.sorted { $0.key < $1.key }.flatMap { name, values in (values ?? []).compactMap { $0.map { (name, $0) } } }
    }

    static func validMethod(_ method: String, format: PayloadFormat) throws(BadEvent) -> String {
        guard !method.isEmpty, method.utf8.count <= 32, method.utf8.allSatisfy(ASCII.isTokenChar) else {
            throw BadEvent("the method \"\(method.prefix(40))\" is not an HTTP method", format: format)
        }
        return method
    }

    static func body(_ text: String?, base64: Bool, format: PayloadFormat) throws(BadEvent) -> [UInt8] {
        guard let text, !text.isEmpty else { return [] }
        guard base64 else { return Array(text.utf8) }
        guard let data = Data(base64Encoded: text, options: .ignoreUnknownCharacters) else {
            throw BadEvent("isBase64Encoded is true but the body is not base64", format: format)
        }
        return [UInt8](data)
    }

    /// A short account of a decoding error: which field is missing or has the wrong type.
    static func describe(_ error: any Error) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.isEmpty ? "the document" : keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop { $0 == "." }.description
        }
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?: return "\(path(context.codingPath + [key])) is missing"
        case .typeMismatch(let type, let context)?: return "\(path(context.codingPath)) is not \(type == String.self ? "a string" : "of the expected type (\(type))")"
        case .valueNotFound(_, let context)?: return "\(path(context.codingPath)) is null"
        case .dataCorrupted(let context)?: return context.codingPath.isEmpty ? "not valid JSON" : "\(path(context.codingPath)): \(context.debugDescription)"
        default: return "\(error)"
        }
    }
}
