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
from affine import Affine
from numpy.typing import NDArray

from paii_core.config import paths
from paii_core.enhance import api
from paii_core.enhance.files import is_toa
from paii_core.errors import ValidationError
from paii_core.io import Raster, read_geotiff, write_geotiff

__all__ = ["KINDS", "Product", "enhance_cached", "input_hash"]

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
    Raises ValidationError for an unknown kind or method."""
    if kind not in KINDS:
        raise ValidationError(f"kind must be one of {sorted(KINDS)}, got {kind!r}")
    if method not in KINDS[kind]:
        raise ValidationError(f"method for {kind} must be one of {KINDS[kind]}, got {method!r}")
    net = api.load_model(kind) if method == "model" else None
    version = getattr(net, "version", method)
    if kind == "sr" and method == "model" and temporal is not None:
        version += "+fusion"  # the multi-date reconstruction after the network
    key = input_hash(raster.data, temporal if kind == "sr" else None, sar if kind == "sr" else None)
    tag = "simulated_" if simulated else ""
    path = paths().data / "enhanced" / f"{tag}{kind}_{method}_{version}_{key}.tif"
    if path.is_file():
        return Product(read_geotiff(path, expected_bands=4).data, path, True, version)
    if kind == "dehaze":
        out = api.dehaze(raster.data, method=method, net=net, toa=is_toa(raster), progress=progress)
        transform = raster.transform
    else:
        out = api.super_resolve(
            raster.data, method=method, temporal=temporal, sar=sar, net=net, progress=progress
        )
        transform = raster.transform @ Affine.scale(0.25)
    tags = {
        "PAII_PRODUCT": kind,
        "PAII_METHOD": method,
        "PAII_MODEL_VERSION": version,
        "PAII_INPUT_HASH": key,
    }
    if simulated:
        tags["SIMULATED"] = "yes: produced from simulated PAII demo data"
    write_geotiff(
        path,
        out,
        crs=raster.crs,
        transform=transform,
        band_names=("B2", "B3", "B4", "B8"),
        tags=tags,
    )
    return Product(out, path, False, version)
