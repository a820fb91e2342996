import Foundation
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Passwords in MODELS and REDIS_URL, and presigned query parameters, never reach the output of the
/// real `pricing-server serve`: every log line and the exit message are searched for the planted
/// secrets. The models "server" is Python's http.server on an empty folder, so the load fails at
/// once (404, not retried) after the start-up lines that used to print the setting as typed.
final class SecretRedactionCommandTests: XCTestCase {
    static let modelsPassword = "Pl4nted-Models-Pa55"
    static let redisPassword = "Pl4nted-Redis-Pa55"
    static let signature = "Pl4ntedSignature0123"

    func serve(models: String, environment: [String: String]) throws -> CommandResult {
        var environment = environment
        environment["MODELS_CACHE_DIR"] = NSTemporaryDirectory() + "redaction-cache-\(UUID().uuidString)"
        return try CommandResult.run(ServerBinary.url(testBundle: Bundle(for: Self.self)),
                                     ["serve", "--host", "127.0.0.1", "--port", "0", "--models", models,
                                      "--config", CommittedModels.repositoryRoot + "/config/server.json"],
                                     environment: environment)
    }

    func testPasswordsInModelsAndRedisURLsAreNeverPrinted() throws {
        let files = try EmptyHTTPFolder()
        defer { files.stop() }
        let models = "http://reader:\(Self.modelsPassword)@127.0.0.1:\(files.port)/models"
        // Plain http allowed so the start-up gets past the transport check to the load, which fails.
        let result = try serve(models: models, environment: ["REDIS_URL": "redis://default:\(Self.redisPassword)@127.0.0.1:1/0",
                                                             "ALLOW_INSECURE_HTTP": "true"])
        let output = result.stdout + result.stderr
        XCTAssertNotEqual(result.status, 0, output)
        // The lines that name the settings are still there, with the password masked.
        XCTAssertTrue(output.contains("http://reader:***@127.0.0.1:\(files.port)/models"), output)
        XCTAssertTrue(output.contains("redis://default:***@127.0.0.1:1"), output)
        XCTAssertTrue(output.contains("cannot load models"), output)
        for secret in [Self.modelsPassword, Self.redisPassword] {
            let lines = output.split(separator: "\n").filter { $0.contains(secret) }
            XCTAssertEqual(lines, [], "\(secret) was printed")
        }
    }

    func testPresignedQueryParametersAreNeverPrinted() throws {
        let models = "https://bucket.example/models?X-Amz-Credential=AKIA%2F20260101&X-Amz-Signature=\(Self.signature)&token=\(Self.signature)"
        let result = try serve(models: models, environment: [:])
        let output = result.stdout + result.stderr
        XCTAssertNotEqual(result.status, 0, output)
        XCTAssertTrue(output.contains("X-Amz-Signature=***"), output)
        XCTAssertFalse(output.contains(Self.signature), output)
        XCTAssertFalse(output.contains("AKIA"), output)
    }
}

/// Python's http.server on an empty folder: every GET answers 404.
final class EmptyHTTPFolder {
    let process = Process()
    let port: Int
    let folder = NSTemporaryDirectory() + "empty-http-\(UUID().uuidString)"

    init() throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let out = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", folder]
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // "Serving HTTP on 127.0.0.1 port 41234 (http://127.0.0.1:41234/) ..."
        var text = ""
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, !text.contains("\n") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        guard let range = text.range(of: #"port (\d+)"#, options: .regularExpression),
              let port = Int(text[range].dropFirst("port ".count)) else {
            process.terminate()
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "python3 -m http.server did not report its port: \(text)"])
        }
        self.port = port
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: folder)
    }
}
