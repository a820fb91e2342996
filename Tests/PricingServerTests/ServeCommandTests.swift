import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TestSupport
import XCTest

/// `pricing-server serve` as a real process: it listens, becomes ready, answers, and on SIGTERM
/// stops and exits 0.
final class ServeCommandTests: XCTestCase {
    func testServesAndStopsOnSIGTERM() async throws {
        let binary = try ServerBinary.url(testBundle: Bundle(for: Self.self))
        let process = Process()
        process.executableURL = binary
        process.arguments = ["serve", "--host", "127.0.0.1", "--port", "0", "--models", CommittedModels.root,
                             "--config", CommittedModels.repositoryRoot + "/config/server.json"]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        // The log line "... port=NNNN ... listening" tells the ephemeral port.
        var log = ""
        var port: Int?
        let deadline = Date().addingTimeInterval(20)
        while port == nil && Date() < deadline {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { try await Task.sleep(for: .milliseconds(50)); continue }
            log += String(decoding: chunk, as: UTF8.self)
            if let range = log.range(of: #"port=(\d+)"#, options: .regularExpression) {
                port = Int(log[range].dropFirst("port=".count))
            }
        }
        let p = try XCTUnwrap(port, "no port in the log: \(log)")
        var ready = false
        while !ready && Date() < deadline {
            if let (_, response) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(p)/readyz")!),
               (response as? HTTPURLResponse)?.statusCode == 200 { ready = true } else { try await Task.sleep(for: .milliseconds(100)) }
        }
        XCTAssertTrue(ready, log)
        let (data, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(p)/v1/predict-price/85123A?num_price_bins=5")!)
        XCTAssertEqual((response as? HTTPURLResponse)?.statusCode, 200)
        XCTAssertEqual((try JSONSerialization.jsonObject(with: data) as? [Any])?.count, 5)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 0)
    }
}
