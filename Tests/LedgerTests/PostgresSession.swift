import CLibPQ
import TestSupport

/// A libpq connection of the test's own, to look at (and hold locks in) a database from outside the
/// ledger under test.
final class PostgresSession {
    let connection: OpaquePointer

    init(url: String) throws {
        guard let connection = PQconnectdb(url) else { throw PostgresServerHarness.Unavailable(description: "out of memory") }
        guard PQstatus(connection) == CONNECTION_OK else {
            defer { PQfinish(connection) }
            throw PostgresServerHarness.Unavailable(description: "the test cannot connect to \(url): \(String(cString: PQerrorMessage(connection)))")
        }
        self.connection = connection
    }

    deinit {
        PQfinish(connection)
    }

    /// Runs `sql`; the first column of its first row (nil when it has none), or throws the server's error.
    @discardableResult
    func run(_ sql: String) throws -> String? {
        guard let result = PQexec(connection, sql) else { throw PostgresServerHarness.Unavailable(description: "no result for \(sql)") }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            throw PostgresServerHarness.Unavailable(description: "\(sql): \(String(cString: PQresultErrorMessage(result)))")
        }
        return PQntuples(result) > 0 && PQnfields(result) > 0 ? String(cString: PQgetvalue(result, 0, 0)) : nil
    }

    /// How many other sessions of this database are in a transaction that has written (a transaction
    /// id is assigned at the first write).
    func otherWritingTransactions() -> Int {
        Int((try? run("""
            SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL
            """)) ?? "0") ?? 0
    }

    /// How many other sessions of this database wait for a lock.
    func otherSessionsWaitingForALock() -> Int {
        Int((try? run("""
            SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'
            """)) ?? "0") ?? 0
    }
}
