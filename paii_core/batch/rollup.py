"""County rollups of batch tiles: one Parquet file per tile, read whole by DuckDB."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from affine import Affine
from rasterio.crs import CRS
from rasterio.features import rasterize

from paii_core.io._atomic import atomic_path

__all__ = ["ROLLUP_METRIC", "cell_areas_ha", "county_totals", "write_tile_rollup"]

ROLLUP_METRIC: dict[str, str] = {
    "dehaze": "valid_ha",
    "sr": "valid_ha",
    "cropland": "cropland_ha",
    "parcels": "parcel_ha",
    "flood": "flooded_ha",
}
"""The area each job adds up per county (besides the valid area)."""


def _metric_mask(job: str, values: np.ndarray) -> np.ndarray:
    v = values if values.ndim == 2 else values[0]
    if job == "cropland":
        return np.nan_to_num(v, nan=0.0) > 0.5
    if job == "parcels":
        return v > 0
    if job == "flood":
        return np.nan_to_num(v, nan=0.0) > 0.5
    return np.isfinite(v)


AUTHALIC_RADIUS_M = 6_371_007.2
"""The radius of the sphere with the WGS 84 ellipsoid's area (Snyder 1987, Map Projections:
A Working Manual, p. 16): cell areas on it are within 0.5 % of the ellipsoid's."""


def cell_areas_ha(crs: CRS, transform: Affine, height: int) -> np.ndarray:
    """``(height,)`` float64 area (ha) of one pixel in each row of the grid: constant on a
    projected grid; on a north-up geographic grid R^2 * dlon * (sin(lat_top) -
    sin(lat_bottom)) on the authalic sphere (the exact area of a latitude-longitude cell
    on a sphere)."""
    if not crs.is_geographic:
        area = abs(transform.a * transform.e - transform.b * transform.d) / 1e4
        return np.full(height, area)
    rows = np.arange(height + 1)
    lat = np.deg2rad(np.clip(transform.f + rows * transform.e, -90.0, 90.0))
    dlon = np.deg2rad(abs(transform.a))
    return AUTHALIC_RADIUS_M**2 * dlon * np.abs(np.diff(np.sin(lat))) / 1e4


def write_tile_rollup(
    out_dir: Path,
    job: str,
    key: str,
    values: np.ndarray,
    crs: CRS,
    transform: Affine,
    counties,
) -> str | None:
    """Areas (ha) per county in one tile, written to
    ``rollups/job=<job>/<tile>.parquet`` (hive partitioning); None when the tile
    touches no county. ``counties``: GeoDataFrame with county_id in EPSG:4326.
    Pixel areas are the tile's projected grid's, or on a geographic grid each row's cell
    area on the sphere (:func:`cell_areas_ha`)."""
    shape = values.shape[-2:]
    local = counties.to_crs(crs)
    h, w = shape
    x0, y0 = transform * (0, 0)
    x1, y1 = transform * (w, h)
    local = local.cx[min(x0, x1) : max(x0, x1), min(y0, y1) : max(y0, y1)]
    if local.empty:
        return None
    index = rasterize(
        ((geom, i + 1) for i, geom in enumerate(local.geometry)),
        out_shape=shape,
        transform=transform,
        fill=0,
        dtype="int32",
    )
    px_ha = cell_areas_ha(crs, transform, h)[:, None]  # (H, 1): per row
    v = values if values.ndim == 2 else values[0]
    n = len(local) + 1
    valid_w = (np.isfinite(v) * px_ha).ravel()
    hit_w = (_metric_mask(job, values) * px_ha).ravel()
    valid = np.bincount(index.ravel(), weights=valid_w, minlength=n)
    hit = np.bincount(index.ravel(), weights=hit_w, minlength=n)
    metric = ROLLUP_METRIC[job]
    frame = pd.DataFrame(
        {
            "county_id": local["county_id"].astype(str).to_numpy(),
            "tile": key,
            "valid_ha": valid[1:],
            **({metric: hit[1:]} if metric != "valid_ha" else {}),
        }
    )
    frame = frame[frame["valid_ha"] > 0]
    if frame.empty:
        return None
    rel = f"rollups/job={job}/{key.replace('/', '__')}.parquet"
    with atomic_path(out_dir / rel) as tmp:
        frame.to_parquet(tmp, index=False)
    return rel


def county_totals(out_dir: Path, job: str) -> pd.DataFrame:
    """Sum the tiles' rollups per county with DuckDB (reading the Parquet partitions),
    written to ``county_totals_<job>.parquet``; empty when there are none."""
    import duckdb

    folder = out_dir / "rollups" / f"job={job}"
    if not any(folder.glob("*.parquet")):
        return pd.DataFrame()
    metric = ROLLUP_METRIC[job]
    cols = "sum(valid_ha) AS valid_ha" + (
        f", sum({metric}) AS {metric}" if metric != "valid_ha" else ""
    )
    con = duckdb.connect()
    try:
        frame = con.execute(
            f"SELECT job, county_id, {cols}, count(*) AS tiles FROM read_parquet(?, "
            "hive_partitioning = true) WHERE job = ? GROUP BY job, county_id ORDER BY county_id",
            [str(out_dir / "rollups" / "*" / "*.parquet"), job],
        ).df()
    finally:
        con.close()
    with atomic_path(out_dir / f"county_totals_{job}.parquet") as tmp:
        frame.to_parquet(tmp, index=False)
    return frame
