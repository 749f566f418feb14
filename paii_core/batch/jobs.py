"""What one batch tile does for each job: read its window, call the engine, write it.

Runs on dask workers. A tile's product goes to ``<out>/tiles/<scene>/<tile>.tif``
through :func:`paii_core.io.write_geotiff` (temporary file + rename), so a worker killed
mid-tile leaves no partial product; the client records the outcome in the manifest.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
from affine import Affine

from paii_core import io
from paii_core.batch.spec import DEVICES, HALO, JOBS
from paii_core.batch.tiles import Tile
from paii_core.batch.windows import crop, window_files
from paii_core.errors import FormatError, InputFileError, PaiiError, ValidationError
from paii_core.io.geotiff import CAPTURE_TAGS

__all__ = [
    "DEVICES",
    "HALO",
    "JOBS",
    "JobOptions",
    "device_for",
    "raster_sensor",
    "run_tile",
    "scene_date",
]


def device_for(requested: str) -> str:
    """The torch device a worker computes on for ``--device requested``.
    Raises ValidationError for an unknown device, or ``cuda`` where no GPU is visible."""
    import torch

    if requested not in DEVICES:  # also checked by the client, before any work
        raise ValidationError(f"--device {requested!r} is unknown; use one of {', '.join(DEVICES)}")
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested == "cuda" and not torch.cuda.is_available():
        raise ValidationError(
            "--device cuda: this machine sees no CUDA GPU (torch.cuda.is_available() is "
            "False); use --device cpu, or run the workers on a GPU machine (--scheduler)"
        )
    return requested


@contextmanager
def _on_device(device: str) -> Iterator[None]:
    """The enhancement engine on ``device`` (it reads PAII_DEVICE), with float16 autocast
    on CUDA; the previous PAII_DEVICE is put back after."""
    import torch

    before = os.environ.get("PAII_DEVICE")
    os.environ["PAII_DEVICE"] = device
    try:
        with torch.autocast("cuda", dtype=torch.float16, enabled=device == "cuda"):
            yield
    finally:
        if before is None:
            os.environ.pop("PAII_DEVICE", None)
        else:
            os.environ["PAII_DEVICE"] = before


_NETS: dict[tuple[str, str, str], object] = {}


def _network(opts: JobOptions):
    """The trained network of ``opts.job`` on ``device``, loaded once per worker process
    (at its first tile of a run) and kept for its later tiles: loading took ~0.08 s a
    400 px scene, 10 % of its work. Sharing it is safe: a worker runs one task at a time
    by default, and where it runs several (``dask worker --nthreads N``) they only read
    the weights (eval mode, inference mode, the same device). The key holds the weights'
    version, so retrained weights are loaded anew; weights that differ from the version
    the client planned with (replaced mid-run) fail the tile instead of mixing models."""
    from paii_core.enhance import api

    key = (opts.job, opts.model_version, opts.device)
    net = _NETS.get(key)
    if net is None:
        net = api.load_model(opts.job)
        if opts.model_version and net.version != opts.model_version:
            raise ValidationError(
                f"models/{opts.job}: the weights are version {net.version}, the run was "
                f"planned with {opts.model_version} (retrained during the run?); rerun "
                "paii batch, which redoes the tiles of the old version"
            )
        _NETS.clear()  # one model per worker: a new run's weights replace the last's
        _NETS[key] = net = net.to(opts.device)
    return net


@dataclass(frozen=True)
class JobOptions:
    job: str
    out_dir: str
    method: str = "model"
    level: str = "fine"
    dem: str | None = None
    threads: int = 1
    model_version: str = ""
    device: str = "auto"
    """``auto`` (CUDA when the worker sees a GPU), ``cpu`` or ``cuda`` (mixed precision)."""


def _tile_transform(tile: Tile, first: Path) -> tuple:
    with io.geotiff._open_checked(first, "GeoTIFF") as src:
        return src.crs, src.transform


def _tags(opts: JobOptions, product: str, source: io.Raster | None, tile: Tile) -> dict:
    # what still holds of the input (its date, sensor, reflectance level), as `paii sr` /
    # `paii dehaze` keep it
    kept = {} if source is None else {k: v for k, v in source.tags.items() if k in CAPTURE_TAGS}
    return {
        **kept,
        "PAII_PRODUCT": product,
        "PAII_METHOD": opts.method,
        "PAII_MODEL_VERSION": opts.model_version,
        "PAII_BATCH_TILE": tile.key,
    }


def _empty(tile: Tile, bands: int, scale: int = 1) -> tuple[np.ndarray, None]:
    _, _, w, h = tile.core
    return np.full((bands, h * scale, w * scale), np.nan, np.float32), None


@lru_cache(maxsize=64)
def _raster_sensor(path: str, width: int, height: int, mtime_ns: int):
    from paii_core.enhance import api
    from paii_core.enhance import files as efiles
    from paii_core.enhance.sensor import ESTIMATE_WINDOW, SensorModel

    w, h = min(width, ESTIMATE_WINDOW), min(height, ESTIMATE_WINDOW)
    win = ((width - w) // 2, (height - h) // 2, w, h)
    with window_files((path,), win) as (copy,):
        try:
            data = efiles.read_bgrn(copy).data
        except InputFileError as e:
            if type(e) is not InputFileError:
                raise
            return SensorModel(0.0)  # an all-nodata centre: the box, as for the whole raster
    return api.estimate_sensor(data)


def raster_sensor(path: str | Path, width: int, height: int):
    """The sensor model of a whole ``width`` x ``height`` raster, estimated as `paii sr`
    estimates it (:func:`paii_core.enhance.api.estimate_sensor` reads the central
    256 px window), from a copy of that window alone. Every window of a raster shares
    it, so windows join as one pass does; cached per file (path, size, modification)."""
    return _raster_sensor(str(path), width, height, Path(path).stat().st_mtime_ns)


PRODUCTS = {"dehaze": "dehazed reflectance", "sr": "4x super-resolved reflectance"}
"""``PAII_PRODUCT`` of a window's output, as `paii dehaze` / `paii sr` tag a whole file
(a window said "dehaze reflectance")."""


def _enhance(files: list[Path], tile: Tile, opts: JobOptions, out: Path):
    from paii_core.enhance import api
    from paii_core.enhance import files as efiles
    from paii_core.enhance.haze_physics import thick_haze_band

    scale = 4 if opts.job == "sr" else 1
    extra_tags: dict[str, str] = {}
    if tile.core is None:  # the whole file: exactly what `paii dehaze` / `paii sr` write
        if opts.job == "sr":
            efiles.sr_geotiff(files[0], out, method=opts.method)
        else:
            net = _network(opts) if opts.method == "model" else None
            efiles.dehaze_geotiff(files[0], out, method=opts.method, net=net)
        return None
    try:
        raster = efiles.read_bgrn(files[0])
    except InputFileError as e:
        if type(e) is not InputFileError:  # FormatError & co.: a bad file, not a blank window
            raise
        raster = None
    dehazing = opts.job == "dehaze"
    if raster is None:
        values, _ = _empty(tile, 5 if dehazing else 4, scale)
    else:
        net = _network(opts) if opts.method == "model" else None
        if opts.job == "sr":
            sensor = None
            if net is not None:
                sc = tile.scene
                sensor = raster_sensor(sc.files[0], sc.width, sc.height)
                extra_tags = {
                    "PAII_SENSOR_MODEL": f"{sensor.describe()} (estimated from the image)",
                    "PAII_SR_DETAIL": f"{api.detail_weight(sensor, net):.2f}",
                }
            values = api.super_resolve(raster.data, method=opts.method, net=net, sensor=sensor)
        else:  # as `paii dehaze` does: TOA input is dehazed by its haze path
            toa = efiles.is_toa(raster)
            method = api.dehaze_method(opts.method, toa)
            net = net if method == "model" else None
            values = api.dehaze(raster.data, method=method, net=net, toa=toa)
            extra_tags = {  # what ran, as `paii dehaze` tags it (not the requested method)
                "PAII_METHOD": method,
                "PAII_MODEL_VERSION": opts.model_version if method == "model" else method,
                "PAII_REFLECTANCE_LEVEL": "TOA" if toa else "L2A",
            }
            # the fifth band `paii dehaze` writes: 1 where the haze was too thick to recover
            flag = thick_haze_band(np.isnan(raster.data).any(axis=0), values)
            values = np.concatenate([values, flag[None]])
        values = crop(values, tile.core, tile.read, scale)
    crs, transform = _tile_transform(tile, files[0])
    core_t = transform @ Affine.translation(
        tile.core[0] - tile.read[0], tile.core[1] - tile.read[1]
    )
    io.write_geotiff(
        out,
        values,
        crs=crs,
        transform=core_t @ Affine.scale(1 / scale),
        band_names=("B2", "B3", "B4", "B8", "THICK_HAZE")[: len(values)],
        tags={
            **_tags(opts, PRODUCTS[opts.job], raster, tile),
            "PAII_BANDS": efiles.BANDS_NOTE,
            **extra_tags,
        },
    )
    return None


def scene_date(raster: io.Raster, path: str | Path) -> date:
    """The capture date: the DATE tag, else YYYYMMDD in the file name."""
    text = raster.tags.get("DATE") or raster.tags.get("DATATAKE_SENSING_START")
    if not text:
        m = re.search(r"(20\d{6}|19\d{6})", Path(path).name)
        text = f"{m.group(1)[:4]}-{m.group(1)[4:6]}-{m.group(1)[6:]}" if m else None
    try:
        return date.fromisoformat(str(text)[:10])
    except (TypeError, ValueError):
        raise FormatError(
            path,
            "has no capture date (no DATE tag, no YYYYMMDD in its name)",
            "tag it with DATE=YYYY-MM-DD (gdal_edit.py -mo DATE=2020-06-01 FILE)",
        ) from None


def _series(files: list[Path], originals: tuple[str, ...]):
    rasters = []
    for f, orig in zip(files, originals, strict=True):
        scl = Path(orig).with_name(Path(orig).name.replace("_L2A", "_SCL"))
        has_scl = scl.name != Path(orig).name and scl.is_file()
        r = io.read_sentinel2_l2a(f, scl=scl if has_scl else None, mask_clouds=has_scl)
        rasters.append((scene_date(r, orig), r))
    rasters.sort(key=lambda x: x[0])
    dates = [d for d, _ in rasters]
    if len(set(dates)) != len(dates):
        raise ValidationError(
            f"two inputs of scene {Path(originals[0]).name} share a date; pass one file per date"
        )
    return np.stack([r.data for _, r in rasters]), dates, rasters[0][1]


def _crops(files: list[Path], tile: Tile, opts: JobOptions, out: Path):
    from paii_core.crops import cropland_probability, delineate_parcels

    series, dates, first = _series(files, tile.scene.files)
    core, read = tile.core, tile.read
    if opts.job == "cropland":
        values = cropland_probability(series, dates)
        values = values if core is None else crop(values, core, read)
        io.write_geotiff(
            out,
            values,
            crs=first.crs,
            transform=_core_transform(first, tile),
            band_names=("cropland_probability",),
            tags=_tags(opts, "cropland probability", first, tile),
        )
        return values, first.crs, _core_transform(first, tile), {}
    labels = delineate_parcels(series, dates, level=opts.level)
    labels = labels if core is None else crop(labels, core, read)
    # Local ids 1..n (a parcel cut by the core keeps one id); made global at the mosaic.
    ids, inverse = np.unique(labels, return_inverse=True)
    compact = inverse.reshape(labels.shape).astype(np.int32) + (0 if ids[0] == 0 else 1)
    n = int(compact.max())
    io.write_geotiff(
        out,
        compact,
        crs=first.crs,
        transform=_core_transform(first, tile),
        dtype="int32",
        nodata=-1,
        band_names=("parcel_id",),
        tags=_tags(opts, f"{opts.level} parcels", first, tile),
    )
    return compact, first.crs, _core_transform(first, tile), {"n_labels": n}


def _core_transform(raster: io.Raster, tile: Tile) -> Affine:
    if tile.core is None:
        return raster.transform
    dx, dy = tile.core[0] - tile.read[0], tile.core[1] - tile.read[1]
    return raster.transform @ Affine.translation(dx, dy)


def _flood(files: list[Path], tile: Tile, opts: JobOptions, out: Path):
    """The window mapped as `paii flood --post WINDOW [--pre WINDOW] [--dem DEM]` maps a file
    (the pre-event window, when given, is the same window of the pre-event scene): linear or dB,
    VV-only or VV+VH, any CRS (a geographic window on its UTM zone's grid and back), the
    DEM optional."""
    from paii_core.flood import files as ffiles
    from paii_core.flood.mapping import FloodMap

    sar = io.read_sentinel1(files[0], allow_vv_only=True)
    if not np.isfinite(sar.data).any():
        flooded = np.zeros(sar.data.shape[1:], bool)
        fm = FloodMap(flooded, np.full(flooded.shape, np.nan, np.float32), None)
    else:
        pre = files[1] if len(files) > 1 else None  # the pre-event scene on this grid
        fm = ffiles.map_flood_scene(sar, opts.dem, pre_path=pre)
    if tile.core is not None:
        arrays = {
            k: crop(getattr(fm, k), tile.core, tile.read)
            for k in ("flooded", "depth_m", "water", "likelihood")
            if getattr(fm, k, None) is not None
        }
        fm = replace(fm, **arrays)
        sar = replace(
            sar,
            data=crop(sar.data, tile.core, tile.read).copy(),
            transform=_core_transform(sar, tile),
        )
    ffiles.write_flood(out, fm, sar)
    values = np.where(np.isfinite(sar.data[0]), fm.flooded.astype(np.float32), np.nan)
    return values, sar.crs, sar.transform, {}


_RUNNERS = {
    "dehaze": _enhance,
    "sr": _enhance,
    "cropland": _crops,
    "parcels": _crops,
    "flood": _flood,
}


def _what_ran(out: Path, planned: str) -> dict:
    """The method and version a tile's output is tagged with, for its manifest record,
    and the version the run was ``planned`` with (what a rerun compares)."""
    import rasterio

    with rasterio.open(out) as src:
        tags = src.tags()
    return {
        "method": tags.get("PAII_METHOD", ""),
        "model_version": tags.get("PAII_MODEL_VERSION", planned),
        "planned_version": planned,
    }


def run_tile(tile: Tile, opts: JobOptions, counties=None) -> dict:
    """Compute and write one tile; returns its manifest record (status done or failed).

    Errors PAII raises on purpose (a bad input file) make a ``failed`` record, not an
    exception, so dask does not retry a tile that cannot succeed.
    """
    import torch

    from paii_core.batch.cluster import tune_malloc

    tune_malloc()  # a worker started by hand (`dask worker`) lacks PAII's malloc settings
    torch.set_num_threads(opts.threads)
    rel = f"tiles/{tile.key}.tif"
    out = Path(opts.out_dir) / rel
    record = {
        "tile": tile.key,
        "input_hash": tile.input_hash,
        "job": opts.job,
        "model_version": opts.model_version,
        "output": rel,
        "pid": os.getpid(),
    }
    t0, cpu0, started = time.perf_counter(), time.thread_time(), time.time()
    try:
        device = device_for(opts.device)
        record["device"] = device
        opts = replace(opts, device=device)
        with _on_device(device), window_files(tile.scene.files, tile.read) as files:
            result = _RUNNERS[opts.job](files, tile, opts, out)
        if opts.job in PRODUCTS:  # what ran: a TOA input is dehazed by its haze path
            record.update(_what_ran(out, opts.model_version))
        if result is not None:
            values, crs, transform, extra = result
            record.update(extra)
            if counties is not None:
                from paii_core.batch.rollup import write_tile_rollup  # pandas: only here

                record["rollup"] = write_tile_rollup(
                    Path(opts.out_dir), opts.job, tile.key, values, crs, transform, counties
                )
    except PaiiError as e:
        record.update(status="failed", error=str(e))
        return record
    # Wall and CPU seconds of this task's thread (CPU time does not grow when other
    # processes share the cores: a load-independent measure), and when it ran (epoch s).
    record.update(
        status="done",
        seconds=round(time.perf_counter() - t0, 3),
        cpu_seconds=round(time.thread_time() - cpu0, 3),
        started=round(started, 3),
        ended=round(time.time(), 3),
    )
    return record
