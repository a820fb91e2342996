public import HTTPServer
import Dispatch

/// Answers HTTP events with an ``HTTPServer/HTTPHandler``: event → ``HTTPServer/HTTPRequest`` →
/// handler → complete body → answer document in the event's format. Usable without a Runtime API.
public struct ProxyIntegration: Sendable {
    /// The outcome of one event.
    public struct Answer: Sendable {
        /// The answer document for `/response`, or the failure to report through `/error`.
        public var result: Result<[UInt8], FunctionError>
        /// The request's method ("-" when the event was not an HTTP event).
        public var method: String
        /// The request's path (the event's problem when it was not an HTTP event).
        public var path: String
        /// The HTTP status code answered (0 when the invocation failed).
        public var status: Int
        /// The response body's size before any base64.
        public var bodyBytes: Int
    }

    /// The handler every request goes to (the same one the HTTP server uses).
    public let handler: any HTTPHandler

    /// An integration around `handler`.
    public init(handler: any HTTPHandler) {
        self.handler = handler
    }

    /// Answers one event. Never throws: an unusable event becomes a 400 `bad_event` answer, a
    /// streamed body that fails part way a `Runtime.ResponseStreamFailed` error.
    public func answer(_ event: [UInt8]) async -> Answer {
        let parsed: ProxyEvent
        do {
            parsed = try ProxyEvent(decoding: event)
        } catch {
            return Answer(result: .success(ProxyResponse.badEvent(error)), method: "-", path: "(bad event: \(error.message))",
                          status: 400, bodyBytes: 0)
        }
        let request = parsed.request
        let response = await handler.handle(request)
        let body: [UInt8]
        do {
            body = request.method == "HEAD" ? [] : try await response.body.collect()
        } catch {
            return Answer(result: .failure(FunctionError(type: "Runtime.ResponseStreamFailed", message: "the response body failed: \(error)")),
                          method: request.method, path: request.path, status: 0, bodyBytes: 0)
        }
        let document = ProxyResponse.encode(status: response.status.code, headers: response.headers, body: body, format: parsed.format)
        return Answer(result: .success(document), method: request.method, path: request.path,
                      status: response.status.code, bodyBytes: body.count)
    }
}
