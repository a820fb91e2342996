import Foundation
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The reload triggers of the real `pricing-server serve` process: SIGHUP, and RELOAD_INTERVAL_SECONDS.
final class ServeReloadTests: XCTestCase {
    func serve(_ root: VersionedRoot, environment: [String: String] = [:]) throws -> ServerProcess {
        try ServerProcess(binary: ServerBinary.url(testBundle: Bundle(for: Self.self)), models: root.path, environment: environment)
    }

    func testSIGHUPSwapsToTheNewVersion() async throws {
        let root = try VersionedRoot()
        defer { root.remove() }
        let server = try serve(root)
        let ready = try await server.waitForVersion(root.baseVersion)
        XCTAssertTrue(ready)
        try root.variant("v2-sighup")
        try root.setLatest("v2-sighup")
        kill(server.process.processIdentifier, SIGHUP)
        let swapped = try await server.waitForVersion("v2-sighup")
        XCTAssertTrue(swapped, "SIGHUP did not swap to v2-sighup")
        XCTAssertTrue(server.process.isRunning, "SIGHUP must not stop the server")
        kill(server.process.processIdentifier, SIGTERM)
        server.process.waitUntilExit()
        XCTAssertEqual(server.process.terminationStatus, 0)
    }

    func testIntervalPicksUpAPublishedVersion() async throws {
        let root = try VersionedRoot()
        defer { root.remove() }
        let server = try serve(root, environment: ["RELOAD_INTERVAL_SECONDS": "1"])
        let ready = try await server.waitForVersion(root.baseVersion)
        XCTAssertTrue(ready)
        try root.variant("v2-interval")
        try root.setLatest("v2-interval")
        let swapped = try await server.waitForVersion("v2-interval")
        XCTAssertTrue(swapped, "the interval did not pick up v2-interval")
    }
}
