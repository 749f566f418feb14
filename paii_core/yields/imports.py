"""`paii yields import`: any USDA NASS Quick Stats export to a region's county yields.

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

from paii_core.errors import FormatError, ValidationError
from paii_core.importing import ImportReport
from paii_core.io.nass import read_nass_quickstats
from paii_core.store import imports as import_store
from paii_core.store.imports import ImportLog
from paii_core.yields.units import BUSHEL_KG, MASS_UNITS_KG_PER_ACRE, UNITS, convert_yield

__all__ = [
    "COMMODITY_NAMES",
    "PRACTICES",
    "commodity_crop",
    "crop_of_item",
    "import_quickstats",
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
    keep_dup = skip(pd.Series(dup.to_numpy(), index=out.index), "duplicate county-crop-year")
    return out[keep_dup].reset_index(drop=True), skipped, notes


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
            "source": f"NASS Quick Stats: {name}",
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
                region_id=region_id,
                source=name,
                input_hash=hashlib.sha256(p.read_bytes()).hexdigest()[:16],
                rows_read=len(raw),
                skipped=skipped,
                simulated=simulated,
                actor=actor,
            ),
        )
    finally:
        con.unregister("_paii_keys")
    return report
