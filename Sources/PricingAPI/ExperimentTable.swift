import Storage

/// The experiment plan as the API shows it: the JSON document of `GET /v1/experiments`, one test's
/// object, and the CSV export (one row per test, then one per held-out product). One definition of the
/// fields, so the JSON, the CSV and the OpenAPI document (`ExperimentPlan`, `ExperimentTest`,
/// `ExperimentHoldoutMember`) cannot drift apart.
public enum ExperimentTable {
    /// The CSV columns, in order.
    public static let csvColumns = [
        "stockcode", "description", "status", "arm_low", "arm_current", "arm_high", "price_this_week", "arm_this_week",
        "weeks_run", "elasticity_sd_start", "elasticity_sd_now", "probability_best_arm_gains", "revenue_given_up",
        "holdout_probability",
    ]

    /// The plan document: the plan's fields and its tests (each with its history when `history`).
    /// Without a plan: the same shape, empty (`tests: []`, nulls for what only a plan has).
    static func json(_ plan: ExperimentPlan?, history: Bool, description: (String) -> String?) -> [UInt8] {
        var w = JSONWriter(capacity: 512 + (plan?.tests.count ?? 0) * (history ? 2048 : 480))
        w.raw("{")
        w.key("plan_id"); optionalString(plan?.planId, &w); w.raw(",")
        w.key("week_start"); optionalString(plan?.weekStart, &w); w.raw(",")
        w.key("weeks_run"); w.number(plan?.weeksRun ?? 0); w.raw(",")
        w.key("guardrails")
        if let g = plan?.guardrails {
            w.raw("{"); w.key("max_share_under_test"); w.number(g.maxShareUnderTest); w.raw(",")
            w.key("max_step_pct"); w.number(g.maxStepPct); w.raw(",")
            w.key("max_revenue_at_risk_pct"); w.number(g.maxRevenueAtRiskPct); w.raw(",")
            w.key("stop_loss_probability"); w.number(g.stopLossProbability); w.raw("}")
        } else {
            w.raw("null")
        }
        w.raw(","); w.key("holdout")
        if let h = plan?.holdout {
            w.raw("{"); w.key("products"); w.number(h.products); w.raw(",")
            w.key("lift"); optionalNumber(h.lift, &w); w.raw(",")
            w.key("lift_p5"); optionalNumber(h.liftP5, &w); w.raw(",")
            w.key("lift_p95"); optionalNumber(h.liftP95, &w); w.raw(",")
            w.key("members"); w.raw("[")
            for (i, member) in h.members.enumerated() {
                if i > 0 { w.raw(",") }
                self.member(member, description: description(member.stockcode), into: &w)
            }
            w.raw("]}")
        } else {
            w.raw("null")
        }
        w.raw(","); w.key("revenue_given_up"); w.number(plan?.revenueGivenUp ?? 0); w.raw(",")
        w.key("tests"); w.raw("[")
        for (i, test) in (plan?.tests ?? []).enumerated() {
            if i > 0 { w.raw(",") }
            self.test(test, history: history, description: description(test.stockcode), into: &w)
        }
        w.raw("]}")
        return w.bytes
    }

    /// One test as a JSON object; `description` is the product's in the model version (nil: not in it).
    static func test(_ t: ExperimentPlan.Test, history: Bool, description: String?, into w: inout JSONWriter) {
        w.raw("{"); w.key("stockcode"); w.string(t.stockcode); w.raw(",")
        w.key("description"); optionalString(description, &w); w.raw(",")
        w.key("status"); w.string(t.status.rawValue); w.raw(",")
        w.key("arms"); w.raw("[")
        for (i, arm) in t.arms.enumerated() {
            if i > 0 { w.raw(",") }
            w.number(arm)
        }
        w.raw("],")
        w.key("current_price"); w.number(t.currentPrice); w.raw(",")
        w.key("price_this_week"); w.number(t.priceThisWeek); w.raw(",")
        w.key("arm_this_week"); w.string(t.armThisWeek.rawValue); w.raw(",")
        w.key("assignment_probability"); w.number(t.assignmentProbability); w.raw(",")
        // Only when the plan has it: a plan written before keeps its document text (the ledger's `plans`).
        if let pi = t.holdoutProbability { w.key("holdout_probability"); w.number(pi); w.raw(",") }
        w.key("started_week"); w.string(t.startedWeek); w.raw(",")
        w.key("weeks_run"); w.number(t.weeksRun); w.raw(",")
        w.key("elasticity_sd_start"); w.number(t.elasticitySdStart); w.raw(",")
        w.key("elasticity_sd_now"); w.number(t.elasticitySdNow); w.raw(",")
        w.key("probability_best_arm_gains"); w.number(t.probabilityBestArmGains); w.raw(",")
        w.key("revenue_given_up"); w.number(t.revenueGivenUp)
        if history {
            w.raw(","); w.key("history"); w.raw("[")
            for (i, week) in t.history.enumerated() {
                if i > 0 { w.raw(",") }
                w.raw("{"); w.key("week_start"); w.string(week.weekStart); w.raw(",")
                w.key("price"); w.number(week.price); w.raw(",")
                w.key("units"); w.number(week.units); w.raw(",")
                w.key("elasticity_mean"); w.number(week.elasticityMean); w.raw(",")
                w.key("elasticity_sd"); w.number(week.elasticitySd); w.raw("}")
            }
            w.raw("]")
        }
        w.raw("}")
    }

    /// One held-out product as a JSON object; `description` as for a test.
    static func member(_ m: ExperimentPlan.HoldoutMember, description: String?, into w: inout JSONWriter) {
        w.raw("{"); w.key("stockcode"); w.string(m.stockcode); w.raw(",")
        w.key("description"); optionalString(description, &w); w.raw(",")
        w.key("price_this_week"); w.number(m.priceThisWeek); w.raw(",")
        w.key("assignment_probability"); w.number(m.assignmentProbability); w.raw(",")
        w.key("assigned_week"); w.string(m.assignedWeek); w.raw("}")
    }

    /// The tests as CSV: the header line, one row per test, then one per held-out product (status and
    /// arm `holdout`, its price this week; the columns only a test has are empty). `holdout_probability`
    /// is π on both: a test's chance of having been held out instead (empty when the plan does not say),
    /// a held-out product's `assignment_probability`. Text through
    /// ``CSVField`` (formula cells neutralised), numbers as in the JSON, CRLF line ends (RFC 4180).
    static func csv(_ plan: ExperimentPlan?, description: (String) -> String?) -> [UInt8] {
        var w = JSONWriter(capacity: 160 + (plan?.tests.count ?? 0) * 160 + (plan?.holdout.members.count ?? 0) * 80)
        w.bytes += csvColumns.joined(separator: ",").utf8
        w.bytes += [13, 10]
        for t in plan?.tests ?? [] {
            CSVField.append(t.stockcode, to: &w.bytes); w.raw(",")
            CSVField.append(description(t.stockcode) ?? "", to: &w.bytes); w.raw(",")
            w.bytes += t.status.rawValue.utf8; w.raw(",")
            for arm in t.arms { w.number(arm); w.raw(",") }
            w.number(t.priceThisWeek); w.raw(",")
            w.bytes += t.armThisWeek.rawValue.utf8; w.raw(",")
            w.number(t.weeksRun); w.raw(",")
            w.number(t.elasticitySdStart); w.raw(",")
            w.number(t.elasticitySdNow); w.raw(",")
            w.number(t.probabilityBestArmGains); w.raw(",")
            w.number(t.revenueGivenUp); w.raw(",")
            if let pi = t.holdoutProbability { w.number(pi) }
            w.bytes += [13, 10]
        }
        for m in plan?.holdout.members ?? [] {
            CSVField.append(m.stockcode, to: &w.bytes); w.raw(",")
            CSVField.append(description(m.stockcode) ?? "", to: &w.bytes); w.raw(",")
            w.bytes += PlanAssignmentRecorder.holdoutArm.utf8; w.raw(",,,,")
            w.number(m.priceThisWeek); w.raw(",")
            w.bytes += PlanAssignmentRecorder.holdoutArm.utf8
            w.raw(",,,,,,")
            w.number(m.assignmentProbability)
            w.bytes += [13, 10]
        }
        return w.bytes
    }

    private static func optionalString(_ value: String?, _ w: inout JSONWriter) {
        if let value { w.string(value) } else { w.raw("null") }
    }

    private static func optionalNumber(_ value: Double?, _ w: inout JSONWriter) {
        if let value { w.number(value) } else { w.raw("null") }
    }
}
