public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `pricing-server serve` as a real process on a free loopback port, stopped by `stop()` (or when
/// released). Its log goes to a temporary file rather than a pipe: a pipe nobody drains would block
/// the server once the access log filled it.
public final class ServerProcess {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let process: Process
    public let port: Int
    public let logPath: String

    /// Starts `serve --models models` (default: the committed models) with `environment` added to this
    /// process's, and waits until the log names the bound port. The server trusts the committed key and
    /// this test process's signing key (``TestSigning``) unless `environment` sets ARTIFACT_PUBLIC_KEYS.
    public init(binary: URL, models: String = CommittedModels.root, environment: [String: String] = [:], timeout: Double = 60) throws {
        let logPath = NSTemporaryDirectory() + "pricing-server-\(UUID().uuidString).log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let process = Process()
        process.executableURL = binary
        process.arguments = ["serve", "--host", "127.0.0.1", "--port", "0", "--models", models,
                             "--config", CommittedModels.repositoryRoot + "/config/server.json"]
        // A served plan's assignments go into the ledger (PlanAssignmentRecorder): each server gets its own
        // scratch ledger unless the test names one, so no test writes into the checkout's data/ledger.sqlite.
        let scratchLedger = ["LEDGER_PATH": NSTemporaryDirectory() + "pricing-ledger-\(UUID().uuidString).sqlite"]
        process.environment = ProcessInfo.processInfo.environment.merging(TestSigning.environment) { $1 }
            .merging(scratchLedger) { $1 }.merging(environment) { $1 }
        process.standardError = log
        process.standardOutput = log
        try process.run()
        self.process = process
        self.logPath = logPath
        // The log line "... port=NNNN ... listening" tells the ephemeral port.
        let deadline = Date().addingTimeInterval(timeout)
        var port: Int?
        while port == nil, Date() < deadline, process.isRunning {
            let text = Self.read(logPath)
            if let range = text.range(of: #"port=(\d+)"#, options: .regularExpression) {
                port = Int(text[range].dropFirst("port=".count))
            } else {
                usleep(50_000)
            }
        }
        guard let port else {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            throw Failure(description: "serve did not report its port: \(Self.read(logPath))")
        }
        self.port = port
    }

    deinit { stop() }

    private static func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    /// What the server logged so far.
    public var log: String { Self.read(logPath) }

    public func url(_ pathAndQuery: String) -> String { "http://127.0.0.1:\(port)\(pathAndQuery)" }

    /// SIGKILL if still running, and the log removed (tests that check a clean exit send SIGTERM themselves).
    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: logPath)
    }

    /// One request on its own connection (`Connection: close`).
    public func request(_ method: String, _ target: String, headers: [(String, String)] = [], body: String? = nil) throws -> TestClient.Response {
        let client = try TestClient(port: port, timeout: 30)
        var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body?.utf8.count ?? 0)\r\n"
        try client.send(head + "\r\n" + (body ?? ""))
        return try client.readResponse(head: method == "HEAD")
    }

    /// Waits until /readyz answers 200.
    public func waitUntilReady(seconds: Double = 60) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let ready = try? request("GET", "/readyz"), ready.status == 200 { return }
            usleep(100_000)
        }
        throw Failure(description: "serve did not become ready: \(log)")
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
