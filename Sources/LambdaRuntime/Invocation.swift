/// One event handed out by the Runtime API's `next` call, with the headers that describe it.
public struct Invocation: Sendable {
    /// `Lambda-Runtime-Aws-Request-Id`: names the invocation in the `response` and `error` paths.
    public var requestID: String
    /// `Lambda-Runtime-Deadline-Ms`: when the function times out, in Unix milliseconds.
    public var deadlineMilliseconds: Int64?
    /// `Lambda-Runtime-Invoked-Function-Arn`: the function, version or alias that was invoked.
    public var invokedFunctionARN: String?
    /// `Lambda-Runtime-Trace-Id`: the X-Ray tracing header (exported as `_X_AMZN_TRACE_ID`).
    public var traceID: String?
    /// The event document (JSON) exactly as received.
    public var event: [UInt8]

    /// Creates an invocation (the runtime builds these from `next`; tests may build their own).
    public init(requestID: String, deadlineMilliseconds: Int64? = nil, invokedFunctionARN: String? = nil,
                traceID: String? = nil, event: [UInt8]) {
        self.requestID = requestID
        self.deadlineMilliseconds = deadlineMilliseconds
        self.invokedFunctionARN = invokedFunctionARN
        self.traceID = traceID
        self.event = event
    }
}
