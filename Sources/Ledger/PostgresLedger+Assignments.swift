/// Experiment assignments and weekly sales, as ``SQLiteLedger`` answers them (texts ordered bytewise,
/// as SQLite compares them).
extension PostgresLedger {
    @discardableResult
    public func record(_ assignment: Assignment) throws(LedgerError) -> Bool {
        try assignment.validate()
        return try withConnection { db throws(LedgerError) -> Bool in
            try db.transaction { () throws(LedgerError) -> Bool in
                let insert = try db.query("""
                    INSERT INTO assignments (plan_id, stock_code, week, price, arm, probability, recorded_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING
                    """, [assignment.planID, assignment.stockCode, assignment.week, assignment.price.description, assignment.arm,
                          assignment.probability.description, SQLiteLedger.now()])
                if insert.changed == 1 { return true }
                let existing = try Self.assignments(db, plan: assignment.planID, stockCode: assignment.stockCode, week: assignment.week)
                try assignment.confirmSame(as: existing.first)
                return false
            }
        }
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
