public import Ledger
public import Logging
import Metrics
public import Storage
import Synchronization

/// Writes the assignments of each experiment plan the service loads into its ledger (docs/ledger.md,
/// "Assignments"): for every test the plan runs this week (status `testing`), the product, the week
/// (the plan's Monday), the price posted, the arm and the probability it was drawn with, under the
/// plan's id; and for every product in the randomized holdout (`holdout.members`), arm `holdout`, the
/// current price it is kept at and the probability it was held out with. Committed and stopped tests
/// post no price of the plan (a repricing run leaves them to its rules), so they assign nothing. With
/// them, in the same transaction, goes the plan's document (``document(of:)``, table `plans`, once per
/// plan id; another document under a recorded id is logged and refused): the programme the weekly update
/// continues from (docs/weekly-update.md). A plan listing no test and no held-out product records nothing.
///
/// ``record(_:version:)`` is called as each version is installed (the first load and every hot reload,
/// ``ModelReloader/onInstall(_:)``) and returns at once: the writing runs on a thread of its own, one
/// plan after another, so the reload path never waits for the database. Recording is idempotent (the
/// ledger's key is plan, product and week): the same plan loaded again, by another replica or after a
/// restart, changes nothing. An assignment that contradicts the one recorded (another price or arm
/// under the same plan id) is logged and counted, never written over. When the ledger cannot be
/// written (a PostgreSQL server down, a folder that is not writable) the failure is logged and counted
/// and the recording is tried again after each of `retryDelays` (the last one repeating) until it
/// succeeds or a newer version replaces the plan; serving never depends on it.
///
/// Metrics: `pricing_plan_recordings_total{result}` (recorded, failed) and
/// `pricing_plan_assignments_total{result}` (added, present, refused).
public final class PlanAssignmentRecorder: Sendable {
    /// What recording one loaded version's plan came to.
    public enum Outcome: Sendable, Equatable {
        /// The version has no plan, or its plan runs no test and holds no product out this week.
        case nothingToRecord
        /// Written (or found already written); the report counts the rows and lists the refused ones.
        case recorded(planID: String, AssignmentReport)
        /// The ledger could not be written and no retry is left (only with an empty `retryDelays`).
        case failed(planID: String, LedgerError)
        /// A newer version was installed before this plan could be written; its retries stopped.
        case superseded(planID: String)
    }

    /// Refused assignments logged one by one; the rest are counted in one line.
    static let refusalsLogged = 10

    private let ledger: LedgerSlot
    private let logger: Logger
    private let retryDelays: [Duration]
    /// The recording of the newest version installed: running, waiting to retry, or done.
    private let newest = Mutex<Task<Outcome, Never>?>(nil)

    /// Records into `ledger` (opened when first needed, as for `POST /v1/sales`). After a failure the
    /// next attempt waits `retryDelays[n]` (the last one repeating); with none, a failure is final.
    public init(ledger: LedgerSlot, logger: Logger, retryDelays: [Duration] = [.seconds(5), .seconds(30), .seconds(300)]) {
        self.ledger = ledger
        self.logger = logger
        self.retryDelays = retryDelays
    }

    /// The arm a held-out product's assignment carries (Assignment's documented `holdout`).
    public static let holdoutArm = "holdout"

    /// The assignments `plan` makes: one per test running this week, then one per held-out product
    /// (none for a plan written before `holdout.members`).
    public static func assignments(of plan: ExperimentPlan) -> [Assignment] {
        let tests = plan.tests.filter { $0.status == .testing }.map { test in
            Assignment(planID: plan.planId, stockCode: test.stockcode, week: plan.weekStart, price: test.priceThisWeek,
                       arm: test.armThisWeek.rawValue, probability: test.assignmentProbability)
        }
        let holdout = plan.holdout.members.map { member in
            Assignment(planID: plan.planId, stockCode: member.stockcode, week: plan.weekStart, price: member.priceThisWeek,
                       arm: holdoutArm, probability: member.assignmentProbability)
        }
        return tests + holdout
    }

    /// The plan's document as the ledger keeps it (table `plans`): the plan in its canonical JSON, the one
    /// `GET /v1/experiments?history=true` answers without the product descriptions (every field the loop
    /// wrote, tests with their histories, holdout members; numbers in their shortest exact form), so the
    /// same plan gives the same text in every version, replica and restart that loads it.
    public static func document(of plan: ExperimentPlan) -> PlanDocument {
        PlanDocument(planID: plan.planId, week: plan.weekStart,
                     document: String(decoding: ExperimentTable.json(plan, history: true, description: { _ in nil }), as: UTF8.self))
    }

    /// Starts recording the plan of the version just installed (`plan` nil: it has none) and returns
    /// at once. The recording waits for the previous version's, whose retries it stops: a plan that
    /// is no longer served is not written after the one that replaced it.
    @discardableResult
    public func record(_ plan: ExperimentPlan?, version: String) -> Task<Outcome, Never> {
        newest.withLock { newest in
            let previous = newest
            previous?.cancel()
            let task = Task { [self] in
                _ = await previous?.value
                return await self.run(plan, version: version)
            }
            newest = task
            return task
        }
    }

    /// Returns when the newest version's recording has ended (recorded, failed or superseded).
    public func idle() async -> Outcome? {
        await newest.withLock { $0 }?.value
    }

    private func run(_ plan: ExperimentPlan?, version: String) async -> Outcome {
        guard let plan, !plan.tests.isEmpty || !plan.holdout.members.isEmpty else { return .nothingToRecord }
        let assignments = Self.assignments(of: plan)
        let document = Self.document(of: plan)
        let ledger = self.ledger
        var attempt = 0
        while true {
            // SQLite and libpq block (fsync, the network): on a thread of their own, never the cooperative pool.
            let result = await ModelReloader.offPool { () -> Result<AssignmentReport, LedgerError> in
                do throws(LedgerError) {
                    return .success(try ledger.ledger().record(assignments, plan: document))
                } catch {
                    return .failure(error)
                }
            }
            switch result {
            case .success(let report):
                logRecorded(report, plan: plan, version: version)
                return .recorded(planID: plan.planId, report)
            case .failure(let error):
                Counter(label: "pricing_plan_recordings_total", dimensions: [("result", "failed")]).increment()
                guard !retryDelays.isEmpty else {
                    logger.error("cannot record the plan's assignments in the ledger", metadata: metadata(plan, version, [
                        "error": "\(error)"]))
                    return .failed(planID: plan.planId, error)
                }
                let delay = retryDelays[min(attempt, retryDelays.count - 1)]
                attempt += 1
                logger.error("cannot record the plan's assignments in the ledger; trying again", metadata: metadata(plan, version, [
                    "error": "\(error)", "retry_in_seconds": "\(delay.components.seconds)"]))
                try? await Task.sleep(for: delay)
                if Task.isCancelled {
                    logger.warning("a newer version replaced the plan before its assignments could be recorded",
                                   metadata: metadata(plan, version, [:]))
                    return .superseded(planID: plan.planId)
                }
            }
        }
    }

    private func logRecorded(_ report: AssignmentReport, plan: ExperimentPlan, version: String) {
        Counter(label: "pricing_plan_recordings_total", dimensions: [("result", "recorded")]).increment()
        for (result, count) in [("added", report.added), ("present", report.alreadyPresent), ("refused", report.refused.count)] where count > 0 {
            Counter(label: "pricing_plan_assignments_total", dimensions: [("result", result)]).increment(by: count)
        }
        logger.info("plan assignments recorded", metadata: metadata(plan, version, [
            "added": "\(report.added)", "already_present": "\(report.alreadyPresent)", "refused": "\(report.refused.count)",
            "document": "\(Self.describe(report.document))"]))
        if case .refused(let reason) = report.document {
            logger.error("plan document refused by the ledger; the recorded one stands", metadata: metadata(plan, version, [
                "reason": "\(reason)"]))
        }
        for refusal in report.refused.prefix(Self.refusalsLogged) {
            logger.error("plan assignment refused by the ledger; the recorded one stands", metadata: metadata(plan, version, [
                "stockcode": "\(refusal.assignment.stockCode)", "reason": "\(refusal.reason)"]))
        }
        if report.refused.count > Self.refusalsLogged {
            logger.error("more plan assignments refused by the ledger", metadata: metadata(plan, version, [
                "not_listed": "\(report.refused.count - Self.refusalsLogged)"]))
        }
    }

    static func describe(_ outcome: PlanDocumentOutcome) -> String {
        switch outcome {
        case .notGiven: "none"
        case .added: "added"
        case .present: "present"
        case .refused: "refused"
        }
    }

    private func metadata(_ plan: ExperimentPlan, _ version: String, _ more: Logger.Metadata) -> Logger.Metadata {
        more.merging(["plan_id": "\(plan.planId)", "week": "\(plan.weekStart)", "model_version": "\(version)",
                      "ledger": "\(ledger.path)"]) { a, _ in a }
    }
}
