"""Sentinel-1 and DEM inputs of a new area, read onto its grid (only the covering window)."""

from __future__ import annotations

import warnings
from datetime import date
from os import PathLike
from pathlib import Path

import numpy as np
import rasterio
import shapely
from numpy.typing import NDArray
from rasterio.errors import NotGeoreferencedWarning, RasterioError
from rasterio.warp import Resampling

from paii_core import io
from paii_core.areas.grid import raster_footprint
from paii_core.errors import FormatError, InputNotFoundError
from paii_core.io.geotiff import band_descriptions
from paii_core.io.s1_items import polarisation_files, polarisation_of
from paii_core.io.s2_scene import BandRef, Grid, parse_date, read_band
from paii_core.io.sentinel1 import S1_BANDS, check_sigma0, sigma0_units
from paii_core.text import count

__all__ = ["dem_on_grid", "s1_footprint", "s1_on_grid"]

_S1_FIX = (
    "pass a dual-polarisation VV+VH product (Sentinel-1 IW over land); PAII's flood and "
    "crop models were built for VV and VH and never read HH/HV in their place"
)


def _tags(path: Path) -> tuple[tuple[str, ...], dict[str, str]]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(path) as src:
                return band_descriptions(src), dict(src.tags())
    except RasterioError as e:
        raise FormatError(path, f"is not a readable raster ({e})", "re-download it") from e


def _s1_refs(path: Path) -> tuple[dict[str, BandRef], dict[str, str]]:
    """Polarisation -> band, from band descriptions (a stack) or file names (a folder)."""
    files = polarisation_files(path)  # a folder or zip of one GeoTIFF per polarisation
    if files is not None:
        pols = {pol: BandRef(f) for pol, f in files.items()}
        tags = _tags(Path(files["VV"]))[1]
    else:
        descriptions, tags = _tags(path)
        if len(descriptions) < 2:
            raise FormatError(
                path,
                f"has {count(len(descriptions), 'band')}; a Sentinel-1 item needs two, VV and VH",
                "pass the dual-polarisation product: a GeoTIFF of VV and VH (bands described "
                "VV and VH), or a folder of its VV and VH files",
            )
        pols = {}
        for i, d in enumerate(descriptions):
            pol = polarisation_of(d)
            if pol is not None:
                pols[pol] = BandRef(str(path), i + 1)
        if not pols:
            raise FormatError(
                path,
                f"has {len(descriptions)} bands without descriptions naming the "
                "polarisation; PAII never guesses VV/VH (or HH/HV) by band position",
                "describe the bands: `rio edit-info --bidx 1 --description VV FILE` and "
                "`--bidx 2 --description VH`",
            )
    other = sorted(p for p in pols if p not in S1_BANDS)
    if other:
        raise FormatError(path, f"holds {'/'.join(other)} (horizontal) polarisation", _S1_FIX)
    missing = [p for p in S1_BANDS if p not in pols]
    if missing:
        raise FormatError(path, f"lacks {', '.join(missing)}", "pass a product with VV and VH")
    return pols, tags


def _s1_item(item: str | PathLike[str]) -> tuple[Path, dict[str, BandRef], dict[str, str], date]:
    """A Sentinel-1 item's path, VV/VH bands, tags and date (metadata only)."""
    path = Path(item).expanduser()
    if not path.exists():
        raise InputNotFoundError(f"{path}: Sentinel-1 item not found; check the path")
    refs, tags = _s1_refs(path)
    upper = {k.upper(): v for k, v in tags.items()}
    day = next(
        (
            d
            for d in map(
                parse_date,
                [upper.get("DATE", ""), path.name, *(Path(r.path).stem for r in refs.values())],
            )
            if d
        ),
        None,
    )
    if day is None:
        raise FormatError(
            path,
            "has no acquisition date (no DATE tag, no date in its name)",
            "tag it: `rio edit-info --tag DATE=2022-06-01 FILE`, or put YYYYMMDD in the name",
        )
    return path, refs, tags, day


def s1_footprint(item: str | PathLike[str]) -> tuple[date, shapely.Geometry]:
    """A Sentinel-1 item's date and lon/lat outline (its VV file's bounds, any CRS): what
    an area made from Sentinel-1 alone takes its grid from.

    Raises:
        InputNotFoundError, FormatError: as :func:`s1_on_grid`, or a file without a CRS.
    """
    _, refs, _, day = _s1_item(item)
    return day, raster_footprint(refs["VV"].path)


def s1_on_grid(item: str | PathLike[str], grid: Grid) -> tuple[date, NDArray[np.float32]]:
    """A Sentinel-1 GRD/RTC item (2-band GeoTIFF described VV, VH, or a folder of VV and
    VH files) as ``(2, H, W) float32`` VV, VH sigma0 in dB on ``grid``, with its date.

    Raises:
        InputNotFoundError: no such item. FormatError: HH/HV polarisation, undescribed
            bands, no date, undecidable units (see :func:`sigma0_units`), values no
            sigma0 takes (:func:`paii_core.io.sentinel1.check_sigma0`).
    """
    path, refs, tags, day = _s1_item(item)
    raw = np.stack([read_band(refs[p], grid, nodata=None) for p in S1_BANDS])
    if not np.isfinite(raw).any():
        raise FormatError(path, "does not cover the area", "pass a scene over the area")
    units = sigma0_units(raw, tags, str(path))
    db = raw
    if units == "linear":
        with np.errstate(divide="ignore", invalid="ignore"):
            db = np.where(raw > 0, 10.0 * np.log10(raw), np.nan).astype(np.float32)
    check_sigma0(raw[0], db[0], units, path)
    return day, db.astype(np.float32)


def dem_on_grid(item: str | PathLike[str], grid: Grid) -> NDArray[np.float32]:
    """A DEM GeoTIFF (metres or feet, see :func:`io.read_dem`) bilinearly resampled onto
    ``grid``: ``(H, W) float32`` metres.

    Raises:
        InputNotFoundError, FormatError: as :func:`io.read_dem`; a DEM that covers under
            99 % of the area.
    """
    path = Path(item).expanduser()
    dem = io.read_dem(path)  # checks bands and units; DEM tiles are small enough to read
    out = np.full((grid.height, grid.width), np.nan, dtype=np.float32)
    rasterio.warp.reproject(
        dem.data[0],
        out,
        src_transform=dem.transform,
        src_crs=dem.crs,
        src_nodata=np.nan,
        dst_transform=grid.transform,
        dst_crs=grid.crs,
        dst_nodata=np.nan,
        resampling=Resampling.bilinear,
    )
    covered = float(np.isfinite(out).mean())
    if covered < 0.99:
        raise FormatError(
            path,
            f"covers {100 * covered:.0f} % of the area",
            "pass a DEM (mosaic) that covers the whole area",
        )
    return out
