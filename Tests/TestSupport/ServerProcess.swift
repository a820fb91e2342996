public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `pricing-server serve` as a real process on a free loopback port, stopped by `stop()`.
public final class ServerProcess {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let process: Process
    public let port: Int
    private let stderr: Pipe

    /// Starts `serve --models models` with `environment` added to this process's, and waits until
    /// the log names the bound port.
    public init(binary: URL, models: String, environment: [String: String] = [:], timeout: Double = 30) async throws {
        let process = Process()
        process.executableURL = binary
        process.arguments = ["serve", "--host", "127.0.0.1", "--port", "0", "--models", models,
                             "--config", CommittedModels.repositoryRoot + "/config/server.json"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var log = ""
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty {
                guard process.isRunning else { break }
                try await Task.sleep(for: .milliseconds(50))
                continue
            }
            log += String(decoding: chunk, as: UTF8.self)
            if let range = log.range(of: #"port=(\d+)"#, options: .regularExpression), let port = Int(log[range].dropFirst("port=".count)) {
                self.process = process
                self.port = port
                self.stderr = err
                return
            }
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        throw Failure(description: "serve did not report its port: \(log)")
    }

    deinit { stop() }

    /// SIGKILL if still running (tests that check a clean exit send SIGTERM themselves).
    public func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// One request on a fresh connection (`Connection: close`).
    public func request(_ method: String, _ target: String, headers: [String: String] = [:]) throws -> TestClient.Response {
        let client = try TestClient(port: port, timeout: 30)
        var head = "\(method) \(target) HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: 0\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        try client.send(head + "\r\n")
        return try client.readResponse()
    }

    /// The version /readyz reports, or nil while not ready.
    public func readyVersion() -> String? {
        guard let response = try? request("GET", "/readyz"), response.status == 200,
              let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else { return nil }
        return object["model_version"] as? String
    }

    /// Polls /readyz until it reports `version`.
    public func waitForVersion(_ version: String, seconds: Double = 30) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if readyVersion() == version { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }
}
