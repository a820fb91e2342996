// Ledger: what sold, in a real database. Realized sales come back as transaction lines in the
// training schema (CSV or NDJSON) through `pricing-server ingest` and `POST /v1/sales`; experiment
// assignments are recorded next to them. SQLite (one file) is the embedded implementation.

/// A store of realized sales and experiment assignments. Each ingest is one transaction: it is
/// wholly in the ledger or not at all, whatever happens to the process, and the same line submitted
/// again changes nothing (the key is ``SaleLine`` `invoice`, `stock code`, `occurrence`).
///
/// The parsing (``SalesReader``) is shared by every implementation, so a PostgreSQL ledger reads files
/// exactly as the SQLite one does and differs only in where the lines go.
public protocol SalesLedger: Sendable {
    /// Reads `bytes` as `format`, adds every good line not already present and reports the others, all
    /// in one transaction. `source` names the submission in the `ingests` table and in error messages;
    /// at most `maxErrors` rejected lines are listed (all are counted). Throws ``LedgerError/unreadable(_:)``
    /// when nothing of `bytes` can be read (then nothing is recorded).
    func ingest(_ bytes: UnsafeBufferPointer<UInt8>, format: SalesFormat, source: String, maxErrors: Int) throws(LedgerError) -> IngestReport

    /// Records one assignment; `false` when the same one was already recorded. Throws
    /// ``LedgerError/conflict(_:)`` when a different one is recorded for its plan, product and week.
    @discardableResult
    func record(_ assignment: Assignment) throws(LedgerError) -> Bool

    /// Records a plan's assignments and, when given, its document (table `plans`) in one transaction:
    /// each new one is added, one recorded before exactly as given is left as it is, and one that
    /// contradicts the recorded one for its plan, product and week (a document: for its plan id), or
    /// that the ledger cannot take, is not written and is listed in the report, so one bad row never
    /// keeps the others out. Throws only when the ledger cannot be written; then nothing of the batch is.
    func record(_ assignments: [Assignment], plan: PlanDocument?) throws(LedgerError) -> AssignmentReport

    /// The plan documents recorded (`plan` nil: every one), by week and plan id.
    func plans(plan: String?) throws(LedgerError) -> [PlanDocument]

    /// The assignments of `plan` (every plan's when nil), by plan, week and product.
    func assignments(plan: String?) throws(LedgerError) -> [Assignment]

    /// Every product's sales per week (Monday to Sunday), from the week of `from` (a Monday,
    /// `YYYY-MM-DD`; nil: all), by product and week.
    func weeklySales(from: String?) throws(LedgerError) -> [WeeklySales]

    /// How many sales lines and ingests the ledger holds.
    func summary() throws(LedgerError) -> LedgerSummary

    /// SHA-256 (hex) of every sales line in key order, to compare two ledgers' contents.
    func salesDigest() throws(LedgerError) -> String
}

extension SalesLedger {
    /// A plan's assignments without its document.
    public func record(_ assignments: [Assignment]) throws(LedgerError) -> AssignmentReport {
        try record(assignments, plan: nil)
    }

    /// One assignment, recorded as a batch of one: every ledger takes a single row the way it takes a plan's.
    @discardableResult
    public func record(_ assignment: Assignment) throws(LedgerError) -> Bool {
        try record([assignment]).single()
    }
}

/// The two formats a submission may have.
public enum SalesFormat: String, Sendable, CaseIterable {
    /// CSV with a header line naming the columns (RFC 4180 quoting).
    case csv
    /// One JSON object per line with the same field names.
    case ndjson

    /// The format a file name says (`.csv`; `.ndjson`, `.jsonl`), nil for another name.
    public init?(fileName: String) {
        let lower = fileName.lowercased()
        if lower.hasSuffix(".csv") { self = .csv } else if lower.hasSuffix(".ndjson") || lower.hasSuffix(".jsonl") { self = .ndjson } else { return nil }
    }

    /// The format of `bytes` from its first non-blank byte: `{` is NDJSON, anything else CSV.
    public static func sniff(_ bytes: UnsafeBufferPointer<UInt8>) -> SalesFormat {
        for byte in bytes where ![UInt8(ascii: " "), 9, 10, 13, 0xEF, 0xBB, 0xBF].contains(byte) {
            return byte == UInt8(ascii: "{") ? .ndjson : .csv
        }
        return .csv
    }
}

/// What an ingest did.
public struct IngestReport: Sendable, Equatable {
    /// The `ingests` row of this submission.
    public var batchID: Int64 = 0
    /// Lines added to the ledger.
    public var added = 0
    /// Good lines whose key was already in the ledger (a resubmission), left as they were.
    public var duplicates = 0
    /// Lines skipped because they are not valid sales lines.
    public var rejected = 0
    /// The first rejected lines (at most the `maxErrors` asked for), in file order.
    public var errors: [LineError] = []

    public init() {}
}

/// One rejected line: where and why.
public struct LineError: Sendable, Equatable, CustomStringConvertible {
    /// 1-based line of the submission (a CSV record's first line).
    public let line: Int
    /// The column (field name) at fault; nil when the line as a whole is (not CSV, not a JSON object,
    /// the wrong number of fields).
    public let field: String?
    public let message: String

    public init(line: Int, field: String?, message: String) {
        self.line = line
        self.field = field
        self.message = message
    }

    /// `line: field: message`, or `line: message`.
    public var description: String { field.map { "\(line): \($0): \(message)" } ?? "\(line): \(message)" }
}

/// The size of a ledger.
public struct LedgerSummary: Sendable, Equatable {
    public let salesLines: Int
    public let ingests: Int
    public let assignments: Int

    public init(salesLines: Int, ingests: Int, assignments: Int) {
        self.salesLines = salesLines
        self.ingests = ingests
        self.assignments = assignments
    }
}
