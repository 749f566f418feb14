"""A flood event of an area: map every event date, write products, store impacts.

The area, its Sentinel-1 dates (those marked ``flood_event``), DEM and the insurer's plot
registry all come from the store (:mod:`paii_core.workspace`), so a user's area and a
demo area are mapped the same way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date
from os import PathLike
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from paii_core import io, workspace
from paii_core.errors import InputNotFoundError, ValidationError
from paii_core.flood import impact
from paii_core.flood.files import write_flood
from paii_core.flood.mapping import map_flood
from paii_core.io.plots import read_plot_registry
from paii_core.store import flood as flood_store
from paii_core.workspace.layout import data_root

__all__ = ["DIGEST_PREFIX", "METHOD", "inputs_digest", "is_stale", "run_flood_event", "sar_path"]

DIGEST_PREFIX = "inputs-1:"
"""Marks an event's ``input_hash`` made by :func:`inputs_digest` (earlier events hashed
their Sentinel-1 paths only)."""
METHOD = "paii-flood-1: split-based KI threshold, change detection, HAND/slope masks, FwDET"


def sar_path(
    con: duckdb.DuckDBPyConnection,
    aoi_id: str,
    day: date,
    *,
    data_dir: str | PathLike[str] | None = None,
) -> Path:
    """The area's Sentinel-1 file of ``day``, as the store lists it.

    Raises:
        InputNotFoundError: the area has no Sentinel-1 file of that date.
    """
    day = day.date() if hasattr(day, "date") else day  # a Timestamp from a frame
    files = workspace.area_files(con, aoi_id, "s1_grd", data_dir=data_dir)
    hit = files[[(d.date() if hasattr(d, "date") else d) == day for d in files["acquired"]]]
    if hit.empty:
        raise InputNotFoundError(
            f"area {aoi_id!r} has no Sentinel-1 file of {day}; add it with `paii area add`"
        )
    return hit["path"].iloc[0]


def run_flood_event(
    con: duckdb.DuckDBPyConnection,
    aoi_id: str,
    *,
    data_dir: str | PathLike[str] | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> str:
    """Map the flood of ``aoi_id`` on every event date and store it; returns the event id.

    The event dates are the area's Sentinel-1 files marked ``flood_event``; the pre-event
    image is the last Sentinel-1 date before them. The area's DEM, when it has one,
    gives the terrain masks and depth; without one water is mapped from the SAR alone
    (:func:`map_flood` without ``dem``: no depth). Parcels are the insurer's plot
    registry (the area's ``plots`` file); cropland is every parcel pixel, and the crop is
    the declared one. An area without a registry places no policy and its counties'
    flooded cropland is unknown (NULL); their flooded land is stored all the same.
    Products go to ``<data>/products/flood/<event>/``, their name and the event marked
    simulated when the area's inputs are.

    Raises:
        ValidationError: unknown area, or an area without flood dates.
        FormatError: a bad file.
    """
    area = workspace.get_area(con, aoi_id)
    data = data_root(data_dir)
    s1_files = workspace.area_files(con, aoi_id, "s1_grd", data_dir=data)
    day = [d.date() if hasattr(d, "date") else d for d in s1_files["acquired"]]
    flagged = [bool(d.get("flood_event")) for d in s1_files["details"]]
    flood_dates = [d for d, f in zip(day, flagged, strict=True) if f]
    if not flood_dates:
        others = workspace.flood_areas(con)
        raise ValidationError(
            f"area {aoi_id} has no flood event (no Sentinel-1 date marked flood_event); "
            + (
                f"pick one of the flood areas: {', '.join(others)}"
                if others
                else "no area has one yet: add the event's Sentinel-1 dates with `paii area "
                f"add {aoi_id} --replace ... --s1 ITEM... --flood-date YYYY-MM-DD`"
            )
        )
    before = [d for d in day if d < flood_dates[0]]
    paths_by_day = dict(zip(day, s1_files["path"], strict=True))
    s1 = {d: paths_by_day[d] for d in flood_dates}
    pre_path = paths_by_day[before[-1]] if before else None
    dem_files = workspace.area_files(con, aoi_id, "dem", data_dir=data)
    dem = io.read_dem(dem_files["path"].iloc[-1]).data[0] if not dem_files.empty else None
    pre = io.read_sentinel1(pre_path).data if pre_path else None
    px = area.pixel_size_m
    simulated = area.simulated or bool(s1_files["simulated"].any())
    suffix = "_SIMULATED" if simulated else ""
    digest = inputs_digest(con, aoi_id, data_dir=data)
    event_id = f"{aoi_id}-{flood_dates[0]:%Y%m%d}"
    out_dir = data / "products" / "flood" / event_id
    masks, products = [], []
    for i, (day, path) in enumerate(s1.items()):
        if progress:
            progress(i / len(s1), f"mapping {day}")
        post = io.read_sentinel1(path)
        fm = map_flood(post.data, dem, pre_sar=pre, pixel_size_m=px)
        out = write_flood(
            out_dir / f"flood_{day:%Y%m%d}{suffix}.tif", fm, post, simulated=simulated
        )
        masks.append(fm.flooded)
        depth = fm.depth_m[fm.flooded]
        products.append(
            {
                "acquired": day,
                "sar_path": str(path),
                "path": str(out),
                "threshold_db": fm.threshold_db,
                "flooded_km2": float(fm.flooded.sum() * px * px / 1e6),
                "mean_depth_m": float(depth.mean()) if depth.size else None,
            }
        )
    stack = np.stack(masks)
    registry = workspace.area_files(con, aoi_id, "plots", data_dir=data)
    if registry.empty:  # no parcel geometry: no policy is placed, cropland is unknown
        fine = coarse = np.full(stack.shape[1:], -1, np.int64)
        cropland = None
    else:
        plots, blocks, _ = read_plot_registry(registry["path"].iloc[-1])
        fine = np.where(plots > 0, plots, -1)
        coarse = np.where(blocks > 0, blocks, -1)
        cropland = fine > 0
    policies = con.execute("SELECT * FROM policies WHERE aoi_id = ?", [aoi_id]).df()
    hits = impact.policy_impacts(
        stack, flood_dates, policies, fine_parcels=fine, coarse_parcels=coarse, pixel_size_m=px
    )
    counties = impact.county_totals(
        stack, flood_dates, county_id=area.county_id, cropland=cropland, pixel_size_m=px
    )
    flood_store.save_event(
        con,
        {
            "event_id": event_id,
            "aoi_id": aoi_id,
            "region_id": area.region_id,
            "county_id": area.county_id,
            "name": f"{aoi_id} flood {flood_dates[0]:%Y-%m-%d} .. {flood_dates[-1]:%Y-%m-%d}",
            "pre_date": before[-1] if before else None,
            "first_date": flood_dates[0],
            "last_date": flood_dates[-1],
            "input_hash": digest,
            "method": METHOD,
            "simulated": simulated,
        },
        products=pd.DataFrame(products),
        policies=hits,
        counties=counties,
        crops=impact.crop_totals(hits),
    )
    # One event per area: a rebuilt area whose flood dates moved leaves no older event.
    flood_store.drop_events(con, aoi_id, keep=event_id)
    if progress:
        progress(1.0, "stored")
    return event_id


def inputs_digest(
    con: duckdb.DuckDBPyConnection, aoi_id: str, *, data_dir: str | PathLike[str] | None = None
) -> str:
    """What an area's flood event was mapped from, as one hash: its Sentinel-1 files and
    their flood marks, DEM and plot registry (the stored files' sha256), the policies on
    it (id, parcel, declared crop) and :data:`METHOD`. An event whose ``input_hash``
    differs from this is out of date (:func:`is_stale`)."""
    parts: list = []
    for kind in ("s1_grd", "dem", "plots"):
        files = workspace.area_files(con, aoi_id, kind, data_dir=data_dir)
        parts += [
            [kind, str(h), bool(d.get("flood_event"))]
            for h, d in zip(files["input_hash"], files["details"], strict=True)
        ]
    policies = con.execute(
        "SELECT policy_id, parcel_id, coarse_id, declared_crop FROM policies WHERE aoi_id = ? "
        "ORDER BY policy_id",
        [aoi_id],
    ).fetchall()
    parts.append([[str(v) for v in row] for row in policies])
    return DIGEST_PREFIX + hashlib.sha256(json.dumps([parts, METHOD]).encode()).hexdigest()


def is_stale(stored_hash: str, current_hash: str) -> bool:
    """Whether an event stored with ``stored_hash`` is out of date against its area's
    :func:`inputs_digest` now. Events stored before the digest named the inputs (no
    :data:`DIGEST_PREFIX`) are not judged."""
    return stored_hash.startswith(DIGEST_PREFIX) and stored_hash != current_hash
