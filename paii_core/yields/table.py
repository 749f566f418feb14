"""A county yield table as an insurer or a statistics office keeps it: one row per county,
crop and year, in CSV or Excel, in any unit PAII can convert.

This is how yields come for regions outside the USA (a Chinese provincial yearbook's
county table, a national statistics download), and how a US insurer keeps its own loss-
adjusted yields. Rows are checked one by one; a file with any problem is refused whole,
listing every problem with its row and the fix (as policies are).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from paii_core.errors import FormatError
from paii_core.importing import Problem
from paii_core.io.tables import THOUSANDS, read_text_table
from paii_core.text import count
from paii_core.yields.units import BUSHEL_KG, MASS_UNITS_KG_PER_ACRE, UNITS, convert_yield

__all__ = [
    "COMMON_UNITS",
    "CROP_NAMES",
    "TABLE_COLUMNS",
    "UNIT_NAMES",
    "TableRows",
    "grain_of",
    "read_yield_table",
    "table_unit",
]

TABLE_COLUMNS: dict[str, str] = {
    "county_id": "the county's id in the region (FIPS 19153, admin code 410526); or give county",
    "county": "the county's name as in the region's boundaries (used when county_id is absent)",
    "crop": "any crop name: wheat, maize, winter wheat, soybeans, 玉米 ...; or one column per "
    "crop holding the yields; or chosen on import for a file of one crop",
    "year": "the harvest year, e.g. 2019; or one column per year (2018, 2019年...) or per crop "
    "and year (Corn 2019, 小麦2019年...) holding the yields",
    "yield": "the yield, a number; empty, NA or - for a year without one (skipped)",
    "unit": "t/ha, kg/ha, kg/mu, jin/mu, bu/acre, lb/acre, q/ha...; or in the header as "
    "'yield (kg/mu)', or chosen on import for the whole file",
}
"""The columns of a county yield table and what each holds (README.md shows the same)."""

ALIASES: dict[str, str] = {
    "fips": "county_id",
    "geoid": "county_id",
    "county_code": "county_id",
    "county_fips": "county_id",
    "adcode": "county_id",
    "code": "county_id",
    "county_name": "county",
    "name": "county",
    "commodity": "crop",
    "crop_name": "crop",
    "season": "year",
    "harvest_year": "year",
    "crop_year": "year",
    "value": "yield",
    "yield_value": "yield",
    "yield_unit": "unit",
    "units": "unit",
    "县": "county",
    "作物": "crop",
    "年份": "year",
    "年": "year",
    "单产": "yield",
    "单位": "unit",
}
"""Other names accepted for a column (after lower-casing; spaces and hyphens become _)."""

CROP_NAMES: dict[str, str] = {
    "corn": "corn",
    "soybeans": "soybean",
    "peanuts": "peanut",
    "sugarbeets": "sugarbeet",
    "potatoes": "potato",
    "小麦": "wheat",
    "冬小麦": "winter wheat",
    "春小麦": "spring wheat",
    "玉米": "maize",
    "稻谷": "rice",
    "水稻": "rice",
    "大豆": "soybean",
    "花生": "peanut",
    "棉花": "cotton",
    "油菜籽": "rapeseed",
    "油菜": "rapeseed",
    "高粱": "sorghum",
    "谷子": "millet",
    "马铃薯": "potato",
    "甘薯": "sweet potato",
}
"""Crop names read as PAII names them (plural Quick Stats names, Chinese yearbook names);
any other name is kept in lower case. Corn is maize in a Chinese region."""

UNIT_NAMES: dict[str, tuple[str, float]] = {
    **{u: (u, 1.0) for u in (*UNITS, *MASS_UNITS_KG_PER_ACRE)},
    "bu/ac": ("bu/acre", 1.0),
    "bu/a": ("bu/acre", 1.0),
    "bushels/acre": ("bu/acre", 1.0),
    "bpa": ("bu/acre", 1.0),
    "lbs/acre": ("lb/acre", 1.0),
    "lb/ac": ("lb/acre", 1.0),
    "t/ha": ("t/ha", 1.0),
    "tonnes/ha": ("t/ha", 1.0),
    "tonne/ha": ("t/ha", 1.0),
    "mt/ha": ("t/ha", 1.0),
    "吨/公顷": ("t/ha", 1.0),
    "kg/ha": ("t/ha", 1e-3),
    "公斤/公顷": ("t/ha", 1e-3),
    "千克/公顷": ("t/ha", 1e-3),
    # A quintal (q) and a decitonne (dt) are 100 kg (FAO, "World Programme for the Census of
    # Agriculture", units; dt/ha is the German statistics offices' yield unit).
    "q/ha": ("t/ha", 0.1),
    "qt/ha": ("t/ha", 0.1),
    "dt/ha": ("t/ha", 0.1),
    "公斤/亩": ("kg/mu", 1.0),
    "千克/亩": ("kg/mu", 1.0),
    "kg/亩": ("kg/mu", 1.0),
    # One jin (市斤) is 0.5 kg (PRC Measurement Law units, 1984).
    "jin/mu": ("kg/mu", 0.5),
    "斤/亩": ("kg/mu", 0.5),
}
"""Unit spellings (lower case, no spaces; "per" read as "/") -> (PAII unit, factor)."""

COMMON_UNITS = ("t/ha", "kg/ha", "kg/mu", "jin/mu", "q/ha", "bu/acre", "lb/acre")
"""The units offered for a table that names none (the form's list, the CLI's help); a
file may spell any of :data:`UNIT_NAMES`."""

_KNOWN_CROPS = frozenset(
    {*CROP_NAMES, *CROP_NAMES.values(), *BUSHEL_KG, "cotton", "peanut", "rapeseed", "canola",
     "millet", "potato", "sugarbeet", "sunflower", "hay"}
)  # fmt: skip
"""Column names read as crops in a table of one column per crop (county, year, wheat, maize)."""

MISSING = frozenset(
    {"", "na", "n/a", "nan", "-", "--", "—", "..", "...", "…", "(d)", "(na)", "(z)"}
)
"""Cells that mean "no yield this year": the row is skipped and counted."""

PLAUSIBLE_T_HA = (0.2, 25.0)
"""A grain's median county yield lies in this range in t/ha (world county yields of wheat,
maize, rice, soybean, barley: about 0.5 to 15 t/ha; FAOSTAT): outside it the unit is wrong."""

_YEAR_COLUMN = re.compile(r"(19|20)\d{2}(年|_?yield)?")
"""A wide table's year column: 2019, 2019年, 2019_yield."""

_CROP_YEAR_COLUMN = re.compile(
    r"(?P<crop>[^\d].*?)_?(?P<year>(?:19|20)\d{2})年?|(?P<year2>(?:19|20)\d{2})年?_?(?P<crop2>\D.*)"
)
"""A column of one crop and year: corn_2019 ("Corn 2019 (bu/acre)"), 2019_wheat, 小麦2019年."""

_HEADER_UNIT = re.compile(r"^(?P<name>.+?)\s*[(\[](?P<unit>[^)\]]+)[)\]]\s*$")


def _column_name(header: str) -> tuple[str, str | None]:
    """A header's column name and the unit written in it: "Yield (kg/mu)" -> ("yield",
    "kg/mu")."""
    text = unicodedata.normalize("NFKC", str(header)).strip()
    m = _HEADER_UNIT.match(text) if len(text) <= 100 else None  # no backtracking on junk
    unit = None
    if m and table_unit(m.group("unit")) is not None:
        text, unit = m.group("name"), m.group("unit")
    name = re.sub(r"[\s\-]+", "_", text.strip().lower())
    return ALIASES.get(name, name), unit


def _crop_year(name: str) -> tuple[str, str] | None:
    """The crop and year of a column of one crop and year, None for any other column."""
    m = _CROP_YEAR_COLUMN.fullmatch(name) if len(name) <= 100 else None
    if m is None:
        return None
    crop = (m.group("crop") or m.group("crop2")).strip("_")
    if crop not in _KNOWN_CROPS and crop.replace("_", " ") not in _KNOWN_CROPS:
        return None
    return crop.replace("_", " "), m.group("year") or m.group("year2")


def _listed(names: list[str], most: int = 12, width: int = 40) -> str:
    """Column names for a message: a dozen at most, each cut to ``width`` characters."""
    shown = [n if len(n) <= width else n[: width - 3] + "..." for n in map(str, names[:most])]
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return ", ".join(shown) + more


def table_unit(text: str) -> tuple[str, float] | None:
    """(PAII unit, factor) of a unit as written ("kg per ha" -> ("t/ha", 0.001)); None
    for a unit PAII cannot convert."""
    return UNIT_NAMES.get(_unit_key(text))


def _unit_key(text: str) -> str:
    key = unicodedata.normalize("NFKC", text).strip().lower()
    key = re.sub(r"\s*per\s*", "/", key)
    return re.sub(r"\s+", "", key).replace("hectare", "ha").replace("acres", "acre")


def grain_of(crop: str) -> str:
    """The grain a crop class weighs as ("winter wheat" -> "wheat"), or the crop itself."""
    if crop in BUSHEL_KG:
        return crop
    last = crop.split(" (")[0].split(" ")[-1]
    return last if last in BUSHEL_KG else crop


def _name_key(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).casefold()
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"\s+(county|parish|co\.?)$", "", text)


def _crop(text: str, country: str) -> str:
    key = unicodedata.normalize("NFKC", text).strip()
    name = CROP_NAMES.get(key.lower(), re.sub(r"\s+", " ", key.lower()))
    return "maize" if country == "CN" and name == "corn" else name


def _number(text: str) -> float | None:
    """A yield cell as a number: "1,234.5" (thousands; a semicolon CSV's "7,52" was read
    "7.52" already, :func:`paii_core.io.tables.read_text_table`)."""
    t = text.replace(" ", "").replace("\u00a0", "")
    if THOUSANDS.fullmatch(t):
        t = t.replace(",", "")
    try:
        value = float(t)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


@dataclass
class TableRows:
    """A yield table's county rows of the region: county_id, crop, base (the grain a crop
    weighs as), year, from_unit, raw (the number in from_unit); what was skipped and why;
    notes for the user; problems (any problem refuses the whole file)."""

    rows: pd.DataFrame
    rows_read: int
    skipped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class _Counties:
    """The region's counties, found by id (zero-padded as the region's) or by name."""

    def __init__(self, counties: pd.DataFrame) -> None:
        self.ids = set(counties["county_id"].astype(str))
        lengths = {len(i) for i in self.ids}
        self.width = (
            lengths.pop() if len(lengths) == 1 and all(i.isdigit() for i in self.ids) else 0
        )
        keys = counties["name"].astype(str).map(_name_key)
        self.by_name: dict[str, str] = {}
        self.ambiguous: set[str] = set(keys[keys.duplicated()])
        for key, cid in zip(keys, counties["county_id"].astype(str), strict=True):
            if key not in self.ambiguous:
                self.by_name[key] = cid
        self.padded = 0

    def by_id(self, text: str) -> str:
        t = text.strip()
        if self.width and t.isdigit() and len(t) < self.width:
            self.padded += 1
            return t.zfill(self.width)
        return t


def read_yield_table(
    path: Path,
    *,
    counties: pd.DataFrame,
    country: str,
    unit: str | None = None,
    crop: str | None = None,
) -> TableRows:
    """The county yields of a CSV / Excel yield table (:data:`TABLE_COLUMNS`) for a region
    whose ``counties`` (county_id, name) and ``country`` are given; ``unit`` is the whole
    file's unit where it has no unit column or header unit, ``crop`` its crop where it has
    no crop column. A wide table, one column per year ("2018", "2019年", as statistical
    yearbooks print them), one per crop ("wheat", "玉米", "maize (t/ha)") or one per crop
    and year ("Corn 2019 (bu/acre)", "2019 wheat", "小麦2019年") instead of the year, crop
    and yield columns, is read as the long one.

    Raises:
        InputNotFoundError, FormatError: an unreadable file (see
            :func:`paii_core.io.tables.read_text_table`), or columns missing.
    """
    frame = read_text_table(path, "the yields")
    named = [_column_name(c) for c in frame.columns]
    names = [n for n, _ in named]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise FormatError(
            path, f"has several columns that mean {', '.join(dup)}", "keep one column of each"
        )
    frame.columns = names
    frame = frame[(frame != "").any(axis=1)]
    crop_years = {n: (*cy, u) for n, u in named if (cy := _crop_year(n))}
    if not {"year", "yield", "crop"} & set(names) and len(crop_years) >= 2:
        frame = frame.melt(
            id_vars=[n for n in names if n not in crop_years], value_vars=list(crop_years),
            var_name="_column", value_name="yield",
        )  # fmt: skip
        frame["crop"] = frame["_column"].map(lambda c: crop_years[c][0])
        frame["year"] = frame["_column"].map(lambda c: crop_years[c][1])
        if "unit" not in frame.columns and any(u for *_, u in crop_years.values()):
            frame["unit"] = frame["_column"].map(lambda c: crop_years[c][2] or "")
        frame = frame.drop(columns="_column")
        names = list(frame.columns)
    years = [n for n in names if _YEAR_COLUMN.fullmatch(n)]
    if "year" not in names and "yield" not in names and len(years) >= 2:
        frame = frame.melt(
            id_vars=[n for n in names if n not in years], value_vars=years,
            var_name="year", value_name="yield",
        )  # fmt: skip
        frame["year"] = frame["year"].str[:4]
        names = list(frame.columns)
    by_crop = {n: u for n, u in named if n in _KNOWN_CROPS}
    if "yield" not in names and "crop" not in names and by_crop:
        frame = frame.melt(
            id_vars=[n for n in names if n not in by_crop], value_vars=list(by_crop),
            var_name="crop", value_name="yield",
        )  # fmt: skip
        if "unit" not in frame.columns and any(by_crop.values()):  # "wheat (t/ha)"
            frame["unit"] = frame["crop"].map(lambda c: by_crop[c] or "")
        names = list(frame.columns)
    if "crop" not in names and crop:
        frame["crop"] = crop
        names.append("crop")
    key = "county_id" if "county_id" in names else "county"
    missing = [c for c in ("crop", "year", "yield") if c not in names]
    if key not in names:
        missing.insert(0, "county_id (or county)")
    if missing:
        raise FormatError(
            path,
            f"has no {', '.join(missing)} column (its columns: {_listed(names)})",
            "give one row per county, crop and year with the columns county_id (or county), "
            "crop, year, yield and unit (or one column per year; a file of one crop may leave "
            "the crop out and name it on import, --crop); a Quick Stats export needs its own "
            "header (Commodity, Data Item, Value)",
        )
    header_unit = next((u for n, u in named if n == "yield" and u), None)
    file_unit = header_unit or unit
    problems: list[Problem] = []
    if "unit" not in names and file_unit is None:
        problems.append(
            Problem(
                None,
                "unit",
                "the file says no unit: no unit column, no unit in the yield header",
                "add a unit column, write the unit in the header ('yield (kg/mu)') or choose "
                "the file's unit on import (--unit)",
            )
        )
    places = _Counties(counties)
    skipped: dict[str, int] = {}
    notes: list[str] = []
    out: list[tuple[int, str, str, int, str, float, float, str]] = []
    outside: list[str] = []
    named: dict[str, str] = {}  # a county's name written where its id goes -> the id

    def skip(reason: str, n: int = 1) -> None:
        skipped[reason] = skipped.get(reason, 0) + n

    def bad(row: int, column: str, problem: str, fix: str) -> None:
        problems.append(Problem(row, column, problem, fix))

    for row, rec in enumerate(frame.to_dict("records"), start=1):
        if key == "county_id":
            label = places.by_id(str(rec["county_id"]))
            found = label if label in places.ids else None
            if found is None and not label.isdigit():  # "Story" for 19169 (QA session 18)
                found = places.by_name.get(_name_key(label))
                if found is not None:
                    named[label] = found
        else:
            label = str(rec["county"]).strip()
            if _name_key(label) in places.ambiguous:
                fix = "give the county_id column instead"
                bad(row, "county", f"{label!r} names several counties of the region", fix)
                continue
            found = places.by_name.get(_name_key(label))
        if not label:
            bad(row, key, "empty", f"give the county's {key}")
            continue
        if found is None:
            skip("county not in the region")
            outside.append(label)
            continue
        text = str(rec["yield"])
        if text.strip().lower() in MISSING:
            skip("no yield value (empty, NA or -)")
            continue
        value = _number(text)
        if value is None:
            bad(row, "yield", f"{text!r} is not a number", "write a number, or leave it empty")
        elif value < 0:
            bad(row, "yield", f"{text} is below 0", "a yield is never below 0: correct it")
        year_text = str(rec["year"]).strip()
        year = int(year_text) if re.fullmatch(r"\d{4}", year_text) else None
        if year is None or not 1900 <= year <= 2100:
            bad(row, "year", f"{year_text!r} is not a year", "write the harvest year, e.g. 2019")
        crop = _crop(str(rec["crop"]), country)
        if not crop:
            bad(row, "crop", "empty", "name the crop, e.g. wheat")
        written = str(rec.get("unit", "")).strip() or file_unit
        parsed = table_unit(written) if written else None
        if written and parsed is None:
            known = ", ".join(n for n in UNIT_NAMES if n.isascii())
            bad(row, "unit", f"{written!r} is not a yield unit PAII converts", f"use {known}")
        elif not written and "unit" in names:
            bad(row, "unit", "empty", "write the yield's unit, e.g. t/ha")
        if value is None or value < 0 or year is None or parsed is None or not crop:
            continue
        out.append((row, found, crop, year, parsed[0], value * parsed[1], value, written))
    if outside:
        example = ", ".join(sorted(set(outside))[:3])
        by = "ids" if key == "county_id" else "names"
        notes.append(f"rows of county {by} not in the region were skipped (e.g. {example})")
    if named:
        example = ", ".join(f"{k} -> {v}" for k, v in sorted(named.items())[:3])
        notes.append(
            f"county_id held the names of {count(len(named), 'county', 'counties')} of the "
            f"region, read as those counties ({example})"
        )
    if places.padded:
        notes.append(
            f"{places.padded} county ids were read with their leading zeros restored "
            f"({places.width} digits, as the region's; spreadsheets drop them)"
        )
    rows = pd.DataFrame(
        out, columns=["row", "county_id", "crop", "year", "from_unit", "raw", "typed", "as_typed"]
    ).astype({"row": int, "year": int, "raw": float, "typed": float})
    rows["base"] = rows["crop"].map(grain_of)
    rows, dup_problems = _duplicates(rows, skip)
    problems += dup_problems
    problems += _implausible(rows)
    return TableRows(
        rows.drop(columns=["row", "typed", "as_typed"]),
        len(frame),
        skipped=skipped,
        notes=notes,
        problems=problems,
    )


def _duplicates(rows: pd.DataFrame, skip) -> tuple[pd.DataFrame, list[Problem]]:
    """Rows repeating a county-crop-year: the same yield again is skipped, another yield is
    a problem (which of the two is right is not guessed)."""
    keys = ["county_id", "crop", "year"]
    first = rows.drop_duplicates(keys)
    again = rows[rows.duplicated(keys)].merge(
        first[[*keys, "row", "from_unit", "raw"]], on=keys, suffixes=("", "_first")
    )
    same = (again["from_unit"] == again["from_unit_first"]) & np.isclose(
        again["raw"], again["raw_first"]
    )
    if same.any():
        skip("duplicate county-crop-year", int(same.sum()))
    problems = [
        Problem(
            int(rec.row),
            "yield",
            f"county {rec.county_id} {rec.crop} {rec.year} is also in row {rec.row_first} "
            "with another yield",
            "keep one row per county, crop and year",
        )
        for rec in again[~same].itertuples()
    ]
    return first, problems


def _t_ha(value: float, unit: tuple[str, float], grain: str) -> float:
    """``value`` in a (PAII unit, factor) of :data:`UNIT_NAMES`, in t/ha."""
    return float(convert_yield(value * unit[1], unit[0], "t/ha", crop=grain))


def _implausible(rows: pd.DataFrame) -> list[Problem]:
    """A problem for each grain whose median yield is outside :data:`PLAUSIBLE_T_HA`, naming
    the units that would make it plausible: a file in kg/ha called t/ha would otherwise be
    stored 1000 times too high."""
    problems = []
    lo, hi = PLAUSIBLE_T_HA
    spellings: dict[tuple[str, float], str] = {}
    for name, canon in UNIT_NAMES.items():
        if name.isascii():
            spellings.setdefault(canon, name)
    for (crop, typed_unit), group in rows.groupby(["crop", "as_typed"]):
        base = grain_of(str(crop))
        if base not in BUSHEL_KG:
            continue
        median = float(np.median(group["typed"]))

        t_ha = _t_ha(median, UNIT_NAMES[_unit_key(str(typed_unit))], base)
        if lo <= t_ha <= hi:
            continue
        likely = [name for u, name in spellings.items() if lo <= _t_ha(median, u, base) <= hi]
        fix = f"check the unit: {', '.join(likely[:4])} would fit" if likely else "check the unit"
        problems.append(
            Problem(
                None,
                "unit",
                f"{crop}: the median yield {median:g} {typed_unit} is {t_ha:.3g} t/ha, not a "
                f"{crop} yield (county medians lie between {lo:g} and {hi:g} t/ha)",
                fix,
            )
        )
    return problems
