import Foundation
import TestSupport
import XCTest

/// The real `pricing-server serve` with AWS_LAMBDA_RUNTIME_API set, its stderr collected.
final class LambdaProcess: @unchecked Sendable {  // `output` is guarded by `lock`
    let process = Process()
    private let lock = NSLock()
    private var output = Data()

    init(testCase: XCTestCase, runtimeAPI: String, models: String = CommittedModels.root, extraEnvironment: [String: String] = [:]) throws {
        process.executableURL = try ServerBinary.url(testBundle: Bundle(for: type(of: testCase)))
        process.arguments = ["serve", "--models", models, "--config", CommittedModels.repositoryRoot + "/config/server.json"]
        var environment = ProcessInfo.processInfo.environment
        for name in ["REDIS_URL", "REDIS_CLUSTER", "MODELS", "PORT", "HOST"] { environment[name] = nil }
        environment["AWS_LAMBDA_RUNTIME_API"] = runtimeAPI
        environment["LOG_LEVEL"] = "info"
        environment.merge(extraEnvironment) { $1 }
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: CommittedModels.repositoryRoot)
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let chunk = handle.availableData
            guard let self, !chunk.isEmpty else { return }
            self.lock.withLock { self.output.append(chunk) }
        }
        try process.run()
    }

    deinit {
        if process.isRunning { process.terminate() }
    }

    /// Everything written to stderr so far.
    var log: String { lock.withLock { String(decoding: output, as: UTF8.self) } }

    /// The exit status once the process has exited within `timeout`, else nil.
    func waitForExit(timeout: Duration = .seconds(15)) async -> Int32? {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while process.isRunning && clock.now < deadline { try? await Task.sleep(for: .milliseconds(25)) }
        guard !process.isRunning else { return nil }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
