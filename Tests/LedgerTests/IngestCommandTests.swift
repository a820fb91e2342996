import Foundation
import Ledger
import TestSupport
import XCTest

/// `pricing-server ingest` as a process: counts on stdout, each rejected line on stderr as
/// `file:line: field: message`, and a non-zero exit only when nothing could be read.
final class IngestCommandTests: XCTestCase {
    /// The command with this process's environment minus DATABASE_URL, so a developer's PostgreSQL
    /// setting does not take the ledger these tests read (the SQLite file) away from them.
    func ingest(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
        try CommandResult.run(ServerBinary.url(testBundle: Bundle(for: Self.self)), ["ingest"] + arguments,
                              environment: environment, removing: ["DATABASE_URL"])
    }

    func testRejectedLinesArePrintedWithFileLineAndFieldAndOnlyANothingReadFileFails() throws {
        let folder = try SalesFile.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appendingPathComponent("ledger.sqlite").path
        let good = folder.appendingPathComponent("week.csv")
        try (SalesFile.csv(lines: 3) + "536999,22633,HAND WARMER,6,2010-12-01 08:28,,,United Kingdom\n").write(to: good, atomically: true, encoding: .utf8)

        let first = try ingest(["--database", database, good.path])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.hasPrefix("added 3, already present 0, rejected 1 (batch 1,"), first.stdout)
        XCTAssertEqual(first.stderr, "\(good.path):5: UnitPrice: value is empty\n")
        let again = try ingest(["--database", database, good.path])
        XCTAssertTrue(again.stdout.hasPrefix("added 0, already present 3, rejected 1 (batch 2,"), again.stdout)

        // LEDGER_PATH names the server's ledger when --database is not given.
        let ndjson = folder.appendingPathComponent("week.txt")
        try #"{"InvoiceNo":"9","StockCode":"A","Quantity":1,"InvoiceDate":"2011-01-03 10:00","UnitPrice":2}"#.write(to: ndjson, atomically: true, encoding: .utf8)
        let sniffed = try ingest(["--config", "/dev/null/none", ndjson.path], environment: ["LEDGER_PATH": database])
        XCTAssertNotEqual(sniffed.status, 0, "an unreadable --config is an error")
        let fromEnvironment = try ingest([ndjson.path], environment: ["LEDGER_PATH": database])
        XCTAssertEqual(fromEnvironment.status, 0, fromEnvironment.stderr)
        XCTAssertTrue(fromEnvironment.stdout.hasPrefix("added 1,"), fromEnvironment.stdout)
        XCTAssertEqual(try SQLiteLedger(path: database).summary().salesLines, 4)

        let bad = folder.appendingPathComponent("bad.csv")
        try "InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice\n1,A,x,2011-01-03 10:00,1\n".write(to: bad, atomically: true, encoding: .utf8)
        let nothing = try ingest(["--database", database, bad.path])
        XCTAssertEqual(nothing.status, 1, "no line could be read")
        XCTAssertTrue(nothing.stderr.contains("\(bad.path):2: Quantity: \"x\" is not a number"), nothing.stderr)

        let header = folder.appendingPathComponent("header.csv")
        try "Colour,Size\nred,L\n".write(to: header, atomically: true, encoding: .utf8)
        let unreadable = try ingest(["--database", database, header.path])
        XCTAssertEqual(unreadable.status, 1)
        XCTAssertTrue(unreadable.stderr.contains("unknown column \"Colour\""), unreadable.stderr)
    }
}
