"""A flood event of the demo world: map every event date, write products, store impacts."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from paii_core import io
from paii_core.errors import DemoWorldMissingError, ValidationError
from paii_core.flood import impact
from paii_core.flood.files import write_flood
from paii_core.flood.mapping import map_flood
from paii_core.io.plots import read_plot_registry
from paii_core.store import flood as flood_store

__all__ = ["METHOD", "demo_flood_aois", "run_demo_event", "sar_path"]

METHOD = "paii-flood-1: split-based KI threshold, change detection, HAND/slope masks, FwDET"


def _manifest(data_dir: Path) -> dict:
    path = data_dir / "demo" / "MANIFEST.json"
    if not path.exists():
        raise DemoWorldMissingError(f"{path}: no demo world. Fix: run `paii demo build`")
    return json.loads(path.read_text())


def demo_flood_aois(data_dir: Path, region_id: str | None = None) -> list[str]:
    """Areas of the demo world that have a flood event (of one region, or all)."""
    return [
        a["aoi_id"]
        for a in _manifest(data_dir)["aois"]
        if any(s.get("flood_event") for s in a["s1"]) and region_id in (None, a.get("region_id"))
    ]


def sar_path(data_dir: Path, aoi_id: str, day: date) -> Path:
    """The demo world's Sentinel-1 GeoTIFF of ``aoi_id`` on ``day``."""
    return data_dir / "demo" / aoi_id / "s1" / f"S1_{aoi_id}_{day:%Y%m%d}_sigma0.tif"


def run_demo_event(
    con: duckdb.DuckDBPyConnection,
    data_dir: Path,
    aoi_id: str,
    *,
    progress: Callable[[float, str], None] | None = None,
) -> str:
    """Map the demo flood of ``aoi_id`` on every event date and store it; returns the id.

    The pre-event image is the last Sentinel-1 date before the event. Parcels are the
    insurer's geometry (the portfolio's fine and coarse parcel rasters); cropland is
    every parcel pixel, and the crop is the declared one, until PAII's own crop maps
    are wired in. Products go to ``data_dir/products/flood/<event>/``.
    """
    aoi = next((a for a in _manifest(data_dir)["aois"] if a["aoi_id"] == aoi_id), None)
    if aoi is None:
        raise ValidationError(f"aoi_id {aoi_id!r} is not in the demo world")
    flood_dates = [date.fromisoformat(s["date"]) for s in aoi["s1"] if s.get("flood_event")]
    if not flood_dates:
        raise ValidationError(f"area {aoi_id} has no flood event; pick one of the flood areas")
    before = [date.fromisoformat(s["date"]) for s in aoi["s1"]]
    before = [d for d in before if d < flood_dates[0]]
    demo = data_dir / "demo"
    s1 = {d: sar_path(data_dir, aoi_id, d) for d in flood_dates}
    pre_path = sar_path(data_dir, aoi_id, before[-1]) if before else None
    dem = io.read_dem(demo / aoi_id / "dem" / f"DEM_{aoi_id}.tif").data[0]
    pre = io.read_sentinel1(pre_path).data if pre_path else None
    px = float(aoi["transform"][0])
    digest = hashlib.sha256(json.dumps([str(p) for p in s1.values()] + [METHOD]).encode())
    event_id = f"{aoi_id}-{flood_dates[0]:%Y%m%d}"
    out_dir = data_dir / "products" / "flood" / event_id
    masks, products = [], []
    for i, (day, path) in enumerate(s1.items()):
        if progress:
            progress(i / len(s1), f"mapping {day}")
        post = io.read_sentinel1(path)
        fm = map_flood(post.data, dem, pre_sar=pre, pixel_size_m=px)
        out = write_flood(out_dir / f"flood_{day:%Y%m%d}_SIMULATED.tif", fm, post)
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
    plots, blocks, _ = read_plot_registry(demo / "insurance" / f"{aoi_id}_plots.tif")
    fine = np.where(plots > 0, plots, -1)
    coarse = np.where(blocks > 0, blocks, -1)
    policies = con.execute("SELECT * FROM policies WHERE aoi_id = ?", [aoi_id]).df()
    hits = impact.policy_impacts(
        stack, flood_dates, policies, fine_parcels=fine, coarse_parcels=coarse, pixel_size_m=px
    )
    counties = impact.county_totals(
        stack, flood_dates, county_id=aoi["county_id"], cropland=fine > 0, pixel_size_m=px
    )
    flood_store.save_event(
        con,
        {
            "event_id": event_id,
            "aoi_id": aoi_id,
            "region_id": aoi["region_id"],
            "county_id": aoi["county_id"],
            "name": f"{aoi_id} flood {flood_dates[0]:%Y-%m-%d} .. {flood_dates[-1]:%Y-%m-%d}",
            "pre_date": before[-1] if before else None,
            "first_date": flood_dates[0],
            "last_date": flood_dates[-1],
            "input_hash": digest.hexdigest(),
            "method": METHOD,
            "simulated": True,
        },
        products=pd.DataFrame(products),
        policies=hits,
        counties=counties,
        crops=impact.crop_totals(hits),
    )
    if progress:
        progress(1.0, "stored")
    return event_id
