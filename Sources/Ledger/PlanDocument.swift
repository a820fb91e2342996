/// One published experiment plan as the service served it: its id, its week (the date of its Monday) and
/// the document itself (docs/experiments.md), kept in the ledger's `plans` table next to the plan's
/// assignments, so the weekly update can continue the test programme that was served rather than one it
/// recomputes (docs/weekly-update.md). Recorded once per plan id; a plan never changes a recorded document.
public struct PlanDocument: Sendable, Equatable {
    public let planID: String
    /// The plan's `week_start`: `YYYY-MM-DD`, a Monday.
    public let week: String
    /// The plan as JSON text (the service writes its canonical form: every field of the plan, its tests'
    /// histories and holdout members included, in a fixed order, so the same plan always gives the same text).
    public let document: String

    public init(planID: String, week: String, document: String) {
        self.planID = planID
        self.week = week
        self.document = document
    }

    /// Refuses a document the ledger could not use.
    func validate() throws(LedgerError) {
        guard !planID.isEmpty, !document.isEmpty else { throw LedgerError.invalid("a plan document needs a plan id and a text") }
        guard Assignment.isMonday(week) else {
            throw LedgerError.invalid("plan \(planID): week \"\(week)\" is not the date of a Monday (YYYY-MM-DD)")
        }
    }

    /// What recording `self` came to: added when the insert took it, else present when `recorded` (the
    /// document under its plan id) is this very one, else a conflict naming the plan.
    func outcome(inserted: Bool, recorded: PlanDocument?) -> PlanDocumentOutcome {
        if inserted { return .added }
        if recorded == self { return .present }
        return .refused(.conflict("plan \(planID) is already recorded with another document"
                                  + (recorded.map { " (week \($0.week), \($0.document.utf8.count) bytes)" } ?? "")))
    }
}

/// What became of the plan document given with a batch of assignments (``SalesLedger/record(_:plan:)``).
public enum PlanDocumentOutcome: Sendable, Equatable {
    /// No document was given.
    case notGiven
    /// New to the ledger, now recorded.
    case added
    /// Recorded before exactly as given: left as it was.
    case present
    /// Not written: another document is recorded under its plan id (``LedgerError/conflict(_:)``), or
    /// the ledger cannot take it (``LedgerError/invalid(_:)``).
    case refused(LedgerError)
}
