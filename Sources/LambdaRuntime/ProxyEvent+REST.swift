import HTTPServer

extension ProxyEvent {
    /// The request of a payload 1.0 event (REST API proxy integration).
    static func request(_ event: RESTEvent) throws(BadEvent) -> HTTPRequest {
        let method = try validMethod(event.httpMethod, format: .v1)
        let stage = event.requestContext?.stage
        var path: String
        if event.resource == "/{proxy+}", let proxy = event.pathParameters?["proxy"] ?? nil {
            path = "/" + proxy
        } else if let given = event.path ?? event.requestContext?.path {
            // execute-api: requestContext.path is "/{stage}" + path, and path is already below the stage.
            let stageFree = stage.map { event.requestContext?.path == "/\($0)\(given)" } ?? false
            path = stageFree ? given : strippingStage(given, stage: stage)
        } else {
            throw BadEvent("the event has no \"path\"")
        }
        path = PercentEncoding.encode(path, keeping: PercentEncoding.path)
        guard path.hasPrefix("/") else { throw BadEvent("the path \"\(path.prefix(200))\" does not start with /") }

        var pairs: [(String, String)] = []
        if let multi = event.multiValueQueryStringParameters {
            for name in multi.keys.sorted() { for value in multi[name]??.compactMap({ $0 }) ?? [] { pairs.append((name, value)) } }
        } else if let single = event.queryStringParameters {
            for name in single.keys.sorted() { if let value = single[name] ?? nil { pairs.append((name, value)) } }
        }
        let query = pairs.map { PercentEncoding.queryPair($0.0, $0.1) }.joined(separator: "&")

        var headers = HTTPHeaders()
        if let multi = event.multiValueHeaders, !multi.isEmpty {
            for name in multi.keys.sorted() { for value in multi[name]??.compactMap({ $0 }) ?? [] { headers.add(name, value) } }
        } else if let single = event.headers {
            for name in single.keys.sorted() { if let value = single[name] ?? nil { headers.add(name, value) } }
        }
        return HTTPRequest(method: method, path: path, query: query, headers: headers,
                           body: try body(event.body, base64: event.isBase64Encoded ?? false, format: .v1),
                           remoteAddress: event.requestContext?.identity?.sourceIp ?? "")
    }
}
