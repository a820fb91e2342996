import CLibPQ
import Crypto
import Foundation
import Synchronization

/// The ledger in a PostgreSQL database (`DATABASE_URL`), for replicas that share one: the same
/// tables, key and answers as ``SQLiteLedger``, through libpq.
///
/// An ingest is one transaction. Its good lines are streamed with `COPY` into a temporary table,
/// then moved into `sales` by one `INSERT … SELECT … ON CONFLICT DO NOTHING` in key order: a line
/// whose key is already there (committed, or being added by another replica's ingest, whose commit
/// it waits for) is skipped, so concurrent ingests of overlapping files keep one copy of each line,
/// and taking the keys in one order means two of them cannot deadlock. The counts come from the
/// insert's row count: added, and the rest of the good lines already present.
///
/// One connection behind a mutex, as the SQLite ledger (calls from many threads run one at a
/// time, so the class is `@unchecked Sendable`: its connection is touched only inside
/// ``withConnection(_:)``); a lost connection is reopened by the next call.
public final class PostgresLedger: SalesLedger, @unchecked Sendable {
    private let connection: PostgresConnection
    private let lock = Mutex(())
    /// The URL with its password hidden.
    public let name: String

    /// Connects to `url` and brings the schema up to date (under an advisory lock, so replicas
    /// starting together migrate once). Throws ``LedgerError/unavailable(_:)`` naming the server and
    /// why when it cannot connect, or when the database is of a newer schema than this binary knows.
    public init(url: String) throws(LedgerError) {
        let db = try PostgresConnection(url: url)
        do {
            try PostgresSchema.migrate(db)
        } catch {
            throw LedgerError.unavailable(error.description)
        }
        connection = db
        name = db.name
    }

    public func ingest(_ bytes: UnsafeBufferPointer<UInt8>, format: SalesFormat, source: String, maxErrors: Int) throws(LedgerError) -> IngestReport {
        try withConnection { db throws(LedgerError) -> IngestReport in
            try db.transaction { () throws(LedgerError) -> IngestReport in
                var report = IngestReport()
                let batch = try db.query("INSERT INTO ingests (source, format, started_at) VALUES ($1, $2, $3) RETURNING batch_id",
                                         [source, format.rawValue, SQLiteLedger.now()])
                report.batchID = batch.int(0, 0)
                try db.execute("""
                    CREATE TEMPORARY TABLE incoming (
                        invoice_no text, stock_code text, occurrence bigint, description text, quantity bigint, invoice_date text,
                        unit_price double precision, customer_id bigint, country text
                    ) ON COMMIT DROP
                    """)
                var good = 0
                let counts = try db.copyIn("COPY incoming FROM STDIN") { (copy: inout PostgresCopyWriter) throws(LedgerError) -> SalesReader.Counts in
                    var reader = SalesReader(maxErrors: maxErrors)
                    return try reader.read(bytes, format: format) { (sale: borrowing SaleLine) throws(LedgerError) in
                        sale.text.withUnsafeBufferPointer { text in
                            func column(_ column: SalesColumn) { copy.text(UnsafeBufferPointer(rebasing: text[sale.ranges[column.index]])) }
                            column(.invoiceNo)
                            column(.stockCode)
                            copy.integer(sale.occurrence)
                            column(.description)
                            copy.integer(sale.quantity)
                            column(.invoiceDate)
                            copy.double(sale.unitPrice)
                            if let customer = sale.customerID { copy.integer(customer) } else { copy.null() }
                            column(.country)
                        }
                        try copy.endRow()
                        good += 1
                    }
                }
                let moved = try db.query("""
                    INSERT INTO sales (invoice_no, stock_code, occurrence, description, quantity, invoice_date, unit_price,
                                       customer_id, country, batch_id)
                    SELECT invoice_no, stock_code, occurrence, description, quantity, invoice_date, unit_price, customer_id, country, $1
                    FROM incoming ORDER BY invoice_no, stock_code, occurrence
                    ON CONFLICT DO NOTHING
                    """, [String(report.batchID)])
                report.added = moved.changed
                report.duplicates = good - report.added
                report.rejected = counts.rejected
                report.errors = counts.errors
                try db.query("""
                    UPDATE ingests SET finished_at = $1, lines = $2, added = $3, duplicates = $4, rejected = $5 WHERE batch_id = $6
                    """, [SQLiteLedger.now(), String(counts.lines), String(report.added), String(report.duplicates),
                          String(report.rejected), String(report.batchID)])
                return report
            }
        }
    }

    public func summary() throws(LedgerError) -> LedgerSummary {
        try withConnection { db throws(LedgerError) -> LedgerSummary in
            let count = try db.query("SELECT (SELECT count(*) FROM sales), (SELECT count(*) FROM ingests), (SELECT count(*) FROM assignments)")
            return LedgerSummary(salesLines: Int(count.int(0, 0)), ingests: Int(count.int(0, 1)), assignments: Int(count.int(0, 2)))
        }
    }

    /// SHA-256 of every sales line in key order (bytewise, as SQLite orders), each line as COPY's text
    /// format writes it. Equal between two PostgreSQL ledgers with the same lines; not comparable with
    /// a SQLite ledger's digest, which quotes values as SQLite does.
    public func salesDigest() throws(LedgerError) -> String {
        try withConnection { db throws(LedgerError) -> String in
            var hash = SHA256()
            try db.copyOut("""
                COPY (SELECT invoice_no, stock_code, occurrence, description, quantity, invoice_date, unit_price, customer_id, country
                      FROM sales ORDER BY invoice_no COLLATE "C", stock_code COLLATE "C", occurrence) TO STDOUT
                """) { row in hash.update(bufferPointer: row) }
            return hash.finalize().map { String(format: "%02x", $0) }.joined()
        }
    }

    /// Runs `body` with the connection, one call at a time. A connection found lost (the server
    /// restarted, an idle connection was cut) is reopened and `body` run once more: libpq only learns
    /// of a dead connection when it uses it, and every call here is safe to repeat (an ingest that
    /// lost its connection did not commit, or committed and is then "already present").
    func withConnection<R>(_ body: (PostgresConnection) throws(LedgerError) -> R) throws(LedgerError) -> R {
        try lock.withLock { _ throws(LedgerError) -> R in
            try connection.ensureConnected()
            do throws(LedgerError) {
                return try body(connection)
            } catch {
                guard case .unavailable = error, !connection.isConnected else { throw error }
                try connection.ensureConnected()
                return try body(connection)
            }
        }
    }
}
