"""An insurer's plot registry: a raster of plot and block ids, the geometry policies name."""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from paii_core.errors import InputNotFoundError
from paii_core.io.geotiff import Raster, read_geotiff

__all__ = ["REGISTRY_BANDS", "read_plot_registry"]

REGISTRY_BANDS = ("plot_id", "block_id")


def read_plot_registry(path: str | PathLike[str]) -> tuple[NDArray, NDArray, Raster]:
    """Plot and block ids ``(H, W)`` int64 (0 = no plot) of a 2-band registry GeoTIFF
    (bands ``plot_id``, ``block_id``; nodata -1), and the raster for its grid.

    Raises:
        InputNotFoundError: no such file (the fix names `paii demo build` for the demo).
        FormatError: not a GeoTIFF, no CRS, not the two registry bands.
    """
    p = Path(path)
    if not p.is_file():
        raise InputNotFoundError(
            f"{p}: plot registry not found; pass the insurer's plot raster, or for the demo "
            "world run `paii demo build` (worlds built before the registry existed lack it)"
        )
    raster = read_geotiff(p, band_names=REGISTRY_BANDS)
    ids = np.maximum(np.nan_to_num(raster.data, nan=0), 0).astype(np.int64)
    return ids[0], ids[1], raster
