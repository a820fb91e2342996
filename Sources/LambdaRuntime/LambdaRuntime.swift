// LambdaRuntime: runs the service as an AWS Lambda custom runtime (the Runtime API loop).
public import HTTPServer
public import Logging
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A Lambda custom runtime for an ``HTTPServer/HTTPHandler``: the documented Runtime API loop
/// (`next`, then `response` or `error`, one invocation at a time) with API Gateway and function URL
/// events translated by ``ProxyIntegration``.
///
/// Initialise (load models, ...) before ``run(handler:)``: Lambda counts the time until the first
/// `next` as the cold start, and a failure then is reported with ``reportInitError(_:)``.
public struct LambdaRuntime: Sendable {
    /// The environment variable Lambda sets to the Runtime API's `host:port`.
    public static let environmentVariable = "AWS_LAMBDA_RUNTIME_API"

    /// Where the Runtime API listens.
    public var endpoint: RuntimeAPIEndpoint { client.endpoint }
    let client: RuntimeAPIClient
    let logger: Logger

    /// A runtime talking to the Runtime API at `endpoint` (the value of `AWS_LAMBDA_RUNTIME_API`).
    public init(endpoint: String, logger: Logger) throws(RuntimeAPIError) {
        client = RuntimeAPIClient(endpoint: try RuntimeAPIEndpoint(endpoint))
        self.logger = logger
    }

    /// Reports that initialisation failed (`POST /runtime/init/error`). Lambda then ends the
    /// execution environment; the caller should exit non-zero.
    public func reportInitError(_ error: FunctionError) async throws(RuntimeAPIError) {
        try await client.reportInitError(error)
    }

    /// Serves invocations until the Runtime API goes away, and returns how many were answered.
    ///
    /// Throws when the Runtime API cannot be reached at all (nothing was ever served: a wrong
    /// `AWS_LAMBDA_RUNTIME_API`) or answers `next` with something other than an event (Lambda asks a
    /// runtime to exit on a 500 there).
    @discardableResult
    public func run(handler: any HTTPHandler) async throws(RuntimeAPIError) -> Int {
        let integration = ProxyIntegration(handler: handler)
        var served = 0
        logger.info("lambda runtime started", metadata: ["runtime_api": "\(endpoint)"])
        while true {
            let invocation: Invocation
            do {
                invocation = try await client.next()
            } catch {
                guard error.isGone, served > 0 else { throw error }
                logger.notice("the Lambda Runtime API went away; stopping",
                              metadata: ["runtime_api": "\(endpoint)", "reason": "\(error)", "invocations": "\(served)"])
                return served
            }
            if let trace = invocation.traceID { setenv("_X_AMZN_TRACE_ID", trace, 1) } else { unsetenv("_X_AMZN_TRACE_ID") }
            let started = DispatchTime.now().uptimeNanoseconds
            let answer = await integration.answer(invocation.event)
            do {
                try await deliver(answer.result, for: invocation)
            } catch {
                guard error.isGone else { throw error }
                logger.notice("the Lambda Runtime API went away before taking the answer; stopping",
                              metadata: ["runtime_api": "\(endpoint)", "reason": "\(error)", "request_id": "\(invocation.requestID)"])
                return served
            }
            served += 1
            var metadata: Logger.Metadata = ["request_id": "\(invocation.requestID)"]
            if case .failure(let failure) = answer.result { metadata["error"] = "\(failure)" }
            logger.info(accessLogMessage(method: answer.method, path: answer.path, status: answer.status, bytes: answer.bodyBytes,
                                         nanoseconds: DispatchTime.now().uptimeNanoseconds &- started), metadata: metadata)
        }
    }

    /// Posts the answer; an answer the Runtime API refuses (too large, ...) becomes an invocation
    /// error so the caller is not left waiting for the timeout.
    func deliver(_ result: Result<[UInt8], FunctionError>, for invocation: Invocation) async throws(RuntimeAPIError) {
        switch result {
        case .success(let document):
            do {
                try await client.respond(requestID: invocation.requestID, body: document)
            } catch .unexpectedStatus(let path, let status, let body) where status != 500 {
                logger.error("the Runtime API refused the answer", metadata: [
                    "request_id": "\(invocation.requestID)", "path": "\(path)", "status": "\(status)", "body": "\(body.prefix(300))"])
                let type = status == 413 ? "Function.ResponseSizeTooLarge" : "Runtime.ResponseRefused"
                try await reportError(FunctionError(type: type, message: "the Runtime API answered \(status) to the response (\(document.count) bytes)"),
                                      for: invocation)
            }
        case .failure(let failure):
            try await reportError(failure, for: invocation)
        }
    }

    private func reportError(_ failure: FunctionError, for invocation: Invocation) async throws(RuntimeAPIError) {
        do {
            try await client.reportError(requestID: invocation.requestID, failure)
        } catch .unexpectedStatus(let path, let status, let body) where status != 500 {
            logger.error("the Runtime API refused the error report", metadata: [
                "request_id": "\(invocation.requestID)", "path": "\(path)", "status": "\(status)", "body": "\(body.prefix(300))"])
        }
    }
}
