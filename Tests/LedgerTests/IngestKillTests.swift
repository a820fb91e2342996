import CSQLite
import Foundation
import Ledger
import TestSupport
import XCTest

/// `kill -9` during an ingest, then the same file again: the ledger equals one clean ingest. The real
/// `pricing-server ingest` runs as a child process and is killed while it holds the ledger's write
/// transaction, part of the way through it (the test sees the lock from a connection of its own).
final class IngestKillTests: XCTestCase {
    func testAKilledIngestLeavesNothingAndTheResubmissionEqualsACleanIngest() throws {
        let folder = try SalesFile.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let binary = try ServerBinary.url(testBundle: Bundle(for: Self.self))
        let file = folder.appendingPathComponent("sales.csv")
        let lines = 25_000
        try SalesFile.csv(lines: lines).write(to: file, atomically: true, encoding: .utf8)
        let clean = folder.appendingPathComponent("clean.sqlite").path
        let killed = folder.appendingPathComponent("killed.sqlite").path

        let started = Date()
        let first = try CommandResult.run(binary, ["ingest", "--database", clean, file.path])
        let cleanSeconds = Date().timeIntervalSince(started)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.hasPrefix("added \(lines), already present 0, rejected 0"), first.stdout)

        // The same file into another ledger. Once the file is in WAL mode (the test's connection must not
        // get in the way of that switch), wait for the write transaction, then kill the process 30% of the
        // way from there to where the clean run had ended, checking that it still holds the lock.
        let launched = Date()
        let process = Process()
        process.executableURL = binary
        process.arguments = ["ingest", "--database", killed, file.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning, Date() < deadline, !FileManager.default.fileExists(atPath: killed + "-wal") { usleep(500) }
        while process.isRunning, Date() < deadline, !Self.holdsWriteLock(killed) { usleep(500) }
        let remaining = max(0.02, cleanSeconds - Date().timeIntervalSince(launched))
        usleep(UInt32(remaining * 0.3 * 1_000_000))
        let lockedAtKill = Self.holdsWriteLock(killed)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal, "the ingest finished before it could be killed")
        XCTAssertTrue(lockedAtKill, "killed outside the ingest's transaction")

        // What the killed run wrote is not in the ledger: no sales and no ingest row.
        XCTAssertEqual(try SQLiteLedger(path: killed).summary(), LedgerSummary(salesLines: 0, ingests: 0, assignments: 0))

        let rerun = try CommandResult.run(binary, ["ingest", "--database", killed, file.path])
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        XCTAssertTrue(rerun.stdout.hasPrefix("added \(lines), already present 0"), rerun.stdout)
        let cleanLedger = try SQLiteLedger(path: clean), killedLedger = try SQLiteLedger(path: killed)
        XCTAssertEqual(try killedLedger.summary(), try cleanLedger.summary())
        XCTAssertEqual(try killedLedger.salesDigest(), try cleanLedger.salesDigest())
    }

    /// Whether another connection holds the write lock of the SQLite file at `path` (a `BEGIN IMMEDIATE`
    /// without waiting is refused as busy).
    static func holdsWriteLock(_ path: String) -> Bool {
        var db: OpaquePointer?
        defer { sqlite3_close_v2(db) }
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK else { return false }
        let status = sqlite3_exec(db, "BEGIN IMMEDIATE", nil, nil, nil)
        if status == SQLITE_OK { sqlite3_exec(db, "ROLLBACK", nil, nil, nil) }
        return status & 0xFF == SQLITE_BUSY
    }
}
