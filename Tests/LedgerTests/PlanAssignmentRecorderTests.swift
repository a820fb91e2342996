import Foundation
import Ledger
import Pricing
import PricingAPI
import Storage
import TestSupport
import XCTest

/// The service writes each loaded plan's assignments into a real SQLite ledger file: once (the same
/// plan again, after a restart or in another version, changes nothing), a contradicting row is
/// reported and not written, a ledger that cannot be written is retried without stopping anything,
/// and the hook on the reloader records every version as it is installed.
final class PlanAssignmentRecorderTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("assignments-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func testABatchAddsNewRowsKeepsRecordedOnesAndReportsContradictions() throws {
        let ledger = try SQLiteLedger(path: folder.appendingPathComponent("ledger.sqlite").path)
        let expected = PlanAssignments.expected()
        XCTAssertEqual(try ledger.record(expected), AssignmentReport(added: 2))
        XCTAssertEqual(try ledger.record(expected.reversed()), AssignmentReport(alreadyPresent: 2))
        let moved = Assignment(planID: expected[1].planID, stockCode: expected[1].stockCode, week: expected[1].week, price: 2.95 * 0.95,
                               arm: "low", probability: 1.0 / 3)
        let invalid = Assignment(planID: "p", stockCode: "A", week: "2026-12-01", price: 1, arm: "low", probability: 0.5)
        let next = Assignment(planID: "2026-W50-d4e5f6", stockCode: "85123A", week: "2026-12-07", price: 2.95, arm: "current", probability: 0.5)
        let report = try ledger.record([moved, invalid, expected[0], next])
        XCTAssertEqual(report.added, 1)
        XCTAssertEqual(report.alreadyPresent, 1)
        XCTAssertEqual(report.refused.map(\.assignment), [invalid, moved])
        XCTAssertTrue(report.refused[1].description.contains("high at \(expected[1].price)"), report.refused[1].description)
        XCTAssertEqual(try ledger.assignments(plan: nil), expected + [next], "the recorded row stands; the invalid one is not written")
    }

    func testAPlansRunningTestsAreRecordedOnceAcrossRestarts() async throws {
        let path = folder.appendingPathComponent("ledger.sqlite").path
        let recorder = PlanAssignmentRecorder(ledger: LedgerSlot(location: path), logger: LogLines().logger())
        let outcome = await recorder.record(try PlanAssignments.plan(), version: "v1").value
        XCTAssertEqual(outcome, .recorded(planID: "2026-W49-a1b2c3", AssignmentReport(added: 2, document: .added)))
        XCTAssertEqual(try SQLiteLedger(path: path).assignments(plan: nil), PlanAssignments.expected(),
                       "the running tests only: committed and stopped tests post no price of the plan")

        // A restart (a new process: its own recorder and ledger connection) loads the same plan: nothing changes.
        let lines = LogLines()
        let restarted = PlanAssignmentRecorder(ledger: LedgerSlot(location: path), logger: lines.logger())
        let again = await restarted.record(try PlanAssignments.plan(), version: "v1").value
        XCTAssertEqual(again, .recorded(planID: "2026-W49-a1b2c3", AssignmentReport(alreadyPresent: 2, document: .present)))
        XCTAssertEqual(lines.count(containing: "plan assignments recorded"), 1, lines.all.joined(separator: "\n"))

        // The same plan id with another arm for 85123A: reported, logged, and the recorded row stands.
        let changed = await restarted.record(try PlanAssignments.plan(arm: "low"), version: "v1-edited").value
        guard case .recorded(_, let report) = changed else { return XCTFail("\(changed)") }
        XCTAssertEqual(report.alreadyPresent, 1)
        XCTAssertEqual(report.refused.map(\.assignment.stockCode), ["85123A"])
        XCTAssertEqual(lines.count(containing: "plan assignment refused by the ledger"), 1, lines.all.joined(separator: "\n"))
        XCTAssertEqual(try SQLiteLedger(path: path).assignments(plan: nil), PlanAssignments.expected())

        let none = await restarted.record(nil, version: "v2-no-plan").value
        XCTAssertEqual(none, .nothingToRecord)
    }

    func testAPlansHoldoutIsRecordedWithItsTestsOnceAndNeverOverwritten() async throws {
        let plan = try PlanAssignments.planWithHoldout()
        XCTAssertEqual(PlanAssignmentRecorder.assignments(of: plan).map(\.arm), ["high", "low", "holdout", "holdout"])
        let path = folder.appendingPathComponent("ledger.sqlite").path
        let recorder = PlanAssignmentRecorder(ledger: LedgerSlot(location: path), logger: LogLines().logger())
        let outcome = await recorder.record(plan, version: "v1").value
        XCTAssertEqual(outcome, .recorded(planID: "2026-W49-a1b2c3", AssignmentReport(added: 4, document: .added)))
        XCTAssertEqual(try SQLiteLedger(path: path).assignments(plan: nil), PlanAssignments.expectedWithHoldout())

        // Reloaded after a restart: nothing added. A held-out product's price edited under the same plan id: refused.
        let restarted = PlanAssignmentRecorder(ledger: LedgerSlot(location: path), logger: LogLines().logger())
        let again = await restarted.record(try PlanAssignments.planWithHoldout(), version: "v1").value
        XCTAssertEqual(again, .recorded(planID: "2026-W49-a1b2c3", AssignmentReport(alreadyPresent: 4, document: .present)))
        let edited = await restarted.record(try PlanAssignments.planWithHoldout(holdoutPrice: 1.5), version: "v1-edited").value
        guard case .recorded(_, let report) = edited else { return XCTFail("\(edited)") }
        XCTAssertEqual(report.alreadyPresent, 3)
        XCTAssertEqual(report.refused.map(\.assignment.stockCode), ["20725"])
        XCTAssertTrue(report.refused[0].description.contains("holdout at 1.65"), report.refused[0].description)
        XCTAssertEqual(try SQLiteLedger(path: path).assignments(plan: nil), PlanAssignments.expectedWithHoldout())

        // A plan that runs no test but holds products out still assigns them.
        var document = ExperimentPlanFixture.withHoldout(ExperimentPlanFixture.plan(tests: []),
                                                         members: [ExperimentPlanFixture.member("20725", price: 1.65)])
        document["plan_id"] = "2026-W49-holdout-only"
        let holdoutOnly = try JSONDecoder().decode(ExperimentPlan.self, from: JSONSerialization.data(withJSONObject: document))
        let only = await restarted.record(holdoutOnly, version: "v2").value
        XCTAssertEqual(only, .recorded(planID: "2026-W49-holdout-only", AssignmentReport(added: 1, document: .added)))
    }

    func testALedgerThatCannotBeWrittenIsRetriedAndNeverStopsAnything() async throws {
        // The ledger's folder is a file: the ledger cannot be opened until it is removed.
        let blocker = folder.appendingPathComponent("not-a-folder")
        try Data("x".utf8).write(to: blocker)
        let path = blocker.appendingPathComponent("ledger.sqlite").path
        let once = PlanAssignmentRecorder(ledger: LedgerSlot(location: path), logger: LogLines().logger(), retryDelays: [])
        guard case .failed(let planID, let error) = await once.record(try PlanAssignments.plan(), version: "v1").value else {
            return XCTFail("a ledger that cannot be opened must fail the recording")
        }
        XCTAssertEqual(planID, "2026-W49-a1b2c3")
        XCTAssertTrue(error.description.contains(path), error.description)

        let lines = LogLines()
        let retrying = PlanAssignmentRecorder(ledger: LedgerSlot(location: path), logger: lines.logger(), retryDelays: [.milliseconds(20)])
        let task = retrying.record(try PlanAssignments.plan(), version: "v1")
        let deadline = Date().addingTimeInterval(20)
        while lines.count(containing: "trying again") < 2, Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
        XCTAssertGreaterThanOrEqual(lines.count(containing: "trying again"), 2, lines.all.joined(separator: "\n"))
        try FileManager.default.removeItem(at: blocker)
        let outcome = await task.value
        XCTAssertEqual(outcome, .recorded(planID: "2026-W49-a1b2c3", AssignmentReport(added: 2, document: .added)))
        XCTAssertEqual(try SQLiteLedger(path: path).assignments(plan: nil), PlanAssignments.expected())

        // A newer version replaces a plan still waiting to be written: its retries stop, it is not written after the new one.
        let stillBlocked = folder.appendingPathComponent("still-not-a-folder")
        try Data("x".utf8).write(to: stillBlocked)
        let patient = PlanAssignmentRecorder(ledger: LedgerSlot(location: stillBlocked.appendingPathComponent("ledger.sqlite").path),
                                             logger: LogLines().logger(), retryDelays: [.seconds(600)])
        let old = patient.record(try PlanAssignments.plan("2026-W49-old"), version: "v1")
        let new = patient.record(nil, version: "v2")
        let (oldOutcome, newOutcome) = await (old.value, new.value)
        XCTAssertEqual(oldOutcome, .superseded(planID: "2026-W49-old"))
        XCTAssertEqual(newOutcome, .nothingToRecord)
    }

    /// Publishes a copy of the committed version named `name` with a two-test plan `id` under `root`, as LATEST;
    /// with `holdout`, the plan also holds out 20725 and 47566 (PlanAssignments.planWithHoldout's).
    func publish(_ name: String, plan id: String, in root: String, holdout: Bool = false) throws {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let version = try ScratchVersion(at: root + "/" + name)
        try version.editManifest { $0["model_version"] = name }
        var document = ExperimentPlanFixture.plan(tests: [ExperimentPlanFixture.test("85123A", currentPrice: 2.95),
                                                          ExperimentPlanFixture.test("22423", currentPrice: 12.75, arm: "low")])
        if holdout {
            document = ExperimentPlanFixture.withHoldout(document, members: [
                ExperimentPlanFixture.member("20725", price: 1.65, probability: 0.2),
                ExperimentPlanFixture.member("47566", price: 4.95, probability: 0.125, assignedWeek: ExperimentPlanFixture.weekStart)])
        }
        document["plan_id"] = id
        try version.addExperiments(document)
        try Data((name + "\n").utf8).write(to: URL(fileURLWithPath: root + "/LATEST"))
    }

    /// The hook on the reloader: every version installed has its plan recorded, the first load and a
    /// hot reload alike, and the reload does not wait for the ledger.
    func testEveryVersionInstalledHasItsPlanRecorded() async throws {
        let root = folder.appendingPathComponent("models").path
        func publish(_ name: String, plan id: String) throws { try self.publish(name, plan: id, in: root) }
        try publish("v1-plan", plan: "2026-W49-a1b2c3")
        let path = folder.appendingPathComponent("ledger.sqlite").path
        let recorder = PlanAssignmentRecorder(ledger: LedgerSlot(location: path), logger: LogLines().logger())
        let reloader = ModelReloader(source: LocalArtifactSource(path: root), slot: EngineSlot(), trust: TestSigning.trust,
                                     logger: LogLines().logger())
        await reloader.onInstall { engine in _ = recorder.record(engine.experiments, version: engine.version) }

        guard case .swapped = await reloader.reload() else { return XCTFail("v1-plan does not load") }
        let first = await recorder.idle()
        XCTAssertEqual(first, .recorded(planID: "2026-W49-a1b2c3", AssignmentReport(added: 2, document: .added)))
        try publish("v2-plan", plan: "2026-W50-d4e5f6")
        guard case .swapped = await reloader.reload() else { return XCTFail("v2-plan does not load") }
        let second = await recorder.idle()
        XCTAssertEqual(second, .recorded(planID: "2026-W50-d4e5f6", AssignmentReport(added: 2, document: .added)))
        XCTAssertEqual(try SQLiteLedger(path: path).assignments(plan: nil).map { "\($0.planID) \($0.stockCode) \($0.arm)" },
                       ["2026-W49-a1b2c3 22423 low", "2026-W49-a1b2c3 85123A high", "2026-W50-d4e5f6 22423 low", "2026-W50-d4e5f6 85123A high"])
    }

    /// `pricing-server serve` wires it: the plan of the version it serves is in its ledger (LEDGER_PATH),
    /// its running tests and its holdout.
    func testTheServerRecordsThePlanItServes() throws {
        let root = folder.appendingPathComponent("models").path
        try publish("v1-plan", plan: "2026-W49-a1b2c3", in: root, holdout: true)
        let path = folder.appendingPathComponent("served.sqlite").path
        let server = try ServerProcess(binary: ServerBinary.url(testBundle: Bundle(for: Self.self)), models: root,
                                       environment: ["LEDGER_PATH": path])
        defer { server.stop() }
        try server.waitUntilReady()
        let deadline = Date().addingTimeInterval(60)
        while !server.log.contains("plan assignments recorded"), Date() < deadline { usleep(50_000) }
        XCTAssertTrue(server.log.contains("plan assignments recorded"), server.log)
        XCTAssertEqual(try SQLiteLedger(path: path).assignments(plan: nil).map { "\($0.planID) \($0.stockCode) \($0.week) \($0.arm)" },
                       ["2026-W49-a1b2c3 20725 2026-11-30 holdout", "2026-W49-a1b2c3 22423 2026-11-30 low",
                        "2026-W49-a1b2c3 47566 2026-11-30 holdout", "2026-W49-a1b2c3 85123A 2026-11-30 high"])
        XCTAssertEqual(try SQLiteLedger(path: path).assignments(plan: nil).filter { $0.arm == "holdout" }.map(\.probability), [0.2, 0.125])
    }
}
