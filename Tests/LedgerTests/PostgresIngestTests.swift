import Dispatch
import Foundation
import HTTPServer
import Ledger
import Pricing
import PricingAPI
import TestSupport
import XCTest

/// The PostgreSQL ledger through the real `pricing-server ingest` binary and `POST /v1/sales` on
/// loopback, against a real server: DATABASE_URL chooses it, `kill -9` mid-transaction then the same
/// file again equals one clean ingest, and a server that cannot be reached is a clear error (the
/// command's message, the route's 503), not a crash.
final class PostgresIngestTests: PostgresTestCase {
    func testTheCommandUsesDATABASE_URLAndAKilledIngestThenTheSameFileEqualsOneCleanIngest() throws {
        let (_, clean) = try freshDatabase("ingest")
        let (_, killed) = try freshDatabase("ingest")
        let folder = try SalesFile.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let binary = try ServerBinary.url(testBundle: Bundle(for: Self.self))
        let file = folder.appendingPathComponent("sales.csv")
        let lines = 10_000
        try (SalesFile.csv(lines: lines) + "536999,22633,HAND WARMER,x,12/1/2010 8:28,1.85,,United Kingdom\n")
            .write(to: file, atomically: true, encoding: .utf8)

        // DATABASE_URL is the server's ledger, over LEDGER_PATH: no SQLite file is made.
        let sqlite = folder.appendingPathComponent("unused.sqlite").path
        let started = Date()
        let first = try CommandResult.run(binary, ["ingest", file.path], environment: ["DATABASE_URL": clean, "LEDGER_PATH": sqlite])
        let cleanSeconds = Date().timeIntervalSince(started)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.hasPrefix("added \(lines), already present 0, rejected 1 (batch 1,"), first.stdout)
        XCTAssertEqual(first.stderr, "\(file.path):\(lines + 2): Quantity: \"x\" is not a number\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: sqlite))

        // The same file into another database, killed while its transaction is open (seen from a connection
        // of the test's own), 30% of the way from there to where the clean run had ended.
        let watcher = try PostgresSession(url: killed)
        let launched = Date()
        let process = Process()
        process.executableURL = binary
        process.arguments = ["ingest", "--database", killed, file.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning, Date() < deadline, watcher.otherWritingTransactions() == 0 { usleep(500) }
        let remaining = max(0.02, cleanSeconds - Date().timeIntervalSince(launched))
        usleep(UInt32(remaining * 0.3 * 1_000_000))
        let openAtKill = watcher.otherWritingTransactions() > 0
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal, "the ingest finished before it could be killed")
        XCTAssertTrue(openAtKill, "killed outside the ingest's transaction")

        XCTAssertEqual(try PostgresLedger(url: killed).summary(), LedgerSummary(salesLines: 0, ingests: 0, assignments: 0),
                       "the killed ingest left lines behind")
        let rerun = try CommandResult.run(binary, ["ingest", "--database", killed, file.path])
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        XCTAssertTrue(rerun.stdout.hasPrefix("added \(lines), already present 0, rejected 1"), rerun.stdout)
        let cleanLedger = try PostgresLedger(url: clean), killedLedger = try PostgresLedger(url: killed)
        XCTAssertEqual(try killedLedger.summary().salesLines, try cleanLedger.summary().salesLines)
        XCTAssertEqual(try killedLedger.salesDigest(), try cleanLedger.salesDigest())
    }

    func testAnUnreachableOrMalformedDATABASE_URLIsAClearErrorOfTheCommand() throws {
        let folder = try SalesFile.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let binary = try ServerBinary.url(testBundle: Bundle(for: Self.self))
        let file = folder.appendingPathComponent("sales.csv")
        try SalesFile.csv(lines: 3).write(to: file, atomically: true, encoding: .utf8)
        let closed = try RedisServerHarness.freePort()

        let refused = try CommandResult.run(binary, ["ingest", file.path],
                                            environment: ["DATABASE_URL": "postgres://pricing:s3cret@127.0.0.1:\(closed)/ledger"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("postgres://pricing:***@127.0.0.1:\(closed)/ledger: cannot connect to PostgreSQL"), refused.stderr)
        XCTAssertFalse(refused.stderr.contains("s3cret"), refused.stderr)

        let notPostgres = try CommandResult.run(binary, ["ingest", file.path], environment: ["DATABASE_URL": "mysql://u:pw@db/ledger"])
        XCTAssertEqual(notPostgres.status, 1)
        XCTAssertTrue(notPostgres.stderr.contains("database_url (DATABASE_URL) must be a postgres:// or postgresql:// URL, got a mysql:// URL"),
                      notPostgres.stderr)
        XCTAssertFalse(notPostgres.stderr.contains("pw@"), notPostgres.stderr)
    }

    func testSalesArePostedToPostgreSQLAndAServerThatCannotBeReachedIs503() throws {
        let (_, url) = try freshDatabase("ingest")
        let csv = SalesFile.csv(lines: 50) + "536999,22633,HAND WARMER,x,12/1/2010 8:28,1.85,,United Kingdom\n"
        try serving(LedgerSlot(location: url)) { port in
            let first = try post(port, csv)
            XCTAssertEqual(first.status, 200, first.text)
            let answer = try json(first)
            XCTAssertEqual([answer["added"] as? Int, answer["duplicates"] as? Int, answer["rejected"] as? Int], [50, 0, 1])
            XCTAssertEqual((answer["errors"] as? [[String: Any]])?.first?["field"] as? String, "Quantity")
            // The server ends the ledger's connection (a restart, a cut idle connection): the next request reconnects.
            let ended = try PostgresSession(url: url).run("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                                          + "WHERE application_name = 'pricing-server ledger' AND datname = current_database()")
            XCTAssertEqual(ended, "t", "the ledger's connection was not there to end")
            let again = try json(try post(port, csv))
            XCTAssertEqual([again["added"] as? Int, again["duplicates"] as? Int], [0, 50], "a resubmission added lines")
            XCTAssertEqual(try post(port, "Colour,Size\nred,L\n").status, 400)
        }
        XCTAssertEqual(try PostgresLedger(url: url).summary(), LedgerSummary(salesLines: 50, ingests: 2, assignments: 0))

        let closed = try RedisServerHarness.freePort()
        try serving(LedgerSlot(location: "postgres://pricing:s3cret@127.0.0.1:\(closed)/ledger")) { port in
            for _ in 0..<2 {  // the slot tries again at the next request, and the service stays up
                let response = try post(port, csv)
                XCTAssertEqual(response.status, 503, response.text)
                XCTAssertEqual(response.errorCode, "ledger_unavailable")
                XCTAssertTrue(response.text.contains("cannot connect to PostgreSQL"), response.text)
                XCTAssertFalse(response.text.contains("s3cret"), response.text)
            }
        }
    }

    // MARK: Helpers

    static let token = "sales-admin-token-for-tests"

    func serving(_ slot: LedgerSlot, _ body: (Int) throws -> Void) throws {
        var router = PricingRouter(slot: EngineSlot(), cors: CORSPolicy(allowedOrigins: []), adminToken: Self.token)
        router.ledger = slot
        var configuration = HTTPServer.Configuration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        let server = HTTPServer(configuration: configuration, handler: router)
        let port = try server.start()
        defer {
            let done = DispatchSemaphore(value: 0)
            Task { await server.shutdown(gracePeriod: .seconds(1)); done.signal() }
            done.wait()
        }
        try body(port)
    }

    func post(_ port: Int, _ body: String) throws -> TestClient.Response {
        let client = try TestClient(port: port, timeout: 30)
        try client.send("POST /v1/sales HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer \(Self.token)\r\n"
                        + "Content-Type: text/csv\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body)
        return try client.readResponse()
    }

    func json(_ response: TestClient.Response) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any], response.text)
    }
}
