"""Enhanced products cached on disk, keyed by input hash, method and model version.

The dashboard's DuckDB connection is read-only (and DuckDB refuses a second, writable
connection to the same file from the same process), so results are kept as
content-addressed GeoTIFFs under ``<data>/enhanced/``: the file name is the key, the
tags say what made it, and a later visit with the same input finds it instantly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import rasterio
from affine import Affine
from numpy.typing import NDArray
from rasterio.io import MemoryFile

from paii_core.config import paths
from paii_core.enhance import api
from paii_core.enhance.files import is_toa
from paii_core.enhance.haze_physics import thick_haze_band
from paii_core.errors import ValidationError
from paii_core.io import Raster, read_geotiff, write_geotiff

__all__ = ["KINDS", "Product", "download_bytes", "enhance_cached", "input_hash"]

KINDS: dict[str, tuple[str, ...]] = {"dehaze": api.DEHAZE_METHODS, "sr": api.SR_METHODS}


@dataclass(frozen=True)
class Product:
    """An enhanced image and where it is kept."""

    data: NDArray[np.float32]
    """(4, H', W') float32 reflectance, NaN nodata."""
    path: Path
    cached: bool
    """True when it was read back rather than computed."""
    version: str


def input_hash(*arrays: NDArray | None) -> str:
    """16-hex-digit SHA-256 of the arrays' shapes and bytes (None counts as absent)."""
    h = hashlib.sha256()
    for a in arrays:
        if a is None:
            h.update(b"none")
            continue
        arr = np.ascontiguousarray(a, dtype=np.float32)
        h.update(str(arr.shape).encode())
        h.update(arr.tobytes())
    return h.hexdigest()[:16]


def enhance_cached(
    kind: Literal["dehaze", "sr"],
    raster: Raster,
    *,
    method: str,
    temporal: NDArray | None = None,
    sar: NDArray | None = None,
    simulated: bool,
    progress: Callable[[int, int], None] | None = None,
) -> Product:
    """Dehaze or 4x super-resolve ``raster`` (BGRN), or read the result of an earlier
    identical request. Files of simulated inputs carry "simulated" in name and tags.
    A dehazed file has a fifth band, ``THICK_HAZE`` (as ``paii dehaze`` writes), and its
    name says at which level the input was read (``_l2a``, or ``_toa`` for top-of-
    atmosphere reflectance);
    ``data`` holds the four reflectance bands.
    Raises ValidationError for an unknown kind or method."""
    if kind not in KINDS:
        raise ValidationError(f"kind must be one of {sorted(KINDS)}, got {kind!r}")
    if method not in KINDS[kind]:
        raise ValidationError(f"method for {kind} must be one of {KINDS[kind]}, got {method!r}")
    toa = kind == "dehaze" and is_toa(raster)
    if kind == "dehaze":  # "model" on a TOA capture is the path inversion (api.dehaze_method)
        method = api.dehaze_method(method, toa)
    net = api.load_model(kind) if method == "model" else None
    version = getattr(net, "version", method)
    if kind == "sr" and method == "model" and temporal is not None:
        version += "+fusion"  # the multi-date reconstruction after the network
    key = input_hash(raster.data, temporal if kind == "sr" else None, sar if kind == "sr" else None)
    tag = "simulated_" if simulated else ""
    # Dehazed files name the level their input was read at (files of older versions,
    # without the flag band, had no level in the name and are not read back).
    level = ("_toa" if toa else "_l2a") if kind == "dehaze" else ""
    path = paths().data / "enhanced" / f"{tag}{kind}_{method}_{version}{level}_{key}.tif"
    bands = 5 if kind == "dehaze" else 4  # dehaze: B, G, R, NIR and the THICK_HAZE flags
    if path.is_file():
        return Product(read_geotiff(path, expected_bands=bands).data[:4], path, True, version)
    names: tuple[str, ...] = ("B2", "B3", "B4", "B8")
    extra = {}
    if kind == "dehaze":
        out = api.dehaze(raster.data, method=method, net=net, toa=toa, progress=progress)
        flags = thick_haze_band(np.isnan(raster.data).any(axis=0), out)
        extra = {
            "PAII_REFLECTANCE_LEVEL": "TOA" if toa else "L2A",
            "PAII_THICK_HAZE_SHARE": f"{float(np.nansum(flags)) / max(1, (flags >= 0).sum()):.4f}",
        }
        written, names = np.concatenate([out, flags[None]]), (*names, "THICK_HAZE")
        transform = raster.transform
    else:
        out = api.super_resolve(
            raster.data, method=method, temporal=temporal, sar=sar, net=net, progress=progress
        )
        transform = raster.transform @ Affine.scale(0.25)
        written = out
    tags = {
        "PAII_PRODUCT": kind,
        "PAII_METHOD": method,
        "PAII_MODEL_VERSION": version,
        "PAII_INPUT_HASH": key,
        **extra,
    }
    if simulated:
        tags["SIMULATED"] = "yes: produced from simulated PAII demo data"
    write_geotiff(path, written, crs=raster.crs, transform=transform, band_names=names, tags=tags)
    return Product(out, path, False, version)


SENSOR_TAGS = (
    "SPACECRAFT_NAME",
    "SENSOR",
    "LANDSAT_PRODUCT_ID",
    "LANDSAT_BANDS",
    "PRODUCT_TYPE",
    "PROCESSING_LEVEL",
)
"""Tags of an input that say which satellite and product it is (``paii reflectance`` writes
them from a Landsat MTL): a download keeps them."""


def download_bytes(
    product: Product, *, source: str, acquired: str | None = None, like: Raster | None = None
) -> bytes:
    """The product's GeoTIFF as bytes for a download, its tags naming the input it came
    from (``PAII_SOURCE``: an uploaded file's name or a stored area and date) and, when
    known, its acquisition date (``DATE``). The cached file itself is keyed by its pixels
    alone, so two inputs with equal pixels share it: the source goes into the copy.

    ``like`` (the input as read) gives the copy its four band names and its
    :data:`SENSOR_TAGS`: a Landsat TM input's bands stay blue, green, red, nir of
    Landsat-5, not Sentinel-2's B2, B3, B4, B8."""
    with rasterio.open(product.path) as src:
        profile, data = src.profile, src.read()
        descriptions, tags = src.descriptions, src.tags()
    tags["PAII_SOURCE"] = source
    if acquired:
        tags["DATE"] = acquired
    if like is not None:
        tags.update({k: like.tags[k] for k in SENSOR_TAGS if k in like.tags})
        if len(like.band_names) == 4:
            descriptions = (*like.band_names, *descriptions[4:])
    with MemoryFile() as mem:
        with mem.open(**profile) as dst:
            dst.write(data)
            dst.descriptions = descriptions
            dst.update_tags(**tags)
        return mem.read()
