"""Loaders for the UCI "Online Retail" and "Online Retail II" transaction files (.csv or .xlsx).

Both schemas are mapped onto one frame with the columns in `COLUMNS`. A file that cannot be read
(missing column, empty file, unparseable date or number) raises `LoadError`, which names the file, the
row as a spreadsheet shows it (the header is row 1) and the column.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

COLUMNS = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]
# Online Retail II renames three columns.
RENAMES_II = {"Invoice": "InvoiceNo", "Price": "UnitPrice", "Customer ID": "CustomerID"}
REQUIRED_VALUE = ["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice"]
DATE_FORMATS = ["%m/%d/%Y %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M"]


class LoadError(ValueError):
    """A transaction file that cannot be used, with the place that is wrong."""

    def __init__(self, path: Path, message: str, row: int | None = None, column: str | None = None):
        self.path, self.row, self.column = Path(path), row, column
        where = [str(path)]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {message}")


def load_transactions(path: str | Path) -> pd.DataFrame:
    """Read a UCI Online Retail (I or II) file into typed columns.

    Quantity is int64, UnitPrice float64, CustomerID float64 (NaN when missing), InvoiceDate datetime64.
    """
    path = Path(path)
    if not path.exists():
        raise LoadError(path, "file does not exist")
    if path.stat().st_size == 0:
        raise LoadError(path, "file is empty")
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm", ".xls"):
            raw = pd.read_excel(path, dtype=object, sheet_name=0)
        elif suffix in (".csv", ".txt", ".gz"):
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8", encoding_errors="replace")
        elif suffix == ".parquet":
            raw = pd.read_parquet(path)
        else:
            raise LoadError(path, f"unsupported file type {suffix!r} (expected .csv, .xlsx or .parquet)")
    except pd.errors.EmptyDataError:
        raise LoadError(path, "file is empty") from None
    except LoadError:
        raise
    except Exception as exc:  # the parsers' own messages say what is wrong with the bytes
        raise LoadError(path, f"cannot be read: {exc}") from exc

    raw = raw.rename(columns={c: c.strip() for c in raw.columns if isinstance(c, str)})
    raw = raw.rename(columns=RENAMES_II)
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        raise LoadError(path, f"missing column(s) {', '.join(missing)}; found {', '.join(map(str, raw.columns))}",
                        row=1, column=missing[0])
    if len(raw) == 0:
        raise LoadError(path, "file has a header but no rows")
    raw = raw[COLUMNS]

    def text(col: str) -> pd.Series:
        s = raw[col]
        return s.where(s.notna(), "").astype(str).str.strip()

    for col in REQUIRED_VALUE:
        empty = text(col) == ""
        if empty.any():
            raise LoadError(path, "value is empty", row=_row(empty), column=col)

    out = pd.DataFrame({
        "InvoiceNo": text("InvoiceNo").str.removesuffix(".0"),
        "StockCode": text("StockCode"),
        "Description": text("Description"),
        "Country": text("Country"),
    })
    out["Quantity"] = _numbers(path, raw["Quantity"], "Quantity", integer=True)
    out["UnitPrice"] = _numbers(path, raw["UnitPrice"], "UnitPrice")
    out["CustomerID"] = _numbers(path, raw["CustomerID"], "CustomerID", allow_empty=True)
    out["InvoiceDate"] = _dates(path, raw["InvoiceDate"])
    log.info("loaded %s: %d rows", path, len(out))
    return out[COLUMNS]


def _row(mask: pd.Series) -> int:
    """Spreadsheet row of the first True in mask: header is row 1, first data row is row 2."""
    return int(np.flatnonzero(mask.to_numpy())[0]) + 2


def _numbers(path: Path, col: pd.Series, name: str, integer: bool = False, allow_empty: bool = False) -> pd.Series:
    text = col.where(col.notna(), "").astype(str).str.strip()
    empty = text == ""
    values = pd.to_numeric(text.where(~empty, None), errors="coerce")
    bad = values.isna() & ~empty
    bad |= ~np.isfinite(values.fillna(0.0))
    if bad.any():
        i = _row(bad)
        raise LoadError(path, f"{text.iloc[i - 2]!r} is not a number", row=i, column=name)
    if empty.any() and not allow_empty:
        raise LoadError(path, "value is empty", row=_row(empty), column=name)
    if integer:
        frac = (values - np.round(values)).abs() > 1e-9
        if frac.any():
            i = _row(frac)
            raise LoadError(path, f"{text.iloc[i - 2]!r} is not a whole number", row=i, column=name)
        return values.round().astype(np.int64)
    return values.astype(np.float64)


def _dates(path: Path, col: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(col):
        return pd.to_datetime(col)
    if col.map(lambda v: isinstance(v, pd.Timestamp) or hasattr(v, "year")).all():
        return pd.to_datetime(col)
    text = col.astype(str).str.strip()
    first = text.iloc[0]
    for fmt in DATE_FORMATS:
        if not pd.isna(pd.to_datetime(first, format=fmt, errors="coerce")):
            parsed = pd.to_datetime(text, format=fmt, errors="coerce")
            bad = parsed.isna()
            if bad.any():
                i = _row(bad)
                raise LoadError(path, f"{text.iloc[i - 2]!r} is not a date in the file's format {fmt!r}",
                                row=i, column="InvoiceDate")
            return parsed
    raise LoadError(path, f"{first!r} is not a date in any known format", row=2, column="InvoiceDate")
