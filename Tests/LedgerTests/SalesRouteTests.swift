import Dispatch
import Foundation
import HTTPServer
import Ledger
import Pricing
import PricingAPI
import TestSupport
import XCTest

/// `POST /v1/sales` on the real router and server over loopback, with a real SQLite file: the admin
/// token guards it, CSV and NDJSON bodies are ingested once, bad lines come back with line and field.
final class SalesRouteTests: XCTestCase {
    static let token = "sales-admin-token-for-tests"

    func serving(ledgerAt path: String, maxBodyBytes: Int = 1 << 20, _ body: (Int) throws -> Void) throws {
        var router = PricingRouter(slot: EngineSlot(), cors: CORSPolicy(allowedOrigins: []), adminToken: Self.token)
        router.ledger = LedgerSlot(path: path)
        var configuration = HTTPServer.Configuration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.maxBodyBytes = maxBodyBytes
        let server = HTTPServer(configuration: configuration, handler: router)
        let port = try server.start()
        defer {
            let done = DispatchSemaphore(value: 0)
            Task { await server.shutdown(gracePeriod: .seconds(1)); done.signal() }
            done.wait()
        }
        try body(port)
    }

    func post(_ port: Int, _ body: String, type: String?, token: String? = token) throws -> TestClient.Response {
        let client = try TestClient(port: port, timeout: 30)
        var head = "POST /v1/sales HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        if let type { head += "Content-Type: \(type)\r\n" }
        try client.send(head + "Content-Length: \(body.utf8.count)\r\n\r\n" + body)
        return try client.readResponse()
    }

    func json(_ response: TestClient.Response) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any], response.text)
    }

    func testSalesArePostedOnceAndBadLinesComeBackWithLineAndField() throws {
        let folder = try SalesFile.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("ledger.sqlite").path
        let csv = SalesFile.csv(lines: 50) + "536999,22633,HAND WARMER,x,12/1/2010 8:28,1.85,,United Kingdom\n"
        try serving(ledgerAt: path) { port in
            let first = try post(port, csv, type: "text/csv; charset=utf-8")
            XCTAssertEqual(first.status, 200, first.text)
            var answer = try json(first)
            XCTAssertEqual(answer["added"] as? Int, 50)
            XCTAssertEqual(answer["duplicates"] as? Int, 0)
            XCTAssertEqual(answer["rejected"] as? Int, 1)
            let errors = try XCTUnwrap(answer["errors"] as? [[String: Any]])
            XCTAssertEqual(errors.count, 1)
            XCTAssertEqual(errors.first?["line"] as? Int, 52)
            XCTAssertEqual(errors.first?["field"] as? String, "Quantity")
            XCTAssertEqual(errors.first?["message"] as? String, "\"x\" is not a number")

            answer = try json(try post(port, csv, type: "text/csv"))
            XCTAssertEqual([answer["added"] as? Int, answer["duplicates"] as? Int], [0, 50], "a resubmission added lines")

            let ndjson = #"{"InvoiceNo":"C1","StockCode":"D","Quantity":-1,"InvoiceDate":"2011-01-03 10:00","UnitPrice":5}"# + "\n"
            answer = try json(try post(port, ndjson, type: "application/x-ndjson"))
            XCTAssertEqual(answer["added"] as? Int, 1)

            let nothing = try post(port, "InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice\n1,A,x,2011-01-03 10:00,1\n", type: "text/csv")
            XCTAssertEqual(nothing.status, 200, "a readable body whose every line is bad is counted, not refused")
            XCTAssertEqual(try json(nothing)["rejected"] as? Int, 1)

            let unreadable = try post(port, "Colour,Size\nred,L\n", type: "text/csv")
            XCTAssertEqual(unreadable.status, 400)
            XCTAssertEqual(unreadable.errorCode, "unreadable_sales")
            XCTAssertTrue(unreadable.text.contains("unknown column"), unreadable.text)

            XCTAssertEqual(try post(port, csv, type: "application/json").status, 415)
            XCTAssertEqual(try post(port, csv, type: nil).status, 415)
            XCTAssertEqual(try post(port, csv, type: "text/csv", token: nil).status, 401)
            XCTAssertEqual(try post(port, csv, type: "text/csv", token: "wrong").status, 401)
        }
        XCTAssertEqual(try SQLiteLedger(path: path).summary().salesLines, 51)
    }

    func testABodyOverTheLimitIs413AndAnUnwritableLedgerIs503() throws {
        let folder = try SalesFile.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try serving(ledgerAt: folder.appendingPathComponent("ledger.sqlite").path, maxBodyBytes: 1000) { port in
            XCTAssertEqual(try post(port, SalesFile.csv(lines: 50), type: "text/csv").status, 413)
        }
        // A folder where the file should be: the ledger cannot be opened, the service says why.
        let blocked = folder.appendingPathComponent("blocked.sqlite")
        try FileManager.default.createDirectory(at: blocked, withIntermediateDirectories: true)
        try serving(ledgerAt: blocked.path) { port in
            let response = try post(port, SalesFile.csv(lines: 2), type: "text/csv")
            XCTAssertEqual(response.status, 503, response.text)
            XCTAssertEqual(response.errorCode, "ledger_unavailable")
        }
    }
}
