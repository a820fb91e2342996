public import HTTPServer

extension APIError {
    /// The error as an HTTP response with its JSON body.
    public var response: HTTPResponse { response(extraHeaders: []) }

    func response(extraHeaders: [(String, String)]) -> HTTPResponse {
        HTTPResponse(status: HTTPStatus(status), headers: HTTPHeaders([("Content-Type", "application/json")] + extraHeaders), body: body)
    }
}
