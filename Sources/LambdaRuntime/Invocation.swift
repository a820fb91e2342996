/// One event handed out by the Runtime API's `next` call, with the headers of it the runtime uses.
struct Invocation: Sendable {
    /// `Lambda-Runtime-Aws-Request-Id`: names the invocation in the `response` and `error` paths.
    var requestID: String
    /// `Lambda-Runtime-Trace-Id`: the X-Ray tracing header (exported as `_X_AMZN_TRACE_ID`).
    var traceID: String?
    /// The event document (JSON) exactly as received.
    var event: [UInt8]
}
