"""Flood mapping on files: Sentinel-1 (any CRS) and an optional DEM, results on the input grid."""

from __future__ import annotations

import hashlib
import tempfile
import warnings
from contextlib import ExitStack
from dataclasses import replace
from os import PathLike
from pathlib import Path
from typing import Literal

import numpy as np
import rasterio.transform
from affine import Affine
from rasterio.coords import disjoint_bounds
from rasterio.crs import CRS
from rasterio.warp import Resampling, calculate_default_transform, reproject, transform_bounds

from paii_core import io
from paii_core.errors import InputFileError, PaiiError, PaiiWarning, ValidationError, name_file_as
from paii_core.flood import learned
from paii_core.flood.mapping import FloodMap, map_flood
from paii_core.flood.terrain import hand
from paii_core.io.s1_items import sentinel1_stack
from paii_core.io.sentinel1 import SIGMA0_UNITS_READ_TAG
from paii_core.io.untrusted import check_upload

__all__ = [
    "BAND_NAMES",
    "dem_on_grid",
    "hand_cache_folder",
    "hand_grid",
    "map_flood_bytes",
    "map_flood_files",
    "map_flood_scene",
    "utm_crs",
    "water_source_tag",
    "write_flood",
]


def water_source_tag(source: str, model_dir: Path | None = None) -> str:
    """The ``WATER_SOURCE`` tag of a flood GeoTIFF: the rules, or the learned model's
    files where they were read (``model_dir``; None: ``models/flood/``)."""
    if source != "learned":
        return "rules (split-based threshold, region growing)"
    folder = learned.model_path(folder=model_dir).parent
    return (
        f"learned model (LightGBM {learned.MODEL_NAME}, {learned.VV_MODEL_NAME} where VH "
        f"is missing, in {folder}) on the rules' water"
    )


BAND_NAMES = ("water", "flooded", "depth_m", "likelihood")
"""Bands of a flood GeoTIFF: water and flooded 0/1, depth in metres, likelihood 0..100."""


def utm_crs(crs: CRS, bounds: tuple[float, float, float, float]) -> CRS:
    """The WGS 84 / UTM zone CRS of the centre of ``bounds`` (given in ``crs``)."""
    west, south, east, north = transform_bounds(crs, "EPSG:4326", *bounds)
    lon, lat = (west + east) / 2.0, (south + north) / 2.0
    zone = min(60, int((lon + 180.0) // 6.0) + 1)
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def _warp(data, src: io.Raster, crs, transform, shape, resampling) -> np.ndarray:
    out = np.full((data.shape[0], *shape), np.nan, dtype=np.float32)
    for b in range(data.shape[0]):
        reproject(
            data[b], out[b], src_transform=src.transform, src_crs=src.crs,
            dst_transform=transform, dst_crs=crs, src_nodata=np.nan, dst_nodata=np.nan,
            resampling=resampling,
        )  # fmt: skip
    return out


def _to_working_grid(sar: io.Raster) -> io.Raster:
    """A geographic scene resampled to its UTM zone (bilinear in linear power)."""
    if not sar.crs.is_geographic:
        return sar
    crs = utm_crs(sar.crs, sar.bounds)
    transform, w, h = calculate_default_transform(sar.crs, crs, sar.width, sar.height, *sar.bounds)
    power = np.power(np.float32(10.0), sar.data / np.float32(10.0))
    warped = _warp(power, sar, crs, transform, (h, w), Resampling.bilinear)
    with np.errstate(divide="ignore", invalid="ignore"):
        db = np.float32(10.0) * np.log10(warped)
    return io.Raster(db.astype(np.float32), crs, transform, sar.band_names, dict(sar.tags))


def dem_on_grid(dem: io.Raster, sar: io.Raster, *, dem_path: Path) -> np.ndarray:
    """(H, W) float32 DEM on the SAR grid, reprojected (bilinear) where the grids differ.

    Raises:
        InputFileError: the DEM does not overlap the SAR scene, or holds no data over it.
    """
    same = dem.crs == sar.crs and dem.data.shape[1:] == sar.data.shape[1:]
    if same and dem.transform.almost_equals(sar.transform):
        out = dem.data[0]
    else:
        if dem.crs is None or not (dem.crs.is_geographic or dem.crs.is_projected):
            raise InputFileError(
                dem_path,
                f"has a CRS that cannot be placed on the SAR grid ({dem.crs})",
                "give the DEM a geographic or projected CRS, e.g. `gdalwarp -t_srs EPSG:4326`",
            )
        try:
            apart = disjoint_bounds(transform_bounds(dem.crs, sar.crs, *dem.bounds), sar.bounds)
        except ValueError as e:  # a transform that flips one axis only
            raise InputFileError(
                dem_path, f"has unusable bounds ({e})", "re-export the DEM with GDAL"
            ) from e
        if apart:
            raise InputFileError(
                dem_path, "does not overlap the SAR scene", "pass a DEM that covers the scene"
            )
        shape = sar.data.shape[1:]
        out = _warp(dem.data, dem, sar.crs, sar.transform, shape, Resampling.bilinear)[0]
    if not np.isfinite(out).any():
        raise InputFileError(
            dem_path,
            "holds no data over the SAR scene (no overlap, or all nodata)",
            "pass a DEM that covers the scene",
        )
    return out


DEM_COVER_MIN = 0.99
"""A DEM with data under less of the scene than this leaves terrain and depth partial."""


def partial_cover(share: float, dem_path: Path) -> str | None:
    """The terrain note of a DEM with data under only ``share`` of the scene (and a
    warning), or None when it covers the scene: outside it no pixel is excluded by HAND
    or slope and none gets a depth, so the map is not the one a full DEM gives."""
    if share >= DEM_COVER_MIN:
        return None
    warnings.warn(
        f"{dem_path}: has data under {share:.0%} of the SAR scene; elsewhere no pixel is "
        "excluded by HAND or slope and none gets a depth. Fix: pass a DEM (mosaic) that "
        "covers the whole scene",
        PaiiWarning,
        stacklevel=3,
    )
    return f"HAND/slope on {share:.0%} of the scene (the DEM's data); none elsewhere"


def pre_grid_error(
    pre_path: str | PathLike[str],
    pre_crs: CRS,
    pre_bounds: tuple[float, float, float, float],
    crs: CRS,
    transform: Affine,
    height: int,
    width: int,
) -> InputFileError:
    """The refusal of a pre-event scene that is not on the post-event scene's grid
    (``crs``, ``transform``, ``height`` x ``width``): the gdalwarp command that puts it on
    it, or, when it lies elsewhere, that it is of another place (a warp would be empty)."""
    west, south, east, north = rasterio.transform.array_bounds(height, width, transform)
    there = transform_bounds(pre_crs, crs, *pre_bounds, densify_pts=21)
    if disjoint_bounds(there, (west, south, east, north)):
        return InputFileError(
            Path(pre_path),
            "does not overlap the post-event scene: it is an image of another place",
            "pass a Sentinel-1 scene of the same ground from before the event",
        )
    epsg = crs.to_epsg()
    target = f"EPSG:{epsg}" if epsg else f"'{crs.to_wkt()}'"
    command = (
        f"gdalwarp -t_srs {target} -te {west!r} {south!r} {east!r} {north!r} "
        f"-ts {width} {height} -r bilinear '{pre_path}' pre_on_post_grid.tif"
    )
    return InputFileError(
        Path(pre_path),
        f"is not on the grid of the post-event scene ({width} x {height} px in {target})",
        f"put it on that grid with `{command}` and pass pre_on_post_grid.tif",
    )


def _same_grid(a: io.Raster, b: io.Raster) -> bool:
    return (
        a.crs == b.crs
        and a.data.shape[1:] == b.data.shape[1:]
        and a.transform.almost_equals(b.transform)
    )


def hand_cache_folder(folder: str | PathLike[str] | None) -> Path | None:
    """``folder`` created and checked writable, so HAND can be kept there; None stays None.

    Raises:
        ValidationError: it is a file, or cannot be created or written.
    """
    if folder is None:
        return None
    path = Path(folder)
    fix = (
        "Fix: pass a folder you may write to as --hand-cache, or leave it out (HAND is "
        "then computed on each run)"
    )
    if path.exists() and not path.is_dir():
        raise ValidationError(f"hand cache {path} is a file, not a folder. {fix}")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as e:
        raise ValidationError(
            f"hand cache folder {path} cannot be written ({e.strerror}). {fix}"
        ) from None
    return path


def _cached_hand(z: np.ndarray, px: float, cache_dir: Path | None) -> np.ndarray:
    """HAND of ``z``, read from / written to ``cache_dir`` keyed by the DEM's content."""
    if cache_dir is None:
        return hand(z, pixel_size_m=px)
    digest = hashlib.sha256(memoryview(np.ascontiguousarray(z)).cast("B"))  # no copy
    digest.update(f"{z.shape}{px:.6f}".encode())
    key = digest.hexdigest()
    path = Path(cache_dir) / f"hand_{key[:24]}.npy"
    if path.exists():
        return np.load(path)
    out = hand(z, pixel_size_m=px)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, out)
    tmp.replace(path)
    return out


def hand_grid(
    dem: io.Raster, crs: CRS, bounds: tuple[float, float, float, float], px: float
) -> tuple[Affine, np.ndarray, float] | None:
    """(transform, elevations, pixel size) of ``dem`` in ``crs`` at its own resolution
    (never finer than ``px``) over ``bounds`` plus a 10 % margin; None without data there.
    """
    west, south, east, north = bounds
    mx, my = 0.1 * (east - west), 0.1 * (north - south)
    native, _, _ = calculate_default_transform(dem.crs, crs, dem.width, dem.height, *dem.bounds)
    dem_px = max(float(abs(native.a)), px)
    cols = int(np.ceil((east - west + 2 * mx) / dem_px))
    rows = int(np.ceil((north - south + 2 * my) / dem_px))
    grid = Affine(dem_px, 0.0, west - mx, 0.0, -dem_px, north + my)
    coarse = _warp(dem.data, dem, crs, grid, (rows, cols), Resampling.bilinear)[0]
    if not np.isfinite(coarse).any():
        return None
    return grid, coarse, dem_px


def _hand_on_grid(dem: io.Raster, work: io.Raster, z: np.ndarray, cache: Path | None):
    """HAND on the working grid, routed on the DEM's own (coarser) grid where it is one.

    Flow routing costs grow with the cell count: a 30 m DEM has 9x fewer cells than a
    10 m SAR grid and the same information, so HAND is computed there (in the working
    CRS, over the scene plus a 10 % margin) and resampled bilinearly to the SAR grid.
    """
    px = float(abs(work.transform.a))
    found = hand_grid(dem, work.crs, work.bounds, px)
    if found is None or found[2] < 1.5 * px:
        return _cached_hand(z, px, cache)
    grid, coarse, dem_px = found
    height = _cached_hand(coarse, dem_px, cache)
    holder = io.Raster(height[None], work.crs, grid)
    shape = work.data.shape[1:]
    out = _warp(height[None], holder, work.crs, work.transform, shape, Resampling.bilinear)[0]
    out[~np.isfinite(z)] = np.nan
    return out


def map_flood_files(
    post_path: str | PathLike[str],
    dem_path: str | PathLike[str] | None = None,
    *,
    pre_path: str | PathLike[str] | None = None,
    units: Literal["auto", "linear", "db"] = "auto",
    hand_cache: str | PathLike[str] | None = None,
    water_model: bool = False,
    model_dir: str | PathLike[str] | None = None,
) -> tuple[FloodMap, io.Raster]:
    """Read Sentinel-1 (linear or dB, VV/VH or VV only, any CRS) and an optional DEM,
    map the flood; returns (map on the post-event scene's own grid, that scene).

    A scene in degrees is mapped on its UTM zone's grid (bilinear in power, about the
    same pixel size) and the results are brought back to its grid (nearest for the
    masks, bilinear for depth and likelihood). The DEM may be in any CRS; it is
    resampled to the working grid. Without a DEM there is no HAND/slope exclusion and
    no depth (``FloodMap.terrain`` says so); a DEM with data under less than 99 % of
    the scene gives them only there, with a :class:`PaiiWarning` and a terrain note
    that gives its share. ``hand_cache`` keeps HAND per DEM.
    ``water_model``: water from the learned model (:mod:`paii_core.flood.learned`), whose
    files are in ``model_dir`` (default ``models/flood/``).

    Raises:
        InputFileError: no valid pixel, a DEM that does not cover the scene, a
            pre-event image on another grid; reader errors (HH/HV, bad units, ...).
        ValidationError: a ``hand_cache`` that cannot be written (checked first).
    """
    cache = hand_cache_folder(hand_cache) if dem_path is not None else None
    post = io.read_sentinel1(post_path, units=units, allow_vv_only=True)
    if not np.isfinite(post.data[0]).any():
        raise InputFileError(Path(post_path), "holds no data (all nodata)", "pass a valid scene")
    fm = map_flood_scene(
        post, dem_path, pre_path=pre_path, units=units, hand_cache=cache,
        water_model=water_model, model_dir=model_dir,
    )  # fmt: skip
    return fm, post


def map_flood_scene(
    post: io.Raster,
    dem_path: str | PathLike[str] | None = None,
    *,
    pre_path: str | PathLike[str] | None = None,
    units: Literal["auto", "linear", "db"] = "auto",
    hand_cache: Path | None = None,
    water_model: bool = False,
    model_dir: str | PathLike[str] | None = None,
) -> FloodMap:
    """:func:`map_flood_files` on a post-event scene already read (a `paii batch` window,
    read once); ``hand_cache`` a folder :func:`hand_cache_folder` checked. Raises as
    :func:`map_flood_files` does for the pre-event scene and the DEM."""
    pre = None
    if pre_path is not None:
        pre = io.read_sentinel1(pre_path, units=units, allow_vv_only=True)
        if not _same_grid(pre, post):
            h, w = pre.data.shape[1:]
            pre_bounds = rasterio.transform.array_bounds(h, w, pre.transform)
            raise pre_grid_error(
                pre_path, pre.crs, pre_bounds, post.crs, post.transform, *post.data.shape[1:]
            )
    work = _to_working_grid(post)
    pre_work = _to_working_grid(pre).data if pre is not None else None
    px = float(abs(work.transform.a))
    z = height = partial = None
    if dem_path is not None:
        dem = io.read_dem(dem_path)
        z = dem_on_grid(dem, work, dem_path=Path(dem_path))
        scene = np.isfinite(work.data[0])
        share = np.count_nonzero(scene & np.isfinite(z)) / max(1, np.count_nonzero(scene))
        partial = partial_cover(float(share), Path(dem_path))
        height = _hand_on_grid(dem, work, z, hand_cache)
    fm = map_flood(
        work.data, z, pre_sar=pre_work, pixel_size_m=px, hand_m=height, water_model=water_model,
        model_dir=Path(model_dir) if model_dir is not None else None,
    )  # fmt: skip
    if partial is not None and fm.terrain == "HAND/slope":
        fm = replace(fm, terrain=partial)
    if work is not post:
        fm = _back_to_grid(fm, work, post)
    return fm


def _back_to_grid(fm: FloodMap, work: io.Raster, grid: io.Raster) -> FloodMap:
    shape = grid.data.shape[1:]

    def warp(a, resampling):
        return _warp(a[None].astype(np.float32), work, grid.crs, grid.transform, shape,
                     resampling)[0]  # fmt: skip

    masks = np.stack([fm.water, fm.flooded]).astype(np.float32)
    w, f = (warp(m, Resampling.nearest) for m in masks)
    return replace(
        fm,
        water=w == 1,
        flooded=f == 1,
        depth_m=np.where(f == 1, warp(fm.depth_m, Resampling.nearest), np.nan).astype(np.float32),
        likelihood=warp(fm.likelihood, Resampling.bilinear),
    )


def map_flood_bytes(
    post: tuple[str, bytes],
    dem: tuple[str, bytes] | None = None,
    *,
    pre: tuple[str, bytes] | None = None,
) -> tuple[FloodMap, io.Raster, io.Raster | None]:
    """:func:`map_flood_files` on uploaded files, each ``(file name, content)``.

    The files live in a temporary folder for the call only; errors name the uploaded
    file. Returns (map, post-event SAR, pre-event SAR or None).
    """
    with tempfile.TemporaryDirectory(prefix="paii_flood_upload_") as tmp:
        saved, names = {}, {}
        for role, item in (("post", post), ("dem", dem), ("pre", pre)):
            if item is not None:
                names[role] = item[0]
                saved[role] = Path(tmp) / role / Path(item[0]).name
                saved[role].parent.mkdir()
                saved[role].write_bytes(item[1])
        try:
            for path in saved.values():
                check_upload(path)
            with ExitStack() as stacks:  # a zip of per-polarisation files: one stack each
                post_sar = stacks.enter_context(sentinel1_stack(saved["post"]))
                pre_sar = None
                if "pre" in saved:
                    pre_sar = stacks.enter_context(sentinel1_stack(saved["pre"]))
                flood, after = map_flood_files(post_sar, saved.get("dem"), pre_path=pre_sar)
                before = io.read_sentinel1(pre_sar, allow_vv_only=True) if pre_sar else None
        except PaiiError as e:
            for role, path in saved.items():
                name_file_as(e, path, f"{Path(names[role]).name} ({role})")
            raise
    return flood, after, before


def write_flood(
    path: str | PathLike[str],
    flood: FloodMap,
    like: io.Raster,
    *,
    simulated: bool = False,
    inputs: dict[str, str | None] | None = None,
) -> Path:
    """Write a 4-band float32 GeoTIFF on ``like``'s grid: :data:`BAND_NAMES`.

    water and flooded are 0/1 and NaN where the SAR has no data; depth_m is NaN where
    dry or without a DEM; likelihood is 0..100. Tags say the threshold, its method and
    the terrain exclusion used (``TERRAIN = none: no DEM`` when there was none), and a
    ``SIMULATED`` tag when ``simulated`` (the inputs' provenance says so). ``inputs``
    (``{"post": name, "pre": name or None, "dem": name or None}``) names the files the
    map came from, as ``INPUT_POST``, ``INPUT_PRE`` and ``INPUT_DEM`` tags ("none" for a
    missing one), so that a file passed on says where it came from.
    """
    nodata = ~np.isfinite(like.data[0])
    water = flood.water if flood.water is not None else flood.flooded
    like_band = (
        flood.likelihood
        if flood.likelihood is not None
        else np.where(flood.flooded, 100.0, 0.0).astype(np.float32)
    )
    bands = np.stack(
        [water.astype(np.float32), flood.flooded.astype(np.float32), flood.depth_m, like_band]
    )
    bands[:2, nodata] = np.nan
    bands[3, nodata] = np.nan
    tags: dict[str, object] = {
        "THRESHOLD_DB": flood.threshold_db,
        "THRESHOLD_METHOD": flood.method,
        "TERRAIN": flood.terrain,
        "WATER_SOURCE": water_source_tag(flood.water_source, flood.water_model_dir),
        "LIKELIHOOD": "0..100, posterior of water from VV backscatter (GFM-style)",
        "SOURCE": "paii flood",
    }
    if like.tags.get(SIGMA0_UNITS_READ_TAG):  # how the SAR was read: linear or dB
        tags[SIGMA0_UNITS_READ_TAG] = like.tags[SIGMA0_UNITS_READ_TAG]
    for role, name in (inputs or {}).items():
        tags[f"INPUT_{role.upper()}"] = name or "none"
    if simulated:
        tags["SIMULATED"] = "yes: mapped from simulated PAII demo data"
    return io.write_geotiff(
        path,
        bands,
        crs=like.crs,
        transform=like.transform,
        band_names=BAND_NAMES,
        tags=tags,
    )
