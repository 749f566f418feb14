"""What a region holds, for the Data page: areas, stored data by kind, files, warnings."""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb
import pandas as pd

from paii_core.access import Principal, require
from paii_core.crops.features import area_gap
from paii_core.errors import AccessDeniedError
from paii_core.store import workspace as ws_store
from paii_core.workspace.regions import Region, get_region

__all__ = ["RegionData", "provenance", "region_data"]

_STORED_GAP = re.compile(r"area \S+ has \d+ Sentinel-2 dates?; cropland, parcels and crop maps")
"""The too-few-dates notice as `paii area add` stored it before it was said from the
area's current dates instead (stores written before session 11 hold it)."""


@dataclass(frozen=True)
class RegionData:
    """A region's loaded data with its freshness and provenance."""

    region: Region
    areas: pd.DataFrame
    """One row per area: area, county, sensors, dates, first, last, crops, folder, source,
    provenance, added."""
    stored: pd.DataFrame
    """One row per kind of stored data (yields, policies, XCO2...): kind, rows, first,
    last, updated, provenance."""
    files: pd.DataFrame
    """Region-wide files and the sounding files: kind, files, first, last, added,
    provenance."""
    warnings: list[str]
    """The readers' warnings, each naming its area (prefixed with it unless it starts
    "area <id> ")."""


def _sees_policies(con: duckdb.DuckDBPyConnection, principal: Principal | None) -> bool:
    try:
        require(con, principal, "policy_data")
    except AccessDeniedError:
        return False
    return True


def provenance(simulated: bool, observed: bool) -> str:
    """ "simulated", "observed", "mixed" or "" (no rows) from two any-flags."""
    if simulated and observed:
        return "mixed"
    return "simulated" if simulated else "observed" if observed else ""


def region_data(
    con: duckdb.DuckDBPyConnection, region_id: str, *, principal: Principal | None = None
) -> RegionData:
    """Everything the store holds for a region; the policies row (how many, their
    period) only for a ``principal`` allowed policy data.

    Raises:
        ValidationError: no such region. StoreError: the store cannot be read.
    """
    region = get_region(con, region_id)
    raw = ws_store.area_frame(con, region_id)
    areas = pd.DataFrame(
        {
            "area": raw["aoi_id"],
            "county": raw["county_id"],
            "sensors": [", ".join(s) for s in raw["sensors"]],
            "dates": raw["n_dates"],
            "first": raw["first_date"],
            "last": raw["last_date"],
            "crops": [", ".join(c) for c in raw["crops"]],
            "folder": raw["folder"],
            "source": raw["source"],
            "provenance": ["simulated" if s else "observed" for s in raw["simulated"]],
            "added": raw["created_at"],
        }
    )
    warnings = [  # "si-hazy: area si-hazy has 1 date" says the name once too often
        w if w.startswith(f"area {a} ") else f"{a}: {w}"
        for a, ws in zip(raw["aoi_id"], raw["warnings"], strict=True)
        for w in ws
        if not _STORED_GAP.match(w)
    ]
    # From the area's dates now: a notice stored at the add would name the count then.
    gaps = (
        area_gap(a, region_id, int(n), sensors)
        for a, n, sensors in zip(raw["aoi_id"], raw["n_dates"], raw["sensors"], strict=True)
    )
    warnings += [g for g in gaps if g is not None]
    inv = ws_store.region_inventory(con, region_id)
    if not _sees_policies(con, principal):
        inv = inv[inv["kind"] != "policies"].reset_index(drop=True)
    stored = inv.assign(
        provenance=[
            provenance(s, o) for s, o in zip(inv["simulated"], inv["observed"], strict=True)
        ]
    ).drop(columns=["simulated", "observed"])
    files = ws_store.file_summary(con, region_id)
    files = files.assign(
        provenance=[
            provenance(s, o) for s, o in zip(files["simulated"], files["observed"], strict=True)
        ]
    ).drop(columns=["simulated", "observed"])
    return RegionData(region=region, areas=areas, stored=stored, files=files, warnings=warnings)
