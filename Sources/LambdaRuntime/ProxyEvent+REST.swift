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

        let queryPairs = event.multiValueQueryStringParameters.map(sortedPairs(multiValue:))
            ?? event.queryStringParameters.map(sortedPairs(_:)) ?? []
        let query = queryPairs.map { PercentEncoding.queryPair($0.0, $0.1) }.joined(separator: "&")
        let headers = HTTPHeaders(event.multiValueHeaders.flatMap { $0.isEmpty ? nil : sortedPairs(multiValue: $0) }
            ?? event.headers.map(sortedPairs(_:)) ?? [])
        return HTTPRequest(method: method, path: path, query: query, headers: headers,
                           body: try body(event.body, base64: event.isBase64Encoded ?? false, format: .v1),
                           remoteAddress: event.requestContext?.identity?.sourceIp ?? "")
    }
}
