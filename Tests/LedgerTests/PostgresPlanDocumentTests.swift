import Foundation
import Ledger
import PricingAPI
import TestSupport
import XCTest

/// Plan documents in a PostgreSQL ledger on a real server: replicas recording one plan at once keep one
/// document, another document under a recorded id is refused, and a database of schema version 1 gains the
/// `plans` table when a binary of version 2 first uses it.
final class PostgresPlanDocumentTests: PostgresTestCase {
    func testReplicasRecordADocumentOnceAndAnotherUnderItsIdIsRefused() async throws {
        let (_, url) = try freshDatabase("plans")
        let plan = try PlanAssignments.planWithHoldout()
        let replicas = (0..<3).map { _ in PlanAssignmentRecorder(ledger: LedgerSlot(location: url), logger: LogLines().logger()) }
        var outcomes: [PlanDocumentOutcome] = []
        for task in replicas.map({ $0.record(plan, version: "v1") }) {
            guard case .recorded(_, let report) = await task.value else { return XCTFail("a replica failed to record") }
            outcomes.append(report.document)
        }
        XCTAssertEqual(outcomes.filter { $0 == .added }.count, 1, "\(outcomes)")
        XCTAssertEqual(outcomes.filter { $0 == .present }.count, 2, "\(outcomes)")
        let ledger = try PostgresLedger(url: url)
        XCTAssertEqual(try ledger.plans(plan: nil), [PlanAssignmentRecorder.document(of: plan)])

        let edited = PlanAssignmentRecorder.document(of: try PlanAssignments.planWithHoldout(holdoutPrice: 1.5))
        guard case .refused(.conflict) = try ledger.record([], plan: edited).document else { return XCTFail("another document is refused") }
        XCTAssertEqual(try ledger.plans(plan: nil), [PlanAssignmentRecorder.document(of: plan)], "the recorded document stands")
        XCTAssertEqual(try ledger.record([PlanDocuments.assignment("2026-W49-d4e5f6")], plan: PlanDocuments.document("2026-W49-d4e5f6")),
                       AssignmentReport(added: 1, document: .added))
        XCTAssertEqual(try ledger.plans(plan: "2026-W49-d4e5f6"), [PlanDocuments.document("2026-W49-d4e5f6")])
    }

    func testADatabaseOfSchemaVersionOneGainsThePlansTable() throws {
        let (server, url) = try freshDatabase("plans_v1")
        let database = String(url.split(separator: "/").last!)
        for statement in PlanDocuments.versionOneSchema(text: "text", real: "double precision") {
            try server.sql(statement, database: database)
        }
        let ledger = try PostgresLedger(url: url)
        XCTAssertEqual(try ledger.assignments(plan: nil).map(\.planID), ["2026-W48-old"], "the version-1 rows are kept")
        XCTAssertEqual(try ledger.record([PlanDocuments.assignment()], plan: PlanDocuments.document()).document, .added)
        XCTAssertEqual(try ledger.plans(plan: nil), [PlanDocuments.document()])
        XCTAssertEqual(try server.sql("SELECT version FROM schema_version", database: database), "2")
    }
}
