import Foundation
import TestSupport
import XCTest

/// What an operator relies on: publish a version, then call /admin/reload, and the service ends on it,
/// even when another reload (an interval's, a SIGHUP's) was already under way with an older LATEST.
extension RemoteServeTests {
    func testReloadTriggeredDuringAnotherReloadSeesAVersionPublishedMeanwhile() async throws {
        let (root, first) = try copyOfCommittedModels(self)
        let files = try TestFileServer(root: root)
        let server = try await serve(models: files.baseURL.absoluteString, environment: [:])
        let ready = try await server.waitForVersion(first)
        XCTAssertTrue(ready, "serve did not load \(first): \(server.log)")

        // A reload to "second" starts and is held mid-download: it has read LATEST already.
        try publish("second", into: root)
        files.setFaults { $0.stallAfter["second/manifest.json"] = 16 }
        kill(server.process.processIdentifier, SIGHUP)
        let deadline = Date().addingTimeInterval(30)
        while !files.requests.contains("second/manifest.json"), Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        XCTAssertTrue(files.requests.contains("second/manifest.json"), "the SIGHUP reload never fetched second: \(files.requests)")

        // Then "third" is published and three reloads are asked for (an operator, a script, a retry).
        try publish("third", into: root)
        let latestReadsBefore = files.requests.filter { $0 == "LATEST" }.count
        let clients = try (0..<3).map { _ in try TestClient(port: server.port, timeout: 60) }
        for client in clients {
            try client.send("POST /admin/reload HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(Self.token)\r\n"
                            + "Content-Length: 0\r\nConnection: close\r\n\r\n")
        }
        try await Task.sleep(for: .milliseconds(500))  // let the POSTs arrive while the first reload is held
        files.releaseStalls()

        let answers = try clients.map { try $0.readResponse() }
        for response in answers {
            XCTAssertEqual(response.status, 200, response.text)
            XCTAssertTrue(response.text.contains(#""result":"swapped""#), response.text)
            XCTAssertTrue(response.text.contains(#""model_version":"third""#), "the POST was answered by the reload it arrived during: \(response.text)")
            XCTAssertTrue(response.text.contains(#""from":"second""#), response.text)
        }
        // One follow-up served all three: the same outcome (down to its duration), one more read of LATEST.
        XCTAssertEqual(Set(answers.map(\.text)).count, 1, answers.map(\.text).joined(separator: "\n"))
        XCTAssertEqual(files.requests.filter { $0 == "LATEST" }.count - latestReadsBefore, 1, "\(files.requests)")
        XCTAssertEqual(server.readyVersion(), "third")
        await files.stop()
    }

    /// Writes the committed version's files as `version` under `root`, then points LATEST at it.
    private func publish(_ version: String, into root: String) throws {
        for (name, bytes) in try versionFiles(named: version) {
            let path = root + "/" + version + "/" + name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
        try Data((version + "\n").utf8).write(to: URL(fileURLWithPath: root + "/LATEST"))
    }
}
