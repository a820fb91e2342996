// The fields of the HTTP event documents the runtime reads; every other field is ignored.
// Optional wherever AWS may send null or leave the field out.

/// An HTTP event of either payload format, told apart by its `version` and `httpMethod` fields and
/// decoded in the same pass over the document. A JSON object that is neither, or that lacks a field
/// its format needs, throws ``BadEvent`` (a wrong type in the telling fields is left to the format's
/// decode, which names the field).
enum HTTPEvent: Decodable {
    case rest(RESTEvent)
    case httpAPI(HTTPAPIEvent)

    private enum Keys: String, CodingKey { case version, httpMethod }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        if (try? container.decodeIfPresent(String.self, forKey: .version)) == "2.0" {
            do {
                self = .httpAPI(try HTTPAPIEvent(from: decoder))
            } catch {
                throw BadEvent("not an HTTP API (payload 2.0) or function URL event: \(ProxyEvent.describe(error))", format: .v2)
            }
        } else if container.contains(.httpMethod) {
            do {
                self = .rest(try RESTEvent(from: decoder))
            } catch {
                throw BadEvent("not an API Gateway REST API (payload 1.0) event: \(ProxyEvent.describe(error))")
            }
        } else {
            throw BadEvent("not an API Gateway or function URL event: it has neither \"httpMethod\" (payload 1.0) nor \"version\": \"2.0\"")
        }
    }
}

/// Payload format 1.0: API Gateway REST API proxy integrations (and HTTP APIs set to 1.0).
struct RESTEvent: Decodable {
    struct Context: Decodable {
        struct Identity: Decodable {
            var sourceIp: String?
        }
        /// The deployment stage (`prod`, ...).
        var stage: String?
        /// The path as the client sent it, including the stage on execute-api URLs.
        var path: String?
        var identity: Identity?
    }

    var httpMethod: String
    /// The path relative to the stage (execute-api URLs) or as sent (custom domains).
    var path: String?
    /// The matched resource template, e.g. `/{proxy+}`.
    var resource: String?
    var pathParameters: [String: String?]?
    var headers: [String: String?]?
    var multiValueHeaders: [String: [String?]?]?
    var queryStringParameters: [String: String?]?
    var multiValueQueryStringParameters: [String: [String?]?]?
    var body: String?
    var isBase64Encoded: Bool?
    var requestContext: Context?
}

/// Payload format 2.0: API Gateway HTTP APIs and Lambda function URLs.
struct HTTPAPIEvent: Decodable {
    struct Context: Decodable {
        struct HTTP: Decodable {
            var method: String
            var path: String?
            var sourceIp: String?
        }
        var http: HTTP
        /// The stage; `$default` for the default stage and for function URLs.
        var stage: String?
    }

    var version: String
    /// The request path, with `/{stage}` in front for a named stage.
    var rawPath: String?
    var rawQueryString: String?
    var cookies: [String]?
    /// Header fields, lower-case names, repeated fields joined with commas.
    var headers: [String: String?]?
    var queryStringParameters: [String: String?]?
    var body: String?
    var isBase64Encoded: Bool?
    var requestContext: Context
}
