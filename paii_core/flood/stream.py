"""Full Sentinel-1 scenes mapped window by window, GeoTIFF in and out, in bounded memory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Literal

import numpy as np
import rasterio
from affine import Affine
from rasterio.warp import Resampling
from rasterio.windows import Window

from paii_core import io
from paii_core.errors import InputFileError
from paii_core.flood.files import (
    BAND_NAMES,
    _cached_hand,
    _warp,
    hand_cache_folder,
    hand_grid,
    partial_cover,
    pre_grid_error,
    water_source_tag,
)
from paii_core.flood.mapping import Rules, _windows, fit_windows, map_window, use_learned
from paii_core.io._atomic import atomic_path
from paii_core.io.sentinel1 import inspect_sentinel1

__all__ = ["GDAL_CACHE_BYTES", "StreamSummary", "map_flood_stream"]

GDAL_CACHE_BYTES = 256 * 1024 * 1024
"""GDAL block cache for a windowed run (in bytes: rasterio passes a small number as bytes)."""


@dataclass(frozen=True)
class StreamSummary:
    """What :func:`map_flood_stream` found and wrote."""

    path: Path
    threshold_db: float | None
    method: str
    terrain: str
    water_share: float
    flooded_share: float
    water_source: str = "rules"
    """``learned`` or ``rules``: what decided the water band (see FloodMap.water_source)."""
    units_read: str = ""
    """``linear`` or ``db``: how the post-event scene's values were read (its tag, the
    caller's ``units`` or the values themselves), as the ``SIGMA0_UNITS_READ`` tag says."""


def _read(src: rasterio.DatasetReader, bands: list[int], units: str, win: Window) -> np.ndarray:
    """(2, h, w) float32 dB of one window (VH NaN for a VV-only scene), nodata NaN."""
    raw = src.read(bands, window=win, masked=True).astype(np.float32).filled(np.nan)
    if units == "linear":
        with np.errstate(divide="ignore", invalid="ignore"):
            raw = np.where(raw > 0, np.float32(10.0) * np.log10(raw), np.nan).astype(np.float32)
    if raw.shape[0] == 1:
        raw = np.concatenate([raw, np.full_like(raw, np.nan)])
    return raw


def _win(rows: slice, cols: slice) -> Window:
    return Window(cols.start, rows.start, cols.stop - cols.start, rows.stop - rows.start)


def map_flood_stream(
    post_path: str | PathLike[str],
    out_path: str | PathLike[str],
    dem_path: str | PathLike[str] | None = None,
    *,
    pre_path: str | PathLike[str] | None = None,
    units: Literal["auto", "linear", "db"] = "auto",
    hand_cache: str | PathLike[str] | None = None,
    window_px: int = 2048,
    progress: Callable[[float, str], None] | None = None,
    water_model: bool = False,
    model_dir: str | PathLike[str] | None = None,
) -> StreamSummary:
    """:func:`files.map_flood_files` + :func:`files.write_flood` for scenes too big to hold.

    Two passes over ``window_px`` windows of a projected scene: the first gathers the
    tile histograms of the split-based threshold, the second maps each window with a
    64 px halo (:func:`mapping.map_window`) and writes its core into the output GeoTIFF
    (tiled, deflate; written beside the target and renamed only when complete). HAND
    is routed once on the DEM's own grid (cached in ``hand_cache``) and resampled per
    window. Memory: one window of SAR, DEM and HAND plus the DEM-grid HAND.
    ``water_model``: water from the learned model (files in ``model_dir``), as in
    :func:`mapping.map_flood`.

    Raises:
        InputFileError: a geographic scene (use :func:`files.map_flood_files`), a
            pre-event scene on another grid, a DEM that does not cover the scene;
            reader errors as :func:`io.read_sentinel1`.
    """
    # GDAL's block cache defaults to 5 % of RAM and fills with the blocks read and
    # written; capped, a full scene stays within one window's working set plus this.
    cache = hand_cache_folder(hand_cache) if dem_path is not None else None
    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_BYTES):
        return _stream(
            Path(post_path), out_path, dem_path, pre_path, units, cache, window_px,
            progress or (lambda _f, _m: None), water_model,
            Path(model_dir) if model_dir is not None else None,
        )  # fmt: skip


def _stream(
    post_p, out_path, dem_path, pre_path, units, hand_cache, window_px, report, water_model,
    model_dir,
):  # fmt: skip
    bands, found = inspect_sentinel1(post_p, units=units, allow_vv_only=True)
    with rasterio.open(post_p) as src:
        crs, transform, h, w = src.crs, src.transform, src.height, src.width
    if crs.is_geographic:
        raise InputFileError(
            post_p, "is in degrees; the windowed mapper needs a projected grid",
            "use map_flood_files (it reprojects) or warp the scene to its UTM zone",
        )  # fmt: skip
    pre_bands = None
    if pre_path is not None:
        pre_bands, pre_units = inspect_sentinel1(pre_path, units=units, allow_vv_only=True)
        with rasterio.open(pre_path) as pre_src:
            same = (pre_src.crs, pre_src.height, pre_src.width) == (crs, h, w)
            if not (same and pre_src.transform.almost_equals(transform)):
                raise pre_grid_error(
                    pre_path, pre_src.crs, tuple(pre_src.bounds), crs, transform, h, w
                )
    px = float(abs(transform.a))
    grid = io.Raster(np.zeros((1, 1, 1), np.float32), crs, transform)
    grid_bounds = rasterio.transform.array_bounds(h, w, transform)

    report(0.0, "histograms")
    with rasterio.open(post_p) as src:
        cores = (c for c, _, _ in _windows(h, w, window_px, 0))
        fit = fit_windows(_read(src, bands, found, _win(*c)) for c in cores)

    dem = coarse = partial = None
    if dem_path is not None:
        report(0.05, "terrain (HAND)")
        dem = io.read_dem(dem_path)
        coarse = hand_grid(dem, crs, grid_bounds, px)
        if coarse is None:
            raise InputFileError(
                Path(dem_path), "does not overlap the SAR scene", "pass a DEM that covers it"
            )
        partial = partial_cover(_inner_share(coarse, grid_bounds), Path(dem_path))
        coarse = (coarse[0], _cached_hand(coarse[1], coarse[2], _opt(hand_cache)), coarse[2])
    terrain_note = "none: no DEM" if dem is None else (partial or "HAND/slope")
    learned = water_model and fit.threshold_db is not None and use_learned(px)

    counts = np.zeros(3)
    with atomic_path(out_path) as tmp:
        profile = {
            "driver": "GTiff", "width": w, "height": h, "count": 4, "dtype": "float32",
            "crs": crs, "transform": transform, "nodata": np.nan, "tiled": True,
            "blockxsize": 256, "blockysize": 256, "compress": "deflate", "BIGTIFF": "IF_SAFER",
        }  # fmt: skip
        with rasterio.open(tmp, "w", **profile) as dst, rasterio.open(post_p) as src:
            pre_src = rasterio.open(pre_path) if pre_path is not None else None
            try:
                for i, name in enumerate(BAND_NAMES):
                    dst.set_band_description(i + 1, name)
                windows = list(_windows(h, w, window_px, 64))
                for k, (core, padded, inner) in enumerate(windows):
                    report(0.1 + 0.9 * k / len(windows), f"window {k + 1} of {len(windows)}")
                    out = _map_one(
                        src, bands, found, pre_src, pre_bands, padded, fit, px, grid, dem,
                        coarse, pre_units if pre_src else found, learned, model_dir,
                    )  # fmt: skip
                    block = np.stack([b[inner] for b in out])
                    dst.write(block, window=_win(*core))
                    valid = np.isfinite(block[0])
                    counts += (valid.sum(), (block[0] == 1).sum(), (block[1] == 1).sum())
            finally:
                if pre_src is not None:
                    pre_src.close()
            dst.update_tags(
                THRESHOLD_DB=fit.threshold_db, THRESHOLD_METHOD=fit.method,
                TERRAIN=terrain_note, SOURCE="paii flood (windowed)",
                WATER_SOURCE=water_source_tag("learned" if learned else "rules", _opt(model_dir)),
                LIKELIHOOD="0..100, posterior of water from VV backscatter (GFM-style)",
                SIGMA0_UNITS_READ=found,
            )  # fmt: skip
    report(1.0, "done")
    n = max(counts[0], 1.0)
    return StreamSummary(
        Path(out_path),
        fit.threshold_db,
        fit.method,
        terrain_note,
        counts[1] / n,
        counts[2] / n,
        "learned" if learned else "rules",
        found,
    )


def _inner_share(coarse: tuple[Affine, np.ndarray, float], bounds) -> float:
    """The share of the scene's bounds where the DEM (on its coarse grid, which reaches
    10 % beyond them) has data."""
    grid, z, _ = coarse
    west, south, east, north = bounds
    col0, row0 = (int(v) for v in np.floor(~grid * (west, north)))
    col1, row1 = (int(v) for v in np.ceil(~grid * (east, south)))
    inner = z[max(row0, 0) : row1, max(col0, 0) : col1]
    return float(np.isfinite(inner).mean()) if inner.size else 0.0


def _opt(path: str | PathLike[str] | None) -> Path | None:
    return Path(path) if path else None


def _map_one(
    src, bands, units, pre_src, pre_bands, padded, fit, px, grid, dem, coarse, pre_units, learned,
    model_dir,
):  # fmt: skip
    """The four output bands of one padded window."""
    post = _read(src, bands, units, _win(*padded))
    shape = post.shape[1:]
    nodata = ~np.isfinite(post[0])
    if fit.threshold_db is None or nodata.all():
        zeros = np.where(nodata, np.nan, 0.0).astype(np.float32)
        return zeros, zeros, np.full(shape, np.nan, np.float32), zeros
    pre = _read(pre_src, pre_bands, pre_units, _win(*padded)) if pre_src is not None else None
    z = height = None
    if dem is not None:
        origin = grid.transform @ (padded[1].start, padded[0].start)
        t = grid.transform.__class__(
            grid.transform.a, 0.0, origin[0], 0.0, grid.transform.e, origin[1]
        )
        z = _warp(dem.data, dem, grid.crs, t, shape, Resampling.bilinear)[0]
        holder = io.Raster(coarse[1][None], grid.crs, coarse[0])
        height = _warp(holder.data, holder, grid.crs, t, shape, Resampling.bilinear)[0]
        if not np.isfinite(z).any():
            z = height = None
    rules = Rules.from_fit(fit, pixel_size_m=px, learned=learned, model_dir=model_dir)
    wet, flood, like, deep = map_window(post, rules, fit, pre=pre, dem=z, height=height)
    out_w = wet.astype(np.float32)
    out_f = flood.astype(np.float32)
    out_w[nodata] = np.nan
    out_f[nodata] = np.nan
    like[nodata] = np.nan
    return out_w, out_f, deep, like
