import Foundation
import TestSupport
import XCTest

/// A test class on a real PostgreSQL server: one server per class (classes run one after another), a
/// fresh database per test, and a skip saying why when no server can be started.
class PostgresTestCase: XCTestCase {
    nonisolated(unsafe) static var server: PostgresServerHarness?
    nonisolated(unsafe) static var unavailable: String?

    override class func setUp() {
        do { server = try PostgresServerHarness.start() } catch { unavailable = "\(error)" }
    }

    override class func tearDown() {
        server?.stop()
        server = nil
    }

    /// A fresh database on the class's server (its name starts with `prefix`), or a skip saying why there
    /// is no server.
    func freshDatabase(_ prefix: String) throws -> (server: PostgresServerHarness, url: String) {
        guard let server = Self.server else { throw XCTSkip("no PostgreSQL server for the test: \(Self.unavailable ?? "?")") }
        return (server, try server.createDatabase("\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"))
    }
}
