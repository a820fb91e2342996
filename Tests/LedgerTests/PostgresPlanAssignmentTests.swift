import Foundation
import Ledger
import PricingAPI
import TestSupport
import XCTest

/// Plan assignments in a PostgreSQL ledger on a real server: replicas loading the same plan at once
/// keep one row per test, a plan with more rows than one INSERT takes is recorded whole, a
/// contradicting row is reported and not written, and a server that cannot be reached fails the
/// recording (reported, nothing stops).
final class PostgresPlanAssignmentTests: PostgresTestCase {
    func testReplicasLoadingThePlanAtOnceRecordItOnce() async throws {
        let (_, url) = try freshDatabase("assignments")
        let plan = try PlanAssignments.plan()
        let replicas = (0..<3).map { _ in PlanAssignmentRecorder(ledger: LedgerSlot(location: url), logger: LogLines().logger()) }
        let tasks = replicas.map { $0.record(plan, version: "v1") }
        var added = 0, present = 0
        for task in tasks {
            guard case .recorded(_, let report) = await task.value else { return XCTFail("a replica failed to record") }
            XCTAssertEqual(report.refused, [])
            added += report.added
            present += report.alreadyPresent
        }
        XCTAssertEqual([added, present], [2, 4], "each row added by one replica, found by the others")
        let ledger = try PostgresLedger(url: url)
        XCTAssertEqual(try ledger.assignments(plan: nil), PlanAssignments.expected())

        // Another arm under the same plan id: refused, the recorded row stands.
        guard case .recorded(_, let changed) = await replicas[0].record(try PlanAssignments.plan(arm: "low"), version: "v1-edited").value else {
            return XCTFail("recording failed")
        }
        XCTAssertEqual(changed.alreadyPresent, 1)
        XCTAssertEqual(changed.refused.map(\.assignment.stockCode), ["85123A"])
        XCTAssertEqual(try ledger.assignments(plan: nil), PlanAssignments.expected())
    }

    func testAPlansHoldoutIsRecordedWithItsTests() async throws {
        let (_, url) = try freshDatabase("assignments")
        let recorder = PlanAssignmentRecorder(ledger: LedgerSlot(location: url), logger: LogLines().logger())
        let outcome = await recorder.record(try PlanAssignments.planWithHoldout(), version: "v1").value
        XCTAssertEqual(outcome, .recorded(planID: "2026-W49-a1b2c3", AssignmentReport(added: 4, document: .added)))
        XCTAssertEqual(try PostgresLedger(url: url).assignments(plan: nil), PlanAssignments.expectedWithHoldout(),
                       "the same rows, in the same order, as from SQLite")
        let edited = await recorder.record(try PlanAssignments.planWithHoldout(holdoutPrice: 1.5), version: "v1-edited").value
        guard case .recorded(_, let report) = edited else { return XCTFail("\(edited)") }
        XCTAssertEqual(report.refused.map(\.assignment.stockCode), ["20725"])
        XCTAssertEqual(try PostgresLedger(url: url).assignments(plan: nil), PlanAssignments.expectedWithHoldout())
    }

    func testABatchLargerThanOneInsertIsRecordedWholeAndOnce() throws {
        let (_, url) = try freshDatabase("assignments")
        let ledger = try PostgresLedger(url: url)
        let many = (0..<1_100).map { k in
            Assignment(planID: "2026-W49-big", stockCode: String(format: "P%05d", k), week: "2026-11-30", price: 1 + Double(k) / 100,
                       arm: ["low", "current", "high"][k % 3], probability: 1.0 / 3)
        }
        XCTAssertEqual(try ledger.record(many.reversed()), AssignmentReport(added: 1_100))
        XCTAssertEqual(try ledger.record(many), AssignmentReport(alreadyPresent: 1_100))
        XCTAssertEqual(try ledger.assignments(plan: "2026-W49-big"), many, "prices and probabilities read back to the bit")
    }

    func testAServerThatCannotBeReachedFailsTheRecordingAndNamesIt() async throws {
        let url = "postgres://pricing:hunter2@127.0.0.1:1/pricing?connect_timeout=2"
        let recorder = PlanAssignmentRecorder(ledger: LedgerSlot(location: url), logger: LogLines().logger(), retryDelays: [])
        guard case .failed(_, let error) = await recorder.record(try PlanAssignments.plan(), version: "v1").value else {
            return XCTFail("an unreachable server must fail the recording")
        }
        XCTAssertTrue(error.description.contains("cannot connect to PostgreSQL"), error.description)
        XCTAssertFalse(error.description.contains("hunter2"), error.description)
    }
}
