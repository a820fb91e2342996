import Foundation

/// Experiment plans in docs/experiments.md's format, as the learning loop writes them, for tests that
/// publish one inside a scratch copy of the committed version.
public enum ExperimentPlanFixture {
    /// The Monday the fixture's plan prices.
    public static let weekStart = "2026-11-30"

    /// A plan document with `tests` (see ``test(_:currentPrice:step:arm:status:)``).
    public static func plan(tests: [[String: Any]]) -> [String: Any] {
        [
            "plan_id": "fixture-2026-W49", "week_start": weekStart, "weeks_run": 3,
            "guardrails": ["max_share_under_test": 0.2, "max_step_pct": 10, "max_revenue_at_risk_pct": 1.0, "stop_loss_probability": 0.2],
            "holdout": ["products": 40, "lift": 0.021, "lift_p5": -0.008, "lift_p95": 0.047],
            "revenue_given_up": 12.5, "tests": tests,
        ]
    }

    /// `plan` with its holdout listing `members` (``member(_:price:probability:assignedWeek:)``), and
    /// `holdout.products` their count, as the loop writes it since holdouts are listed.
    public static func withHoldout(_ plan: [String: Any], members: [[String: Any]]) -> [String: Any] {
        var plan = plan
        var holdout = plan["holdout"] as! [String: Any]
        holdout["products"] = members.count
        holdout["members"] = members
        plan["holdout"] = holdout
        return plan
    }

    /// One held-out product: kept at `price` this week, drawn into the holdout with `probability` in
    /// the week of `assignedWeek`.
    public static func member(_ stockcode: String, price: Double, probability: Double = 0.2,
                              assignedWeek: String = "2026-11-16") -> [String: Any] {
        ["stockcode": stockcode, "price_this_week": price, "assignment_probability": probability, "assigned_week": assignedWeek]
    }

    /// One product's test with arms `current_price·(1 − step, 1, 1 + step)`; this week's price is the arm
    /// `arm` names (`committed`: 3% above the current price), and three weeks of history whose
    /// posterior sd narrows. `holdoutProbability`: its `holdout_probability` (nil: the key is absent, as
    /// in plans written before tests carried it).
    public static func test(_ stockcode: String, currentPrice p0: Double, step: Double = 0.05, arm: String = "high",
                            status: String = "testing", holdoutProbability: Double? = nil) -> [String: Any] {
        let arms = [p0 * (1 - step), p0, p0 * (1 + step)]
        let price = switch arm {
        case "low": arms[0]
        case "current": arms[1]
        case "high": arms[2]
        default: p0 * 1.03
        }
        let weeks = ["2026-11-09", "2026-11-16", "2026-11-23"]
        var test: [String: Any] = [
            "stockcode": stockcode, "status": status, "arms": arms, "current_price": p0, "price_this_week": price,
            "arm_this_week": arm, "assignment_probability": 1.0 / 3, "started_week": weeks[0], "weeks_run": 3,
            "elasticity_sd_start": 0.6, "elasticity_sd_now": 0.3, "probability_best_arm_gains": 0.7, "revenue_given_up": 1.25,
            "history": weeks.enumerated().map { i, week in
                ["week_start": week, "price": arms[i], "units": Double(20 - 3 * i), "elasticity_mean": -1.2 - 0.1 * Double(i),
                 "elasticity_sd": 0.6 - 0.1 * Double(i)] as [String: Any]
            },
        ]
        if let holdoutProbability { test["holdout_probability"] = holdoutProbability }
        return test
    }
}

extension ScratchVersion {
    /// Publishes `plan` in this version as `file`: written, listed in the manifest's files (size and
    /// sha256) and named by the manifest's `experiments` key, as the learning loop publishes it.
    public func addExperiments(_ plan: [String: Any], file: String = "experiments.json") throws {
        try replaceSigned(file, [UInt8](try JSONSerialization.data(withJSONObject: plan, options: [.sortedKeys])))
        try editManifest { $0["experiments"] = ["file": file] }
    }
}
