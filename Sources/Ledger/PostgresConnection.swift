import ArtifactFormats
import CLibPQ
import Foundation

/// One connection to a PostgreSQL server, through libpq (the server's own C client). Not thread-safe
/// on its own: the ledger keeps it behind a mutex. Every call is synchronous, as SQLite's are; the
/// callers that must not block (the HTTP route) already run the ledger off their threads.
final class PostgresConnection {
    let handle: OpaquePointer
    /// The URL with its password hidden, for messages.
    let name: String

    /// Connects to `url` (`postgres://` or `postgresql://`, libpq's URI form). A URL without its own
    /// `connect_timeout` gets 10 s, so an unreachable host is an error rather than a hang.
    init(url: String) throws(LedgerError) {
        name = DatabaseURL.redacted(url)
        // Later keywords win over earlier ones: the URL (expanded from `dbname`) overrides these defaults.
        // libpq reads both lists up to a NULL.
        let keywords: [String?] = ["connect_timeout", "fallback_application_name", "dbname", nil]
        let values: [String?] = ["10", "pricing-server ledger", url, nil]
        let connection = CStrings.with(keywords) { keys in
            CStrings.with(values) { vals in PQconnectdbParams(keys, vals, 1) }
        }
        guard let connection else { throw LedgerError.unavailable("\(name): cannot connect to PostgreSQL (out of memory)") }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.oneLine(PQerrorMessage(connection))
            PQfinish(connection)
            throw LedgerError.unavailable("\(name): cannot connect to PostgreSQL: \(message)")
        }
        handle = connection
        // The server's notices (an "already exists, skipping") are not the operator's business.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
    }

    deinit {
        PQfinish(handle)
    }

    /// Whether the connection was up at its last use.
    var isConnected: Bool { PQstatus(handle) == CONNECTION_OK }

    /// Makes sure the connection is up, reconnecting once when it was lost (a server restart, a
    /// network blip): a long-running service then needs no restart of its own.
    func ensureConnected() throws(LedgerError) {
        guard !isConnected else { return }
        PQreset(handle)
        guard PQstatus(handle) == CONNECTION_OK else {
            throw LedgerError.unavailable("\(name): cannot reconnect to PostgreSQL: \(Self.oneLine(PQerrorMessage(handle)))")
        }
    }

    /// Runs one or more statements that return no rows (or rows nobody reads).
    func execute(_ sql: String) throws(LedgerError) {
        _ = try check(PQexec(handle, sql), doing: sql)
    }

    /// Runs `sql` with `parameters` (`$1`…, sent as text, nil as NULL) and returns its result.
    @discardableResult
    func query(_ sql: String, _ parameters: [String?] = []) throws(LedgerError) -> PostgresResult {
        let result = CStrings.with(parameters) { values in
            PQexecParams(handle, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        return try check(result, doing: sql)
    }

    /// Streams rows into `COPY … FROM STDIN` (text format): `body` fills the writer, which sends as it
    /// fills. When `body` throws, the copy is cancelled and the error passed on (the caller's
    /// transaction is then rolled back).
    func copyIn<R>(_ sql: String, _ body: (inout PostgresCopyWriter) throws(LedgerError) -> R) throws(LedgerError) -> R {
        let start = try raw(PQexec(handle, sql), doing: sql)
        defer { PQclear(start) }
        guard PQresultStatus(start) == PGRES_COPY_IN else { throw error(start, doing: sql) }
        var writer = PostgresCopyWriter(connection: self)
        let value: R
        do {
            value = try body(&writer)
            try writer.flush()
        } catch {
            PQputCopyEnd(handle, "ingest stopped")
            drainResults()
            throw error
        }
        guard PQputCopyEnd(handle, nil) == 1 else { throw lost("ending COPY") }
        try finishCommand(doing: sql)
        return value
    }

    /// Sends bytes of a `COPY … FROM STDIN`.
    func putCopyData(_ bytes: UnsafeBufferPointer<UInt8>) throws(LedgerError) {
        guard !bytes.isEmpty else { return }
        let sent = bytes.withMemoryRebound(to: CChar.self) { PQputCopyData(handle, $0.baseAddress, Int32($0.count)) }
        guard sent == 1 else { throw lost("sending COPY data") }
    }

    /// Runs `COPY … TO STDOUT` and hands each row's bytes (text format, with its newline) to `row`.
    func copyOut(_ sql: String, row: (UnsafeRawBufferPointer) -> Void) throws(LedgerError) {
        let start = try raw(PQexec(handle, sql), doing: sql)
        defer { PQclear(start) }
        guard PQresultStatus(start) == PGRES_COPY_OUT else { throw error(start, doing: sql) }
        while true {
            var buffer: UnsafeMutablePointer<CChar>?
            let count = PQgetCopyData(handle, &buffer, 0)
            if count > 0, let buffer {
                row(UnsafeRawBufferPointer(start: buffer, count: Int(count)))
                PQfreemem(buffer)
            } else if count == -1 {
                break
            } else {
                throw lost("reading COPY data")
            }
        }
        try finishCommand(doing: sql)
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws. A
    /// process killed inside never commits, and the server rolls back what it had sent when its
    /// connection closes.
    func transaction<R>(_ body: () throws(LedgerError) -> R) throws(LedgerError) -> R {
        try execute("BEGIN")
        let result: R
        do {
            result = try body()
        } catch {
            if PQstatus(handle) == CONNECTION_OK { try? execute("ROLLBACK") }
            throw error
        }
        try execute("COMMIT")
        return result
    }

    // MARK: Results and errors

    /// The result of the command whose data was just sent (after COPY), checked, then nothing more.
    private func finishCommand(doing sql: String) throws(LedgerError) {
        let result = try check(PQgetResult(handle), doing: sql)
        _ = result
        drainResults()
    }

    private func drainResults() {
        while let next = PQgetResult(handle) { PQclear(next) }
    }

    /// A non-nil result, else the connection's error.
    private func raw(_ result: OpaquePointer?, doing sql: String) throws(LedgerError) -> OpaquePointer {
        guard let result else { throw lost("running \(sql.prefix(60))") }
        return result
    }

    /// `result` when it is a success, else the server's error (the result is freed either way on error).
    private func check(_ result: OpaquePointer?, doing sql: String) throws(LedgerError) -> PostgresResult {
        let result = try raw(result, doing: sql)
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            defer { PQclear(result) }
            throw error(result, doing: sql)
        }
        return PostgresResult(result)
    }

    private func error(_ result: OpaquePointer, doing sql: String) -> LedgerError {
        let message = Self.oneLine(PQresultErrorMessage(result))
        let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
        guard PQstatus(handle) == CONNECTION_OK else {
            return .unavailable("\(name): the connection to PostgreSQL was lost: \(message.isEmpty ? Self.oneLine(PQerrorMessage(handle)) : message)")
        }
        let statement = sql.split(separator: "\n").first.map { String($0.prefix(60)) } ?? ""
        return .storage("\(name): \(message)\(state.isEmpty ? "" : " (SQLSTATE \(state))") (in: \(statement))")
    }

    private func lost(_ doing: String) -> LedgerError {
        .unavailable("\(name): \(doing): \(Self.oneLine(PQerrorMessage(handle)))")
    }

    /// libpq's messages end in a newline and may span several lines: one line for a log or an answer.
    static func oneLine(_ text: UnsafePointer<CChar>?) -> String {
        guard let text else { return "unknown error" }
        let lines = String(cString: text).split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        let joined = lines.filter { !$0.isEmpty }.joined(separator: "; ")
        // libpq may quote the connection string it could not parse.
        return joined.isEmpty ? "unknown error" : CredentialRedaction.redactingURLs(in: joined)
    }
}

/// A query's rows, read by row and column (text format: libpq gives every value as text).
final class PostgresResult {
    let handle: OpaquePointer

    init(_ handle: OpaquePointer) {
        self.handle = handle
    }

    deinit {
        PQclear(handle)
    }

    var rows: Int { Int(PQntuples(handle)) }

    /// Rows an INSERT, UPDATE or DELETE changed.
    var changed: Int { Int(String(cString: PQcmdTuples(handle))) ?? 0 }

    func isNull(_ row: Int, _ column: Int) -> Bool { PQgetisnull(handle, Int32(row), Int32(column)) == 1 }

    func string(_ row: Int, _ column: Int) -> String { String(cString: PQgetvalue(handle, Int32(row), Int32(column))) }

    func int(_ row: Int, _ column: Int) -> Int64 { Int64(string(row, column)) ?? 0 }

    func double(_ row: Int, _ column: Int) -> Double { Double(string(row, column)) ?? .nan }
}

/// C string arrays for libpq's parameter lists, valid during the call only.
enum CStrings {
    static func with<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
        let copies = strings.map { $0.flatMap { strdup($0) } }
        defer { for copy in copies { free(copy) } }
        let pointers = copies.map { $0.map { UnsafePointer($0) } }
        return pointers.withUnsafeBufferPointer { body($0.isEmpty ? nil : $0.baseAddress) }
    }
}
