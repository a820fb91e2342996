public import HTTPServer
import Foundation

/// Renders a handler's response (with its complete body) as the document API Gateway or a
/// function URL expects back from the function.
///
/// The body goes as text when it is UTF-8 and not content-coded, else base64 with
/// `isBase64Encoded: true` (gzip'd JSON, binary data). Hop-by-hop and framing fields
/// (`Connection`, `Transfer-Encoding`, `Content-Length`, ...) are left out: API Gateway frames the
/// answer itself. For 1.0 every field goes into `multiValueHeaders` and each name's first value also
/// into `headers` (API Gateway merges the two); for 2.0 repeated fields are joined with commas, except
/// `Set-Cookie`, whose values go into `cookies`.
public enum ProxyResponse {
    /// Fields that describe the hop to the client, not the response.
    static let hopByHop: Set<String> = ["connection", "keep-alive", "transfer-encoding", "content-length", "upgrade",
                                        "proxy-connection", "te", "trailer"]

    /// The answer document for `status`, `headers` and `body` in `format`.
    public static func encode(status: Int, headers: HTTPHeaders, body: [UInt8], format: PayloadFormat) -> [UInt8] {
        var groups: [(name: String, values: [String])] = []
        var index: [String: Int] = [:]
        for field in headers {
            let lower = field.name.lowercased()
            guard !hopByHop.contains(lower) else { continue }
            if let at = index[lower] { groups[at].values.append(field.value) } else {
                index[lower] = groups.count
                groups.append((field.name, [field.value]))
            }
        }
        let coded = headers["content-encoding"].map { !$0.isEmpty && $0.lowercased() != "identity" } ?? false
        let text = coded ? nil : String(validating: body, as: UTF8.self)
        let bodyText = text ?? Data(body).base64EncodedString()
        switch format {
        case .v1:
            struct Document: Encodable {
                var statusCode: Int
                var headers: [String: String]
                var multiValueHeaders: [String: [String]]
                var body: String
                var isBase64Encoded: Bool
            }
            return JSONCoding.encode(Document(
                statusCode: status,
                headers: Dictionary(groups.map { ($0.name, $0.values[0]) }, uniquingKeysWith: { first, _ in first }),
                multiValueHeaders: Dictionary(groups.map { ($0.name, $0.values) }, uniquingKeysWith: +),
                body: bodyText, isBase64Encoded: text == nil))
        case .v2:
            struct Document: Encodable {
                var statusCode: Int
                var headers: [String: String]
                var cookies: [String]?
                var body: String
                var isBase64Encoded: Bool
            }
            let cookies = groups.filter { $0.name.lowercased() == "set-cookie" }.flatMap(\.values)
            let others = groups.filter { $0.name.lowercased() != "set-cookie" }
            return JSONCoding.encode(Document(
                statusCode: status,
                headers: Dictionary(others.map { ($0.name, $0.values.joined(separator: ", ")) }, uniquingKeysWith: { first, _ in first }),
                cookies: cookies.isEmpty ? nil : cookies,
                body: bodyText, isBase64Encoded: text == nil))
        }
    }

    /// The 400 answer to an event that is not an HTTP event: `{"error": {"code": "bad_event", "message"}}`.
    public static func badEvent(_ error: BadEvent) -> [UInt8] {
        encode(status: 400, headers: ["Content-Type": "application/json"],
               body: jsonErrorBody(code: "bad_event", message: error.message), format: error.format)
    }
}
