"""The ledger: every week's transaction lines and every price assignment, in SQLite (one file per run).

What sold comes back as a CSV in the training (UCI Online Retail) schema, the same file a retailer feeds
`pricing-server ingest --database F file.csv`. `Ledger.ingest` is the one seam: with `ingest_command` set (the
Swift CLI, what `make eval-loop` uses) that command writes the lines into the service's own ledger schema
(table `sales`, docs/ledger.md) and the loop reads them back from it; without it (tests, a loop run without a
Swift build) the file is read with the training loader into a table `lines` of the same meaning. Either way a
resubmitted file changes nothing. Assignments (policy, week, product, price, arm, probability) are keyed by
(policy, week, product) in `loop_assignments` (the service's `assignments` table holds a published plan's):
replanning a week overwrites it with the same rows.
"""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd

from ..loader import COLUMNS, load_transactions

LINES_SCHEMA = """
CREATE TABLE IF NOT EXISTS lines (
    invoice TEXT NOT NULL, line INTEGER NOT NULL, stockcode TEXT NOT NULL, description TEXT,
    quantity INTEGER NOT NULL, invoice_date TEXT NOT NULL, unit_price REAL NOT NULL, customer_id REAL,
    country TEXT, PRIMARY KEY (invoice, line));
CREATE INDEX IF NOT EXISTS lines_by_date ON lines (invoice_date);
"""
ASSIGNMENTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS loop_assignments (
    policy TEXT NOT NULL, week INTEGER NOT NULL, stockcode TEXT NOT NULL, price REAL NOT NULL,
    arm TEXT NOT NULL, probability REAL NOT NULL, PRIMARY KEY (policy, week, stockcode));
"""
# Where each mode keeps the lines: (table, invoice column, stockcode column). The Swift ledger's `sales`
# stores invoice_date as text YYYY-MM-DD HH:MM:SS too, so the date filters compare the same way.
LINE_TABLES = {False: ("lines", "invoice", "stockcode"), True: ("sales", "invoice_no", "stock_code")}
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


def write_week_csv(lines: pd.DataFrame, path: Path) -> Path:
    """A week's lines as a CSV in the UCI schema (InvoiceDate m/d/Y H:M, CustomerID empty for guests)."""
    out = lines[COLUMNS].copy()
    out["InvoiceDate"] = pd.to_datetime(out["InvoiceDate"]).dt.strftime("%m/%d/%Y %H:%M")
    out["UnitPrice"] = np.char.mod("%.2f", out["UnitPrice"].to_numpy(np.float64))
    cid = out["CustomerID"].to_numpy(np.float64)
    out["CustomerID"] = np.where(np.isnan(cid), "", np.char.mod("%.1f", np.nan_to_num(cid)))
    path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(path, index=False)
    return path


class Ledger:
    """One SQLite file of lines and assignments (module docstring)."""

    def __init__(self, path: Path, ingest_command: list[str] | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.ingest_command = ingest_command
        self.db = sqlite3.connect(self.path)
        # The Swift CLI creates and migrates its own tables (on the first ingest); the loop adds only its own.
        self.db.executescript(ASSIGNMENTS_SCHEMA if ingest_command else LINES_SCHEMA + ASSIGNMENTS_SCHEMA)
        self.table, self.invoice, self.stockcode = LINE_TABLES[bool(ingest_command)]

    def close(self) -> None:
        self.db.close()

    def ingest(self, csv_path: Path) -> int:
        """Add a file's lines (idempotent); returns how many lines the ledger holds afterwards.

        The seam for the Swift CLI: with `ingest_command` (e.g. ["pricing-server", "ingest"]) the command is run
        as `<command> --database <ledger> <file>` and must write the same `lines` table."""
        if self.ingest_command:
            self.db.commit()
            subprocess.run([*self.ingest_command, "--database", str(self.path), str(csv_path)], check=True,
                           stdout=subprocess.DEVNULL)
        else:
            frame = load_transactions(csv_path)
            position = frame.groupby("InvoiceNo").cumcount().to_numpy()
            rows = zip(frame["InvoiceNo"], position.tolist(), frame["StockCode"], frame["Description"],
                       frame["Quantity"].tolist(), frame["InvoiceDate"].dt.strftime(DATE_FORMAT),
                       frame["UnitPrice"].tolist(), [None if np.isnan(c) else c for c in frame["CustomerID"]],
                       frame["Country"])
            with self.db:
                self.db.executemany("INSERT OR IGNORE INTO lines VALUES (?,?,?,?,?,?,?,?,?)", rows)
        return self.count_lines()

    def count_lines(self) -> int:
        if not self._has_lines():
            return 0
        return int(self.db.execute(f"SELECT COUNT(*) FROM {self.table}").fetchone()[0])

    def _has_lines(self) -> bool:
        """Whether the lines' table exists yet (the Swift CLI creates `sales` on its first ingest)."""
        return self.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                               (self.table,)).fetchone() is not None

    def sales_between(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """Units and revenue per stockcode (index) in [start, end): sale lines only (no cancellations, returns
        or free lines)."""
        got = []
        if self._has_lines():
            query = (f"SELECT {self.stockcode}, SUM(quantity), SUM(quantity * unit_price) FROM {self.table} "
                     f"WHERE invoice_date >= ? AND invoice_date < ? AND {self.invoice} NOT LIKE 'C%' AND quantity > 0 "
                     f"AND unit_price > 0 GROUP BY {self.stockcode}")
            got = self.db.execute(query, (start.strftime(DATE_FORMAT), end.strftime(DATE_FORMAT))).fetchall()
        return pd.DataFrame(got, columns=["stockcode", "units", "revenue"]).set_index("stockcode").astype(np.float64)

    def record_assignments(self, policy: str, week: int, rows: pd.DataFrame) -> None:
        """Record a week's assignments: columns stockcode, price, arm, probability."""
        data = zip([policy] * len(rows), [int(week)] * len(rows), rows["stockcode"], rows["price"].astype(float),
                   rows["arm"], rows["probability"].astype(float))
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO loop_assignments VALUES (?,?,?,?,?,?)", data)

    def assignments(self, policy: str | None = None) -> pd.DataFrame:
        query = "SELECT * FROM loop_assignments" + (" WHERE policy = ?" if policy else "") + " ORDER BY week, stockcode"
        return pd.read_sql_query(query, self.db, params=(policy,) if policy else None)
