"""`paii yields import`: a county yield table (CSV or Excel, any unit PAII converts) or any
USDA NASS Quick Stats export to a region's county yields.

A yield table's rows are checked one by one and a file with a problem is refused whole,
listing them (:mod:`paii_core.yields.table`). For a Quick Stats export:

Every county row of the export is either stored (a yield, converted to the region's unit)
or skipped for a reason that the report counts: not a yield item, a unit PAII cannot
convert, a bushel unit of a commodity without a published bushel weight, a value NASS
withheld ("(D)", "(Z)", "(NA)"...), a production-practice subset (irrigated...) or a
domain other than TOTAL, a forecast period, a county outside the region. Nothing in the
file fails the import as a whole except a file that is not a Quick Stats export.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime
from os import PathLike
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from paii_core.errors import FormatError, InputNotFoundError, ValidationError
from paii_core.importing import ImportReport, reject_if_problems
from paii_core.io.nass import is_quickstats, read_nass_quickstats
from paii_core.store import imports as import_store
from paii_core.store.imports import ImportLog
from paii_core.yields.table import read_yield_table
from paii_core.yields.units import BUSHEL_KG, MASS_UNITS_KG_PER_ACRE, UNITS, convert_yield

__all__ = [
    "COMMODITY_NAMES",
    "PRACTICES",
    "commodity_crop",
    "convert_rows",
    "crop_of_item",
    "import_quickstats",
    "import_yields",
    "yield_rows",
]

COMMODITY_NAMES: dict[str, str] = {
    "CORN": "corn",
    "MAIZE": "maize",
    "SOYBEANS": "soybean",
    "WHEAT": "wheat",
    "RICE": "rice",
    "BARLEY": "barley",
    "OATS": "oats",
    "SORGHUM": "sorghum",
    "RYE": "rye",
    "FLAXSEED": "flaxseed",
    "HAY": "hay",
    "HAYLAGE": "haylage",
    "COTTON": "cotton",
    "PEANUTS": "peanut",
    "SUNFLOWER": "sunflower",
    "CANOLA": "canola",
    "SUGARBEETS": "sugarbeet",
    "POTATOES": "potato",
}
"""Quick Stats commodities with a PAII crop name; other commodities in a mass unit are
kept under their own name in lower case, other commodities in bushels are skipped."""

PRACTICES: frozenset[str] = frozenset(
    {"IRRIGATED", "NON-IRRIGATED", "FOLLOWING ANOTHER CROP", "NOT FOLLOWING ANOTHER CROP",
     "CONTINUOUS", "NON-IRRIGATED, FOLLOWING ANOTHER CROP", "ORGANIC"}
)  # fmt: skip
"""Data Item qualifiers of a production-practice subset: the all-practices row is kept."""

_DEFAULT_USE = {"GRAIN", "ALL CLASSES", "ALL UTILIZATION PRACTICES", "ALL PRODUCTION PRACTICES"}
_YIELD_RE = re.compile(r"^(?P<what>.+?)\s+-\s+YIELD,\s+MEASURED IN\s+(?P<unit>.+)$", re.I)


def commodity_crop(commodity: str, *, country: str) -> str:
    """PAII's name of a Quick Stats commodity: ``"SOYBEANS"`` -> "soybean"; CORN is
    "maize" in China (``country`` "CN"); an unlisted one in lower case."""
    key = commodity.strip().upper()
    name = COMMODITY_NAMES.get(key, key.lower())
    return "maize" if country == "CN" and name == "corn" else name


def crop_of_item(commodity: str, data_item: str, *, country: str) -> tuple[str, bool] | None:
    """The crop a yield Data Item is about, and whether it is a practice subset.

    Class words come first, as crops are named ("silage maize", "winter barley"); a
    parenthesised qualifier follows. ``"CORN", "CORN, GRAIN - YIELD, MEASURED IN BU /
    ACRE"`` -> ("corn", False); ``"CORN, SILAGE - ..."`` -> ("silage corn", False);
    ``"WHEAT, WINTER, IRRIGATED - ..."`` -> ("winter wheat", True); ``"HAY, (EXCL
    ALFALFA) - ..."`` -> ("hay (excl alfalfa)", False); None when not a yield item.
    """
    m = _YIELD_RE.match(data_item.strip())
    if m is None:
        return None
    parts = [q.strip() for q in m.group("what").split(",")]
    key = commodity.strip().upper()
    name = commodity_crop(commodity, country=country)
    rest = parts[1:] if parts and parts[0].upper() == key else parts
    subset = any(q.upper() in PRACTICES for q in rest)
    kinds = [q for q in rest if q.upper() not in PRACTICES | _DEFAULT_USE]
    words = [q.lower() for q in kinds if not q.startswith("(")]
    after = [q.strip("()").lower() for q in kinds if q.startswith("(")]
    crop = " ".join([*words, name])
    return (f"{crop} ({', '.join(after)})" if after else crop), subset


def _target_unit(region_unit: str, crop: str, base: str, from_unit: str) -> str:
    """The region's unit; but for a bushel region, bushels only for a crop that comes in
    bushels, or is its commodity plain with a bushel weight (rice in LB / ACRE): other
    crops and products (hay, silage) are kept as mass, in t/ha."""
    if region_unit != "bu/acre" or from_unit == "bu/acre":
        return region_unit
    if crop == base and base in BUSHEL_KG:
        return region_unit
    return "t/ha"


def yield_rows(
    raw: pd.DataFrame, *, county_ids: set[str], region_unit: str, country: str
) -> tuple[pd.DataFrame, dict[str, int], list[str]]:
    """The rows of a read Quick Stats export (``read_nass_quickstats(..., extra=("Period",
    "Domain"))``) that are county yields of the region, converted.

    Returns:
        (yields: county_id, crop, year, value, unit, from_unit; skipped: reason -> rows;
        notes).
    """
    skipped: dict[str, int] = {}
    notes: list[str] = []

    def skip(mask: pd.Series, reason: str) -> pd.Series:
        n = int(mask.sum())
        if n:
            skipped[reason] = skipped.get(reason, 0) + n
        return ~mask

    keep = pd.Series(True, index=raw.index)
    parsed = [
        crop_of_item(c, d, country=country)
        for c, d in zip(raw["commodity"], raw["data_item"], strict=True)
    ]
    keep &= skip(pd.Series([p is None for p in parsed], index=raw.index), "not a yield item")
    crops = pd.Series([p[0] if p else "" for p in parsed], index=raw.index)
    bases = raw["commodity"].map(lambda c: commodity_crop(c, country=country))
    subset = pd.Series([bool(p and p[1]) for p in parsed], index=raw.index)
    keep &= skip(keep & subset, "production-practice subset (the all-practices row is kept)")
    if "domain" in raw.columns:
        other = ~raw["domain"].str.upper().isin(["", "TOTAL"])
        keep &= skip(keep & other, "domain other than TOTAL")
    if "period" in raw.columns:
        forecast = ~raw["period"].str.upper().isin(["", "YEAR"])
        keep &= skip(keep & forecast, "not the annual figure (Period is a forecast or month)")
    units = raw["unit"].fillna("")
    convertible = units.isin((*UNITS, *MASS_UNITS_KG_PER_ACRE))
    bad = keep & ~convertible
    for unit, n in units[bad].value_counts().items():
        skipped[f"unit {unit.upper() or '(none)'} cannot be converted"] = int(n)
    keep &= ~bad
    no_bushel = keep & (units == "bu/acre") & ~bases.isin(list(BUSHEL_KG))
    for crop, n in crops[no_bushel].value_counts().items():
        skipped[f"{crop}: bushels without a published bushel weight"] = int(n)
    keep &= ~no_bushel
    withheld = keep & raw["value"].isna()
    for code, n in raw.loc[withheld, "withheld"].fillna("(NA)").value_counts().items():
        skipped[f"value withheld or not available {code}"] = int(n)
    keep &= ~withheld
    outside = keep & ~raw["county_id"].isin(county_ids)
    if outside.any():
        example = ", ".join(sorted(set(raw.loc[outside, "county_id"]))[:3])
        notes.append(f"rows of counties outside the region were skipped (e.g. {example})")
    keep &= skip(outside, "county not in the region")
    rows = raw[keep]
    out = pd.DataFrame(
        {
            "county_id": rows["county_id"].to_numpy(),
            "crop": crops[keep].to_numpy(),
            "base": bases[keep].to_numpy(),
            "year": rows["year"].to_numpy(),
            "from_unit": units[keep].to_numpy(),
            "raw": rows["value"].to_numpy(dtype=float),
        }
    )
    return convert_rows(out, region_unit=region_unit, skipped=skipped, notes=notes)


def convert_rows(
    rows: pd.DataFrame, *, region_unit: str, skipped: dict[str, int], notes: list[str]
) -> tuple[pd.DataFrame, dict[str, int], list[str]]:
    """County yields (county_id, crop, base: the crop's commodity or grain, year, from_unit,
    raw) in the region's unit: bushels of a crop without a bushel weight and repeated
    county-crop-years skipped (counted in ``skipped``); a crop kept in t/ha in a bushel
    region named in ``notes``.

    Returns:
        (yields: county_id, crop, year, value, unit, from_unit; skipped; notes).
    """
    out = rows.reset_index(drop=True)
    no_bushel = (out["from_unit"] == "bu/acre") & ~out["base"].isin(list(BUSHEL_KG))
    for crop, n in out.loc[no_bushel, "crop"].value_counts().items():
        reason = f"{crop}: bushels without a published bushel weight"
        skipped[reason] = skipped.get(reason, 0) + int(n)
    out = out[~no_bushel].reset_index(drop=True)
    values = np.empty(len(out))
    targets = np.empty(len(out), dtype=object)
    for (crop, base, unit), idx in out.groupby(["crop", "base", "from_unit"]).groups.items():
        pos = out.index.get_indexer(idx)
        target = _target_unit(region_unit, crop, base, unit)
        raw_values = out["raw"].to_numpy()[pos]
        values[pos] = convert_yield(raw_values, unit, target, crop=base)
        targets[pos] = target
    out = out.assign(value=values, unit=targets).drop(columns=["raw", "base"])
    moved = sorted({c for c, u in zip(out["crop"], out["unit"], strict=True) if u != region_unit})
    if moved:
        notes.append(
            f"{', '.join(moved)}: no bushel weight for this product, stored in t/ha, "
            f"not {region_unit}"
        )
    dup = out.duplicated(["county_id", "crop", "year"])
    if dup.any():
        reason = "duplicate county-crop-year"
        skipped[reason] = skipped.get(reason, 0) + int(dup.sum())
    return out[~dup].reset_index(drop=True), skipped, notes


def import_quickstats(
    con: duckdb.DuckDBPyConnection,
    path: str | PathLike[str],
    region_id: str,
    *,
    simulated: bool = False,
    actor: str = "paii yields import",
    source: str | None = None,
) -> ImportReport:
    """Store the county yields of a Quick Stats export for a region, all or nothing.

    Each stored (county, crop, year) replaces what the store held for it from any source;
    other years and crops are kept. Rows are metric "yield" of ``county_metrics``.

    Raises:
        InputNotFoundError, FormatError: not a readable Quick Stats export (see
            :func:`paii_core.io.read_nass_quickstats`), or a negative yield.
        ValidationError: an unknown region, or no yield of the region's counties at all
            (the skip reasons are listed).
        StoreError: DuckDB refused the write (rolled back; the store is unchanged).
    """
    p = Path(path)
    raw = read_nass_quickstats(p, extra=("Period", "Domain"))
    facts = import_store.region_facts(con, region_id)
    rows, skipped, notes = yield_rows(
        raw,
        county_ids=set(facts.counties["county_id"]),
        region_unit=facts.yield_unit,
        country=facts.country,
    )
    name = source or p.name
    negative = rows[rows["value"] < 0]
    if not negative.empty:
        first = negative.iloc[0]
        raise FormatError(
            p,
            f"has {len(negative)} negative yield(s), e.g. county {first['county_id']} "
            f"{first['crop']} {first['year']}: {first['value']:g} {first['unit']}; a yield "
            "is never below 0, so the file was edited or damaged",
            "correct those rows or export the query again from quickstats.nass.usda.gov",
        )
    report = ImportReport("yields", name, region_id, len(raw), skipped=skipped, notes=notes)
    if rows.empty:
        reasons = "; ".join(f"{n} {r}" for r, n in skipped.items()) or "no county rows"
        raise ValidationError(
            f"{name}: no county yield of region {region_id} to import ({reasons}); export "
            "'... - YIELD' data items of the region's counties from Quick Stats"
        )
    _store(
        con, rows, report, p, source=f"NASS Quick Stats: {name}", simulated=simulated, actor=actor
    )
    return report


def import_yields(
    con: duckdb.DuckDBPyConnection,
    path: str | PathLike[str],
    region_id: str,
    *,
    unit: str | None = None,
    crop: str | None = None,
    simulated: bool = False,
    actor: str = "paii yields import",
    source: str | None = None,
) -> ImportReport:
    """Store a file of county yields for a region, all or nothing: a USDA NASS Quick Stats
    export (recognised by its header; :func:`import_quickstats`) or a county yield table
    (CSV or Excel, :data:`paii_core.yields.table.TABLE_COLUMNS`). ``unit`` is a table's
    unit where it names none, ``crop`` its crop where it has no crop column.

    Each stored (county, crop, year) replaces what the store held for it from any source;
    other years and crops are kept.

    Raises:
        InputNotFoundError, FormatError: an unreadable file or missing columns.
        ImportRejectedError: a table's row has a problem (a yield that is not a number, a
            year, an unknown unit, a county named twice in the region, one county-crop-year
            with two yields, a grain's yields implausible in the unit given); ``.problems``
            lists them all and nothing is written.
        ValidationError: an unknown region, no yield of the region's counties at all, or
            ``unit`` / ``crop`` given with a Quick Stats export.
        StoreError: DuckDB refused the write (rolled back; the store is unchanged).
    """
    p = Path(path)
    if is_quickstats(p):
        if unit is not None or crop is not None:
            raise ValidationError(
                f"{source or p.name}: a Quick Stats export names its crops and units in each "
                "Data Item; leave out --unit and --crop"
            )
        return import_quickstats(con, p, region_id, simulated=simulated, actor=actor, source=source)
    if not p.is_file():
        raise InputNotFoundError(f"{p}: yield table not found; check the path")
    facts = import_store.region_facts(con, region_id)
    table = read_yield_table(
        p, counties=facts.counties, country=facts.country, unit=unit, crop=crop
    )
    name = source or p.name
    report = ImportReport(
        "yields", name, region_id, table.rows_read, problems=table.problems,
        skipped=table.skipped, notes=table.notes,
    )  # fmt: skip
    reject_if_problems(report)
    # the report's skipped and notes are added to in place
    rows, _, _ = convert_rows(
        table.rows, region_unit=facts.yield_unit, skipped=report.skipped, notes=report.notes
    )
    if rows.empty:
        reasons = "; ".join(f"{n} {r}" for r, n in report.skipped.items()) or "no rows"
        raise ValidationError(
            f"{name}: no county yield of region {region_id} to import ({reasons}); give the "
            "region's counties by county_id or by their names in the region's boundaries"
        )
    _store(con, rows, report, p, source=f"yield table: {name}", simulated=simulated, actor=actor)
    return report


def _store(
    con: duckdb.DuckDBPyConnection,
    rows: pd.DataFrame,
    report: ImportReport,
    path: Path,
    *,
    source: str,
    simulated: bool,
    actor: str,
) -> None:
    """Write converted yields (county_id, crop, year, value, unit) to ``county_metrics``,
    replacing the same county-crop-years, logged as ``report``'s import."""
    now = datetime.now(UTC).replace(tzinfo=None)
    years = rows["year"].astype(int)
    frame = pd.DataFrame(
        {
            "county_id": rows["county_id"],
            "metric": "yield",
            "crop": rows["crop"],
            "period_start": [date(y, 1, 1) for y in years],
            "period_end": [date(y, 12, 31) for y in years],
            "value": rows["value"].astype(float),
            "unit": rows["unit"],
            "source": source,
            "simulated": simulated,
            "updated_at": now,
        }
    )
    con.register("_paii_keys", frame[["county_id", "crop", "period_start"]])
    try:
        report.rows_written = import_store.write_import(
            con,
            "county_metrics",
            frame,
            delete_sql="metric = 'yield' AND EXISTS (SELECT 1 FROM _paii_keys k WHERE "
            "k.county_id = county_metrics.county_id AND k.crop = county_metrics.crop "
            "AND k.period_start = county_metrics.period_start)",
            delete_params=[],
            log=ImportLog(
                kind="yields",
                region_id=report.region_id,
                source=report.source,
                input_hash=hashlib.sha256(path.read_bytes()).hexdigest()[:16],
                rows_read=report.rows_read,
                skipped=report.skipped,
                simulated=simulated,
                actor=actor,
            ),
        )
    finally:
        con.unregister("_paii_keys")
