import Foundation
import Ledger
import TestSupport
import XCTest

/// `kill -9` during an ingest, then the same file again: the ledger equals one clean ingest. The real
/// `pricing-server ingest` runs as a child process on 100,000 lines and is killed once its
/// transaction has written pages to the WAL (so the kill lands inside the transaction, with part of
/// it on disk).
final class IngestKillTests: XCTestCase {
    func testAKilledIngestLeavesNothingAndTheResubmissionEqualsACleanIngest() throws {
        let folder = try SalesFile.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let binary = try ServerBinary.url(testBundle: Bundle(for: Self.self))
        let file = folder.appendingPathComponent("sales.csv")
        try SalesFile.csv(lines: 100_000).write(to: file, atomically: true, encoding: .utf8)
        let clean = folder.appendingPathComponent("clean.sqlite").path
        let killed = folder.appendingPathComponent("killed.sqlite").path

        let first = try CommandResult.run(binary, ["ingest", "--database", clean, file.path])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.hasPrefix("added 100000, already present 0, rejected 0"), first.stdout)

        let process = Process()
        process.executableURL = binary
        process.arguments = ["ingest", "--database", killed, file.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let wal = killed + "-wal"
        let deadline = Date().addingTimeInterval(60)
        var walBytes = 0
        while process.isRunning, Date() < deadline {
            walBytes = ((try? FileManager.default.attributesOfItem(atPath: wal))?[.size] as? Int) ?? 0
            if walBytes > 256 * 1024 { break }
            usleep(2_000)
        }
        XCTAssertTrue(process.isRunning, "the ingest finished before it could be killed (WAL at \(walBytes) bytes)")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal)
        XCTAssertGreaterThan(walBytes, 256 * 1024, "killed before the transaction wrote to the WAL")

        // What the killed run wrote is not in the ledger: no sales and no ingest row.
        XCTAssertEqual(try SQLiteLedger(path: killed).summary(), LedgerSummary(salesLines: 0, ingests: 0, assignments: 0))

        let rerun = try CommandResult.run(binary, ["ingest", "--database", killed, file.path])
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        XCTAssertTrue(rerun.stdout.hasPrefix("added 100000, already present 0"), rerun.stdout)
        let cleanLedger = try SQLiteLedger(path: clean), killedLedger = try SQLiteLedger(path: killed)
        XCTAssertEqual(try killedLedger.summary(), try cleanLedger.summary())
        XCTAssertEqual(try killedLedger.salesDigest(), try cleanLedger.salesDigest())
    }
}
