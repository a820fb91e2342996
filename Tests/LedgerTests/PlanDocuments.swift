import Ledger

/// Plan documents and the version-1 schema shared by the plan-document tests (SQLite and PostgreSQL).
enum PlanDocuments {
    static let week = "2026-11-30"

    /// A plan document of `id` (the text stands for experiments.json; the ledger stores it as given).
    static func document(_ id: String = "2026-W49-a1b2c3", tests: String = "85123A") -> PlanDocument {
        PlanDocument(planID: id, week: week, document: #"{"plan_id":"\#(id)","week_start":"\#(week)","tests":["\#(tests)"]}"#)
    }

    /// The one assignment `document(id)` makes.
    static func assignment(_ id: String = "2026-W49-a1b2c3") -> Assignment {
        Assignment(planID: id, stockCode: "85123A", week: week, price: 3.1, arm: "high", probability: 1.0 / 3)
    }

    /// A ledger of schema version 1 (before `plans`), as a binary of that version left it: its tables (the
    /// columns the later migrations need) with one assignment recorded. `text`/`real` are the dialect's types.
    static func versionOneSchema(text: String, real: String) -> [String] {
        ["CREATE TABLE schema_version (version integer NOT NULL)",
         "INSERT INTO schema_version (version) VALUES (1)",
         "CREATE TABLE ingests (batch_id integer PRIMARY KEY, source \(text) NOT NULL)",
         "CREATE TABLE sales (invoice_no \(text) NOT NULL, stock_code \(text) NOT NULL, batch_id integer)",
         """
         CREATE TABLE assignments (plan_id \(text) NOT NULL, stock_code \(text) NOT NULL, week \(text) NOT NULL,
             price \(real) NOT NULL, arm \(text) NOT NULL, probability \(real) NOT NULL, recorded_at \(text) NOT NULL,
             PRIMARY KEY (plan_id, stock_code, week))
         """,
         "INSERT INTO assignments VALUES ('2026-W48-old', '22423', '2026-11-23', 12.1, 'low', 0.5, '2026-11-23T00:00:00Z')"]
    }
}
