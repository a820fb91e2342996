"""The loaders accept both UCI schemas and name the file, row and column of anything they cannot use."""

from __future__ import annotations

import pandas as pd
import pytest

from pricing_training.loader import COLUMNS, LoadError, load_transactions

HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
GOOD = [
    "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,12/1/2010 8:26,2.55,17850.0,United Kingdom\n",
    "536365,71053,WHITE METAL LANTERN,6,12/1/2010 8:26,3.39,,United Kingdom\n",
    "C536379,D,Discount,-1,12/1/2010 9:41,27.5,14527,United Kingdom\n",
]


def write(tmp_path, text: str, name: str = "retail.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_reads_the_uci_csv_schema(tmp_path):
    df = load_transactions(write(tmp_path, HEADER + "".join(GOOD)))
    assert list(df.columns) == COLUMNS
    assert df["Quantity"].tolist() == [6, 6, -1]
    assert df["UnitPrice"].tolist() == [2.55, 3.39, 27.5]
    assert pd.isna(df["CustomerID"].iloc[1]) and df["CustomerID"].iloc[0] == 17850.0
    assert df["InvoiceDate"].iloc[0] == pd.Timestamp("2010-12-01 08:26")
    assert df["InvoiceNo"].iloc[2] == "C536379"


def test_reads_online_retail_ii_column_names(tmp_path):
    header = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n"
    df = load_transactions(write(tmp_path, header + "489434,85048,15CM CHRISTMAS GLASS BALL,12,2009-12-01 07:45:00,6.95,13085,United Kingdom\n"))
    assert df["InvoiceNo"].tolist() == ["489434"]
    assert df["UnitPrice"].tolist() == [6.95]
    assert df["CustomerID"].tolist() == [13085.0]
    assert df["InvoiceDate"].iloc[0] == pd.Timestamp("2009-12-01 07:45")


def test_reads_xlsx(tmp_path):
    df = load_transactions(write(tmp_path, HEADER + "".join(GOOD)))
    path = tmp_path / "retail.xlsx"
    df.to_excel(path, index=False)
    back = load_transactions(path)
    assert back["Quantity"].tolist() == [6, 6, -1]
    assert back["InvoiceDate"].iloc[1] == pd.Timestamp("2010-12-01 08:26")


def test_bad_xlsx_number_names_the_row(tmp_path):
    df = load_transactions(write(tmp_path, HEADER + "".join(GOOD))).astype({"UnitPrice": object})
    df.loc[1, "UnitPrice"] = "three pounds"
    path = tmp_path / "bad.xlsx"
    df.to_excel(path, index=False)
    with pytest.raises(LoadError) as err:
        load_transactions(path)
    assert err.value.row == 3 and err.value.column == "UnitPrice"
    assert "bad.xlsx" in str(err.value) and "three pounds" in str(err.value)


@pytest.mark.parametrize("text, row, column, fragment", [
    (HEADER.replace(",UnitPrice", "") + "1,2,3,4,5,6,7\n", 1, "UnitPrice", "missing column"),
    (HEADER + GOOD[0] + "536366,22633,HAND WARMER,6,31/31/2010 8:28,1.85,17850,United Kingdom\n", 3, "InvoiceDate", "not a date"),
    (HEADER + GOOD[0] + GOOD[1] + "536366,22633,HAND WARMER,six,12/1/2010 8:28,1.85,17850,United Kingdom\n", 4, "Quantity", "not a number"),
    (HEADER + "536366,22633,HAND WARMER,6,12/1/2010 8:28,1.8.5,17850,United Kingdom\n", 2, "UnitPrice", "not a number"),
    (HEADER + "536366,22633,HAND WARMER,2.5,12/1/2010 8:28,1.85,17850,United Kingdom\n", 2, "Quantity", "not a whole number"),
    (HEADER + "536366,22633,HAND WARMER,6,12/1/2010 8:28,,17850,United Kingdom\n", 2, "UnitPrice", "empty"),
    (HEADER + GOOD[0] + "536366,22633,HAND WARMER,6,12/1/2010 8:28,1.85,abc,United Kingdom\n", 3, "CustomerID", "not a number"),
    (HEADER + "536366,22633,HAND WARMER,6,12/1/2010 8:28,inf,17850,United Kingdom\n", 2, "UnitPrice", "not a number"),
])
def test_bad_values_name_file_row_and_column(tmp_path, text, row, column, fragment):
    path = write(tmp_path, text)
    with pytest.raises(LoadError) as err:
        load_transactions(path)
    assert (err.value.row, err.value.column) == (row, column)
    message = str(err.value)
    assert str(path) in message and f"row {row}" in message and repr(column) in message and fragment in message


@pytest.mark.parametrize("text, fragment", [("", "file is empty"), (HEADER, "no rows")])
def test_empty_files(tmp_path, text, fragment):
    with pytest.raises(LoadError, match=fragment):
        load_transactions(write(tmp_path, text))


def test_missing_file_and_unknown_type(tmp_path):
    with pytest.raises(LoadError, match="does not exist"):
        load_transactions(tmp_path / "nope.csv")
    with pytest.raises(LoadError, match="unsupported file type"):
        load_transactions(write(tmp_path, HEADER, "retail.json"))


def test_cli_reports_a_bad_file_and_exits_non_zero(tmp_path, capsys):
    from pricing_training.cli import main

    path = write(tmp_path, HEADER + "536366,22633,HAND WARMER,6,12/1/2010 8:28,x,17850,United Kingdom\n")
    assert main(["train", "--data", str(path), "--out", str(tmp_path / "m"), "--mode", "quick"]) == 2
    err = capsys.readouterr().err
    assert "row 2" in err and "'UnitPrice'" in err and str(path) in err
    assert not (tmp_path / "m").exists() or not any((tmp_path / "m").iterdir())
