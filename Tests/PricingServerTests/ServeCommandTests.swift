import Foundation
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `pricing-server serve` as a real process: it listens, becomes ready, answers, and on SIGTERM
/// stops and exits 0.
final class ServeCommandTests: XCTestCase {
    func testServesAndStopsOnSIGTERM() throws {
        let server = try ServerProcess(binary: ServerBinary.url(testBundle: Bundle(for: Self.self)), timeout: 20)
        var ready = false
        let deadline = Date().addingTimeInterval(20)
        while !ready && Date() < deadline {
            if let response = try? server.request("GET", "/readyz"), response.status == 200 { ready = true } else { usleep(100_000) }
        }
        XCTAssertTrue(ready, server.log)
        let response = try server.request("GET", "/v1/predict-price/85123A?num_price_bins=5")
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(response.body)) as? [Any])?.count, 5)
        kill(server.process.processIdentifier, SIGTERM)
        server.process.waitUntilExit()
        XCTAssertEqual(server.process.terminationReason, .exit)
        XCTAssertEqual(server.process.terminationStatus, 0)
    }
}
