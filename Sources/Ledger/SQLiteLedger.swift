import CSQLite
import Crypto
import Foundation
import Synchronization

/// The ledger in one SQLite file (the embedded default). Opened in WAL mode, so readers (a weekly
/// update, an export) never wait for an ingest and an ingest never waits for them, with
/// `synchronous=FULL`: in WAL mode NORMAL may lose the last committed transactions on a power cut
/// (not on a process crash), and an ingest answered "added" must survive one, because the retailer
/// may discard the file on that answer. FULL costs one more fsync per commit, and an ingest is one
/// commit however many lines it holds.
///
/// One connection behind a mutex: calls from many threads run one at a time (so the class is
/// `@unchecked Sendable`: its connection is touched only inside ``withConnection(_:)``). A second
/// process (the CLI while the server runs) waits up to `busy_timeout` for the write lock.
public final class SQLiteLedger: SalesLedger, @unchecked Sendable {
    private let connection: SQLiteConnection
    private let lock = Mutex(())
    /// The file's path.
    public let path: String

    /// Opens the ledger at `path`, creating the file and its folder when missing and migrating an
    /// older schema. Throws ``LedgerError/unavailable(_:)`` when the file cannot be opened or is of a
    /// newer schema than this binary knows.
    public init(path: String) throws(LedgerError) {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty, !FileManager.default.fileExists(atPath: folder) {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw LedgerError.unavailable("\(path): cannot create its folder (\(error.localizedDescription))")
            }
        }
        let db = try SQLiteConnection(path: path)
        do {
            try db.execute("PRAGMA busy_timeout = 10000")
            try db.execute("PRAGMA journal_mode = WAL")
            try db.execute("PRAGMA synchronous = FULL")
            try db.execute("PRAGMA foreign_keys = ON")
            // The product index takes a million-line ingest's rows in random order: with SQLite's default
            // 2 MiB page cache its pages go to and from the WAL all through the transaction (1M lines:
            // 15 s CPU, 5 of them in the kernel). 64 MiB keeps them in memory; it is only used as it fills.
            try db.execute("PRAGMA cache_size = -65536")
            try LedgerSchema.migrate(db)
        } catch {
            throw LedgerError.unavailable(error.description)
        }
        connection = db
        self.path = path
    }

    public func ingest(_ bytes: UnsafeBufferPointer<UInt8>, format: SalesFormat, source: String, maxErrors: Int) throws(LedgerError) -> IngestReport {
        try withConnection { db throws(LedgerError) -> IngestReport in
            try Self.ingest(bytes, format: format, source: source, maxErrors: maxErrors, into: db)
        }
    }

    static func ingest(_ bytes: UnsafeBufferPointer<UInt8>, format: SalesFormat, source: String, maxErrors: Int,
                       into db: SQLiteConnection) throws(LedgerError) -> IngestReport {
        try db.transaction { () throws(LedgerError) -> IngestReport in
            let batch = try db.prepare("INSERT INTO ingests (source, format, started_at) VALUES (?, ?, ?)")
            batch.bind(1, source)
            batch.bind(2, format.rawValue)
            batch.bind(3, Self.now())
            _ = try batch.step()
            var report = IngestReport()
            report.batchID = sqlite3_last_insert_rowid(db.handle)

            let insert = try db.prepare("""
                INSERT INTO sales (invoice_no, stock_code, occurrence, description, quantity, invoice_date, unit_price,
                                   customer_id, country, batch_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                """)
            var reader = SalesReader(maxErrors: maxErrors)
            let counts = try reader.read(bytes, format: format) { (sale: borrowing SaleLine) throws(LedgerError) in
                let added = try sale.text.withUnsafeBufferPointer { (text: UnsafeBufferPointer<UInt8>) throws(LedgerError) -> Bool in
                    func bind(_ index: Int32, _ column: SalesColumn) {
                        insert.bind(index, static: UnsafeBufferPointer(rebasing: text[sale.ranges[column.index]]))
                    }
                    bind(1, .invoiceNo)
                    bind(2, .stockCode)
                    insert.bind(3, sale.occurrence)
                    bind(4, .description)
                    insert.bind(5, sale.quantity)
                    bind(6, .invoiceDate)
                    insert.bind(7, sale.unitPrice)
                    if let customer = sale.customerID { insert.bind(8, customer) } else { insert.bindNull(8) }
                    bind(9, .country)
                    insert.bind(10, report.batchID)
                    defer { insert.reset() }
                    _ = try insert.step()
                    return db.changes == 1
                }
                if added { report.added += 1 } else { report.duplicates += 1 }
            }
            report.rejected = counts.rejected
            report.errors = counts.errors

            let done = try db.prepare("""
                UPDATE ingests SET finished_at = ?, lines = ?, added = ?, duplicates = ?, rejected = ? WHERE batch_id = ?
                """)
            done.bind(1, Self.now())
            done.bind(2, Int64(counts.lines))
            done.bind(3, Int64(report.added))
            done.bind(4, Int64(report.duplicates))
            done.bind(5, Int64(report.rejected))
            done.bind(6, report.batchID)
            _ = try done.step()
            return report
        }
    }

    public func summary() throws(LedgerError) -> LedgerSummary {
        try withConnection { db throws(LedgerError) -> LedgerSummary in
            let count = try db.prepare("SELECT (SELECT count(*) FROM sales), (SELECT count(*) FROM ingests), (SELECT count(*) FROM assignments)")
            _ = try count.step()
            return LedgerSummary(salesLines: Int(count.int(0)), ingests: Int(count.int(1)), assignments: Int(count.int(2)))
        }
    }

    public func salesDigest() throws(LedgerError) -> String {
        try withConnection { db throws(LedgerError) -> String in
            // quote() writes each value as SQL text (a REAL exactly, NULL as NULL), so equal rows give equal bytes.
            let rows = try db.prepare("""
                SELECT quote(invoice_no) || ',' || quote(stock_code) || ',' || occurrence || ',' || quote(description) || ',' ||
                       quantity || ',' || quote(invoice_date) || ',' || quote(unit_price) || ',' || quote(customer_id) || ',' ||
                       quote(country) || char(10)
                FROM sales ORDER BY invoice_no, stock_code, occurrence
                """)
            var hash = SHA256()
            while try rows.step() {
                rows.withBytes(0) { hash.update(bufferPointer: $0) }
            }
            return hash.finalize().map { String(format: "%02x", $0) }.joined()
        }
    }

    /// Runs `body` with the connection, one call at a time.
    func withConnection<R>(_ body: (SQLiteConnection) throws(LedgerError) -> R) throws(LedgerError) -> R {
        try lock.withLock { _ throws(LedgerError) -> R in try body(connection) }
    }

    /// The time as the ledger writes it (UTC, ISO 8601).
    static func now() -> String {
        ISO8601DateFormatter().string(from: Date())
    }
}
