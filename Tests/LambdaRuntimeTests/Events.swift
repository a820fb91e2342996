import Foundation

/// Event documents shaped like the ones API Gateway and function URLs send (trimmed of fields the
/// runtime does not read, but with the null fields AWS really sends).
enum Events {
    /// A REST API (payload 1.0) proxy event through the execute-api URL of stage `stage`.
    static func rest(method: String = "GET", path: String, query: [String: [String]] = [:], headers: [String: [String]] = [:],
                     stage: String = "prod", proxyResource: Bool = true, body: String? = nil, base64: Bool = false) -> String {
        var event: [String: Any] = [
            "resource": proxyResource ? "/{proxy+}" : path,
            "path": path,
            "httpMethod": method,
            "headers": headers.isEmpty ? NSNull() : headers.mapValues { $0.last! },
            "multiValueHeaders": headers.isEmpty ? NSNull() : headers,
            "queryStringParameters": query.isEmpty ? NSNull() : query.mapValues { $0.last! },
            "multiValueQueryStringParameters": query.isEmpty ? NSNull() : query,
            "pathParameters": proxyResource ? ["proxy": String(path.dropFirst())] : NSNull(),
            "stageVariables": NSNull(),
            "requestContext": [
                "resourcePath": proxyResource ? "/{proxy+}" : path, "httpMethod": method, "path": "/\(stage)\(path)", "stage": stage,
                "requestId": UUID().uuidString, "identity": ["sourceIp": "203.0.113.7", "userAgent": "curl/8.0"],
            ] as [String: Any],
            "body": body.map { $0 as Any } ?? NSNull(),
            "isBase64Encoded": base64,
        ]
        if proxyResource == false { event["pathParameters"] = NSNull() }
        return json(event)
    }

    /// An HTTP API / function URL (payload 2.0) event.
    static func http(method: String = "GET", rawPath: String, rawQueryString: String = "", headers: [String: String] = [:],
                     cookies: [String]? = nil, stage: String = "$default", body: String? = nil, base64: Bool = false) -> String {
        var event: [String: Any] = [
            "version": "2.0", "routeKey": "$default", "rawPath": rawPath, "rawQueryString": rawQueryString,
            "headers": headers,
            "requestContext": [
                "http": ["method": method, "path": rawPath, "protocol": "HTTP/1.1", "sourceIp": "198.51.100.4", "userAgent": "curl/8.0"],
                "stage": stage, "routeKey": "$default", "requestId": UUID().uuidString, "timeEpoch": 1_700_000_000_000,
            ] as [String: Any],
            "isBase64Encoded": base64,
        ]
        if let cookies { event["cookies"] = cookies }
        if let body { event["body"] = body }
        return json(event)
    }

    static func json(_ object: Any) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    /// The JSON object of an answer document.
    static func object(_ bytes: [UInt8]) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw CocoaError(.coderReadCorrupt)
        }
        return object
    }

    /// The body of an answer document, base64-decoded when it says so.
    static func body(of document: [String: Any]) -> [UInt8] {
        let text = document["body"] as? String ?? ""
        if document["isBase64Encoded"] as? Bool == true { return [UInt8](Data(base64Encoded: text) ?? Data()) }
        return Array(text.utf8)
    }
}
