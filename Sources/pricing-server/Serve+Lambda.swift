import Foundation
import LambdaRuntime
import Logging
import PricingAPI

/// `serve` as an AWS Lambda custom runtime: when `AWS_LAMBDA_RUNTIME_API` is set (Lambda sets it in
/// the execution environment), the same router answers API Gateway and function URL events through
/// the Runtime API loop instead of a listening socket.
extension Serve {
    /// The Runtime API's `host:port` when running inside Lambda, else nil.
    static var lambdaRuntimeAPI: String? {
        ProcessInfo.processInfo.environment[LambdaRuntime.environmentVariable].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Loads the models once for the execution environment (before the first `next`, so the load is
    /// part of the cold start), installs them in the reloader's slot and serves invocations with `router` until
    /// the Runtime API goes away. Models that cannot load are reported through `init/error`, and
    /// the command fails (non-zero exit).
    func runLambda(runtimeAPI: String, reloader: ModelReloader, router: PricingRouter, models: String,
                   logger: Logger) async throws {
        let runtime: LambdaRuntime
        do {
            runtime = try LambdaRuntime(endpoint: runtimeAPI, logger: logger)
        } catch {
            throw CommandFailure("\(error)")
        }
        // The same loader as `serve`: local, http(s) or S3 models, verified and self-checked.
        if let message = await loadFirstVersion(reloader, models: models, logger: logger) {
            do {
                try await runtime.reportInitError(FunctionError(type: "Runtime.ModelsUnavailable", message: message))
            } catch {
                logger.error("cannot report the initialisation error", metadata: ["error": "\(error)"])
            }
            throw CommandFailure(message)
        }
        do {
            try await runtime.run(handler: router)
        } catch {
            throw CommandFailure("lambda runtime: \(error)")
        }
        logger.info("stopped")
    }
}
