/// Where a ledger lives: a SQLite file path, or a PostgreSQL server named by a `postgres://` or
/// `postgresql://` URL (libpq's URI form, `DATABASE_URL`).
public enum DatabaseURL {
    /// Whether `location` names a PostgreSQL server rather than a file.
    public static func isPostgres(_ location: String) -> Bool {
        let lower = location.lowercased()
        return lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://")
    }

    /// `location` with its password replaced by `***` (in the user part and in a `password=` query
    /// parameter), safe for logs and answers. A file path is returned as it is.
    public static func redacted(_ location: String) -> String {
        guard isPostgres(location), let scheme = location.range(of: "://") else { return location }
        var text = location
        let authorityEnd = text[scheme.upperBound...].firstIndex { $0 == "/" || $0 == "?" } ?? text.endIndex
        if let at = text[scheme.upperBound..<authorityEnd].lastIndex(of: "@"),
           let colon = text[scheme.upperBound..<at].firstIndex(of: ":") {
            text.replaceSubrange(text.index(after: colon)..<at, with: "***")
        }
        if let query = text.firstIndex(of: "?") {
            let parameters = text[text.index(after: query)...].split(separator: "&", omittingEmptySubsequences: false).map { parameter in
                parameter.lowercased().hasPrefix("password=") ? "password=***" : String(parameter)
            }
            text = String(text[...query]) + parameters.joined(separator: "&")
        }
        return text
    }
}

/// Opens the ledger at `location`: ``PostgresLedger`` for a `postgres://` URL, else ``SQLiteLedger``
/// for a file path. Throws ``LedgerError/unavailable(_:)`` when it cannot be opened.
public func openSalesLedger(at location: String) throws(LedgerError) -> any SalesLedger {
    if DatabaseURL.isPostgres(location) { return try PostgresLedger(url: location) }
    return try SQLiteLedger(path: location)
}
