import CSQLite
import Foundation
import Ledger
import PricingAPI
import Storage
import TestSupport
import XCTest

/// Each published plan's document in a real SQLite ledger file (table `plans`, docs/ledger.md): recorded with
/// the plan's assignments in one transaction, once per plan id (again: already present), another document
/// under a recorded id refused and the recorded one kept, and a file of schema version 1 migrated in place.
final class PlanDocumentTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = try SalesFile.temporaryFolder()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func testADocumentIsRecordedOnceWithItsAssignmentsAndAnotherUnderItsIdIsRefused() throws {
        let ledger = try SQLiteLedger(path: folder.appendingPathComponent("ledger.sqlite").path)
        let plan = PlanDocuments.document()
        XCTAssertEqual(try ledger.record([PlanDocuments.assignment()], plan: plan), AssignmentReport(added: 1, document: .added))
        XCTAssertEqual(try ledger.record([PlanDocuments.assignment()], plan: plan), AssignmentReport(alreadyPresent: 1, document: .present))
        XCTAssertEqual(try ledger.plans(plan: nil), [plan])

        let edited = PlanDocuments.document(tests: "22423")
        let report = try ledger.record([PlanDocuments.assignment()], plan: edited)
        guard case .refused(.conflict(let why)) = report.document else { return XCTFail("\(report.document)") }
        XCTAssertTrue(why.contains("2026-W49-a1b2c3"), why)
        XCTAssertEqual(report.alreadyPresent, 1, "the assignments are recorded whatever became of the document")
        XCTAssertEqual(try ledger.plans(plan: plan.planID), [plan], "the recorded document stands")

        // A document alone (a plan whose tests are all committed or stopped assigns nothing), and one the ledger cannot take.
        let alone = PlanDocuments.document("2026-W49-d4e5f6")
        XCTAssertEqual(try ledger.record([], plan: alone), AssignmentReport(document: .added))
        let tuesday = PlanDocument(planID: "2026-W49-bad", week: "2026-12-01", document: "{}")
        guard case .refused(.invalid) = try ledger.record([], plan: tuesday).document else { return XCTFail("a Tuesday's plan is refused") }
        XCTAssertEqual(try ledger.plans(plan: nil).map(\.planID), ["2026-W49-a1b2c3", "2026-W49-d4e5f6"])
        XCTAssertEqual(try ledger.record([PlanDocuments.assignment()]), AssignmentReport(alreadyPresent: 1), "no document given")
    }

    func testAFileOfSchemaVersionOneGainsThePlansTableAndKeepsItsRows() throws {
        let path = folder.appendingPathComponent("v1.sqlite").path
        var db: OpaquePointer?
        XCTAssertEqual(sqlite3_open(path, &db), SQLITE_OK)
        for statement in PlanDocuments.versionOneSchema(text: "TEXT", real: "REAL") {
            XCTAssertEqual(sqlite3_exec(db, statement, nil, nil, nil), SQLITE_OK, statement)
        }
        sqlite3_close(db)

        let ledger = try SQLiteLedger(path: path)
        XCTAssertEqual(try ledger.assignments(plan: nil).map(\.planID), ["2026-W48-old"], "the version-1 rows are kept")
        XCTAssertEqual(try ledger.plans(plan: nil), [])
        XCTAssertEqual(try ledger.record([PlanDocuments.assignment()], plan: PlanDocuments.document()).document, .added)
        XCTAssertEqual(try SQLiteLedger(path: path).plans(plan: nil), [PlanDocuments.document()], "opened again: migrated once")
        let version = try CommandResult.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), [path, "SELECT version FROM schema_version"])
        XCTAssertEqual(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "2")
    }

    /// A test's `holdout_probability` (π of having been held out instead: what the weekly update follows, to
    /// weight the holdout lift as served) goes into the recorded document, to the last bit; the assignments
    /// keep the arm's probability. A plan without it (written before tests carried it) records the same text
    /// as before: no key.
    func testTheRecordedDocumentCarriesATestsHoldoutProbabilityWhenThePlanGivesIt() async throws {
        let pi = 0.1234567890123
        var document = ExperimentPlanFixture.withHoldout(ExperimentPlanFixture.plan(tests: [
            ExperimentPlanFixture.test("85123A", currentPrice: 2.95, arm: "high", holdoutProbability: pi),
            ExperimentPlanFixture.test("22423", currentPrice: 12.75, arm: "low"),
        ]), members: [ExperimentPlanFixture.member("20725", price: 1.65, probability: 0.3)])
        document["plan_id"] = "2026-W49-pi0001"
        let plan = try JSONDecoder().decode(ExperimentPlan.self, from: JSONSerialization.data(withJSONObject: document))
        let path = folder.appendingPathComponent("ledger.sqlite").path
        let recorder = PlanAssignmentRecorder(ledger: LedgerSlot(location: path), logger: LogLines().logger())
        let outcome = await recorder.record(plan, version: "v1").value
        XCTAssertEqual(outcome, .recorded(planID: "2026-W49-pi0001", AssignmentReport(added: 3, document: .added)))
        let ledger = try SQLiteLedger(path: path)
        let recorded = try XCTUnwrap(try ledger.plans(plan: nil).first)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(recorded.document.utf8)) as? [String: Any])
        let tests = try XCTUnwrap(json["tests"] as? [[String: Any]])
        XCTAssertEqual(tests[0]["holdout_probability"] as? Double, pi)
        XCTAssertNil(tests[1]["holdout_probability"], "not in the plan: not in the document")
        let reread = try ExperimentPlan.decode(Array(recorded.document.utf8), file: "plans.document")
        XCTAssertEqual(reread.tests.map(\.holdoutProbability), [pi, nil])
        XCTAssertEqual(try ledger.assignments(plan: nil).filter { $0.stockCode == "85123A" }.map(\.probability), [1.0 / 3],
                       "the assignment keeps the arm's probability")
        let old = try PlanAssignments.planWithHoldout()
        XCTAssertFalse(PlanAssignmentRecorder.document(of: old).document.contains("holdout_probability"))
    }

    /// The recorder writes the plan's canonical document with its assignments; the same plan loaded again (a
    /// restart) finds it present, an edited plan under the same id is logged and refused.
    func testTheRecorderWritesThePlansCanonicalDocument() async throws {
        let path = folder.appendingPathComponent("ledger.sqlite").path
        let plan = try PlanAssignments.planWithHoldout()
        let lines = LogLines()
        let recorder = PlanAssignmentRecorder(ledger: LedgerSlot(location: path), logger: lines.logger())
        let first = await recorder.record(plan, version: "v1").value
        XCTAssertEqual(first, .recorded(planID: "2026-W49-a1b2c3", AssignmentReport(added: 4, document: .added)))
        let recorded = try SQLiteLedger(path: path).plans(plan: nil)
        XCTAssertEqual(recorded, [PlanAssignmentRecorder.document(of: plan)])
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(recorded[0].document.utf8)) as? [String: Any])
        XCTAssertEqual(json["plan_id"] as? String, "2026-W49-a1b2c3")
        XCTAssertEqual(json["week_start"] as? String, PlanAssignments.expected()[0].week)
        let tests = try XCTUnwrap(json["tests"] as? [[String: Any]])
        XCTAssertEqual(tests.map { $0["status"] as? String }, ["testing", "testing", "committed"])
        XCTAssertNotNil(tests[0]["history"], "the tests' histories are kept: the weekly update continues from them")
        let members = try XCTUnwrap((json["holdout"] as? [String: Any])?["members"] as? [[String: Any]])
        XCTAssertEqual(members.map { $0["assignment_probability"] as? Double }, [0.2, 0.125])

        let again = await recorder.record(try PlanAssignments.planWithHoldout(), version: "v1").value
        XCTAssertEqual(again, .recorded(planID: "2026-W49-a1b2c3", AssignmentReport(alreadyPresent: 4, document: .present)))
        let outcome = await recorder.record(try PlanAssignments.planWithHoldout(holdoutPrice: 1.5), version: "v1-edited").value
        guard case .recorded(_, let edited) = outcome,
              case .refused(.conflict) = edited.document else { return XCTFail("an edited plan under the same id is refused") }
        XCTAssertEqual(lines.count(containing: "plan document refused by the ledger"), 1, lines.all.joined(separator: "\n"))
        XCTAssertEqual(try SQLiteLedger(path: path).plans(plan: nil), recorded, "the recorded document stands")
    }
}
