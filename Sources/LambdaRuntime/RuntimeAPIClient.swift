import Dispatch

/// The documented calls of the Lambda Runtime API (version 2018-06-01): `next`, an invocation's
/// `response` and `error`, and `init/error`. Each call runs the blocking ``RuntimeAPIConnection`` on
/// one serial queue of its own, so a `next` that waits for minutes holds no cooperative thread.
final class RuntimeAPIClient: @unchecked Sendable {  // the connection is only touched on `queue`
    static let prefix = "/2018-06-01/runtime"

    let endpoint: RuntimeAPIEndpoint
    private let connection: RuntimeAPIConnection
    private let queue = DispatchQueue(label: "lambda-runtime-api")

    init(endpoint: RuntimeAPIEndpoint) {
        self.endpoint = endpoint
        connection = RuntimeAPIConnection(endpoint: endpoint)
    }

    /// `GET /runtime/invocation/next`: blocks until an event arrives.
    func next() async throws(RuntimeAPIError) -> Invocation {
        let path = Self.prefix + "/invocation/next"
        let response = try await perform("GET", path)
        guard response.status == 200 else {
            throw .unexpectedStatus(path: path, status: response.status, body: String(decoding: response.body, as: UTF8.self))
        }
        guard let requestID = response.headers["Lambda-Runtime-Aws-Request-Id"], !requestID.isEmpty else {
            throw .malformedResponse("next answered without Lambda-Runtime-Aws-Request-Id")
        }
        return Invocation(requestID: requestID, traceID: response.headers["Lambda-Runtime-Trace-Id"], event: response.body)
    }

    /// `POST /runtime/invocation/{id}/response` with the function's result.
    func respond(requestID: String, body: [UInt8]) async throws(RuntimeAPIError) {
        let path = Self.prefix + "/invocation/\(Self.pathSegment(requestID))/response"
        try await expectAccepted(path, try await perform("POST", path, headers: [("Content-Type", "application/json")], body: body))
    }

    /// `POST /runtime/invocation/{id}/error`: the invocation failed.
    func reportError(requestID: String, _ error: FunctionError) async throws(RuntimeAPIError) {
        let path = Self.prefix + "/invocation/\(Self.pathSegment(requestID))/error"
        try await expectAccepted(path, try await perform("POST", path, headers: error.headers, body: error.body))
    }

    /// `POST /runtime/init/error`: the runtime could not initialise; Lambda ends the environment.
    func reportInitError(_ error: FunctionError) async throws(RuntimeAPIError) {
        let path = Self.prefix + "/init/error"
        try await expectAccepted(path, try await perform("POST", path, headers: error.headers, body: error.body))
    }

    private func expectAccepted(_ path: String, _ response: RuntimeAPIConnection.Response) async throws(RuntimeAPIError) {
        // 202 Accepted is the documented answer; any 2xx is taken as success.
        guard (200..<300).contains(response.status) else {
            throw .unexpectedStatus(path: path, status: response.status, body: String(decoding: response.body, as: UTF8.self))
        }
    }

    private func perform(_ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8] = [])
        async throws(RuntimeAPIError) -> RuntimeAPIConnection.Response {
        let result: Result<RuntimeAPIConnection.Response, RuntimeAPIError> = await withCheckedContinuation { continuation in
            queue.async { [self] in
                continuation.resume(returning: Result { () throws(RuntimeAPIError) in
                    try self.connection.exchange(method: method, path: path, headers: headers, body: body)
                })
            }
        }
        return try result.get()
    }

    /// The request id as one path segment (ids are UUIDs; anything else is percent-encoded).
    static func pathSegment(_ text: String) -> String {
        PercentEncoding.encode(text, keeping: PercentEncoding.unreserved)
    }
}
