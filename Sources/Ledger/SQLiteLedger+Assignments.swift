/// Experiment assignments: written by the plan each week, read by the update and the reports.
extension SQLiteLedger {
    public func record(_ assignments: [Assignment], plan: PlanDocument?) throws(LedgerError) -> AssignmentReport {
        let (valid, refused) = assignments.validated()
        var report = AssignmentReport(refused: refused)
        let document = report.validated(plan)
        guard !valid.isEmpty || document != nil else { return report }
        return try withConnection { db throws(LedgerError) -> AssignmentReport in
            try db.transaction { () throws(LedgerError) -> AssignmentReport in
                if let document { report.document = try Self.record(document, db) }
                let insert = try db.prepare("""
                    INSERT INTO assignments (plan_id, stock_code, week, price, arm, probability, recorded_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                    """)
                let now = Self.now()
                for assignment in valid {
                    insert.reset()
                    insert.bind(1, assignment.planID)
                    insert.bind(2, assignment.stockCode)
                    insert.bind(3, assignment.week)
                    insert.bind(4, assignment.price)
                    insert.bind(5, assignment.arm)
                    insert.bind(6, assignment.probability)
                    insert.bind(7, now)
                    _ = try insert.step()
                    if db.changes == 1 {
                        report.added += 1
                    } else {
                        let recorded = try Self.assignments(db, plan: assignment.planID, stockCode: assignment.stockCode, week: assignment.week)
                        report.notInserted(assignment, recorded: recorded.first)
                    }
                }
                return report
            }
        }
    }

    /// Inserts `document` unless its plan id is recorded, and says what became of it.
    static func record(_ document: PlanDocument, _ db: SQLiteConnection) throws(LedgerError) -> PlanDocumentOutcome {
        let insert = try db.prepare("INSERT INTO plans (plan_id, week, document, recorded_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")
        insert.bind(1, document.planID)
        insert.bind(2, document.week)
        insert.bind(3, document.document)
        insert.bind(4, now())
        _ = try insert.step()
        let inserted = db.changes == 1
        return document.outcome(inserted: inserted, recorded: inserted ? nil : try plans(db, plan: document.planID).first)
    }

    public func plans(plan: String?) throws(LedgerError) -> [PlanDocument] {
        try withConnection { db throws(LedgerError) -> [PlanDocument] in try Self.plans(db, plan: plan) }
    }

    static func plans(_ db: SQLiteConnection, plan: String?) throws(LedgerError) -> [PlanDocument] {
        let query = try db.prepare("SELECT plan_id, week, document FROM plans WHERE ?1 IS NULL OR plan_id = ?1 ORDER BY week, plan_id")
        if let plan { query.bind(1, plan) } else { query.bindNull(1) }
        var found: [PlanDocument] = []
        while try query.step() { found.append(PlanDocument(planID: query.string(0), week: query.string(1), document: query.string(2))) }
        return found
    }

    public func assignments(plan: String?) throws(LedgerError) -> [Assignment] {
        try withConnection { db throws(LedgerError) -> [Assignment] in
            try Self.assignments(db, plan: plan, stockCode: nil, week: nil)
        }
    }

    static func assignments(_ db: SQLiteConnection, plan: String?, stockCode: String?, week: String?) throws(LedgerError) -> [Assignment] {
        let query = try db.prepare("""
            SELECT plan_id, stock_code, week, price, arm, probability FROM assignments
            WHERE (?1 IS NULL OR plan_id = ?1) AND (?2 IS NULL OR stock_code = ?2) AND (?3 IS NULL OR week = ?3)
            ORDER BY plan_id, week, stock_code
            """)
        for (index, value) in [plan, stockCode, week].enumerated() {
            if let value { query.bind(Int32(index + 1), value) } else { query.bindNull(Int32(index + 1)) }
        }
        var found: [Assignment] = []
        while try query.step() {
            found.append(Assignment(planID: query.string(0), stockCode: query.string(1), week: query.string(2), price: query.double(3),
                                    arm: query.string(4), probability: query.double(5)))
        }
        return found
    }
}
