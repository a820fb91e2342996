"""Reading what sold from the service's sales ledger: a SQLite file or a PostgreSQL database (docs/ledger.md).

The Swift service writes the ledger (`pricing-server ingest`, `POST /v1/sales`); the weekly update
(weekly_update.py) only reads it. Both databases hold the table `sales` with the same columns (invoice_no,
stock_code, occurrence, quantity, invoice_date as text `YYYY-MM-DD HH:MM:SS`, unit_price, customer_id, ...), so one
set of queries serves both; SQLite is read with `sqlite3` (opened read-only), PostgreSQL with psycopg 3. A loop
run's own SQLite ledger without the Swift build (ledger.py's table `lines`, the same meaning) is read too.

Sale lines are the lines `Ledger.sales_between` counts: not a cancellation (invoice `C...`), quantity > 0 and
unit price > 0. Errors name the file or the URL (its password as `***`).

The service's ledgers also hold `assignments`, the plans it served (one row per running test and week,
docs/ledger.md); `assignments` reads them for the weekly update's check of its replay (plan_assignments.py), and `plans` the plan
documents themselves (table `plans`, schema version 2), which the replay follows (served_plans.py).
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd

from .ledger import DATE_FORMAT, LINE_TABLES

POSTGRES_SCHEMES = ("postgres://", "postgresql://")
CONNECT_TIMEOUT_SECONDS = 10  # as the service's own PostgreSQL ledger waits (docs/ledger.md)
LINE_COLUMNS = ["invoice", "stockcode", "quantity", "invoice_date", "unit_price", "customer_id"]
ASSIGNMENT_COLUMNS = ["plan_id", "stockcode", "week_start", "price", "arm", "probability", "recorded_at"]
PLAN_COLUMNS = ["plan_id", "week_start", "document", "recorded_at"]


class LedgerSourceError(ValueError):
    """A ledger that cannot be opened or read; the message names the file or URL."""


def redacted(location: str) -> str:
    """The location as it may be printed: a postgres URL's password replaced by `***`."""
    return re.sub(r"^(postgres(?:ql)?://[^:/@]*:)[^@]*@", r"\1***@", location)


class SalesLedger:
    """Read-only view of a ledger's sale lines (module docstring). `open_ledger` makes one."""

    def __init__(self, connection, name: str, table: str, invoice: str, stockcode: str, placeholder: str,
                 has_assignments: bool = False, bytewise: str = "", has_plans: bool = False):
        self._db, self.name = connection, name
        self._table, self._invoice, self._stockcode, self._p = table, invoice, stockcode, placeholder
        self.has_assignments = has_assignments  # the service's `assignments` table is there
        self.has_plans = has_plans  # the service's `plans` table (schema version 2) is there
        self._bytewise = bytewise  # the collation that orders texts by their bytes, as SQLite does

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "SalesLedger":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _sales_where(self) -> str:
        # SQLite's LIKE 'C%' (Ledger.sales_between) ignores case; PostgreSQL's does not: this reads the same in both.
        return f"upper(substr({self._invoice}, 1, 1)) <> 'C' AND quantity > 0 AND unit_price > 0"

    def _query(self, sql: str, params: tuple) -> list[tuple]:
        try:
            cursor = self._db.cursor()
            cursor.execute(sql, params)
            return cursor.fetchall()
        except Exception as exc:  # sqlite3.Error, psycopg.Error: both name what went wrong
            raise LedgerSourceError(f"{self.name}: cannot read the sales ledger: {exc}") from None

    def last_sale(self) -> pd.Timestamp | None:
        """The date of the newest sale line, or None when the ledger holds none."""
        row = self._query(f"SELECT MAX(invoice_date) FROM {self._table} WHERE {self._sales_where()}", ())
        return pd.Timestamp(row[0][0]) if row and row[0][0] is not None else None

    def sales_between(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """Units and revenue per stockcode (index) of the sale lines dated in [start, end), as
        `ledger.Ledger.sales_between`."""
        p = self._p
        rows = self._query(
            f"SELECT {self._stockcode}, SUM(quantity), SUM(quantity * unit_price) FROM {self._table} "
            f"WHERE invoice_date >= {p} AND invoice_date < {p} AND {self._sales_where()} GROUP BY {self._stockcode}",
            (start.strftime(DATE_FORMAT), end.strftime(DATE_FORMAT)))
        frame = pd.DataFrame(rows, columns=["stockcode", "units", "revenue"]).set_index("stockcode")
        return frame.astype(np.float64)

    def lines_between(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """The sale lines dated in [start, end) (LINE_COLUMNS), in one order whatever the database, so that sums over
        them come out the same to the last bit from SQLite and PostgreSQL (SQL's SUM adds in scan order)."""
        p = self._p
        rows = self._query(
            f"SELECT {self._invoice}, {self._stockcode}, quantity, invoice_date, unit_price, customer_id "
            f"FROM {self._table} WHERE invoice_date >= {p} AND invoice_date < {p} AND {self._sales_where()} "
            f"ORDER BY invoice_date, {self._invoice}, {self._stockcode}, quantity, unit_price",
            (start.strftime(DATE_FORMAT), end.strftime(DATE_FORMAT)))
        frame = pd.DataFrame(rows, columns=LINE_COLUMNS)
        frame["invoice_date"] = pd.to_datetime(frame["invoice_date"], format=DATE_FORMAT)
        frame["quantity"] = frame["quantity"].astype(np.float64)
        frame["unit_price"] = frame["unit_price"].astype(np.float64)
        frame["customer_id"] = pd.to_numeric(frame["customer_id"], errors="coerce").astype(np.float64)
        return frame

    def assignments(self, first: dt.date, last: dt.date) -> pd.DataFrame | None:
        """The plans the service recorded for the weeks from the Monday `first` to the Monday `last` (included):
        ASSIGNMENT_COLUMNS, by week, plan and product; None when the ledger has no `assignments` table."""
        if not self.has_assignments:
            return None
        p, c = self._p, self._bytewise
        rows = self._query(
            "SELECT plan_id, stock_code, week, price, arm, probability, recorded_at FROM assignments "
            f"WHERE week >= {p} AND week <= {p} ORDER BY week{c}, plan_id{c}, stock_code{c}",
            (first.isoformat(), last.isoformat()))
        frame = pd.DataFrame(rows, columns=ASSIGNMENT_COLUMNS)
        frame["price"] = frame["price"].astype(np.float64)
        frame["probability"] = frame["probability"].astype(np.float64)
        return frame

    def plans(self, first: dt.date, last: dt.date) -> pd.DataFrame | None:
        """The plan documents the service recorded for the weeks from the Monday `first` to the Monday `last`
        (included): PLAN_COLUMNS (`document` the JSON text), by week and plan; None when the ledger has no `plans`
        table (a service older than plan documents, a loop run's own file)."""
        if not self.has_plans:
            return None
        p, c = self._p, self._bytewise
        rows = self._query(
            f"SELECT plan_id, week, document, recorded_at FROM plans WHERE week >= {p} AND week <= {p} "
            f"ORDER BY week{c}, plan_id{c}", (first.isoformat(), last.isoformat()))
        return pd.DataFrame(rows, columns=PLAN_COLUMNS)


def open_ledger(location: str | Path) -> SalesLedger:
    """The ledger at `location`: a `postgres://` / `postgresql://` URL, else a SQLite file that must exist."""
    text = str(location)
    if text.startswith(POSTGRES_SCHEMES):
        return _open_postgres(text)
    return _open_sqlite(Path(text))


def _open_sqlite(path: Path) -> SalesLedger:
    if not path.is_file():
        raise LedgerSourceError(f"{path}: no such ledger file (give the SQLite file pricing-server ingest writes, "
                                "or a postgres:// URL)")
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error as exc:
        raise LedgerSourceError(f"{path}: not a readable SQLite ledger ({exc})") from None
    # The service's `sales`; else a loop run's own ledger without the Swift build (`lines`, ledger.py).
    for swift in (True, False):
        table, invoice, stockcode = LINE_TABLES[swift]
        if table in tables:
            return SalesLedger(db, str(path), table, invoice, stockcode, "?", has_assignments=swift and "assignments" in tables,
                               has_plans=swift and "plans" in tables)
    db.close()
    raise LedgerSourceError(f"{path}: has no table `sales` (not a pricing-server ledger; nothing ingested yet?)")


def _open_postgres(url: str) -> SalesLedger:
    name = redacted(url)
    try:
        import psycopg
    except ImportError:
        raise LedgerSourceError(f"{name}: reading a PostgreSQL ledger needs psycopg (pip install -r "
                                "training/requirements.lock)") from None
    try:
        db = psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_SECONDS, autocommit=True,
                             application_name="pricing-training weekly-update")
    except psycopg.Error as exc:
        raise LedgerSourceError(f"{name}: cannot connect to PostgreSQL: {str(exc).strip()}") from None
    found = db.execute("SELECT to_regclass('sales') IS NOT NULL").fetchone()[0]
    if not found:
        db.close()
        raise LedgerSourceError(f"{name}: has no table `sales` (not a pricing-server ledger; nothing ingested yet?)")
    table, invoice, stockcode = LINE_TABLES[True]
    assignments = db.execute("SELECT to_regclass('assignments') IS NOT NULL").fetchone()[0]
    plans = db.execute("SELECT to_regclass('plans') IS NOT NULL").fetchone()[0]
    return SalesLedger(db, name, table, invoice, stockcode, "%s", has_assignments=assignments, bytewise=' COLLATE "C"',
                       has_plans=plans)
