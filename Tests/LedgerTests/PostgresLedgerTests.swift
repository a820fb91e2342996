import Dispatch
import Foundation
import Ledger
import Synchronization
import TestSupport
import XCTest

/// The PostgreSQL ledger on a real server (one per class, a database per test): it answers as the
/// SQLite ledger does for the same files, a resubmission changes nothing, two replicas ingesting the
/// same file at once keep one copy and migrate the schema once, a newer schema is refused.
final class PostgresLedgerTests: PostgresTestCase {
    func ingest(_ ledger: any SalesLedger, _ text: String, format: SalesFormat = .csv) throws -> IngestReport {
        try Array(text.utf8).withUnsafeBufferPointer { bytes throws(LedgerError) in
            try ledger.ingest(bytes, format: format, source: "test", maxErrors: 10)
        }
    }

    func testItAnswersAsTheSQLiteLedgerForTheSameFilesAndAResubmissionChangesNothing() throws {
        let (_, url) = try freshDatabase("ledger")
        let folder = try SalesFile.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let postgres = try PostgresLedger(url: url)
        let sqlite = try SQLiteLedger(path: folder.appendingPathComponent("ledger.sqlite").path)

        // Good lines, a bad quantity, a bad date, a Latin-1 description (refused by both, line by line),
        // a field with a tab and a backslash (COPY's escapes), then the same lines as NDJSON and new ones.
        let csv = SalesFile.csv(lines: 300)
            + "536999,22633,HAND WARMER,x,12/1/2010 8:28,1.85,,United Kingdom\n"
            + "536999,22634,HAND WARMER,6,13/1/2010 8:28,1.85,,United Kingdom\n"
            + "536999,22635,CAF\u{E9},6,12/1/2010 8:28,1.85,,United Kingdom\n"
            + "537000,22636,\"TAB\tAND \\\\ SLASH\",2,2010-12-06 09:00,0.1,17850,United Kingdom\n"
        var bytes = Array(csv.utf8)
        let accented = try XCTUnwrap(bytes.firstIndex(of: 0xC3))  // é as Latin-1: one byte, not UTF-8
        bytes.replaceSubrange(accented...(accented + 1), with: [0xE9])
        let file = bytes
        /// Ingests into both ledgers, checks they answer the same, and returns the answer.
        func both(_ bytes: [UInt8], format: SalesFormat = .csv) throws -> IngestReport {
            let answers = try [postgres as any SalesLedger, sqlite].map { ledger in
                try bytes.withUnsafeBufferPointer { buffer throws(LedgerError) in
                    try ledger.ingest(buffer, format: format, source: "test", maxErrors: 10)
                }
            }
            XCTAssertEqual(answers[0], answers[1], "the same file gives the same answer")
            return answers[0]
        }
        let first = try both(file)
        XCTAssertEqual([first.added, first.duplicates, first.rejected], [301, 0, 3])
        XCTAssertEqual(first.errors.map(\.line), [302, 303, 304])
        XCTAssertEqual(first.errors.map(\.field), ["Quantity", "InvoiceDate", "Description"])
        XCTAssertEqual(first.errors.last?.message, "not UTF-8 text (send the file as UTF-8)")
        let digest = try postgres.salesDigest()

        let again = try both(file)
        XCTAssertEqual([again.added, again.duplicates, again.rejected], [0, 301, 3])
        XCTAssertEqual(try postgres.salesDigest(), digest, "a resubmission changed the sales")

        let ndjson = #"{"InvoiceNo":"536365","StockCode":"20000","Description":"PRODUCT 20000, BLUE","Quantity":1,"#
            + #""InvoiceDate":"2010-12-01 08:10","UnitPrice":1.0,"CustomerID":12000,"Country":"United Kingdom"}"# + "\n"
            + #"{"InvoiceNo":"C1","StockCode":"D","Quantity":-1,"InvoiceDate":"2011-01-03 10:00","UnitPrice":5}"# + "\n"
        let mixed = try both(Array(ndjson.utf8), format: .ndjson)
        XCTAssertEqual([mixed.added, mixed.duplicates], [1, 1])
        XCTAssertNotEqual(try postgres.salesDigest(), digest)

        XCTAssertEqual(try postgres.summary(), try sqlite.summary())
        XCTAssertEqual(try postgres.summary(), LedgerSummary(salesLines: 302, ingests: 3, assignments: 0))
        let weeks = try postgres.weeklySales(from: nil), sqliteWeeks = try sqlite.weeklySales(from: nil)
        XCTAssertEqual(weeks.count, sqliteWeeks.count)
        XCTAssertGreaterThan(weeks.count, 10)
        for (mine, theirs) in zip(weeks, sqliteWeeks) {
            XCTAssertEqual([mine.stockCode, mine.week], [theirs.stockCode, theirs.week])
            XCTAssertEqual([mine.units, mine.lines], [theirs.units, theirs.lines])
            XCTAssertEqual(mine.revenue, theirs.revenue, accuracy: 1e-9 * max(1, abs(theirs.revenue)))
        }
        XCTAssertEqual(try postgres.weeklySales(from: "2010-12-06").map(\.week), try sqlite.weeklySales(from: "2010-12-06").map(\.week))
        XCTAssertThrowsError(try postgres.weeklySales(from: "2010-12-07"))

        // The unreadable file adds nothing, not even an ingests row.
        XCTAssertThrowsError(try ingest(postgres, "Colour,Size\nred,L\n")) { error in
            guard case LedgerError.unreadable(let why) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(why.contains("unknown column"), why)
        }
        XCTAssertEqual(try postgres.summary().ingests, 3)
    }

    func testAssignmentsAreRecordedOnceAndNeverChanged() throws {
        let (_, url) = try freshDatabase("ledger")
        let ledger = try PostgresLedger(url: url)
        let low = Assignment(planID: "p1", stockCode: "85123A", week: "2011-01-03", price: 2.29, arm: "low", probability: 1.0 / 3)
        XCTAssertTrue(try ledger.record(low))
        XCTAssertFalse(try ledger.record(low), "the same assignment again is a no-op")
        XCTAssertThrowsError(try ledger.record(Assignment(planID: "p1", stockCode: "85123A", week: "2011-01-03", price: 2.79, arm: "high",
                                                           probability: 1.0 / 3))) { error in
            guard case LedgerError.conflict(let why) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(why.contains("low at 2.29"), why)
        }
        XCTAssertThrowsError(try ledger.record(Assignment(planID: "p1", stockCode: "A", week: "2011-01-04", price: 1, arm: "low", probability: 1)))
        let later = Assignment(planID: "p1", stockCode: "22423", week: "2011-01-10", price: 12.75, arm: "holdout", probability: 0.2)
        let other = Assignment(planID: "p0", stockCode: "b", week: "2011-01-10", price: 0.1 + 0.2, arm: "current", probability: 0.5)
        XCTAssertTrue(try ledger.record(later))
        XCTAssertTrue(try ledger.record(other))
        XCTAssertEqual(try ledger.assignments(plan: "p1"), [low, later])
        XCTAssertEqual(try ledger.assignments(plan: nil), [other, low, later], "by plan, week and product; doubles read back exactly")
        XCTAssertEqual(try ledger.summary().assignments, 3)
    }

    func testReplicasMigrateOnceAndConcurrentIngestsOfTheSameFileKeepOneCopy() throws {
        let (server, url) = try freshDatabase("ledger")
        // Four replicas open the fresh database at once: each runs the migration, under the advisory lock.
        let opened = Mutex<[Result<PostgresLedger, LedgerError>]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            let result = Result { () throws(LedgerError) in try PostgresLedger(url: url) }
            opened.withLock { $0.append(result) }
        }
        let ledgers = try opened.withLock { $0 }.map { try $0.get() }
        XCTAssertEqual(try server.sql("SELECT version FROM schema_version", database: String(url.split(separator: "/").last!)), "2")

        // Both ingests are made to run at once: a session of the test's own holds one of the file's keys
        // (uncommitted) until both wait for it, then lets go.
        let text = SalesFile.csv(lines: 1_500), file = Array(text.utf8)
        let holder = try PostgresSession(url: url)
        try holder.run("BEGIN")
        try holder.run("INSERT INTO ingests (source, format, started_at) VALUES ('holder', 'csv', 'now') RETURNING batch_id")
        try holder.run("""
            INSERT INTO sales (invoice_no, stock_code, occurrence, description, quantity, invoice_date, unit_price, country, batch_id)
            SELECT '536365', '20000', 1, '', 1, '2010-12-01 08:10:00', 1, '', max(batch_id) FROM ingests
            """)
        final class Reports: Sendable { let list = Mutex<[IngestReport]>([]) }
        let reports = Reports()
        let both = DispatchGroup()
        for index in 0..<2 {
            DispatchQueue.global().async(group: both) {
                let report = try? file.withUnsafeBufferPointer { bytes in
                    try ledgers[index].ingest(bytes, format: .csv, source: "replica \(index)", maxErrors: 10)
                }
                if let report { reports.list.withLock { $0.append(report) } }
            }
        }
        let deadline = Date().addingTimeInterval(30)
        while holder.otherSessionsWaitingForALock() < 2, Date() < deadline { usleep(1_000) }
        XCTAssertEqual(holder.otherSessionsWaitingForALock(), 2, "the two ingests did not run at once")
        try holder.run("ROLLBACK")
        both.wait()
        let answers = reports.list.withLock { $0 }
        XCTAssertEqual(answers.count, 2, "an ingest failed")
        XCTAssertEqual(answers.map(\.added).reduce(0, +), 1_500, "the lines were added once in all")
        XCTAssertEqual(answers.map(\.duplicates).reduce(0, +), 1_500)
        XCTAssertEqual(try ledgers[0].summary().salesLines, 1_500)
        XCTAssertEqual(try ledgers[0].salesDigest(), try Self.cleanDigest(text, server: server), "not the lines of one clean ingest")
    }

    /// The digest of `text` ingested alone into a fresh database.
    static func cleanDigest(_ text: String, server: PostgresServerHarness) throws -> String {
        let ledger = try PostgresLedger(url: try server.createDatabase("clean_\(UUID().uuidString.prefix(8).lowercased())"))
        _ = try Array(text.utf8).withUnsafeBufferPointer { bytes throws(LedgerError) in
            try ledger.ingest(bytes, format: .csv, source: "clean", maxErrors: 10)
        }
        return try ledger.salesDigest()
    }

    func testANewerSchemaAndAnUnreachableServerAreRefusedWithTheReason() throws {
        let (server, url) = try freshDatabase("ledger")
        _ = try PostgresLedger(url: url)
        try server.sql("UPDATE schema_version SET version = 99", database: String(url.split(separator: "/").last!))
        XCTAssertThrowsError(try PostgresLedger(url: url)) { error in
            guard case LedgerError.unavailable(let why) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(why.contains("schema version 99 is newer"), why)
        }

        let closed = try RedisServerHarness.freePort()
        XCTAssertThrowsError(try PostgresLedger(url: "postgres://pricing:s3cret@127.0.0.1:\(closed)/ledger")) { error in
            guard case LedgerError.unavailable(let why) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(why.hasPrefix("postgres://pricing:***@127.0.0.1:\(closed)/ledger: cannot connect to PostgreSQL"), why)
            XCTAssertTrue(why.contains("refused"), why)
            XCTAssertFalse(why.contains("s3cret"), "the password is in the message: \(why)")
        }
        XCTAssertThrowsError(try PostgresLedger(url: server.url(database: "no_such_database"))) { error in
            XCTAssertTrue("\(error)".contains("no_such_database\" does not exist"), "\(error)")
        }
        XCTAssertEqual(DatabaseURL.redacted("postgresql://u:p@h/db?sslmode=require&password=x"), "postgresql://u:***@h/db?sslmode=require&password=***")
    }
}
