/// Experiment assignments and weekly sales, as ``SQLiteLedger`` answers them (texts ordered bytewise,
/// as SQLite compares them).
extension PostgresLedger {
    /// Rows per `INSERT`: 7 parameters each, well inside the protocol's 65,535 per statement.
    static let assignmentRowsPerInsert = 1_000

    /// A few multi-row `INSERT … ON CONFLICT DO NOTHING RETURNING` (one round trip per thousand
    /// rows rather than one per row), in key order: a key another replica is adding waits for its
    /// commit and is then found recorded. The rows not returned are compared with what is recorded.
    public func record(_ assignments: [Assignment], plan: PlanDocument?) throws(LedgerError) -> AssignmentReport {
        let (valid, refused) = assignments.validated()
        var report = AssignmentReport(refused: refused)
        let document = report.validated(plan)
        guard !valid.isEmpty || document != nil else { return report }
        return try withConnection { db throws(LedgerError) -> AssignmentReport in
            try db.transaction { () throws(LedgerError) -> AssignmentReport in
                if let document {
                    // A replica adding the same plan id at once: this insert waits for its commit, then finds it.
                    let result = try db.query("""
                        INSERT INTO plans (plan_id, week, document, recorded_at) VALUES ($1, $2, $3, $4)
                        ON CONFLICT DO NOTHING RETURNING plan_id
                        """, [document.planID, document.week, document.document, SQLiteLedger.now()])
                    let inserted = result.rows == 1
                    report.document = document.outcome(inserted: inserted,
                                                       recorded: inserted ? nil : try Self.plans(db, plan: document.planID).first)
                }
                let now = SQLiteLedger.now()
                var inserted = Set<[String]>()
                for chunkStart in stride(from: 0, to: valid.count, by: Self.assignmentRowsPerInsert) {
                    let chunk = valid[chunkStart..<min(chunkStart + Self.assignmentRowsPerInsert, valid.count)]
                    let rows = (0..<chunk.count).map { k in "(" + (1...7).map { "$\(7 * k + $0)" }.joined(separator: ", ") + ")" }
                    let parameters: [String?] = chunk.flatMap { a -> [String?] in
                        [a.planID, a.stockCode, a.week, a.price.description, a.arm, a.probability.description, now]
                    }
                    let result = try db.query("""
                        INSERT INTO assignments (plan_id, stock_code, week, price, arm, probability, recorded_at)
                        VALUES \(rows.joined(separator: ", ")) ON CONFLICT DO NOTHING RETURNING plan_id, stock_code, week
                        """, parameters)
                    for row in 0..<result.rows { inserted.insert([result.string(row, 0), result.string(row, 1), result.string(row, 2)]) }
                }
                var recordedByPlan: [String: [[String]: Assignment]] = [:]
                for assignment in valid {
                    // A key returned once is this assignment's; the same key again in the batch is compared like any other.
                    if inserted.remove([assignment.planID, assignment.stockCode, assignment.week]) != nil {
                        report.added += 1
                        continue
                    }
                    if recordedByPlan[assignment.planID] == nil {
                        let recorded = try Self.assignments(db, plan: assignment.planID, stockCode: nil, week: nil)
                        recordedByPlan[assignment.planID] = Dictionary(recorded.map { ([$0.stockCode, $0.week], $0) }, uniquingKeysWith: { a, _ in a })
                    }
                    report.notInserted(assignment, recorded: recordedByPlan[assignment.planID]?[[assignment.stockCode, assignment.week]])
                }
                return report
            }
        }
    }

    public func plans(plan: String?) throws(LedgerError) -> [PlanDocument] {
        try withConnection { db throws(LedgerError) -> [PlanDocument] in try Self.plans(db, plan: plan) }
    }

    static func plans(_ db: PostgresConnection, plan: String?) throws(LedgerError) -> [PlanDocument] {
        let rows = try db.query("""
            SELECT plan_id, week, document FROM plans WHERE $1::text IS NULL OR plan_id = $1
            ORDER BY week COLLATE "C", plan_id COLLATE "C"
            """, [plan])
        return (0..<rows.rows).map { PlanDocument(planID: rows.string($0, 0), week: rows.string($0, 1), document: rows.string($0, 2)) }
    }

    public func assignments(plan: String?) throws(LedgerError) -> [Assignment] {
        try withConnection { db throws(LedgerError) -> [Assignment] in
            try Self.assignments(db, plan: plan, stockCode: nil, week: nil)
        }
    }

    static func assignments(_ db: PostgresConnection, plan: String?, stockCode: String?, week: String?) throws(LedgerError) -> [Assignment] {
        let rows = try db.query("""
            SELECT plan_id, stock_code, week, price, arm, probability FROM assignments
            WHERE ($1::text IS NULL OR plan_id = $1) AND ($2::text IS NULL OR stock_code = $2) AND ($3::text IS NULL OR week = $3)
            ORDER BY plan_id COLLATE "C", week COLLATE "C", stock_code COLLATE "C"
            """, [plan, stockCode, week])
        return (0..<rows.rows).map { row in
            Assignment(planID: rows.string(row, 0), stockCode: rows.string(row, 1), week: rows.string(row, 2), price: rows.double(row, 3),
                       arm: rows.string(row, 4), probability: rows.double(row, 5))
        }
    }

    public func weeklySales(from: String?) throws(LedgerError) -> [WeeklySales] {
        if let from, !Assignment.isMonday(from) {
            throw LedgerError.invalid("weekly sales from \"\(from)\": not the date of a Monday (YYYY-MM-DD)")
        }
        return try withConnection { db throws(LedgerError) -> [WeeklySales] in
            // A line's week is the Monday on or before its date: the date less its ISO weekday (Monday 1) less one.
            let rows = try db.query("""
                SELECT stock_code, to_char(day - (extract(isodow FROM day)::int - 1), 'YYYY-MM-DD') AS week,
                       sum(quantity)::bigint, sum(quantity * unit_price), count(*)
                FROM (SELECT stock_code, quantity, unit_price, left(invoice_date, 10)::date AS day FROM sales
                      WHERE $1::text IS NULL OR invoice_date COLLATE "C" >= $1) AS lines
                GROUP BY stock_code, week ORDER BY stock_code COLLATE "C", week
                """, [from])
            return (0..<rows.rows).map { row in
                WeeklySales(stockCode: rows.string(row, 0), week: rows.string(row, 1), units: Int(rows.int(row, 2)),
                            revenue: rows.double(row, 3), lines: Int(rows.int(row, 4)))
            }
        }
    }
}
