/// The ledger's tables and how a file of an older schema is brought up to date. The version is the
/// one row of `schema_version`; migration `n` (0-based in ``migrations``) takes a file from version
/// `n` to `n + 1` and runs in one transaction with the version's update, so a file is always at one
/// version. A file of a newer version than this binary knows is refused, not guessed at.
enum LedgerSchema {
    /// Version 1: sales, ingests, assignments. Version 2: plans (each published plan's document).
    static let migrations: [String] = [
        """
        CREATE TABLE ingests (
            batch_id INTEGER PRIMARY KEY AUTOINCREMENT,
            source TEXT NOT NULL,
            format TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            lines INTEGER NOT NULL DEFAULT 0,
            added INTEGER NOT NULL DEFAULT 0,
            duplicates INTEGER NOT NULL DEFAULT 0,
            rejected INTEGER NOT NULL DEFAULT 0
        );
        -- One row per invoice line of the training schema. The key (invoice, stock code, occurrence of
        -- that pair within its submission) makes a resubmitted line a no-op (SaleLine's comment).
        CREATE TABLE sales (
            invoice_no TEXT NOT NULL,
            stock_code TEXT NOT NULL,
            occurrence INTEGER NOT NULL CHECK (occurrence >= 1),
            description TEXT NOT NULL,
            quantity INTEGER NOT NULL,
            invoice_date TEXT NOT NULL,
            unit_price REAL NOT NULL,
            customer_id INTEGER,
            country TEXT NOT NULL,
            batch_id INTEGER NOT NULL REFERENCES ingests (batch_id),
            PRIMARY KEY (invoice_no, stock_code, occurrence)
        ) WITHOUT ROWID;
        -- The weekly update reads one product's sales by date.
        CREATE INDEX sales_by_product_date ON sales (stock_code, invoice_date);
        CREATE TABLE assignments (
            plan_id TEXT NOT NULL,
            stock_code TEXT NOT NULL,
            week TEXT NOT NULL,
            price REAL NOT NULL CHECK (price > 0),
            arm TEXT NOT NULL,
            probability REAL NOT NULL CHECK (probability > 0 AND probability <= 1),
            recorded_at TEXT NOT NULL,
            PRIMARY KEY (plan_id, stock_code, week)
        );
        """,
        """
        -- Version 2: each published plan's document, once per plan id, next to its assignments.
        CREATE TABLE IF NOT EXISTS plans (
            plan_id TEXT NOT NULL PRIMARY KEY,
            week TEXT NOT NULL,
            document TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        );
        """,
    ]

    /// The version this binary writes.
    static var current: Int { migrations.count }

    /// Brings `db` to ``current``.
    static func migrate(_ db: SQLiteConnection) throws(LedgerError) {
        try db.transaction { () throws(LedgerError) in
            try db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            let read = try db.prepare("SELECT version FROM schema_version")
            let found = try read.step() ? Int(read.int(0)) : nil
            let version = found ?? 0
            guard version <= current else {
                throw LedgerError.unavailable("\(db.path): ledger schema version \(version) is newer than this binary's (\(current)); "
                                              + "use a newer pricing-server")
            }
            guard version < current else { return }
            for migration in migrations[version...] { try db.execute(migration) }
            try db.execute(found == nil ? "INSERT INTO schema_version (version) VALUES (\(current))"
                                        : "UPDATE schema_version SET version = \(current)")
        }
    }
}
