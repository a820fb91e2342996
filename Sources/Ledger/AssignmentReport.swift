/// What recording a batch of assignments did (`SalesLedger.record(_ assignments:)`): how many were added,
/// how many were already recorded as they are, and the ones the ledger did not write, each with why.
public struct AssignmentReport: Sendable, Equatable {
    /// An assignment left out of the ledger: it contradicts the one recorded for its plan, product and
    /// week (``LedgerError/conflict(_:)``), or the ledger cannot take it (``LedgerError/invalid(_:)``).
    public struct Refusal: Sendable, Equatable, CustomStringConvertible {
        public let assignment: Assignment
        public let reason: LedgerError

        public init(assignment: Assignment, reason: LedgerError) {
            self.assignment = assignment
            self.reason = reason
        }

        public var description: String { reason.description }
    }

    /// Assignments new to the ledger, now recorded.
    public var added = 0
    /// Assignments recorded before exactly as given (the same plan loaded again, by another replica,
    /// after a restart): left as they were.
    public var alreadyPresent = 0
    /// The assignments not written: the invalid ones in the order given, then the conflicts in key order.
    public var refused: [Refusal] = []
    /// What became of the plan's document, when one was given (``SalesLedger/record(_:plan:)``).
    public var document: PlanDocumentOutcome = .notGiven

    public init(added: Int = 0, alreadyPresent: Int = 0, refused: [Refusal] = [], document: PlanDocumentOutcome = .notGiven) {
        self.added = added
        self.alreadyPresent = alreadyPresent
        self.refused = refused
        self.document = document
    }
}

extension Array where Element == Assignment {
    /// In key order (plan, product, week; bytewise), the order every writer takes the keys in, so two
    /// replicas recording the same plan at once wait for each other rather than deadlock.
    func inKeyOrder() -> [Assignment] {
        sorted { (a: Assignment, b: Assignment) -> Bool in
            if a.planID != b.planID { return a.planID.utf8.lexicographicallyPrecedes(b.planID.utf8) }
            if a.stockCode != b.stockCode { return a.stockCode.utf8.lexicographicallyPrecedes(b.stockCode.utf8) }
            return a.week.utf8.lexicographicallyPrecedes(b.week.utf8)
        }
    }

    /// Splits a batch into the assignments the ledger can take (in key order) and the refusals of the
    /// others (``Assignment/validate()``).
    func validated() -> (valid: [Assignment], refused: [AssignmentReport.Refusal]) {
        var valid: [Assignment] = []
        var refused: [AssignmentReport.Refusal] = []
        for assignment in self {
            do throws(LedgerError) {
                try assignment.validate()
                valid.append(assignment)
            } catch {
                refused.append(AssignmentReport.Refusal(assignment: assignment, reason: error))
            }
        }
        return (valid.inKeyOrder(), refused)
    }
}

extension AssignmentReport {
    /// Accounts for `assignment`, which was not inserted because its key is taken: already present
    /// when `recorded` is the same assignment, else a conflict naming what is recorded.
    mutating func notInserted(_ assignment: Assignment, recorded: Assignment?) {
        do throws(LedgerError) {
            try assignment.confirmSame(as: recorded)
            alreadyPresent += 1
        } catch {
            refused.append(Refusal(assignment: assignment, reason: error))
        }
    }

    /// `plan` when the ledger can take it; else nil, its refusal noted in ``document`` (nil when none was given).
    mutating func validated(_ plan: PlanDocument?) -> PlanDocument? {
        guard let plan else { return nil }
        do throws(LedgerError) {
            try plan.validate()
            return plan
        } catch {
            document = .refused(error)
            return nil
        }
    }

    /// The single assignment of a one-element batch: true when added, false when already present;
    /// throws its refusal.
    func single() throws(LedgerError) -> Bool {
        if let refusal = refused.first { throw refusal.reason }
        return added == 1
    }
}
