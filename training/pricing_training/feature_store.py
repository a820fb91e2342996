"""The feature store: per product, what the service needs to answer without reading the transaction log.

Layout (documented in models/README.md):

- ``features/products.json.gz``: the product index, sorted by stockcode: description, category, line
  count, the sale lines' price statistics, first/last sale date, the pricing facts (current and reference
  price, supported range, weeks with sales), and where its context rows are (shard, row_offset, row_count).
- ``features/context-NNN.safetensors.gz``: gzip of a safetensors file with one F32 tensor ``rows`` of
  shape [rows, columns]. A product's rows are contiguous. Columns are the ones the pipeline passes
  (``pipeline.STORE_COLUMNS``): the numeric context features of the product's most recent weeks, then
  each categorical feature as the index of its value in the preprocessor's categories (NaN when missing
  or unseen).

A product lives in shard crc32(stockcode) mod shard_count, so a request loads one small shard, never
the whole store.
"""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
from safetensors.numpy import load, save

from .preprocessor import Preprocessor


def shard_of(stockcode: str, shards: int) -> int:
    return zlib.crc32(stockcode.encode("utf-8")) % shards


def price_stats(prices: pd.Series) -> dict[str, float]:
    p = prices.to_numpy(np.float64)
    return {"min": float(p.min()), "p10": float(np.quantile(p, 0.1)), "median": float(np.median(p)),
            "mean": float(p.mean()), "p90": float(np.quantile(p, 0.9)), "max": float(p.max()), "last": float(p[-1])}


class _ShardPacker:
    """Places each product's rows, in stockcode order, contiguously in its shard."""

    def __init__(self, shards: int, width: int):
        self.rows: list[list[np.ndarray]] = [[] for _ in range(shards)]
        self.lengths = [0] * shards
        self.width = width

    def add(self, code: str, rows: np.ndarray) -> dict:
        """Appends `rows` to the product's shard; returns its index entry's location fields."""
        s = shard_of(code, len(self.rows))
        where = {"shard": s, "row_offset": self.lengths[s], "row_count": int(len(rows))}
        self.rows[s].append(rows)
        self.lengths[s] += len(rows)
        return where

    def matrices(self) -> list[np.ndarray]:
        return [np.concatenate(r, axis=0) if r else np.zeros((0, self.width), np.float32) for r in self.rows]


def _category_codes(frame: pd.DataFrame, pre: Preprocessor) -> np.ndarray:
    """Each categorical feature as the float32 index of its value (NaN when missing or unseen)."""
    codes = pre.codes(frame).astype(np.float32)
    codes[codes < 0] = np.nan
    return codes


def build(context: pd.DataFrame, lines: pd.DataFrame, products: pd.DataFrame, pre: Preprocessor,
          columns: list[str], shards: int) -> tuple[list[dict], list[np.ndarray]]:
    """The store of a version: per product its recent weeks' as-of features (`context`, rows grouped by
    stockcode in week order), the index with the line-price history the default request range comes from,
    and the product's pricing facts (current price, supported range). Returns (index, one matrix per shard)."""
    numeric = [c for c in columns if c not in pre.categorical]
    matrix = np.concatenate([context[numeric].to_numpy(np.float32), _category_codes(context, pre)], axis=1)
    packer = _ShardPacker(shards, matrix.shape[1])
    index = []
    groups = context.groupby("stockcode", sort=True).indices
    by_line = lines.groupby("stockcode", sort=True)
    facts = products.set_index("stockcode")
    for code in sorted(facts.index):
        line_rows = by_line.get_group(code)
        f = facts.loc[code]
        index.append({
            "stockcode": code, "description": str(f["description"]), "category": None if pd.isna(f["category"]) else str(f["category"]),
            "lines": int(len(line_rows)), "price": price_stats(line_rows["unit_price"]),
            "first_sold": str(line_rows["invoice_date"].iloc[0].date()), "last_sold": str(line_rows["invoice_date"].iloc[-1].date()),
            "current_price": float(f["current_price"]), "reference_price": float(np.exp(f["log_reference_price"])),
            "support": [float(f["support_min"]), float(f["support_max"])], "weeks_with_sales": int(f["weeks_with_sales"]),
        } | packer.add(code, matrix[groups.get(code, np.zeros(0, np.int64))]))
    return index, packer.matrices()


def shard_name(i: int) -> str:
    return f"features/context-{i:03d}.safetensors.gz"


def write(folder: Path, index: list[dict], shards: list[np.ndarray], columns: list[str]) -> list[str]:
    """Write the index and shards under folder/features; return the relative paths written."""
    (folder / "features").mkdir(parents=True, exist_ok=True)
    written = []
    for i, mat in enumerate(shards):
        data = save({"rows": np.ascontiguousarray(mat, dtype=np.float32)}, metadata={"columns": ",".join(columns)})
        (folder / shard_name(i)).write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
        written.append(shard_name(i))
    doc = {"columns": columns, "shards": len(shards), "products": index}
    (folder / "features/products.json.gz").write_bytes(
        gzip.compress(json.dumps(doc, separators=(",", ":")).encode(), compresslevel=9, mtime=0))
    written.append("features/products.json.gz")
    return written


class FeatureStore:
    """Reads a version folder's feature store lazily, one shard at a time."""

    def __init__(self, folder: Path, pre: Preprocessor):
        self.folder, self.pre = Path(folder), pre
        doc = json.loads(gzip.decompress((self.folder / "features/products.json.gz").read_bytes()))
        self.columns = doc["columns"]
        self.products = {p["stockcode"]: p for p in doc["products"]}
        self._shards: dict[int, np.ndarray] = {}

    def _shard(self, i: int) -> np.ndarray:
        if i not in self._shards:
            self._shards[i] = load(gzip.decompress((self.folder / shard_name(i)).read_bytes()))["rows"]
        return self._shards[i]

    def context(self, stockcode: str) -> pd.DataFrame:
        """The product's context rows as a raw feature frame (categories decoded to strings)."""
        p = self.products[stockcode]
        rows = self._shard(p["shard"])[p["row_offset"]:p["row_offset"] + p["row_count"]]
        frame = pd.DataFrame(rows.astype(np.float64), columns=self.columns)
        for name, cats in zip(self.pre.categorical, self.pre.categories):
            code = frame[name].to_numpy()
            frame[name] = [cats[int(c)] if np.isfinite(c) else None for c in code]
        return frame
