import ArtifactFormats

/// Where a ledger lives: a SQLite file path, or a PostgreSQL server named by a `postgres://` or
/// `postgresql://` URL (libpq's URI form, `DATABASE_URL`).
public enum DatabaseURL {
    /// Whether `location` names a PostgreSQL server rather than a file.
    public static func isPostgres(_ location: String) -> Bool {
        let lower = location.lowercased()
        return lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://")
    }

    /// `location` with its password replaced by `***` (``CredentialRedaction``: the user part and
    /// credential-like query parameters such as `password=`), safe for logs and answers. A file path
    /// is returned as it is.
    public static func redacted(_ location: String) -> String {
        isPostgres(location) ? CredentialRedaction.redactingURL(location) : location
    }
}

/// Opens the ledger at `location`: ``PostgresLedger`` for a `postgres://` URL, else ``SQLiteLedger``
/// for a file path. Throws ``LedgerError/unavailable(_:)`` when it cannot be opened.
public func openSalesLedger(at location: String) throws(LedgerError) -> any SalesLedger {
    if DatabaseURL.isPostgres(location) { return try PostgresLedger(url: location) }
    return try SQLiteLedger(path: location)
}
