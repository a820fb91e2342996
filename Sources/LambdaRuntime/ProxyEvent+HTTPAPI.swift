import HTTPServer

extension ProxyEvent {
    /// The request of a payload 2.0 event (HTTP API, function URL).
    static func request(_ event: HTTPAPIEvent) throws(BadEvent) -> HTTPRequest {
        let method = try validMethod(event.requestContext.http.method, format: .v2)
        guard let raw = event.rawPath ?? event.requestContext.http.path else { throw BadEvent("the event has no \"rawPath\"", format: .v2) }
        let path = PercentEncoding.encode(strippingStage(raw, stage: event.requestContext.stage), keeping: PercentEncoding.path)
        guard path.hasPrefix("/") else { throw BadEvent("the path \"\(path.prefix(200))\" does not start with /", format: .v2) }
        let query = event.rawQueryString
            ?? sortedPairs(event.queryStringParameters ?? [:]).map { PercentEncoding.queryPair($0.0, $0.1) }.joined(separator: "&")
        var headers = HTTPHeaders(sortedPairs(event.headers ?? [:]))
        if let cookies = event.cookies, !cookies.isEmpty, !headers.contains("cookie") {
            headers.add("cookie", cookies.joined(separator: "; "))
        }
        return HTTPRequest(method: method, path: path, query: query, headers: headers,
                           body: try body(event.body, base64: event.isBase64Encoded ?? false, format: .v2),
                           remoteAddress: event.requestContext.http.sourceIp ?? "")
    }
}
