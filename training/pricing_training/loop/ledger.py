"""The ledger: every week's transaction lines and every price assignment, in SQLite (one file per run).

What sold comes back as a CSV in the training (UCI Online Retail) schema, the same file a retailer feeds
`pricing-server ingest --database F file.csv`. `Ledger.ingest` is the one seam: today it reads the file with
the training loader and inserts the lines in Python; with `ingest_command` set (the Swift CLI, issue 21 item
2) it runs that command on the same file and database instead, and the loop reads the ledger back the same
way. Lines are keyed by (invoice, position within the invoice in the file), so a resubmitted file changes
nothing. Assignments (policy, week, product, price, arm, probability) are keyed by (policy, week, product):
replanning a week overwrites it with the same rows.
"""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd

from ..loader import COLUMNS, load_transactions

SCHEMA = """
CREATE TABLE IF NOT EXISTS lines (
    invoice TEXT NOT NULL, line INTEGER NOT NULL, stockcode TEXT NOT NULL, description TEXT,
    quantity INTEGER NOT NULL, invoice_date TEXT NOT NULL, unit_price REAL NOT NULL, customer_id REAL,
    country TEXT, PRIMARY KEY (invoice, line));
CREATE INDEX IF NOT EXISTS lines_by_date ON lines (invoice_date);
CREATE TABLE IF NOT EXISTS assignments (
    policy TEXT NOT NULL, week INTEGER NOT NULL, stockcode TEXT NOT NULL, price REAL NOT NULL,
    arm TEXT NOT NULL, probability REAL NOT NULL, PRIMARY KEY (policy, week, stockcode));
"""
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
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def ingest(self, csv_path: Path) -> int:
        """Add a file's lines (idempotent); returns how many lines the ledger holds afterwards.

        The seam for the Swift CLI: with `ingest_command` (e.g. ["pricing-server", "ingest"]) the command is run
        as `<command> --database <ledger> <file>` and must write the same `lines` table."""
        if self.ingest_command:
            self.db.commit()
            subprocess.run([*self.ingest_command, "--database", str(self.path), str(csv_path)], check=True)
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
        return int(self.db.execute("SELECT COUNT(*) FROM lines").fetchone()[0])

    def sales_between(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """Units and revenue per stockcode (index) in [start, end): sale lines only (no cancellations, returns
        or free lines)."""
        query = ("SELECT stockcode, SUM(quantity), SUM(quantity * unit_price) FROM lines WHERE invoice_date >= ? "
                 "AND invoice_date < ? AND invoice NOT LIKE 'C%' AND quantity > 0 AND unit_price > 0 GROUP BY stockcode")
        got = self.db.execute(query, (start.strftime(DATE_FORMAT), end.strftime(DATE_FORMAT))).fetchall()
        return pd.DataFrame(got, columns=["stockcode", "units", "revenue"]).set_index("stockcode").astype(np.float64)

    def record_assignments(self, policy: str, week: int, rows: pd.DataFrame) -> None:
        """Record a week's assignments: columns stockcode, price, arm, probability."""
        data = zip([policy] * len(rows), [int(week)] * len(rows), rows["stockcode"], rows["price"].astype(float),
                   rows["arm"], rows["probability"].astype(float))
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO assignments VALUES (?,?,?,?,?,?)", data)

    def assignments(self, policy: str | None = None) -> pd.DataFrame:
        query = "SELECT * FROM assignments" + (" WHERE policy = ?" if policy else "") + " ORDER BY week, stockcode"
        return pd.read_sql_query(query, self.db, params=(policy,) if policy else None)
