"""One Sentinel-2 acquisition in any of its forms: band codes, offsets, and reads onto a grid."""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from os import PathLike
from pathlib import Path
from typing import Literal

import numpy as np
import rasterio
from affine import Affine
from numpy.typing import NDArray
from rasterio._err import CPLE_BaseError
from rasterio.crs import CRS
from rasterio.errors import NotGeoreferencedWarning, RasterioError
from rasterio.vrt import WarpedVRT
from rasterio.warp import Resampling

from paii_core.errors import FormatError, InputNotFoundError

__all__ = [
    "COMMON_NAMES",
    "S2_ALL_BANDS",
    "BandRef",
    "Grid",
    "S2Scene",
    "band_code",
    "baseline_offset",
    "parse_baseline",
    "parse_date",
    "read_band",
]

S2_ALL_BANDS: tuple[str, ...] = (
    "B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11", "B12",
)  # fmt: skip
"""The 13 MSI bands; ESA metadata numbers them ``band_id`` 0..12 in this order."""

COMMON_NAMES: dict[str, str] = {
    "coastal": "B01", "blue": "B02", "green": "B03", "red": "B04", "rededge1": "B05",
    "rededge2": "B06", "rededge3": "B07", "nir": "B08", "nir08": "B8A", "nir09": "B09",
    "cirrus": "B10", "swir16": "B11", "swir22": "B12",
}  # fmt: skip
"""STAC ``eo:bands`` common names (and Earth Search asset keys) to band codes."""

QUANTIFICATION = 10000.0
OFFSET_FROM_BASELINE = 4.0  # ESA shifted DN by +1000 from baseline 04.00 (2022-01-25)
BASELINE_OFFSET = -1000.0
_BAND_RE = re.compile(r"(?:^|[_\-. ])(B0?(\d{1,2})(A?)|SCL)(?:_(\d{2})m)?$", re.IGNORECASE)
_BASELINE_RE = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\s*$")
_DATE_RE = re.compile(r"(?<!\d)(\d{4})-?(\d{2})-?(\d{2})(?:T\d{6})?(?!\d)")


def band_code(name: str) -> str | None:
    """``"B2"``, ``"b02"``, ``"B02_10m"``, ``"T15SUC_20220601T170901_B8A_20m"``, ``"red"``,
    ``"SCL"`` -> ``"B02"``, ``"B02"``, ``"B02"``, ``"B8A"``, ``"B04"``, ``"SCL"``; else None."""
    text = str(name).strip()
    if text.lower() in COMMON_NAMES:
        return COMMON_NAMES[text.lower()]
    stem = re.sub(r"\.(tif|tiff|jp2)$", "", text, flags=re.IGNORECASE)
    m = _BAND_RE.search(stem)
    if m is None:
        return None
    if m.group(1).upper() == "SCL":
        return "SCL"
    n = int(m.group(2))
    code = f"B{n}A" if m.group(3) else f"B{n:02d}"
    return code if code in S2_ALL_BANDS else None


def parse_baseline(text: str, where: str | None) -> float:
    """``"05.10"`` -> 5.10; a value that is not a baseline raises FormatError."""
    m = _BASELINE_RE.match(str(text))
    if m is None:
        raise FormatError(
            where,
            f"processing baseline {text!r} is not like '05.10'",
            "correct the PROCESSING_BASELINE (or s2:processing_baseline) value",
        )
    return int(m.group(1)) + int(m.group(2)) / 100.0


def baseline_offset(baseline: float) -> float:
    """The DN offset ESA's rule gives: -1000 from baseline 04.00 on, 0 before."""
    return BASELINE_OFFSET if baseline >= OFFSET_FROM_BASELINE else 0.0


def parse_date(text: str) -> date | None:
    """The first ISO or compact date in ``text`` (``2022-06-01``, ``20220601T170901``)."""
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).date()
    except ValueError:
        pass
    m = _DATE_RE.search(str(text))
    if m is None:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


@dataclass(frozen=True)
class Grid:
    """A target raster grid: ``(height, width)`` pixels of ``transform`` in ``crs``."""

    crs: CRS
    transform: Affine
    width: int
    height: int

    @property
    def pixel_size(self) -> float:
        return abs(self.transform.a)


@dataclass(frozen=True)
class BandRef:
    """Band ``index`` (1-based) of the raster file at ``path``."""

    path: str
    index: int = 1


@dataclass(frozen=True)
class S2Scene:
    """One Sentinel-2 acquisition, wherever its bands live.

    ``reflectance = (DN + offsets[band]) / scale``. ``offset_rule`` says how the offset
    was decided (metadata tag, MTD XML, baseline rule, STAC property), for provenance.
    """

    source: str
    """The item the user gave (file, folder or STAC document), for messages."""
    day: date
    level: Literal["L1C", "L2A"]
    bands: Mapping[str, BandRef]
    """Band code (``"B02"``...) -> where its DN are."""
    offsets: Mapping[str, float]
    scale: float
    offset_rule: str
    scl: BandRef | None = None
    tile: str | None = None
    stac: object | None = field(default=None, compare=False)
    """The pystac Item when the scene came from STAC (loaded through odc-stac)."""
    asset_keys: Mapping[str, str] = field(default_factory=dict)
    """Band code -> STAC asset key (STAC scenes only)."""


def read_band(
    ref: BandRef,
    grid: Grid,
    *,
    resampling: Resampling = Resampling.bilinear,
    nodata: float | None = 0,
) -> NDArray[np.float32]:
    """Read one band onto ``grid`` through a warped VRT: only the source window that covers
    the grid is read. Pixels equal to ``nodata`` (or the file's nodata) and pixels outside
    the file become NaN.

    Returns:
        ``(grid.height, grid.width) float32``.

    Raises:
        InputNotFoundError: no such file. FormatError: unreadable, no CRS, no such band.
    """
    path = Path(ref.path)
    if not ref.path.startswith("/vsi") and not path.exists():  # /vsizip/: a zipped .SAFE
        raise InputNotFoundError(f"{path}: band file not found; check the item's paths")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            src = rasterio.open(path)
    except RasterioError as e:
        raise FormatError(path, f"is not a readable raster ({e})", "re-download the file") from e
    with src:
        if src.crs is None:
            raise FormatError(path, "has no CRS", "pass the georeferenced product file")
        if not 1 <= ref.index <= src.count:
            raise FormatError(
                path, f"has {src.count} bands, no band {ref.index}", "check the band list"
            )
        src_nodata = src.nodata if src.nodata is not None else nodata
        try:
            with WarpedVRT(
                src,
                crs=grid.crs,
                transform=grid.transform,
                width=grid.width,
                height=grid.height,
                resampling=resampling,
                src_nodata=src_nodata,
                nodata=src_nodata if src_nodata is not None else np.nan,
                add_alpha=src_nodata is None,
            ) as vrt:
                data = vrt.read(ref.index).astype(np.float32)
                valid = vrt.dataset_mask() > 0
        except (RasterioError, CPLE_BaseError) as e:  # CPLE: a CRS GDAL cannot transform
            raise FormatError(
                path, f"could not be read to the end ({e})", "re-download the file"
            ) from e
    data[~valid] = np.nan
    if src_nodata is not None and np.isfinite(src_nodata):
        data[data == np.float32(src_nodata)] = np.nan
    return data


def as_path(item: str | PathLike[str]) -> Path:
    return Path(item).expanduser()
