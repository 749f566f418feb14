"""GeoTIFF in, GeoTIFF out: enhancement of whole rasters with their georeferencing kept.

Inputs are BGRN reflectance: a Sentinel-2 L2A stack of integer DNs (read with the L2A
offset and scale) or a float GeoTIFF of 4 bands in B, G, R, NIR order. Outputs are
float32 reflectance with NaN nodata, tiled and deflate-compressed; the SR output is
written tile by tile so a 4096 x 4096 input never holds its 16384 x 16384 result: the
input is read whole (1/16 of the output), the output is held one tile at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import rasterio
from affine import Affine
from numpy.typing import NDArray
from rasterio.windows import Window

from paii_core.enhance import api
from paii_core.enhance.haze_physics import thick_haze_band
from paii_core.enhance.sensor import SensorModel
from paii_core.errors import BandOrderError, FormatError, InputFileError, ValidationError
from paii_core.io import Raster, read_geotiff, read_sentinel2_l2a, write_geotiff
from paii_core.io._atomic import atomic_path
from paii_core.io.bands import BandSelection, read_selected_bands
from paii_core.io.geotiff import CAPTURE_TAGS, _open_checked
from paii_core.io.landsat import is_landsat, read_landsat

if TYPE_CHECKING:
    import torch

__all__ = ["dehaze_geotiff", "is_toa", "read_bgrn", "sr_geotiff"]

BGRN = ("B2", "B3", "B4", "B8")
BANDS_NOTE = "B2 blue, B3 green, B4 red, B8 NIR (Sentinel-2 band names, whatever the sensor)"
"""The ``PAII_BANDS`` tag of every `paii sr` / `paii dehaze` output."""
_CACHE_MB = 64
_MAX_REFLECTANCE_MEDIAN = 1.5
"""A float file whose median is above this is not reflectance (as for --bands)."""


def read_bgrn(path: str | PathLike[str], bands: BandSelection | None = None) -> Raster:
    """Read a BGRN reflectance GeoTIFF as ``(4, H, W)`` float32 with NaN nodata (also a
    ``paii dehaze`` output: its four bands, without the THICK_HAZE flag band), or a
    Landsat product (its MTL file, folder, or a band file beside the MTL: TOA reflectance
    for Level-1, surface for Collection 2 Level-2; :func:`paii_core.io.read_landsat`).
    ``bands``: which bands of the file are B, G, R, NIR and how they scale to reflectance
    (:func:`paii_core.io.bands.read_selected_bands`), for files without band names; a
    ValidationError when given with a Landsat MTL or product folder.

    Raises InputNotFoundError for a missing file, FormatError when it is not a GeoTIFF,
    has no CRS or is a float file that is not reflectance (infinite values, a median
    above 1.5), BandOrderError (a FormatError) when its bands do not say which is B, G,
    R, NIR, and InputFileError when every pixel is nodata.
    """
    p = Path(path)
    if bands is not None:
        if (p.is_dir() or p.suffix.lower() in (".txt", ".json")) and is_landsat(p):
            raise ValidationError(
                f"{p}: is a Landsat product, whose MTL names its bands and calibration; "
                "--bands, --reflectance, --scale and --offset are for a stack without band "
                "names. Fix: leave them out"
            )
        return read_selected_bands(p, bands)
    if is_landsat(p):
        return read_landsat(p)
    if p.is_dir():
        raise FormatError(
            p,
            "is a folder without a Landsat MTL file (*_MTL.txt or *_MTL.json)",
            "pass a BGRN GeoTIFF, or a Landsat product's folder (its band files and MTL); "
            "a Sentinel-2 product: `paii area add` reads .SAFE folders",
        )
    return _read_named_bgrn(p)


def _read_named_bgrn(p: Path) -> Raster:
    with _open_checked(p, "GeoTIFF") as src:
        integer = np.dtype(src.dtypes[0]).kind in "ui"
        count = src.count
        flagged = count == 5 and src.descriptions[4] == "THICK_HAZE"
    if integer:
        raster = read_sentinel2_l2a(p)
    elif flagged:  # a `paii dehaze` output: the BGRN bands, NaN where haze was too thick
        full = read_geotiff(p, expected_bands=5)
        raster = Raster(full.data[:4], full.crs, full.transform, BGRN, full.tags)
    else:
        if count != 4:
            raise BandOrderError(
                p,
                f"has {count} bands, expected 4 (B2 blue, B3 green, B4 red, B8 NIR)",
                "pass a BGRN reflectance GeoTIFF, e.g. a Sentinel-2 L2A B2/B3/B4/B8 stack",
            )
        raster = read_geotiff(p, expected_bands=4)
        _check_reflectance(raster.data, p)
    if np.isnan(raster.data).all():
        raise InputFileError(
            p, "is all nodata (no valid pixel)", "pass a capture that covers the area"
        )
    return raster


def _check_reflectance(data: NDArray[np.float32], p: Path) -> None:
    """A float BGRN file is read as reflectance as it is: refuse values that are not."""
    fix = (
        "if it holds DN, radiance or percent, say how its values become reflectance: "
        "--bands 1,2,3,4 --reflectance toa|surface --scale S [--offset O] (e.g. --scale "
        "0.0001 for DN x 10000, 0.01 for percent)"
    )
    infinite = int(np.count_nonzero(np.isinf(data)))
    if infinite:
        raise FormatError(
            p, f"holds {infinite} infinite values; reflectance is finite", f"set them to "
            f"nodata (NaN) first, e.g. `gdal_calc.py`; or {fix}"
        )  # fmt: skip
    valid = data[np.isfinite(data)]
    median = float(np.median(valid)) if valid.size else 0.0
    if median > _MAX_REFLECTANCE_MEDIAN:
        raise FormatError(
            p,
            f"is read as reflectance (a float GeoTIFF of 4 bands), but its median is "
            f"{median:.3g} and reflectance is mostly 0 to 1",
            fix,
        )


def _tags(
    raster: Raster, product: str, method: str, version: str, simulated: bool, source: str | None
) -> dict:
    # Only what still holds for reflectance: the L2A scaling tags would mislead a reader.
    tags = {k: v for k, v in raster.tags.items() if k in CAPTURE_TAGS}
    if source:  # the output, passed on, still says what it was made from
        tags["PAII_SOURCE"] = source
    tags.update(PAII_PRODUCT=product, PAII_METHOD=method, PAII_MODEL_VERSION=version)
    # The band names are PAII's (Sentinel-2's) whatever the sensor: a Landsat-8 user
    # would otherwise read "B8" as the panchromatic band.
    tags["PAII_BANDS"] = BANDS_NOTE
    if simulated:
        tags["SIMULATED"] = "yes: produced from simulated PAII demo data"
    return tags


def is_toa(raster: Raster) -> bool:
    """Whether a capture holds top-of-atmosphere reflectance, from its tags: a Sentinel-2
    L1C product type or level, a Landsat Level-1 product, or ``REFLECTANCE=TOA``."""
    tags = {k.upper(): str(v).upper() for k, v in raster.tags.items()}
    if tags.get("REFLECTANCE") == "TOA":
        return True
    for key in ("PRODUCT_TYPE", "PROCESSING_LEVEL", "PRODUCT_LEVEL"):
        text = tags.get(key, "")
        if "L1C" in text or "MSI1C" in text or "LEVEL-1" in text or text.startswith("L1"):
            return True
    return False


def dehaze_geotiff(
    src: str | PathLike[str],
    dst: str | PathLike[str],
    *,
    method: str = "model",
    level: Literal["auto", "L2A", "TOA"] = "auto",
    simulated: bool = False,
    progress: Callable[[int, int], None] | None = None,
    net: torch.nn.Module | None = None,
    bands: BandSelection | None = None,
    source: str | None = None,
) -> Path:
    """Dehaze ``src`` into ``dst`` (same grid, CRS and transform; NaN nodata kept).

    ``level``: surface (L2A) or top-of-atmosphere (TOA) reflectance; ``"auto"`` reads it
    from the tags (:func:`is_toa`). The output has the four dehazed bands and a fifth,
    ``THICK_HAZE`` (1 where the haze is too thick to recover and the bands are NaN,
    0 elsewhere, NaN on nodata). ``net``: the trained network already loaded (a batch
    worker keeps one for all its files); default: loaded from models/dehaze. ``src`` and
    ``bands``: as for :func:`read_bgrn` (a Landsat product is read from its MTL).
    ``source``: the input's name for the ``PAII_SOURCE`` tag (none without it).
    Raises ValidationError for another level."""
    if level not in ("auto", "L2A", "TOA"):
        raise ValidationError(f"level must be 'auto', 'L2A' or 'TOA', got {level!r}")
    raster = read_bgrn(src, bands)
    toa = is_toa(raster) if level == "auto" else level == "TOA"
    method = api.dehaze_method(method, toa)  # "model" on TOA input is "path"
    if method != "model":
        net = None
    elif net is None:
        net = api.load_model("dehaze")
    out = api.dehaze(raster.data, method=method, net=net, toa=toa, progress=progress)
    nodata = np.isnan(raster.data).any(axis=0)
    version = getattr(net, "version", method)
    tags = _tags(raster, "dehazed reflectance", method, version, simulated, source)
    crs, transform = raster.crs, raster.transform
    del raster  # the input is done with: its memory goes before the 5-band output is built
    flag = thick_haze_band(nodata, out)
    del nodata
    tags["PAII_REFLECTANCE_LEVEL"] = "TOA" if toa else "L2A"
    tags["PAII_THICK_HAZE_SHARE"] = f"{float(np.nanmean(flag)):.4f}"
    return write_geotiff(
        dst,
        np.concatenate([out, flag[None]]),
        crs=crs,
        transform=transform,
        band_names=(*BGRN, "THICK_HAZE"),
        tags=tags,
    )


def sr_geotiff(
    src: str | PathLike[str],
    dst: str | PathLike[str],
    *,
    method: str = "model",
    temporal: list[str | PathLike[str]] | None = None,
    sar: str | PathLike[str] | None = None,
    simulated: bool = False,
    sensor: SensorModel | None = None,
    progress: Callable[[int, int], None] | None = None,
    bands: BandSelection | None = None,
    source: str | None = None,
) -> Path:
    """4x super-resolve ``src`` into ``dst``: same CRS, pixel size divided by 4, NaN
    nodata kept. ``temporal``: other BGRN captures on the same grid; ``sar``: a 2-band
    VV, VH dB GeoTIFF on the same grid; ``sensor``: the input's sensor model (default:
    estimated from the image). The sensor model assumed is written to the output's tags
    (``PAII_SENSOR_MODEL``, ``PAII_SR_DETAIL``). Output tiles are streamed to disk.
    ``src`` and ``bands``: as for :func:`read_bgrn` (``bands`` applies to ``temporal`` too);
    ``source``: as for :func:`dehaze_geotiff`."""
    # A small GDAL block cache (the default is 5% of RAM): reading fills it and finished
    # output blocks would pile up in it; here they are compressed and written at once.
    with rasterio.Env(GDAL_CACHEMAX=_CACHE_MB):
        return _sr_geotiff(
            src, dst, method, temporal, sar, simulated, sensor, progress, bands, source
        )


def _sr_geotiff(
    src, dst, method, temporal, sar, simulated, sensor, progress, bands, source
) -> Path:
    raster = read_bgrn(src, bands)
    others = None
    if temporal:
        stack = []
        for path in temporal:
            other = read_bgrn(path, bands)
            _same_grid(raster, other, path)
            stack.append(other.data)
        others = np.stack(stack)
    sar_data = None
    if sar is not None:
        s = read_geotiff(sar, expected_bands=2)
        _same_grid(raster, s, sar)
        sar_data = s.data
    net = api.load_model("sr") if method == "model" else None
    version = getattr(net, "version", "bicubic")
    _, h, w = raster.data.shape
    transform: Affine = raster.transform @ Affine.scale(0.25)
    tags = _tags(raster, "4x super-resolved reflectance", method, version, simulated, source)
    if net is not None:
        how = "given" if sensor is not None else "estimated from the image"
        sensor = api.estimate_sensor(raster.data) if sensor is None else sensor
        tags["PAII_SENSOR_MODEL"] = f"{sensor.describe()} ({how})"
        tags["PAII_SR_DETAIL"] = f"{api.detail_weight(sensor, net):.2f}"
    profile = {
        "driver": "GTiff",
        "dtype": "float32",
        "count": 4,
        "height": 4 * h,
        "width": 4 * w,
        "crs": raster.crs,
        "transform": transform,
        "nodata": np.nan,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
        "zlevel": 1,  # 2x faster than the default level 6 here, files within 1% the size
        "predictor": 3,
        "BIGTIFF": "IF_SAFER",
    }
    with atomic_path(dst) as tmp, rasterio.open(tmp, "w", **profile) as out:
        # Each finished tile covers whole 256 px blocks (1280 px cores; the raster's last
        # row and column of blocks end at its edge), so every compressed block is
        # written once, straight from the tile.
        def sink(row0: int, col0: int, block: NDArray[np.float32]) -> None:
            out.write(block, window=Window(col0, row0, block.shape[2], block.shape[1]))

        api.super_resolve(
            raster.data,
            temporal=others,
            sar=sar_data,
            method=method,
            net=net,
            sensor=sensor,
            sink=sink,
            progress=progress,
        )
        out.update_tags(**tags)
        out.descriptions = BGRN
    return Path(dst)


def _same_grid(ref: Raster, other: Raster, path: str | PathLike[str]) -> None:
    if (
        other.crs != ref.crs
        or other.transform != ref.transform
        or (other.data.shape[1:] != ref.data.shape[1:])
    ):
        raise FormatError(
            path,
            "is not on the grid of the input image (CRS, transform or size differ)",
            "reproject it onto the input's grid first (e.g. gdalwarp -te ... -tr 10 10)",
        )
