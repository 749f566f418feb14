"""USDA NASS Quick Stats CSV exports of county statistics: read and write."""

from __future__ import annotations

import csv
import math
import re
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from paii_core.errors import FormatError, InputNotFoundError, ValidationError
from paii_core.io._atomic import atomic_path
from paii_core.io.tables import csv_separator

__all__ = [
    "API_COLUMNS",
    "NASS_CODES",
    "NASS_COLUMNS",
    "county_id_from_ansi",
    "is_quickstats",
    "read_nass_quickstats",
    "unit_from_data_item",
    "write_nass_quickstats",
]

NASS_COLUMNS: tuple[str, ...] = (
    "Program",
    "Year",
    "Period",
    "Week Ending",
    "Geo Level",
    "State",
    "State ANSI",
    "Ag District",
    "Ag District Code",
    "County",
    "County ANSI",
    "Zip Code",
    "Region",
    "watershed_code",
    "Watershed",
    "Commodity",
    "Data Item",
    "Domain",
    "Domain Category",
    "Value",
    "CV (%)",
)
"""Columns of a Quick Stats CSV export, in order."""

NASS_CODES: dict[str, str] = {
    "(D)": "withheld to avoid disclosing data for individual operations",
    "(Z)": "less than half the rounding unit",
    "(NA)": "not available",
    "(X)": "not applicable",
    "(S)": "insufficient reports to publish",
    "(H)": "coefficient of variation of 99.95 percent or more",
    "(L)": "coefficient of variation of less than 0.05 percent",
}
"""Quick Stats value codes that stand for a missing number (NASS Quick Stats glossary)."""

REQUIRED: tuple[str, ...] = (
    "Year",
    "Geo Level",
    "State",
    "State ANSI",
    "County",
    "County ANSI",
    "Commodity",
    "Data Item",
    "Value",
)
OUT_COLUMNS: tuple[str, ...] = (
    "county_id",
    "year",
    "commodity",
    "data_item",
    "value",
    "withheld",
    "unit",
    "state",
    "county",
)
_NUMBER_RE = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$|^[+-]?\.\d+$")
_UNIT_RE = re.compile(r"MEASURED IN\s+(.+?)\s*$", flags=re.IGNORECASE)


def unit_from_data_item(item: str) -> str | None:
    """Unit of a Data Item: ``"CORN, GRAIN - YIELD, MEASURED IN BU / ACRE"`` -> ``"bu/acre"``.

    Also ``"T / HA"`` -> ``"t/ha"``, ``"KG / MU"`` -> ``"kg/mu"``, ``"... - ACRES
    HARVESTED"`` -> ``"acres"``; None when the item names no unit.
    """
    m = _UNIT_RE.search(item)
    if m:
        return re.sub(r"\s*/\s*", "/", m.group(1)).strip().lower()
    if re.search(r"-\s*ACRES\b", item, flags=re.IGNORECASE):
        return "acres"
    return None


def county_id_from_ansi(state_ansi: str, county_ansi: str) -> str:
    """``("19", "169")`` -> ``"19169"``; ``("41", "0526")`` -> ``"410526"``.

    US: state padded to 2 digits + county to 3 (5-digit FIPS). Chinese counties use the
    same columns with the 2-digit province code and the last 4 digits of the adcode, so a
    county part of 4 digits is kept at 4 (6-digit adcode).

    Raises:
        ValidationError: non-digit parts, or too many digits.
    """
    s, c = str(state_ansi).strip(), str(county_ansi).strip()
    if not (s.isdigit() and c.isdigit() and len(s) <= 2 and len(c) <= 4):
        raise ValidationError(
            f"State ANSI {state_ansi!r} / County ANSI {county_ansi!r} are not 1-2 and 1-4 digits"
        )
    return s.zfill(2) + (c.zfill(3) if len(c) <= 3 else c)


API_COLUMNS: dict[str, str] = {
    "source_desc": "Program",
    "year": "Year",
    "reference_period_desc": "Period",
    "week_ending": "Week Ending",
    "agg_level_desc": "Geo Level",
    "state_name": "State",
    "state_ansi": "State ANSI",
    "state_fips_code": "State ANSI",
    "asd_desc": "Ag District",
    "asd_code": "Ag District Code",
    "county_name": "County",
    "county_ansi": "County ANSI",
    "county_code": "County ANSI",
    "commodity_desc": "Commodity",
    "short_desc": "Data Item",
    "domain_desc": "Domain",
    "domaincat_desc": "Domain Category",
    "value": "Value",
    "cv_%": "CV (%)",
    "cv (%)": "CV (%)",
}
"""Quick Stats API names (its CSV/JSON, rnassqs, the bulk qs.*.txt files in upper case) of
the web export's columns; the first of two names for one column wins (state_ansi)."""


def is_quickstats(path: Path) -> bool:
    """Whether a CSV's header is a USDA NASS Quick Stats export's (Commodity, Data Item),
    or its API's (commodity_desc, short_desc)."""
    if path.suffix.lower() not in (".csv", ".txt") or not path.is_file():
        return False
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        header = f.readline()
    names = {h.strip().strip('"').lower() for h in header.split(csv_separator(path))}
    return {"commodity", "data item"} <= names or {"commodity_desc", "short_desc"} <= names


def _web_names(raw: pd.DataFrame) -> pd.DataFrame:
    """A Quick Stats API / bulk table with the web export's column names; a web export as
    it is."""
    lower = {c.lower(): c for c in raw.columns}
    if "Data Item" in raw.columns or "short_desc" not in lower:
        return raw
    chosen: dict[str, str] = {}
    for api, web in API_COLUMNS.items():
        if api in lower and web not in chosen.values():
            chosen[lower[api]] = web
    return raw[list(chosen)].rename(columns=chosen)


def _parse_value(text: str) -> tuple[float, str | None] | None:
    """``"1,234"`` -> (1234.0, None); ``"(D)"`` -> (nan, "(D)"); garbage -> None."""
    t = text.strip()
    if t in NASS_CODES:
        return math.nan, t
    if _NUMBER_RE.match(t):
        return float(t.replace(",", "")), None
    return None


def read_nass_quickstats(
    path: str | PathLike[str], *, commodity: str | None = None, extra: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Read the county rows of a Quick Stats CSV export.

    Rows whose Geo Level is not COUNTY are dropped, and so are county rows without a
    County ANSI (NASS's "OTHER (COMBINED) COUNTIES").

    Args:
        path: the CSV file.
        commodity: keep only this Commodity (case-insensitive), e.g. ``"CORN"``.
        extra: more columns of the export to keep, as text ("" where the file lacks
            one), named in lower case with underscores ("Domain" -> ``domain``).

    Returns:
        DataFrame with county_id (str: 5-digit FIPS, or 6-digit adcode for Chinese
        counties), year (int64), commodity, data_item (str, as in the file), value
        (float64; NaN for the :data:`NASS_CODES`), withheld (the code or None), unit
        (:func:`unit_from_data_item`), state, county (str).

    Raises:
        InputNotFoundError: no such file.
        FormatError: empty or not a CSV; missing required columns (listed); no county
            rows; a Value neither a number nor a code, a bad Year or ANSI (row named).
        ValidationError: ``commodity`` matches no row (the file's commodities listed).
    """
    p = Path(path)
    if not p.exists():
        raise InputNotFoundError(f"{p}: Quick Stats CSV not found; check the path")
    try:
        raw = pd.read_csv(
            p, dtype=str, keep_default_na=False, encoding="utf-8-sig", sep=csv_separator(p)
        )
    except pd.errors.EmptyDataError:
        raise FormatError(
            p, "is empty", "export the query again from quickstats.nass.usda.gov"
        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise FormatError(
            p, f"is not a readable CSV ({e})", "pass the Quick Stats CSV export"
        ) from e
    if not isinstance(raw.index, pd.RangeIndex):  # pandas made the surplus fields an index
        raise FormatError(
            p,
            "has rows with more fields than its header (an unquoted comma in a value?)",
            "export the query again from quickstats.nass.usda.gov as CSV",
        )
    raw.columns = [str(c).strip() for c in raw.columns]
    raw = _web_names(raw)
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise FormatError(
            p,
            f"lacks columns {', '.join(missing)}",
            "export from Quick Stats as CSV with all columns (Geo Level county)",
        )
    if raw.empty:
        raise FormatError(p, "has a header but no rows", "export a query that returns rows")
    levels = raw["Geo Level"].str.strip().str.upper()
    county = raw[(levels == "COUNTY") & (raw["County ANSI"].str.strip() != "")]
    if county.empty:
        found = ", ".join(sorted(set(levels))) or "none"
        raise FormatError(
            p,
            f"has no county rows with a County ANSI (Geo Level values: {found})",
            "query Quick Stats with Geo Level = COUNTY",
        )
    if commodity is not None:
        chosen = county["Commodity"].str.strip().str.upper() == commodity.strip().upper()
        if not chosen.any():
            known = ", ".join(sorted(set(county["Commodity"])))
            raise ValidationError(f"commodity {commodity!r} is not in {p}; it has: {known}")
        county = county[chosen]

    rows = []
    for idx, r in county.iterrows():
        line = int(idx) + 2  # header is line 1
        parsed = _parse_value(r["Value"])
        if parsed is None:
            raise FormatError(
                p,
                f"row {int(idx) + 1} (line {line}) has Value {r['Value']!r}, neither a number "
                f"nor a NASS code ({', '.join(NASS_CODES)})",
                "fix or remove that row",
            )
        try:
            cid = county_id_from_ansi(r["State ANSI"], r["County ANSI"])
            text = str(r["Year"]).strip()
            if not (text.isdecimal() and 1800 <= int(text) <= 2200):
                raise ValueError(f"Year {r['Year']!r} is not a year")
            year = int(text)
        except ValueError as e:
            raise FormatError(p, f"row {int(idx) + 1} (line {line}): {e}", "fix that row") from e
        item = r["Data Item"].strip()
        rows.append(
            (
                cid,
                year,
                r["Commodity"].strip(),
                item,
                parsed[0],
                parsed[1],
                unit_from_data_item(item),
                r["State"].strip(),
                r["County"].strip(),
            )
        )
    cols = list(zip(*rows, strict=True))
    out = pd.DataFrame(
        {
            "county_id": pd.Series(cols[0], dtype=str),
            "year": pd.Series(cols[1], dtype=np.int64),
            "commodity": pd.Series(cols[2], dtype=str),
            "data_item": pd.Series(cols[3], dtype=str),
            "value": pd.Series(cols[4], dtype=np.float64),
            "withheld": pd.Series(cols[5], dtype=object),
            "unit": pd.Series(cols[6], dtype=object),
            "state": pd.Series(cols[7], dtype=str),
            "county": pd.Series(cols[8], dtype=str),
        },
        columns=list(OUT_COLUMNS),
    )
    for name in extra:
        key = name.strip().lower().replace(" ", "_")
        out[key] = county[name].str.strip().to_numpy(dtype=str) if name in county.columns else ""
    return out


def _format_value(value: float, withheld: object, unit: str | None) -> str:
    """NASS style: thousands separators; whole counts without decimals ("1,234"),
    rates and fractional values as written ("181.3")."""
    if pd.isna(value):
        return withheld if isinstance(withheld, str) and withheld in NASS_CODES else "(NA)"
    v = float(value)
    if not math.isfinite(v):
        raise ValidationError(f"value {value!r} is not finite; use NaN with a withheld code")
    if (v.is_integer() and (unit is None or "/" not in unit)) or abs(v) >= 1e15:
        return f"{v:,.0f}"
    return format(v, ",")


def write_nass_quickstats(path: str | PathLike[str], df: pd.DataFrame) -> Path:
    """Write county rows as a Quick Stats CSV export (all :data:`NASS_COLUMNS`), atomically.

    Value is NASS-formatted: thousands separators, counts without decimals ("1,234"),
    yields as given ("181.3", "180.0"); NaN becomes the row's ``withheld`` code, or
    "(NA)" without one. Program SURVEY, Period YEAR, Geo Level COUNTY, Domain TOTAL;
    State ANSI / County ANSI split from county_id (2 + 3 digits for FIPS, 2 + 4 for
    adcodes).

    Args:
        path: output CSV.
        df: county_id, year, commodity, data_item, value, state, county; optional
            withheld.

    Returns:
        The output path.

    Raises:
        ValidationError: missing columns; a county_id that is not 5 or 6 digits; a
            withheld code not in :data:`NASS_CODES`; an infinite value.
    """
    need = ("county_id", "year", "commodity", "data_item", "value", "state", "county")
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise ValidationError(
            f"df lacks columns {', '.join(missing)}; write_nass_quickstats needs {', '.join(need)}"
        )
    withheld = df["withheld"] if "withheld" in df.columns else pd.Series([None] * len(df))
    records = []
    for (_, r), code in zip(df.iterrows(), withheld, strict=True):
        cid = str(r["county_id"]).strip()
        if not (cid.isdigit() and len(cid) in (5, 6)):
            raise ValidationError(f"county_id {cid!r} is not a 5-digit FIPS code or 6-digit adcode")
        if isinstance(code, str) and code and code not in NASS_CODES:
            raise ValidationError(
                f"withheld {code!r} is not a NASS code; use one of {', '.join(NASS_CODES)}"
            )
        try:
            year = int(r["year"])
        except (TypeError, ValueError):
            raise ValidationError(f"year {r['year']!r} of county {cid} is not a year") from None
        item = str(r["data_item"])
        rec = dict.fromkeys(NASS_COLUMNS, "")
        rec.update(
            {
                "Program": "SURVEY",
                "Year": str(year),
                "Period": "YEAR",
                "Geo Level": "COUNTY",
                "State": str(r["state"]),
                "State ANSI": cid[:2],
                "County": str(r["county"]),
                "County ANSI": cid[2:],
                "watershed_code": "00000000",
                "Commodity": str(r["commodity"]),
                "Data Item": item,
                "Domain": "TOTAL",
                "Domain Category": "NOT SPECIFIED",
                "Value": _format_value(r["value"], code, unit_from_data_item(item)),
            }
        )
        records.append(rec)
    target = Path(path)
    with atomic_path(target) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=NASS_COLUMNS, quoting=csv.QUOTE_ALL)
            writer.writeheader()
            writer.writerows(records)
    return target
