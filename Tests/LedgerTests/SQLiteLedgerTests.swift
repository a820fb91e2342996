import Foundation
import Ledger
import XCTest

/// The SQLite ledger on real files: a resubmission changes nothing, the schema is versioned and a
/// newer one refused, assignments are recorded once and never changed.
final class SQLiteLedgerTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = try SalesFile.temporaryFolder()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func ingest(_ ledger: SQLiteLedger, _ text: String, format: SalesFormat = .csv) throws -> IngestReport {
        try Array(text.utf8).withUnsafeBufferPointer { bytes throws(LedgerError) in
            try ledger.ingest(bytes, format: format, source: "test", maxErrors: 10)
        }
    }

    func testResubmittingAFileChangesNothingAndAPartialOverlapAddsOnlyTheNewLines() throws {
        let ledger = try SQLiteLedger(path: folder.appendingPathComponent("nested/ledger.sqlite").path)
        let file = SalesFile.csv(lines: 200)
        let first = try ingest(ledger, file)
        XCTAssertEqual([first.added, first.duplicates, first.rejected], [200, 0, 0])
        let digest = try ledger.salesDigest()

        let again = try ingest(ledger, file)
        XCTAssertEqual([again.added, again.duplicates, again.rejected], [0, 200, 0])
        XCTAssertEqual(try ledger.salesDigest(), digest, "a resubmission changed the sales")
        XCTAssertEqual(try ledger.summary(), LedgerSummary(salesLines: 200, ingests: 2, assignments: 0))

        // The same lines as NDJSON are the same sales; lines of new invoices are added.
        let lines = file.split(separator: "\n").dropFirst()
        let overlap = SalesFile.header + lines.suffix(8).joined(separator: "\n") + "\n" + SalesFile.csv(lines: 8, firstInvoice: 900_000)
            .split(separator: "\n").dropFirst().joined(separator: "\n")
        let mixed = try ingest(ledger, overlap)
        XCTAssertEqual([mixed.added, mixed.duplicates], [8, 8])
        XCTAssertNotEqual(try ledger.salesDigest(), digest)
        let ndjson = #"{"InvoiceNo":"900000","StockCode":"20000","Description":"PRODUCT 20000, BLUE","Quantity":1,"#
            + #""InvoiceDate":"2010-12-01 08:10","UnitPrice":1.0,"CustomerID":12000,"Country":"United Kingdom"}"# + "\n"
        let same = try ingest(ledger, ndjson, format: .ndjson)
        XCTAssertEqual([same.added, same.duplicates], [0, 1])
    }

    func testTheFileIsInWALModeAndItsSchemaVersionIsRecorded() throws {
        let path = folder.appendingPathComponent("ledger.sqlite").path
        _ = try SQLiteLedger(path: path)
        let sqlite = URL(fileURLWithPath: "/usr/bin/sqlite3")
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: sqlite.path), "no sqlite3 command")
        let out = Pipe()
        let process = Process()
        process.executableURL = sqlite
        process.arguments = [path, "PRAGMA journal_mode; SELECT version FROM schema_version; SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name;"]
        process.standardOutput = out
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(text.split(separator: "\n"), ["wal", "2", "assignments", "ingests", "plans", "sales", "schema_version", "sqlite_sequence"])
    }

    func testALedgerOfANewerSchemaIsRefusedAndAReopenedOneKeepsItsSales() throws {
        let path = folder.appendingPathComponent("ledger.sqlite").path
        do {
            let ledger = try SQLiteLedger(path: path)
            _ = try ingest(ledger, SalesFile.csv(lines: 5))
        }
        XCTAssertEqual(try SQLiteLedger(path: path).summary().salesLines, 5)
        let bump = Process()
        bump.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        bump.arguments = [path, "UPDATE schema_version SET version = 99"]
        try bump.run()
        bump.waitUntilExit()
        XCTAssertThrowsError(try SQLiteLedger(path: path)) { error in
            XCTAssertTrue("\(error)".contains("schema version 99 is newer"), "\(error)")
        }
    }

    func testWeeklySalesSumEachProductsUnitsAndRevenueByMondayToSundayWeek() throws {
        let ledger = try SQLiteLedger(path: folder.appendingPathComponent("ledger.sqlite").path)
        let text = """
            InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice
            1,A,2,2011-01-03 09:00,1.5
            2,A,3,2011-01-09 23:59,2.0
            C3,A,-1,2011-01-09 12:00,2.0
            4,A,5,2011-01-10 00:00,1.0
            5,B,1,2011-01-02 10:00,4.0
            """
        XCTAssertEqual(try ingest(ledger, text).added, 5)
        XCTAssertEqual(try ledger.weeklySales(from: nil), [
            WeeklySales(stockCode: "A", week: "2011-01-03", units: 4, revenue: 7.0, lines: 3),
            WeeklySales(stockCode: "A", week: "2011-01-10", units: 5, revenue: 5.0, lines: 1),
            WeeklySales(stockCode: "B", week: "2010-12-27", units: 1, revenue: 4.0, lines: 1),
        ])
        XCTAssertEqual(try ledger.weeklySales(from: "2011-01-10").map(\.units), [5])
        XCTAssertThrowsError(try ledger.weeklySales(from: "2011-01-11"))
    }

    func testAnAssignmentIsRecordedOnceAndAContradictingOneIsRefused() throws {
        let ledger = try SQLiteLedger(path: folder.appendingPathComponent("ledger.sqlite").path)
        let low = Assignment(planID: "plan-1", stockCode: "85123A", week: "2011-01-03", price: 2.35, arm: "low", probability: 1.0 / 3)
        let high = Assignment(planID: "plan-1", stockCode: "22423", week: "2011-01-03", price: 13.5, arm: "high", probability: 1.0 / 3)
        let next = Assignment(planID: "plan-1", stockCode: "85123A", week: "2011-01-10", price: 2.55, arm: "current", probability: 1.0 / 3)
        XCTAssertTrue(try ledger.record(next))
        XCTAssertTrue(try ledger.record(low))
        XCTAssertTrue(try ledger.record(high))
        XCTAssertFalse(try ledger.record(low), "the same assignment again is not new")
        XCTAssertEqual(try ledger.assignments(plan: "plan-1"), [high, low, next])
        XCTAssertEqual(try ledger.assignments(plan: "other"), [])

        let changed = Assignment(planID: "plan-1", stockCode: "85123A", week: "2011-01-03", price: 2.75, arm: "high", probability: 1.0 / 3)
        XCTAssertThrowsError(try ledger.record(changed)) { error in
            guard case .conflict(let why) = error as? LedgerError else { return XCTFail("\(error)") }
            XCTAssertTrue(why.contains("low at 2.35"), why)
        }
        for bad in [Assignment(planID: "p", stockCode: "A", week: "2011-01-04", price: 1, arm: "low", probability: 0.5),
                    Assignment(planID: "p", stockCode: "A", week: "2011-01-03", price: 1, arm: "low", probability: 0),
                    Assignment(planID: "p", stockCode: "A", week: "2011-01-03", price: -1, arm: "low", probability: 0.5)] {
            XCTAssertThrowsError(try ledger.record(bad), "\(bad)")
        }
        XCTAssertEqual(try ledger.summary().assignments, 3)
    }
}
