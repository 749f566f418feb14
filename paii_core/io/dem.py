"""Digital elevation models (Copernicus GLO-30, SRTM) as one-band GeoTIFFs in metres."""

from __future__ import annotations

import warnings
from os import PathLike
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from numpy.typing import ArrayLike
from rasterio.crs import CRS

from paii_core.errors import FormatError, PaiiWarning, ValidationError
from paii_core.io.geotiff import Raster, read_geotiff, write_geotiff

__all__ = ["read_dem", "write_dem"]

_METRE_NAMES = frozenset({"", "m", "metre", "metres", "meter", "meters"})
# Metres per unit: international foot (exact, 1959) and US survey foot (1200/3937 m).
_FOOT_FACTORS = {
    "ft": 0.3048,
    "foot": 0.3048,
    "feet": 0.3048,
    "international foot": 0.3048,
    "us-ft": 1200.0 / 3937.0,
    "ftus": 1200.0 / 3937.0,
    "us survey foot": 1200.0 / 3937.0,
    "us_survey_foot": 1200.0 / 3937.0,
}
_UNIT_TAGS = ("UNITTYPE", "UNITS", "UNIT")


def _declared_unit(path: Path, tags: dict[str, str]) -> str:
    """The elevation unit from the band unit type, else from a UNITTYPE / units tag."""
    try:
        with rasterio.open(path) as src:
            band_unit = (src.units[0] or "").strip()
    except UnicodeDecodeError as e:
        raise FormatError(
            path,
            f"has a band unit that is not valid UTF-8 text ({e.reason})",
            "set the unit again, e.g. `gdal_edit.py -units metre FILE`, or re-download the DEM",
        ) from e
    if band_unit:
        return band_unit.lower()
    upper = {k.upper(): v for k, v in tags.items()}
    return next((upper[t].strip().lower() for t in _UNIT_TAGS if t in upper), "")


DEM_DRIVERS = ("GTiff", "SRTMHGT", "VRT")
"""A DEM is a GeoTIFF (Copernicus DEM, 3DEP, ...), an SRTM tile as NASA and USGS serve it
(``N38W098.hgt``, or zipped ``N38W098.SRTMGL1.hgt.zip``, read in place by GDAL), or a GDAL
VRT (a user's own mosaic, or :func:`paii_core.io.dem_tiles.dem_mosaic`'s of several tiles)."""


def read_dem(path: str | PathLike[str]) -> Raster:
    """Read a one-band DEM as metres; use ``.data[0]`` for the ``(H, W)`` elevations.
    Forms: :data:`DEM_DRIVERS`.

    The unit comes from the band unit type (GDAL ``GetUnitType``) or a ``UNITTYPE`` /
    ``units`` tag; none means metres. Feet (``ft``, ``foot``, ``feet``, ``us-ft``...)
    are converted to metres with a :class:`PaiiWarning`.

    Returns:
        Raster ``(1, H, W) float32`` in metres, band name ``"elevation"``, nodata NaN,
        tags with ``UNITTYPE = "m"``.

    Raises:
        InputNotFoundError: no such file.
        FormatError: not a GeoTIFF or SRTM .hgt, truncated, no CRS, band count != 1,
            unknown unit.
    """
    p = Path(path)
    raster = read_geotiff(p, drivers=DEM_DRIVERS)
    if raster.count != 1:
        raise FormatError(
            p,
            f"has {raster.count} bands; a DEM has one (elevation)",
            "pass a one-band elevation GeoTIFF, e.g. `gdal_translate -b 1 IN OUT`",
        )
    unit = _declared_unit(p, raster.tags)
    data = raster.data
    if unit in _FOOT_FACTORS:
        warnings.warn(
            f"{p}: elevations are in {unit!r}; converted to metres",
            PaiiWarning,
            stacklevel=2,
        )
        data = (data.astype(np.float64) * _FOOT_FACTORS[unit]).astype(np.float32)
    elif unit not in _METRE_NAMES:
        raise FormatError(
            p,
            f"elevation unit {unit!r} is neither metres nor feet",
            "convert the DEM to metres and set its unit: gdal_edit.py -units m FILE",
        )
    tags = {k: v for k, v in raster.tags.items() if k.upper() not in _UNIT_TAGS}
    tags["UNITTYPE"] = "m"
    return Raster(data, raster.crs, raster.transform, ("elevation",), tags)


def write_dem(
    path: str | PathLike[str], dem: ArrayLike, *, crs: CRS | str | int, transform: Affine
) -> Path:
    """Write ``(H, W)`` elevations in metres as a float32 GeoTIFF (unit ``m``, nodata NaN).

    Raises:
        ValidationError: ``dem`` is not 2-D.
    """
    arr = np.asarray(dem, dtype=np.float32)
    if arr.ndim != 2:
        raise ValidationError(f"dem should be (H, W) metres, got shape {arr.shape}")
    return write_geotiff(
        path,
        arr,
        crs=crs,
        transform=transform,
        band_names=("elevation",),
        band_units=("m",),
        tags={"UNITTYPE": "m"},
    )
