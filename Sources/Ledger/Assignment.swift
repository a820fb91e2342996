/// One product's price for one week under an experiment plan: which arm it drew and with what
/// probability (so an analysis can weight by the design, as inverse-probability estimators need).
/// Recorded once, before the week starts; a plan never changes a recorded assignment.
public struct Assignment: Sendable, Equatable {
    /// The plan that made the assignment.
    public let planID: String
    public let stockCode: String
    /// The week, as the date of its Monday: `YYYY-MM-DD`.
    public let week: String
    /// The price posted for the whole week (every customer sees it).
    public let price: Double
    /// The arm drawn: `low`, `current`, `high` in the three-price design, or `holdout`.
    public let arm: String
    /// The probability with which the design drew this arm, in (0, 1].
    public let probability: Double

    public init(planID: String, stockCode: String, week: String, price: Double, arm: String, probability: Double) {
        self.planID = planID
        self.stockCode = stockCode
        self.week = week
        self.price = price
        self.arm = arm
        self.probability = probability
    }

    /// Refuses an assignment the ledger could not use.
    func validate() throws(LedgerError) {
        guard !planID.isEmpty, !stockCode.isEmpty, !arm.isEmpty else {
            throw LedgerError.invalid("an assignment needs a plan, a stock code and an arm")
        }
        guard price.isFinite, price > 0 else { throw LedgerError.invalid("assignment price \(price) is not a positive number") }
        guard probability > 0, probability <= 1 else { throw LedgerError.invalid("assignment probability \(probability) is not in (0, 1]") }
        guard Self.isMonday(week) else {
            throw LedgerError.invalid("assignment week \"\(week)\" is not the date of a Monday (YYYY-MM-DD)")
        }
    }

    /// Whether `date` (`YYYY-MM-DD`) is a valid date and a Monday.
    static func isMonday(_ date: String) -> Bool {
        let parts = date.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, date.utf8.count == 10, (1...12).contains(parts[1]),
              (1...InvoiceDate.daysIn(month: parts[1], year: parts[0])).contains(parts[2]) else { return false }
        // Zeller-style day of week (Sakamoto): 0 is Sunday.
        let offsets = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4]
        let year = parts[1] < 3 ? parts[0] - 1 : parts[0]
        let weekday = (year + year / 4 - year / 100 + year / 400 + offsets[parts[1] - 1] + parts[2]) % 7
        return weekday == 1
    }

    /// Recording an assignment again is a no-op only when it is the one already recorded for its plan,
    /// product and week (`recorded`); another one is a conflict naming what is there.
    func confirmSame(as recorded: Assignment?) throws(LedgerError) {
        guard recorded == self else {
            throw LedgerError.conflict("plan \(planID) already assigned \(stockCode) for the week of "
                                       + "\(week): \(recorded.map { "\($0.arm) at \($0.price)" } ?? "?")")
        }
    }
}
