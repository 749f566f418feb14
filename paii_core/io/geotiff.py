"""GeoTIFF rasters: the Raster record, whole-file and windowed reads, atomic tiled writes."""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from numpy.typing import ArrayLike, DTypeLike, NDArray
from rasterio.coords import BoundingBox
from rasterio.crs import CRS
from rasterio.enums import Interleaving, MaskFlags
from rasterio.errors import (
    CRSError,
    NodataShadowWarning,
    NotGeoreferencedWarning,
    RasterioError,
)
from rasterio.transform import array_bounds
from rasterio.windows import Window

from paii_core.errors import FormatError, InputNotFoundError, ValidationError
from paii_core.io._atomic import atomic_path, check_readable

__all__ = [
    "Raster",
    "band_descriptions",
    "read_geotiff",
    "read_raster",
    "read_window",
    "write_geotiff",
]

BLOCK_SIZE = 256
COMPRESSIONS = ("deflate", "lzw", "zstd", "none")


@dataclass
class Raster:
    """A georeferenced image: ``data`` is ``(C, H, W) float32`` with NaN as nodata."""

    data: NDArray[np.float32]
    crs: CRS
    transform: Affine
    band_names: tuple[str, ...] = ()
    """One name per band; empty means ``("band1", "band2", ...)``."""
    tags: dict[str, str] = field(default_factory=dict)
    """Dataset-level metadata tags of the file (GDAL default domain)."""

    def __post_init__(self) -> None:
        self.data = np.asarray(self.data, dtype=np.float32)
        if self.data.ndim != 3:
            raise ValidationError(
                f"Raster data should be (C, H, W), got shape {self.data.shape}; "
                "add a band axis with data[None]"
            )
        if not self.band_names:
            self.band_names = tuple(f"band{i + 1}" for i in range(self.data.shape[0]))
        self.band_names = tuple(self.band_names)
        if len(self.band_names) != self.data.shape[0]:
            raise ValidationError(
                f"Raster has {self.data.shape[0]} bands but {len(self.band_names)} band_names "
                f"{self.band_names}; give one name per band"
            )

    @property
    def count(self) -> int:
        return int(self.data.shape[0])

    @property
    def height(self) -> int:
        return int(self.data.shape[1])

    @property
    def width(self) -> int:
        return int(self.data.shape[2])

    @property
    def bounds(self) -> BoundingBox:
        """``(left, bottom, right, top)`` in CRS units."""
        west, south, east, north = array_bounds(self.height, self.width, self.transform)
        return BoundingBox(west, south, east, north)

    @property
    def res(self) -> tuple[float, float]:
        """Pixel size ``(x, y)`` in CRS units, both positive."""
        return (abs(self.transform.a), abs(self.transform.e))


def band_descriptions(src: rasterio.DatasetReader) -> tuple[str, ...]:
    """Each band's name, "" where it has none: its GDAL description, else its
    ``DESCRIPTION`` metadata item (openEO's GeoTIFFs name bands only there).

    Raises UnicodeDecodeError when the header's text is not UTF-8 (a corrupt file).
    """
    described = tuple(d or "" for d in src.descriptions)
    if all(described):
        return described
    return tuple(
        d or str(src.tags(i + 1).get("DESCRIPTION", "")).strip() for i, d in enumerate(described)
    )


def _open_checked(path: Path, what: str) -> rasterio.DatasetReader:
    if str(path).startswith("/vsi"):  # a member of an archive (paii_core.io.archives)
        pass  # GDAL says below whether it is there and readable
    elif not path.exists():
        raise InputNotFoundError(f"{path}: {what} not found; check the path")
    elif path.is_dir():
        raise FormatError(path, f"is a folder, not a {what} file", f"pass the {what} file itself")
    check_readable(path)
    try:
        with warnings.catch_warnings():
            # A file without georeferencing gets a clearer FormatError from _check.
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            return rasterio.open(path)
    except (RasterioError, UnicodeDecodeError) as e:  # bytes in the header that are not text
        raise FormatError(
            path,
            f"is not a readable {what} ({e})",
            "pass a GeoTIFF (or JPEG2000) raster; re-download the file if it is damaged",
        ) from e


# The tags of a capture that still hold for reflectance computed from it (sharpened,
# dehazed): its date, sensor, product type and reflectance level, and SIMULATED.
CAPTURE_TAGS = (
    "DATE",
    "DATATAKE_SENSING_START",
    "SIMULATED",
    "SPACECRAFT_NAME",
    "PRODUCT_TYPE",
    "REFLECTANCE",
)

MAX_READ_BYTES = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
"""Memory one read may take (half the machine's): a file declaring more (a corrupt size,
or a raster too big to hold) is refused before any allocation."""


def _read_open(
    src: rasterio.DatasetReader, path: Path, window: Window | None = None
) -> NDArray[np.float32]:
    """Read every band (or a window) as float32 with masked pixels set to NaN."""
    h, w = (src.height, src.width) if window is None else (int(window.height), int(window.width))
    size = max(np.dtype(d).itemsize for d in src.dtypes)
    # raw values + their float32 copy + one mask byte, per pixel and band; GDAL decodes a
    # pixel-interleaved block of every band at once (a corrupt band count makes it huge)
    need = src.count * h * w * (size + 5)
    by, bx = src.block_shapes[0]
    planes = src.count if src.interleaving == Interleaving.pixel else 1
    need = max(need, bx * by * planes * size)
    if need > MAX_READ_BYTES:
        raise FormatError(
            path,
            f"declares {src.count} x {h} x {w} pixels, {need / 2**30:.1f} GiB to read, more "
            f"than the {MAX_READ_BYTES / 2**30:.1f} GiB one read may use",
            "read it in windows (paii_core.io.read_window, or `paii batch --tile 2048`); "
            "if the file is small, its header is corrupt: re-download it",
        )
    try:
        raw = src.read(window=window)
        all_valid = all(flags == [MaskFlags.all_valid] for flags in src.mask_flag_enums)
        with warnings.catch_warnings():
            # "nodata shadows the alpha band": the nodata value is what PAII masks by
            warnings.simplefilter("ignore", NodataShadowWarning)
            masks = None if all_valid else src.read_masks(window=window)
    except RasterioError as e:
        raise FormatError(
            path,
            f"could not be read to the end; it is truncated or corrupt ({e})",
            "re-download or rewrite the file",
        ) from e
    data = raw.astype(np.float32, copy=False)  # raw is a fresh array: safe to edit in place
    if masks is not None and masks.min(initial=255) == 0:
        data[masks == 0] = np.nan
    return data


def _check(
    src: rasterio.DatasetReader,
    path: Path,
    expected_bands: int | None,
    band_names: Sequence[str] | None,
) -> tuple[str, ...]:
    """Check CRS and band count; return the band names."""
    if src.crs is None:
        raise FormatError(
            path,
            "has no CRS (no georeferencing)",
            "assign the CRS of its coordinates, e.g. `gdal_edit.py -a_srs EPSG:32650 FILE` "
            "(and `-a_ullr` for its corners if it has no geotransform either)",
        )
    if band_names is not None and expected_bands is None:
        expected_bands = len(band_names)
    if expected_bands is not None and src.count != expected_bands:
        raise FormatError(
            path,
            f"has {src.count} bands, expected {expected_bands}",
            "pass the right file or select its bands before reading",
        )
    try:
        described = band_descriptions(src)
    except UnicodeDecodeError as e:
        raise FormatError(
            path, f"has band descriptions that are not text ({e}); the header is corrupt",
            "re-download or rewrite the file",
        ) from None  # fmt: skip
    if band_names is None:
        return tuple(d or f"band{i + 1}" for i, d in enumerate(described))
    names = tuple(band_names)
    if len(names) != src.count:
        raise ValidationError(
            f"band_names {names} has {len(names)} names for {src.count} bands in {path}"
        )
    clash = [(d, n) for d, n in zip(described, names, strict=True) if d and d != n]
    if clash:
        raise FormatError(
            path,
            f"band descriptions {described} do not match band_names {names}",
            "pass band_names in the file's band order, or leave band_names out",
        )
    return names


def read_raster(
    path: str | PathLike[str],
    *,
    expected_bands: int | None = None,
    band_names: Sequence[str] | None = None,
) -> Raster:
    """Read a whole raster of any GDAL format (GeoTIFF, JPEG2000) into a :class:`Raster`.

    Every pixel is decoded, so a truncated file fails here rather than later. Pixels
    equal to the nodata value (or masked) become NaN; the values are otherwise returned
    as stored (no scale or offset applied).

    Args:
        path: the raster file.
        expected_bands: required band count; default any.
        band_names: names for the bands; sets ``expected_bands`` when that is None. Band
            descriptions in the file, where present, must equal these names.

    Returns:
        Raster with ``data (C, H, W) float32``; band names from the band descriptions
        (``band1``... where missing); tags from the default metadata domain.

    Raises:
        InputNotFoundError: no such file.
        FormatError: not a raster, truncated or corrupt, no CRS, wrong band count,
            descriptions that contradict ``band_names``.
        ValidationError: ``band_names`` length differs from the file's band count.
    """
    p = Path(path)
    with _open_checked(p, "raster") as src:
        names = _check(src, p, expected_bands, band_names)
        data = _read_open(src, p)
        return Raster(data, src.crs, src.transform, names, dict(src.tags()))


def read_geotiff(
    path: str | PathLike[str],
    *,
    expected_bands: int | None = None,
    band_names: Sequence[str] | None = None,
    drivers: Sequence[str] = ("GTiff",),
) -> Raster:
    """Read a whole GeoTIFF (or COG) into a :class:`Raster`; see :func:`read_raster`.
    ``drivers``: the GDAL drivers taken (a DEM also takes ``SRTMHGT``: ``.hgt`` and
    ``.hgt.zip`` tiles as downloaded).

    An all-nodata file is not an error: its data is all NaN.

    Raises:
        InputNotFoundError: no such file.
        FormatError: not a GeoTIFF, truncated or corrupt, no CRS, wrong band count,
            descriptions that contradict ``band_names``.
        ValidationError: ``band_names`` length differs from the file's band count.
    """
    p = Path(path)
    with _open_checked(p, "GeoTIFF") as src:
        if src.driver not in drivers:
            also = {"SRTMHGT": "SRTM .hgt"}
            taken = " or ".join(["GeoTIFF", *(also.get(d, d) for d in drivers if d != "GTiff")])
            raise FormatError(
                p,
                f"is a {src.driver} raster, not a {taken}",
                "convert it to a GeoTIFF: `gdal_translate -of GTiff FILE OUT.tif`",
            )
        names = _check(src, p, expected_bands, band_names)
        data = _read_open(src, p)
        return Raster(data, src.crs, src.transform, names, dict(src.tags()))


def read_window(path: str | PathLike[str], window: Window) -> Raster:
    """Read one window of a raster; the result's transform places the window.

    Args:
        path: the raster file.
        window: ``rasterio.windows.Window(col_off, row_off, width, height)`` inside
            the raster.

    Returns:
        Raster with ``data (C, window.height, window.width) float32``.

    Raises:
        InputNotFoundError: no such file.
        FormatError: not a raster, corrupt in the window, no CRS.
        ValidationError: the window is empty or not wholly inside the raster.
    """
    p = Path(path)
    with _open_checked(p, "raster") as src:
        names = _check(src, p, None, None)
        full = Window(0, 0, src.width, src.height)
        w = window.round_offsets().round_lengths()
        inside = (
            w.width > 0
            and w.height > 0
            and w.col_off >= 0
            and w.row_off >= 0
            and w.col_off + w.width <= full.width
            and w.row_off + w.height <= full.height
        )
        if not inside:
            raise ValidationError(
                f"window {window} is not inside {p} ({src.height} rows x {src.width} cols); "
                "clip it with window.intersection(Window(0, 0, width, height))"
            )
        data = _read_open(src, p, w)
        transform = src.transform @ Affine.translation(w.col_off, w.row_off)
        return Raster(data, src.crs, transform, names, dict(src.tags()))


def _as_crs(crs: CRS | str | int) -> CRS:
    if crs is None:
        raise ValidationError("crs is required; pass e.g. crs='EPSG:32650' or raster.crs")
    try:
        return crs if isinstance(crs, CRS) else CRS.from_user_input(crs)
    except (CRSError, ValueError) as e:
        raise ValidationError(f"crs {crs!r} is not a CRS ({e}); pass e.g. 'EPSG:32650'") from None


def _as_image(data: ArrayLike, name: str = "data") -> NDArray[np.float64]:
    arr = np.asarray(data)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3 or 0 in arr.shape:
        raise ValidationError(
            f"{name} should be (H, W) or (C, H, W) and non-empty, got shape {arr.shape}"
        )
    return arr


def write_geotiff(
    path: str | PathLike[str],
    data: ArrayLike,
    *,
    crs: CRS | str | int,
    transform: Affine,
    nodata: float | None = None,
    dtype: DTypeLike = "float32",
    band_names: Sequence[str] | None = None,
    tags: Mapping[str, object] | None = None,
    compress: str | None = "deflate",
    band_units: Sequence[str] | None = None,
) -> Path:
    """Write a tiled (256 x 256), compressed GeoTIFF atomically.

    Args:
        path: output file; its folder is created when missing.
        data: ``(H, W)`` or ``(C, H, W)``; NaN marks nodata.
        crs, transform: georeferencing (``crs`` as CRS, ``"EPSG:..."`` or an EPSG int).
        nodata: value stored for NaN. Float outputs default to NaN; integer outputs need
            it (values are rounded to the nearest integer and must fit the dtype).
        dtype: output dtype, e.g. ``"float32"``, ``"uint16"``, ``"uint8"``.
        band_names: one per band, written as band descriptions.
        tags: dataset metadata, values written as text.
        compress: one of ``deflate``, ``lzw``, ``zstd``, ``none`` (or None).
        band_units: one unit string per band (GDAL unit type), e.g. ``("m",)``.

    Returns:
        The output path.

    Raises:
        ValidationError: bad shape, CRS, dtype, compression, names or units; an integer
            dtype without nodata; values that do not fit the integer dtype.
    """
    arr = _as_image(data)
    out_crs = _as_crs(crs)
    if not isinstance(transform, Affine):
        raise ValidationError(
            f"transform should be an affine.Affine, got {type(transform).__name__}"
        )
    try:
        dt = np.dtype(dtype)
    except TypeError as e:
        raise ValidationError(f"dtype {dtype!r} is not a numpy dtype ({e})") from None
    if dt.kind not in "uif" or dt.itemsize > 8:
        raise ValidationError(f"dtype {dt} cannot be written; use float32, uint16, uint8...")
    comp = "none" if compress is None else str(compress).lower()
    if comp not in COMPRESSIONS:
        raise ValidationError(
            f"compress {compress!r} is unknown; use one of {', '.join(COMPRESSIONS)}"
        )
    count = arr.shape[0]
    for label, values in (("band_names", band_names), ("band_units", band_units)):
        if values is not None and len(values) != count:
            raise ValidationError(f"{label} has {len(values)} entries for {count} bands")

    nan = np.isnan(arr) if arr.dtype.kind == "f" else np.zeros(arr.shape, bool)
    if dt.kind == "f":
        fill = np.nan if nodata is None else float(nodata)
        out = arr.astype(dt)
        out[nan] = fill
    else:
        if nodata is None:
            raise ValidationError(
                f"dtype {dt} needs an explicit nodata value (e.g. nodata=0) to store NaN"
            )
        info = np.iinfo(dt)
        if not info.min <= nodata <= info.max:
            raise ValidationError(f"nodata {nodata} does not fit dtype {dt}")
        values = np.rint(arr[~nan].astype(np.float64))
        if values.size and (values.min() < info.min or values.max() > info.max):
            raise ValidationError(
                f"values {values.min()}..{values.max()} do not fit dtype {dt} "
                f"({info.min}..{info.max}); clip or rescale them first"
            )
        out = np.full(arr.shape, nodata, dtype=dt)
        out[~nan] = values.astype(dt)
        fill = nodata

    profile: dict[str, object] = {
        "driver": "GTiff",
        "height": arr.shape[1],
        "width": arr.shape[2],
        "count": count,
        "dtype": dt.name,
        "crs": out_crs,
        "transform": transform,
        "nodata": fill,
        "tiled": True,
        "blockxsize": BLOCK_SIZE,
        "blockysize": BLOCK_SIZE,
        "BIGTIFF": "IF_SAFER",
    }
    if comp != "none":
        profile["compress"] = comp
        profile["predictor"] = 3 if dt.kind == "f" else 2
    target = Path(path)
    with atomic_path(target) as tmp:
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.write(out)
            if band_names is not None:
                for i, name in enumerate(band_names, start=1):
                    dst.set_band_description(i, str(name))
            if band_units is not None:
                for i, unit in enumerate(band_units, start=1):
                    dst.set_band_unit(i, str(unit))
            if tags:
                dst.update_tags(**{str(k): str(v) for k, v in tags.items()})
    return target
