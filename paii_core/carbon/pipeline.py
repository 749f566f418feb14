"""The carbon run: sounding files -> county aggregates + gap filling per region -> the store."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from paii_core.carbon.aggregate import MIN_SOUNDINGS, XCO2Accumulator
from paii_core.carbon.gapfill import gapfill_xco2
from paii_core.carbon.reader import expand_paths, iter_soundings
from paii_core.errors import PaiiError, ValidationError
from paii_core.store import carbon as carbon_store
from paii_core.store import log_event

__all__ = ["CarbonRun", "combine", "run_carbon", "store_counties"]

Progress = Callable[[float, str], None]


class CarbonRun:
    """What a run did: rows written per region, files read and the bad files skipped."""

    def __init__(self, rows: dict[str, int], files: int, skipped: list[str]) -> None:
        self.rows, self.files, self.skipped = rows, files, skipped

    def uncovered(self) -> list[str]:
        """Regions none of whose counties got a value: no sounding in or near them."""
        return [r for r, n in self.rows.items() if n == 0]


def store_counties(con: duckdb.DuckDBPyConnection) -> gpd.GeoDataFrame:
    """Every county in the store: county_id, region_id, geometry (EPSG:4326)."""
    frame = con.execute(
        "SELECT county_id, region_id, geometry_wkb FROM counties ORDER BY county_id"
    ).df()
    if frame.empty:
        raise ValidationError("the store has no counties; run `paii demo build` first")
    geoms = shapely.from_wkb([bytes(b) for b in frame["geometry_wkb"]])
    return gpd.GeoDataFrame(frame.drop(columns="geometry_wkb"), geometry=geoms, crs=4326)


def combine(agg: pd.DataFrame, interp: pd.DataFrame, *, min_soundings: int) -> pd.DataFrame:
    """One value per county-period: the measured mean where at least ``min_soundings`` good
    soundings, else the interpolated one (source 'interpolated'); anomaly against the
    same background either way."""
    out = agg.merge(interp, on=["county_id", "period"], how="left")
    measured = out["n_soundings"] >= min_soundings
    has_interp = out["xco2_interp"].notna()
    out["source"] = np.where(measured, "measured", np.where(has_interp, "interpolated", "none"))
    out["xco2"] = np.where(measured, out["xco2_mean"], out["xco2_interp"])
    out["xco2_sd"] = np.where(measured, out["xco2_se"], out["xco2_interp_sd"])
    out["xco2_anomaly"] = out["xco2"] - out["background"]
    return out


def _files_hash(files: list[Path]) -> str:
    h = hashlib.sha256()
    for f in files:
        st = f.stat() if f.exists() else None
        h.update(f"{f.name}:{st.st_size if st else -1}:{st.st_mtime_ns if st else -1}".encode())
    return h.hexdigest()[:16]


def run_carbon(
    con: duckdb.DuckDBPyConnection,
    paths: str | PathLike[str] | list[str | PathLike[str]],
    *,
    simulated: bool,
    min_soundings: int = MIN_SOUNDINGS,
    progress: Progress | None = None,
    actor: str = "paii carbon",
    region_id: str | None = None,
) -> CarbonRun:
    """Aggregate and gap-fill the soundings in ``paths`` for every region in the store,
    or only for ``region_id`` (the other regions' stored results are left as they are).

    Raises:
        InputNotFoundError / FormatError: no readable file at all.
        ValidationError: no counties in the store, or ``region_id`` has none.
    """
    report = progress or (lambda f, m: None)
    files = expand_paths(paths)
    counties = store_counties(con)
    if region_id is not None:
        known = sorted(counties["region_id"].unique())
        counties = counties[counties["region_id"] == region_id].reset_index(drop=True)
        if counties.empty:
            raise ValidationError(
                f"region {region_id!r} has no counties in the store; use one of: "
                f"{', '.join(known)} (`paii region add` adds one)"
            )
    acc = XCO2Accumulator(counties, min_soundings=min_soundings)
    errors: list[PaiiError] = []
    frames = []
    for i, frame in enumerate(iter_soundings(files, errors=errors)):
        acc.add(frame)
        frames.append(frame[frame["xco2_quality_flag"] == 0])
        report(0.4 * (i + 1) / len(files), f"read {i + 1} of {len(files)} files")
    if not frames:
        raise errors[0] if errors else ValidationError("the files hold no soundings")
    good = pd.concat(frames, ignore_index=True)
    agg = acc.result().merge(counties[["county_id", "region_id"]], on="county_id")
    stamp = datetime.now(UTC).replace(tzinfo=None)
    digest = _files_hash(files)
    rows = {}
    regions = sorted(counties["region_id"].unique())
    for j, region in enumerate(regions):
        report(0.4 + 0.55 * j / len(regions), f"gap filling {region}")
        measured = agg[agg["region_id"] == region]
        table = pd.DataFrame()
        if not measured.empty:
            filled = gapfill_xco2(good, counties[counties["region_id"] == region])
            table = combine(measured, filled.counties, min_soundings=min_soundings)
        if table.empty or (table["source"] == "none").all():  # no sounding in or near it:
            rows[region] = 0  # nothing to store; its earlier rows (if any) stay as they are
            continue
        table = table.assign(
            period=table["period"].dt.date, simulated=simulated, input_hash=digest, updated_at=stamp
        )
        grid = filled.grid.assign(
            region_id=region, period=filled.grid["period"].dt.date, simulated=simulated
        )
        rows[region] = carbon_store.write_carbon(con, region, table, grid)
    log_event(
        con,
        actor=actor,
        action="carbon run",
        entity="xco2_county",
        entity_id=digest,
        detail={"files": len(files), "skipped": [str(e) for e in errors], "rows": rows},
    )
    report(1.0, "done")
    return CarbonRun(rows, len(files) - len(errors), [str(e) for e in errors])
