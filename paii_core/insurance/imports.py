"""`paii policies import`: every row of an insurer's file checked, then written whole or not at all.

Rules (each problem names its row, column, problem and fix; all are reported at once):
missing columns; empty or duplicate policy ids, or ids another region holds; a county
that is not the region's; a geometry that is not WKT, not a polygon, invalid, outside
longitude/latitude or outside the region's counties; coverage outside 50-85 % (the range
of USDA RMA's buy-up levels and of China's policy-based planting insurance); a declared
area more than :data:`AREA_FACTOR` times off its geometry's; dates that are not
YYYY-MM-DD or end before they start; numbers that are not numbers. Any crop name is
accepted (open classes).
"""

from __future__ import annotations

import hashlib
from os import PathLike
from pathlib import Path

import duckdb
import geopandas as gpd
import pandas as pd
import shapely

from paii_core.importing import ImportReport, Problem, reject_if_problems
from paii_core.insurance.policy_checks import Rows, blank, check_geometry, locate
from paii_core.insurance.policy_file import POLICY_COLUMNS, read_policy_file
from paii_core.insurance.terms import AREA_PER_HA
from paii_core.store import imports as import_store
from paii_core.store.imports import ImportLog, RegionFacts
from paii_core.text import count

__all__ = [
    "AREA_FACTOR",
    "COVERAGE_RANGE",
    "import_policies",
    "import_policy_rows",
    "validate_policies",
]

COVERAGE_RANGE: tuple[float, float] = (0.50, 0.85)
AREA_FACTOR = 2.0
"""A declared area above twice, or below half, its plot geometry's area is rejected as a
data error; smaller differences are left to the review, which flags over-declaration."""

REQUIRED: tuple[str, ...] = tuple(k for k, v in POLICY_COLUMNS.items() if v.startswith("required"))
CURRENCY = {"CN": "CNY", "US": "USD"}
_EQUAL_AREA = "EPSG:6933"


def validate_policies(
    raw: pd.DataFrame,
    facts: RegionFacts,
    *,
    aois: pd.DataFrame,
    existing: dict[str, str],
    replace: bool = False,
) -> tuple[pd.DataFrame, list[Problem], list[str]]:
    """Check every row of a policy file (:func:`read_policy_file`) for ``facts``' region.

    ``aois``: the region's areas (aoi_id, west, south, east, north); a polygon without an
    aoi_id gets the area whose bounds hold it. ``existing``: policy id -> region of ids
    already stored; with ``replace`` the region's own stored policies are to be replaced.

    Returns:
        (rows for the ``policies`` table, problems, notes). The rows are meaningful only
        when there are no problems.
    """
    rows = Rows()
    notes: list[str] = []
    cols = set(raw.columns)
    if {"data_item", "commodity", "value"} <= cols and "policy_id" not in cols:
        rows.add(
            None,
            "policy_id",
            "this is a USDA Quick Stats export (Data Item, Commodity, Value), not a policy file",
            f"import it with `paii yields import FILE --region {facts.region_id}`",
        )
        return pd.DataFrame(), rows.problems, notes
    for col in REQUIRED:
        if col not in cols:
            rows.add(None, col, "the column is missing", f"add it: {POLICY_COLUMNS[col]}")
    if "premium" not in cols and "premium_rate" not in cols:
        rows.add(None, "premium", "the column is missing", "add premium or premium_rate")
    has_plot = cols & {"geometry", "parcel_id", "coarse_id"}
    if not has_plot:
        rows.add(
            None,
            "geometry",
            "the file names no plot: no geometry/WKT and no parcel_id or coarse_id column",
            "add a WKT geometry column, or aoi_id with parcel_id or coarse_id",
        )
    ignored = sorted(cols - set(POLICY_COLUMNS))
    if ignored:
        notes.append(f"columns ignored (not part of a policy): {', '.join(ignored)}")
    if "county_id" not in cols and "geometry" not in cols:
        rows.add(None, "county_id", "the column is missing", "add county_id or a geometry")

    boxes = {r.aoi_id: shapely.box(r.west, r.south, r.east, r.north) for r in aois.itertuples()}
    outside_areas = 0

    def cell(i: int, col: str) -> str:
        return str(raw[col].iat[i]).strip() if col in cols and col != "geometry" else ""

    n = len(raw)
    geoms = [
        check_geometry(rows, i + 1, raw["geometry"].iat[i]) if "geometry" in cols else None
        for i in range(n)
    ]
    located = locate(geoms, facts.counties)
    area_ha = (
        gpd.GeoSeries([g if g is not None else shapely.Point() for g in geoms], crs=4326)
        .to_crs(_EQUAL_AREA)
        .area.to_numpy()
        / 1e4
    )
    county_ids = set(facts.counties["county_id"])
    width = max(len(c) for c in county_ids)
    example = ", ".join(sorted(county_ids)[:3])
    by_name: dict[str, list[str]] = {}  # "story" and "story county" -> ["19169"]
    for cid, cname in zip(facts.counties["county_id"], facts.counties["name"], strict=True):
        key = str(cname).strip().casefold()
        for k in {key, key.removesuffix(" county"), f"{key} county"}:
            by_name.setdefault(k, []).append(str(cid))
    first_row: dict[str, int] = {}
    out = []
    for i in range(n):
        r = i + 1
        pid = cell(i, "policy_id")
        if "policy_id" in cols and not pid:
            rows.add(r, "policy_id", "is empty", "give every policy a unique id")
        elif pid in first_row:
            rows.add(r, "policy_id", f"{pid!r} is also on row {first_row[pid]}", "make ids unique")
        elif pid:
            first_row[pid] = r
            held = existing.get(pid)
            if held is not None and (held != facts.region_id or not replace):
                fix = (
                    "use another id"
                    if held != facts.region_id
                    else "use a new id, or --replace to replace the region's portfolio"
                )
                rows.add(r, "policy_id", f"{pid!r} is already stored (region {held})", fix)
        rid = cell(i, "region_id")
        if rid and rid != facts.region_id:
            rows.add(r, "region_id", f"{rid!r} is not {facts.region_id!r}", "import it there")
        county = cell(i, "county_id")
        geom = geoms[i]
        if county and county not in county_ids:
            padded = county.zfill(width) if county.isdigit() else county
            named = sorted(set(by_name.get(county.casefold(), [])))
            if padded in county_ids:
                hint = f"did you mean {padded!r}? ids are zero-padded text"
            elif named:  # a name where the id goes (QA session 18)
                hint = (
                    f"it is the name of county {' or '.join(named)}; write "
                    + ("its id" if len(named) == 1 else "the id of the one meant")
                    + " in county_id"
                )
            else:
                hint = f"use a county id of {facts.region_id} (e.g. {example})"
            rows.add(r, "county_id", f"{county!r} is not a county of {facts.region_id}", hint)
        if geom is not None:
            where = located[i]
            if where is None:
                rows.add(
                    r,
                    "geometry",
                    f"lies outside every county of {facts.region_id}",
                    "check the coordinates' order (longitude first) and the region",
                )
            elif county in county_ids and county != where:
                rows.add(
                    r,
                    "county_id",
                    f"{county!r} but the geometry lies in {where!r}",
                    "correct county_id or the geometry",
                )
            county = county or (where or "")
        elif "county_id" in cols and not county:
            rows.add(r, "county_id", "is empty", "give the county id, or a geometry")
        aoi, parcel, coarse = cell(i, "aoi_id"), cell(i, "parcel_id"), cell(i, "coarse_id")
        if aoi and aoi not in boxes:
            known = ", ".join(boxes) or "(none: add one with `paii area add`)"
            rows.add(r, "aoi_id", f"{aoi!r} is not an area of {facts.region_id}", f"use {known}")
        elif geom is not None and aoi and not boxes[aoi].contains(geom):
            fix = "correct aoi_id or the geometry, or leave aoi_id empty"
            rows.add(r, "geometry", f"lies outside area {aoi!r}", fix)
        elif geom is not None and not aoi:
            aoi = next((a for a, b in boxes.items() if b.contains(geom)), "")
            outside_areas += not aoi
        parcel_id = rows.plot_id(r, "parcel_id", parcel) if parcel else None
        coarse_id = rows.plot_id(r, "coarse_id", coarse) if coarse else None
        if parcel and coarse:
            rows.add(r, "parcel_id", "both parcel_id and coarse_id are given", "keep one")
        if (parcel or coarse) and not aoi:
            rows.add(r, "aoi_id", "is empty but a plot id is given", "name the plot's area")
        no_wkt = "geometry" not in cols or blank(raw["geometry"].iat[i])
        if has_plot and geom is None and no_wkt and not (parcel or coarse):
            rows.add(r, "geometry", "the row names no plot", "give a WKT geometry or a plot id")
        crop = cell(i, "declared_crop").lower()
        if "declared_crop" in cols and not crop:
            rows.add(r, "declared_crop", "is empty", "name the insured crop")
        if "insured" in cols and not cell(i, "insured"):
            rows.add(r, "insured", "is empty", "name the insured")
        declared = rows.number(r, "declared_area_ha", cell(i, "declared_area_ha"), positive=True)
        if declared is not None and geom is not None and area_ha[i] > 0:
            ratio = declared / area_ha[i]
            if not 1 / AREA_FACTOR <= ratio <= AREA_FACTOR:
                rows.add(
                    r,
                    "declared_area_ha",
                    f"{declared:g} ha is {ratio:.2f}x the geometry's {area_ha[i]:.3f} ha "
                    f"(allowed {1 / AREA_FACTOR:g}x..{AREA_FACTOR:g}x)",
                    "correct declared_area_ha or the geometry",
                )
        coverage = rows.number(r, "coverage_level", cell(i, "coverage_level"), positive=True)
        if coverage is not None:
            coverage = coverage / 100.0 if coverage > 1.0 else coverage
            lo, hi = COVERAGE_RANGE
            if not lo <= round(coverage, 6) <= hi:
                rows.add(
                    r,
                    "coverage_level",
                    f"{cell(i, 'coverage_level')} is outside {lo:.0%}-{hi:.0%}",
                    "write the coverage level as 0.50..0.85 or 50..85",
                )
        guarantee = rows.number(r, "guaranteed_yield", cell(i, "guaranteed_yield"), positive=True)
        price = rows.number(r, "price", cell(i, "price"))
        unit = cell(i, "yield_unit") or facts.yield_unit
        if unit != facts.yield_unit:
            rows.add(
                r,
                "yield_unit",
                f"{unit!r} is not the region's unit {facts.yield_unit!r}",
                f"convert guaranteed_yield to {facts.yield_unit} or leave yield_unit empty",
            )
        currency = cell(i, "currency") or CURRENCY.get(facts.country, "")
        if not currency:
            rows.add(r, "currency", "is empty", "give the ISO 4217 code, e.g. EUR")
        start = rows.day(r, "start_date", cell(i, "start_date")) if "start_date" in cols else None
        end = rows.day(r, "end_date", cell(i, "end_date")) if "end_date" in cols else None
        if start and end and end <= start:
            rows.add(r, "end_date", f"{end} is not after start_date {start}", "swap or fix them")
        total = cell(i, "sum_insured")
        sum_insured = rows.number(r, "sum_insured", total) if total else None
        if sum_insured is None and not total and None not in (guarantee, declared, price):
            if facts.yield_unit in AREA_PER_HA:
                area_units = declared * AREA_PER_HA[facts.yield_unit]
                sum_insured = round(guarantee * area_units * price, 2)
            else:
                rows.add(r, "sum_insured", "is empty", "give sum_insured for this yield unit")
        premium = None
        if cell(i, "premium"):
            premium = rows.number(r, "premium", cell(i, "premium"))
        elif cell(i, "premium_rate"):
            rate = rows.number(r, "premium_rate", cell(i, "premium_rate"))
            if rate is not None and rate >= 1:
                rows.add(r, "premium_rate", f"{rate:g} is not below 1", "give a share, e.g. 0.05")
            elif rate is not None and sum_insured is not None:
                premium = round(rate * sum_insured, 2)
        elif {"premium", "premium_rate"} & cols:
            rows.add(r, "premium", "is empty", "give premium or premium_rate")
        out.append(
            {
                "policy_id": pid, "region_id": facts.region_id, "county_id": county,
                "aoi_id": aoi or None, "parcel_id": parcel_id, "coarse_id": coarse_id,
                "insured": cell(i, "insured"), "declared_crop": crop,
                "declared_area_ha": declared, "coverage_level": coverage,
                "guaranteed_yield": guarantee, "yield_unit": facts.yield_unit, "price": price,
                "currency": currency, "premium": premium, "sum_insured": sum_insured,
                "start_date": start, "end_date": end,
                "geometry_wkb": None if geom is None else shapely.to_wkb(geom),
            }
        )  # fmt: skip
    if outside_areas:
        notes.append(
            f"{count(outside_areas, 'policy lies', 'policies lie')} outside every area of "
            f"{facts.region_id}: {'its' if outside_areas == 1 else 'their'} crop and area "
            "checks wait for imagery there (`paii area add`)"
        )
    frame = pd.DataFrame(out)
    if len(frame):
        for col in ("parcel_id", "coarse_id"):
            frame[col] = frame[col].astype("Int64")
    # A missing column is said once for the file, not again as "is empty" on every row.
    missing = {p.column for p in rows.problems if p.row is None}
    problems = [p for p in rows.problems if p.row is None or p.column not in missing]
    return frame, problems, notes


def import_policies(
    con: duckdb.DuckDBPyConnection,
    path: str | PathLike[str],
    region_id: str,
    *,
    replace: bool = False,
    simulated: bool = False,
    actor: str = "paii policies import",
    source: str | None = None,
) -> ImportReport:
    """Validate a policy file and write it to the store, all rows or none.

    ``replace`` first removes the region's stored policies (in the same transaction);
    otherwise the file adds to them. ``simulated`` marks the rows as simulated data (the
    demo world). ``source`` is the name shown in reports (default: the file's name).

    Returns:
        The report: rows read and written, notes.

    Raises:
        InputNotFoundError, FormatError: the file cannot be read (see
            :func:`read_policy_file`).
        ValidationError: the region is not in the store.
        ImportRejectedError: any row has a problem; ``.problems`` lists them all and the
            store is unchanged.
        StoreError: DuckDB refused the write (rolled back; the store is unchanged).
    """
    p = Path(path)
    raw = read_policy_file(p)
    digest = hashlib.sha256(p.read_bytes()).hexdigest()[:16]
    return import_policy_rows(
        con,
        raw,
        region_id,
        source=source or p.name,
        input_hash=digest,
        replace=replace,
        simulated=simulated,
        actor=actor,
    )


def import_policy_rows(
    con: duckdb.DuckDBPyConnection,
    raw: pd.DataFrame,
    region_id: str,
    *,
    source: str,
    input_hash: str,
    replace: bool = False,
    simulated: bool = False,
    actor: str = "paii policies import",
) -> ImportReport:
    """:func:`import_policies` on rows already read by :func:`read_policy_file` (the
    demo world splits its one file by region); same checks, same all-or-nothing write."""
    facts = import_store.region_facts(con, region_id)
    ids = [str(v).strip() for v in raw["policy_id"]] if "policy_id" in raw.columns else []
    frame, problems, notes = validate_policies(
        raw,
        facts,
        aois=import_store.region_aois(con, region_id),
        existing=import_store.existing_policy_regions(con, ids),
        replace=replace,
    )
    report = ImportReport("policies", source, region_id, len(raw), notes=notes)
    report.problems = problems
    reject_if_problems(report)
    log = ImportLog(
        kind="policies",
        region_id=region_id,
        source=source,
        input_hash=input_hash,
        rows_read=len(raw),
        skipped={},
        simulated=simulated,
        actor=actor,
    )
    report.rows_written = import_store.write_import(
        con,
        "policies",
        frame.assign(simulated=simulated),
        delete_sql="region_id = ?" if replace else None,
        delete_params=[region_id] if replace else [],
        log=log,
    )
    return report
