import CSQLite

/// One connection to a SQLite file, through the system library. Not thread-safe on its own: the
/// ledger keeps it behind a mutex.
final class SQLiteConnection {
    let handle: OpaquePointer
    let path: String

    /// Opens (creating it when missing) the database at `path`.
    init(path: String) throws(LedgerError) {
        var db: OpaquePointer?
        let status = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
        guard status == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(status))
            sqlite3_close_v2(db)
            throw LedgerError.unavailable("\(path): cannot be opened as a SQLite database (\(message))")
        }
        handle = db
        self.path = path
        sqlite3_extended_result_codes(db, 1)
    }

    deinit {
        sqlite3_close_v2(handle)
    }

    /// The last error of this connection, as an operator reads it.
    func error(_ doing: String) -> LedgerError {
        .storage("\(path): \(doing): \(String(cString: sqlite3_errmsg(handle)))")
    }

    /// Runs one or more statements that return no rows.
    func execute(_ sql: String) throws(LedgerError) {
        var message: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(handle, sql, nil, nil, &message) == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? "unknown error"
            sqlite3_free(message)
            throw LedgerError.storage("\(path): \(text) (in: \(sql.prefix(80)))")
        }
    }

    /// A prepared statement for `sql`, reused with new parameters by ``SQLiteStatement/reset()``.
    func prepare(_ sql: String) throws(LedgerError) -> SQLiteStatement {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK, let statement else {
            throw error("preparing \(sql.prefix(80))")
        }
        return SQLiteStatement(statement, connection: self)
    }

    /// Rows the last INSERT, UPDATE or DELETE changed.
    var changes: Int { Int(sqlite3_changes(handle)) }

    /// Runs `body` in one write transaction (`BEGIN IMMEDIATE`, so a second writer waits for the lock
    /// up front rather than failing at its first write): committed when it returns, rolled back when
    /// it throws. A process killed inside leaves the file as it was before: SQLite's journal.
    func transaction<R>(_ body: () throws(LedgerError) -> R) throws(LedgerError) -> R {
        try execute("BEGIN IMMEDIATE")
        let result: R
        do {
            result = try body()
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
        try execute("COMMIT")
        return result
    }
}

/// A prepared statement: bind parameters (1-based, as SQLite counts), step, read columns, reset.
final class SQLiteStatement {
    let handle: OpaquePointer
    unowned let connection: SQLiteConnection

    init(_ handle: OpaquePointer, connection: SQLiteConnection) {
        self.handle = handle
        self.connection = connection
    }

    deinit {
        sqlite3_finalize(handle)
    }

    func bind(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(handle, index, value) }
    func bind(_ index: Int32, _ value: Double) { sqlite3_bind_double(handle, index, value) }
    func bindNull(_ index: Int32) { sqlite3_bind_null(handle, index) }

    /// Binds `text` without copying it: it must stay valid until the statement is stepped and reset.
    func bind(_ index: Int32, static text: UnsafeBufferPointer<UInt8>) {
        // A zero-length buffer may have no base address, which SQLite would read as NULL.
        let empty: StaticString = ""
        let pointer = UnsafeRawPointer(text.baseAddress ?? empty.utf8Start).assumingMemoryBound(to: CChar.self)
        sqlite3_bind_text(handle, index, pointer, Int32(text.count), nil)
    }

    /// Binds a copy of `text`.
    func bind(_ index: Int32, _ text: String) {
        // SQLITE_TRANSIENT (-1) is a macro Swift cannot import: SQLite copies the bytes.
        sqlite3_bind_text(handle, index, text, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self))
    }

    /// Steps once: true when a row is ready to read, false when the statement is done.
    func step() throws(LedgerError) -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw connection.error("running \(String(cString: sqlite3_sql(handle)).prefix(80))")
        }
    }

    /// Ready for new parameters.
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    func int(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }
    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    func string(_ column: Int32) -> String {
        guard let text = sqlite3_column_text(handle, column) else { return "" }
        return String(decoding: UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(handle, column))), as: UTF8.self)
    }

    /// A column's bytes, valid during `body` only.
    func withBytes<R>(_ column: Int32, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let count = Int(sqlite3_column_bytes(handle, column))
        return body(UnsafeRawBufferPointer(start: sqlite3_column_blob(handle, column), count: count))
    }
}
