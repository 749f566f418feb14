"""A user's table (CSV or an Excel workbook) read as text columns, as the user typed them.

Shared by the policy file and the county yield table: both are checked cell by cell
afterwards, so nothing is converted here except how a spreadsheet stores a cell (a date
cell to YYYY-MM-DD, 3.0 to 3).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from paii_core.errors import FormatError

__all__ = [
    "CSV_SUFFIXES",
    "EXCEL_SUFFIXES",
    "THOUSANDS",
    "cell_text",
    "csv_separator",
    "read_text_table",
]

CSV_SUFFIXES = (".csv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
"""Excel workbooks (openpyxl); the old binary .xls is refused with the fix to save as .xlsx."""


def cell_text(value: object) -> str:
    """A cell as the text a user typed: '' for missing, ISO for dates, 3 for 3.0."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return ""
    if isinstance(value, datetime | pd.Timestamp) and value == value.replace(
        hour=0, minute=0, second=0, microsecond=0
    ):
        return value.date().isoformat()  # a date cell (Excel, GeoPackage) as typed
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def csv_separator(path: Path) -> str:
    """The field separator of a text table, read from its header: a tab (a tab-separated
    export), ``;`` (what Excel writes where the decimal mark is a comma), else ``,``."""
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as f:
        header = re.sub(r'"[^"]*"', "", f.readline(1 << 16))  # quoted names say nothing
    for sep in ("\t", ";"):
        if sep in header and "," not in header:
            return sep
    return ","


THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")
"""A number whose commas group thousands ("1,234.5"), as spreadsheets write them."""

_DECIMAL_COMMA = re.compile(r"[+-]?(\d{1,3}(\.\d{3})+|\d+),\d+")
"""A number written with a decimal comma ("12,5", "1.234,5"), as in a semicolon CSV."""


def _decimal_point(cell: str) -> str:
    """``"1.234,5"`` -> ``"1234.5"``; any other cell as it is."""
    if _DECIMAL_COMMA.fullmatch(cell):
        return cell.replace(".", "").replace(",", ".")
    return cell


def _read_csv(path: Path, what: str) -> pd.DataFrame:
    sep = csv_separator(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", sep=sep)
    except pd.errors.EmptyDataError:
        raise FormatError(path, "is empty", f"export {what} with a header row") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise FormatError(path, f"is not a readable CSV ({e})", "save it as UTF-8 CSV") from e
    frame = frame.apply(lambda col: col.str.strip())
    # Rows of empty cells after the last filled one (",,,,," lines a spreadsheet's export
    # leaves under its data) are not rows; inner ones stay, so row numbers stay the file's.
    filled = frame.ne("").any(axis=1).to_numpy()
    frame = frame.iloc[: int(filled.nonzero()[0][-1]) + 1 if filled.any() else 0]
    if sep == ";":  # where Excel separates fields by ";", its decimal mark is the comma
        frame = frame.apply(lambda col: col.map(_decimal_point))
    return frame


def _read_excel(path: Path, what: str) -> pd.DataFrame:
    """The one sheet with data of a workbook, every cell as the text a user typed."""
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=object, engine="openpyxl")
    except Exception as e:  # openpyxl raises many types for a file that is not a workbook
        raise FormatError(
            path,
            f"is not a readable Excel workbook ({type(e).__name__}: {e})",
            "save it again from Excel as .xlsx, or as CSV UTF-8",
        ) from e
    filled = {name: f.dropna(how="all") for name, f in sheets.items()}
    filled = {name: f for name, f in filled.items() if not f.empty}
    if len(filled) > 1:
        raise FormatError(
            path,
            f"has {len(filled)} sheets with data ({', '.join(map(str, filled))}); which one "
            f"holds {what} is not guessed",
            f"save the sheet of {what} alone as a workbook or as CSV UTF-8",
        )
    if not filled:
        raise FormatError(path, "has no rows", f"export {what} with a header row")
    frame = next(iter(filled.values()))
    frame = frame.loc[:, ~frame.columns.astype(str).str.startswith("Unnamed:")]
    return pd.DataFrame({str(c).strip(): [cell_text(v) for v in frame[c]] for c in frame.columns})


def read_text_table(path: Path, what: str) -> pd.DataFrame:
    """A CSV (comma, semicolon or tab separated, UTF-8) or an Excel workbook's one sheet
    with data, every cell as text; ``what`` ("the policies") names the content in errors.
    In a semicolon CSV a number's comma is its decimal mark: "1.234,5" is read "1234.5".

    Raises:
        FormatError: another extension (an old .xls with the fix to save as .xlsx), an
            unreadable or empty file, a workbook of several sheets with data.
    """
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return _read_csv(path, what)
    if suffix in EXCEL_SUFFIXES:
        return _read_excel(path, what)
    if suffix == ".xls":
        raise FormatError(
            path,
            "is an old binary Excel workbook (.xls)",
            "open it in Excel and save it as .xlsx (Excel Workbook) or as CSV UTF-8",
        )
    known = ", ".join(CSV_SUFFIXES + EXCEL_SUFFIXES)
    raise FormatError(path, f"has the unknown extension {suffix!r}", f"use one of {known}")
