"""Flood mapping on files: SAR and DEM GeoTIFFs brought onto one grid, results written."""

from __future__ import annotations

import tempfile
from os import PathLike
from pathlib import Path

import numpy as np
from rasterio.coords import disjoint_bounds
from rasterio.warp import Resampling, reproject

from paii_core import io
from paii_core.errors import InputFileError, ValidationError
from paii_core.flood.mapping import FloodMap, map_flood

__all__ = ["dem_on_grid", "map_flood_bytes", "map_flood_files", "write_flood"]


def dem_on_grid(
    dem: io.Raster, sar: io.Raster, *, dem_path: Path, allow_crs_change: bool = False
) -> np.ndarray:
    """(H, W) float32 DEM on the SAR grid, bilinear where the grids differ.

    Raises:
        InputFileError: the DEM's CRS differs and ``allow_crs_change`` is False, the DEM
            does not overlap the SAR scene, or it holds no data over it.
    """
    if dem.crs != sar.crs and not allow_crs_change:
        raise InputFileError(
            dem_path,
            f"is in {dem.crs.to_string()} but the SAR scene is in {sar.crs.to_string()}",
            "reproject it (gdalwarp -t_srs) or pass --reproject-dem to resample it here",
        )
    same = dem.crs == sar.crs and dem.data.shape[1:] == sar.data.shape[1:]
    if same and dem.transform.almost_equals(sar.transform):
        out = dem.data[0]
    else:
        if dem.crs == sar.crs and disjoint_bounds(dem.bounds, sar.bounds):
            raise InputFileError(
                dem_path, "does not overlap the SAR scene", "pass a DEM that covers the scene"
            )
        out = np.full(sar.data.shape[1:], np.nan, dtype=np.float32)
        reproject(
            dem.data[0], out, src_transform=dem.transform, src_crs=dem.crs,
            dst_transform=sar.transform, dst_crs=sar.crs, src_nodata=np.nan,
            dst_nodata=np.nan, resampling=Resampling.bilinear,
        )  # fmt: skip
    if not np.isfinite(out).any():
        raise InputFileError(
            dem_path,
            "holds no data over the SAR scene (no overlap, or all nodata)",
            "pass a DEM that covers the scene",
        )
    return out


def map_flood_files(
    post_path: str | PathLike[str],
    dem_path: str | PathLike[str],
    *,
    pre_path: str | PathLike[str] | None = None,
    allow_crs_change: bool = False,
) -> tuple[FloodMap, io.Raster]:
    """Read Sentinel-1 (linear or dB) and a DEM, map the flood; returns (map, SAR raster).

    Raises:
        InputFileError: missing data, grids that cannot be matched (see
            :func:`dem_on_grid`), a pre-event image on another grid.
    """
    post = io.read_sentinel1(post_path)
    if not np.isfinite(post.data).any():
        raise InputFileError(Path(post_path), "holds no data (all nodata)", "pass a valid scene")
    dem = io.read_dem(dem_path)
    z = dem_on_grid(dem, post, dem_path=Path(dem_path), allow_crs_change=allow_crs_change)
    pre = None
    if pre_path is not None:
        before = io.read_sentinel1(pre_path)
        if (
            before.crs != post.crs
            or before.data.shape != post.data.shape
            or not (before.transform.almost_equals(post.transform))
        ):
            raise InputFileError(
                Path(pre_path),
                "is not on the grid of the post-event scene",
                "pass a pre-event scene on the same grid (same CRS, size and transform)",
            )
        pre = before.data
    px = abs(post.transform.a)
    if post.crs.is_geographic:
        raise ValidationError(
            f"{post_path}: the SAR grid is in degrees; flood mapping needs a projected "
            "grid in metres (gdalwarp -t_srs EPSG:326xx)"
        )
    return map_flood(post.data, z, pre_sar=pre, pixel_size_m=px), post


def map_flood_bytes(
    post: tuple[str, bytes], dem: tuple[str, bytes], *, pre: tuple[str, bytes] | None = None
) -> tuple[FloodMap, io.Raster, io.Raster | None]:
    """:func:`map_flood_files` on uploaded files, each ``(file name, content)``.

    The files live in a temporary folder for the call only; errors name the uploaded
    file. Returns (map, post-event SAR, pre-event SAR or None).
    """
    with tempfile.TemporaryDirectory(prefix="paii_flood_upload_") as tmp:
        saved = {}
        for role, item in (("post", post), ("dem", dem), ("pre", pre)):
            if item is not None:
                saved[role] = Path(tmp) / role / Path(item[0]).name
                saved[role].parent.mkdir()
                saved[role].write_bytes(item[1])
        flood, after = map_flood_files(saved["post"], saved["dem"], pre_path=saved.get("pre"))
        before = io.read_sentinel1(saved["pre"]) if "pre" in saved else None
    return flood, after, before


def write_flood(path: str | PathLike[str], flood: FloodMap, like: io.Raster) -> Path:
    """Write a 2-band float32 GeoTIFF: flooded (0/1, NaN where SAR has no data), depth_m."""
    nodata = ~np.isfinite(like.data[0])
    mask = flood.flooded.astype(np.float32)
    mask[nodata] = np.nan
    return io.write_geotiff(
        path,
        np.stack([mask, flood.depth_m]),
        crs=like.crs,
        transform=like.transform,
        band_names=("flooded", "depth_m"),
        tags={"THRESHOLD_DB": flood.threshold_db, "SOURCE": "paii flood"},
    )
