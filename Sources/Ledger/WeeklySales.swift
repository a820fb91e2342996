/// One product's sales in one week, summed from the ledger's invoice lines: what the weekly update
/// compares with the price the product had that week.
public struct WeeklySales: Sendable, Equatable {
    public let stockCode: String
    /// The date of the week's Monday (`YYYY-MM-DD`), as ``Assignment/week``.
    public let week: String
    /// Units sold less units returned (a return's quantity is negative).
    public let units: Int
    /// The sum of quantity × unit price, returns subtracted.
    public let revenue: Double
    /// Invoice lines behind the sums.
    public let lines: Int

    public init(stockCode: String, week: String, units: Int, revenue: Double, lines: Int) {
        self.stockCode = stockCode
        self.week = week
        self.units = units
        self.revenue = revenue
        self.lines = lines
    }
}

extension SQLiteLedger {
    public func weeklySales(from: String?) throws(LedgerError) -> [WeeklySales] {
        if let from, !Assignment.isMonday(from) {
            throw LedgerError.invalid("weekly sales from \"\(from)\": not the date of a Monday (YYYY-MM-DD)")
        }
        return try withConnection { db throws(LedgerError) -> [WeeklySales] in
            // A line's week is the Monday on or before its date: six days back, then forward to a Monday.
            let query = try db.prepare("""
                SELECT stock_code, date(invoice_date, '-6 days', 'weekday 1') AS week, sum(quantity), sum(quantity * unit_price), count(*)
                FROM sales WHERE ?1 IS NULL OR invoice_date >= ?1
                GROUP BY stock_code, week ORDER BY stock_code, week
                """)
            if let from { query.bind(1, from) } else { query.bindNull(1) }
            var found: [WeeklySales] = []
            while try query.step() {
                found.append(WeeklySales(stockCode: query.string(0), week: query.string(1), units: Int(query.int(2)), revenue: query.double(3),
                                         lines: Int(query.int(4))))
            }
            return found
        }
    }
}
