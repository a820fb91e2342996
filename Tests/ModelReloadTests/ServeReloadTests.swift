import Foundation
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The reload triggers of the real `pricing-server serve` process: SIGHUP, and RELOAD_INTERVAL_SECONDS.
final class ServeReloadTests: XCTestCase {
    struct ServeFailed: Error, CustomStringConvertible {
        let log: String
        var description: String { "serve did not report its port: \(log)" }
    }

    /// Starts `serve` on a free port for the models root `models`; returns the process and its port.
    func serve(models: String, environment: [String: String] = [:]) async throws -> (Process, Int, Pipe) {
        let process = Process()
        process.executableURL = try ServerBinary.url(testBundle: Bundle(for: Self.self))
        process.arguments = ["serve", "--host", "127.0.0.1", "--port", "0", "--models", models,
                             "--config", CommittedModels.repositoryRoot + "/config/server.json"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var log = ""
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { try await Task.sleep(for: .milliseconds(50)); continue }
            log += String(decoding: chunk, as: UTF8.self)
            if let range = log.range(of: #"port=(\d+)"#, options: .regularExpression), let port = Int(log[range].dropFirst("port=".count)) {
                return (process, port, err)
            }
        }
        process.terminate()
        throw ServeFailed(log: log)
    }

    /// The version /readyz reports, or nil while not ready.
    func readyVersion(_ port: Int) -> String? {
        guard let client = try? TestClient(port: port, timeout: 10),
              (try? client.send("GET /readyz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")) != nil,
              let response = try? client.readResponse(), response.status == 200,
              let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else { return nil }
        return object["model_version"] as? String
    }

    func waitForVersion(_ port: Int, _ version: String, seconds: Double = 30) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if readyVersion(port) == version { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    func testSIGHUPSwapsToTheNewVersion() async throws {
        let root = try VersionedRoot()
        defer { root.remove() }
        let (process, port, _) = try await serve(models: root.path)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() } }
        let ready = try await waitForVersion(port, root.baseVersion)
        XCTAssertTrue(ready)
        try root.variant("v2-sighup")
        try root.setLatest("v2-sighup")
        kill(process.processIdentifier, SIGHUP)
        let swapped = try await waitForVersion(port, "v2-sighup")
        XCTAssertTrue(swapped, "SIGHUP did not swap to v2-sighup")
        XCTAssertTrue(process.isRunning, "SIGHUP must not stop the server")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
    }

    func testIntervalPicksUpAPublishedVersion() async throws {
        let root = try VersionedRoot()
        defer { root.remove() }
        let (process, port, _) = try await serve(models: root.path, environment: ["RELOAD_INTERVAL_SECONDS": "1"])
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() } }
        let ready = try await waitForVersion(port, root.baseVersion)
        XCTAssertTrue(ready)
        try root.variant("v2-interval")
        try root.setLatest("v2-interval")
        let swapped = try await waitForVersion(port, "v2-interval")
        XCTAssertTrue(swapped, "the interval did not pick up v2-interval")
    }
}
