import Foundation
import Ledger
import Logging
import Storage
import Synchronization
import TestSupport

/// Plans and log capture shared by the assignment-recording tests.
enum PlanAssignments {
    /// A plan (ExperimentPlanFixture's, week of 2026-11-30) with two tests running, one committed and
    /// one stopped, under `id`; `arm` is the first test's arm this week.
    static func plan(_ id: String = "2026-W49-a1b2c3", arm: String = "high") throws -> ExperimentPlan {
        var document = ExperimentPlanFixture.plan(tests: [
            ExperimentPlanFixture.test("85123A", currentPrice: 2.95, arm: arm),
            ExperimentPlanFixture.test("22423", currentPrice: 12.75, arm: "low"),
            ExperimentPlanFixture.test("84879", currentPrice: 1.69, arm: "committed", status: "committed"),
            ExperimentPlanFixture.test("21212", currentPrice: 0.55, arm: "current", status: "stopped"),
        ])
        document["plan_id"] = id
        return try JSONDecoder().decode(ExperimentPlan.self, from: JSONSerialization.data(withJSONObject: document))
    }

    /// `plan(id)` that also holds out 47566 (π 0.125) and 20725 (π 0.2, `holdoutPrice`) at their current prices.
    static func planWithHoldout(_ id: String = "2026-W49-a1b2c3", holdoutPrice: Double = 1.65) throws -> ExperimentPlan {
        var document = ExperimentPlanFixture.withHoldout(ExperimentPlanFixture.plan(tests: [
            ExperimentPlanFixture.test("85123A", currentPrice: 2.95, arm: "high"),
            ExperimentPlanFixture.test("22423", currentPrice: 12.75, arm: "low"),
            ExperimentPlanFixture.test("84879", currentPrice: 1.69, arm: "committed", status: "committed"),
        ]), members: [ExperimentPlanFixture.member("20725", price: holdoutPrice, probability: 0.2, assignedWeek: "2026-11-16"),
                      ExperimentPlanFixture.member("47566", price: 4.95, probability: 0.125, assignedWeek: ExperimentPlanFixture.weekStart)])
        document["plan_id"] = id
        return try JSONDecoder().decode(ExperimentPlan.self, from: JSONSerialization.data(withJSONObject: document))
    }

    /// What `planWithHoldout()` assigns, as the ledger returns them: the two running tests and the two
    /// held-out products (arm holdout, their prices, the probability each was held out with).
    static func expectedWithHoldout(_ id: String = "2026-W49-a1b2c3") -> [Assignment] {
        let week = ExperimentPlanFixture.weekStart
        let tests = expected(id)
        return [Assignment(planID: id, stockCode: "20725", week: week, price: 1.65, arm: "holdout", probability: 0.2), tests[0],
                Assignment(planID: id, stockCode: "47566", week: week, price: 4.95, arm: "holdout", probability: 0.125), tests[1]]
    }

    /// What `plan()` assigns: its two running tests, as the ledger returns them (by plan, week, product).
    static func expected(_ id: String = "2026-W49-a1b2c3") -> [Assignment] {
        [Assignment(planID: id, stockCode: "22423", week: ExperimentPlanFixture.weekStart, price: 12.75 * 0.95, arm: "low", probability: 1.0 / 3),
         Assignment(planID: id, stockCode: "85123A", week: ExperimentPlanFixture.weekStart, price: 2.95 * 1.05, arm: "high", probability: 1.0 / 3)]
    }
}

/// Log lines kept for a test to read.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])

    var all: [String] { lines.withLock { $0 } }

    func count(containing text: String) -> Int { all.filter { $0.contains(text) }.count }

    func logger() -> Logger {
        Logger(label: "assignments-test") { _ in
            CapturingLogHandler { [self] event in
                let fields = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                lines.withLock { $0.append("\(event.level) \(event.message) \(fields)") }
            }
        }
    }
}
