"""Sentinel-2 L2A surface reflectance (B2, B3, B4, B8) and its Scene Classification band."""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from datetime import datetime
from os import PathLike
from pathlib import Path

import numpy as np
from affine import Affine
from numpy.typing import ArrayLike, NDArray
from rasterio.crs import CRS
from rasterio.warp import Resampling, reproject

from paii_core.errors import BandOrderError, FormatError, PaiiWarning, ValidationError
from paii_core.io.geotiff import Raster, read_geotiff, read_raster, write_geotiff
from paii_core.text import count

__all__ = [
    "CLOUD_SCL_CLASSES",
    "S2_BANDS",
    "read_scl",
    "read_sentinel2_l2a",
    "write_scl",
    "write_sentinel2_l2a",
]

S2_BANDS: tuple[str, ...] = ("B2", "B3", "B4", "B8")
"""Band names of the returned reflectance, in order: blue, green, red, near infrared."""

CLOUD_SCL_CLASSES: tuple[int, ...] = (3, 8, 9, 10)
"""SCL classes masked by ``mask_clouds``: cloud shadow, cloud medium / high probability,
thin cirrus (ESA Sentinel-2 L2A Product Specification, Scene Classification)."""

_SCL_MAX = 11  # SCL classes run 0 (no data) .. 11 (snow or ice)
_QUANTIFICATION = 10000.0
_OFFSET_FROM_BASELINE = 4.0  # ESA added BOA_ADD_OFFSET = -1000 from baseline 04.00 (2022-01-25)
_L2A_OFFSET = -1000.0
_BASELINE_RE = re.compile(r"^\s*(\d{1,2})\.(\d{2})\s*$")
_SAFE_BASELINE_RE = re.compile(r"_N(\d{2})(\d{2})_")
_VALID_RANGE = (-0.1, 1.5)
SourceType = str | PathLike[str] | Mapping[str, str | PathLike[str]]


def _band_key(name: str) -> str | None:
    """``"B02"``, ``"b2"``, ``"B2_10m"`` -> ``"B2"``; ``"B8A"`` and others -> None."""
    m = re.fullmatch(r"B0?(\d{1,2})(A?)(?:_\d+m)?", name.strip(), flags=re.IGNORECASE)
    if m is None or m.group(2):
        return None
    key = f"B{int(m.group(1))}"
    return key if key in S2_BANDS else None


def _parse_baseline(text: str, where: str | None) -> float:
    m = _BASELINE_RE.match(text)
    if m is None:
        raise FormatError(
            where,
            f"PROCESSING_BASELINE tag {text!r} is not a baseline like '05.10'",
            "fix the tag (e.g. gdal_edit.py -mo PROCESSING_BASELINE=05.10) or remove it",
        )
    return int(m.group(1)) + int(m.group(2)) / 100.0


def _offset_and_scale(tags: Mapping[str, str], where: str | None) -> tuple[float, float]:
    """(offset, QUANTIFICATION_VALUE) from the BOA_ADD_OFFSET (L2A) or RADIO_ADD_OFFSET
    (L1C) tag, the baseline, or the SAFE name."""
    upper = {k.upper(): v for k, v in tags.items()}
    scale = _QUANTIFICATION
    if "QUANTIFICATION_VALUE" in upper:
        try:
            scale = float(upper["QUANTIFICATION_VALUE"])
        except ValueError:
            scale = float("nan")
        if not scale > 0:
            raise FormatError(
                where,
                f"QUANTIFICATION_VALUE tag {upper['QUANTIFICATION_VALUE']!r} is not a "
                "positive number",
                "set it to 10000 (the L2A value) or remove it",
            )
    # L2A names its offset BOA_ADD_OFFSET, L1C RADIO_ADD_OFFSET: the same (DN + offset) rule
    for name in ("BOA_ADD_OFFSET", "RADIO_ADD_OFFSET"):
        if name not in upper:
            continue
        try:
            return float(upper[name]), scale
        except ValueError:
            raise FormatError(
                where,
                f"{name} tag {upper[name]!r} is not a number",
                "set it to -1000 (baseline 04.00 and later) or 0",
            ) from None
    if "PROCESSING_BASELINE" in upper:
        baseline = _parse_baseline(upper["PROCESSING_BASELINE"], where)
    else:
        m = _SAFE_BASELINE_RE.search(Path(where or "").as_posix())
        if m is None:
            raise FormatError(
                where,
                "has no BOA_ADD_OFFSET or PROCESSING_BASELINE tag and no _Nxxxx_ in its "
                "path, so whether its DN carry the -1000 offset of baseline 04.00 and "
                "later is unknown (reflectance would be 0.1 off)",
                "tag it: `rio edit-info --tag PROCESSING_BASELINE=05.10 FILE` (the _Nxxxx_ "
                "of the product name) or `--tag BOA_ADD_OFFSET=-1000`; DN already harmonised "
                "(Sentinel Hub, openEO) take `--tag BOA_ADD_OFFSET=0`",
            )
        baseline = int(m.group(1)) + int(m.group(2)) / 100.0
    return (_L2A_OFFSET if baseline >= _OFFSET_FROM_BASELINE else 0.0), scale


def _same_grid(ref: Raster, other: Raster) -> bool:
    return (
        ref.crs == other.crs
        and ref.data.shape[1:] == other.data.shape[1:]
        and ref.transform.almost_equals(other.transform)
    )


def _read_stack(path: Path) -> tuple[NDArray[np.float32], Raster]:
    raster = read_geotiff(path)
    keys = [_band_key(n) for n in raster.band_names]
    if any(keys):
        missing = [b for b in S2_BANDS if b not in keys]
        if missing:
            landsat = "B8" in missing and any(
                re.fullmatch(r"B0?5", n.strip(), flags=re.IGNORECASE) for n in raster.band_names
            )
            raise BandOrderError(
                path,
                f"band descriptions {raster.band_names} lack {', '.join(missing)}"
                + (
                    " (names are read as Sentinel-2's: B5 is its red edge, while a Landsat "
                    "8/9 stack's B5 is NIR)"
                    if landsat
                    else ""
                ),
                f"stack bands {', '.join(S2_BANDS)} or pass a mapping of per-band files",
            )
        return raster.data[[keys.index(b) for b in S2_BANDS]], raster
    raise BandOrderError(
        path,
        f"has {count(raster.count, 'band')} without descriptions naming Sentinel-2 bands "
        f"({', '.join(raster.band_names)}); PAII never guesses band order (a B4, B3, B2, B8 "
        "stack read as B2, B3, B4, B8 swaps red and blue)",
        "name each band: `rio edit-info --bidx 1 --description B02 FILE`, and so on for "
        "B03, B04, B08",
    )


def _read_bands(
    files: Mapping[str, str | PathLike[str]],
) -> tuple[NDArray[np.float32], Raster, Path]:
    by_key: dict[str, Path] = {}
    for name, p in files.items():
        key = _band_key(str(name))
        if key is not None:
            by_key[key] = Path(p)
    missing = [b for b in S2_BANDS if b not in by_key]
    if missing:
        raise ValidationError(
            f"per-band source lacks {', '.join(missing)} (keys given: {', '.join(files)}); "
            f"pass a mapping with keys {', '.join(S2_BANDS)}"
        )
    first = read_raster(by_key[S2_BANDS[0]], expected_bands=1)
    planes = [first.data[0]]
    for b in S2_BANDS[1:]:
        r = read_raster(by_key[b], expected_bands=1)
        if not _same_grid(first, r):
            raise FormatError(
                by_key[b],
                f"is not on the grid of {by_key[S2_BANDS[0]].name} (CRS, size or transform "
                "differ); 10 m bands B2, B3, B4, B8 must share one grid",
                "pass the 10 m files of one tile and date",
            )
        planes.append(r.data[0])
    return np.stack(planes), first, by_key[S2_BANDS[0]]


def read_scl(path: str | PathLike[str], like: Raster) -> NDArray[np.uint8]:
    """Read a Scene Classification band and resample it (nearest) onto ``like``'s grid.

    Args:
        path: one-band SCL raster (GeoTIFF or JP2, usually 20 m).
        like: the raster whose grid the result matches.

    Returns:
        ``(like.height, like.width) uint8`` classes 0..11; 0 (no data) where SCL does
        not cover ``like``.

    Raises:
        InputNotFoundError: no such file.
        FormatError: unreadable, no CRS or a local one, not one band, values above 11.
    """
    scl = read_raster(path, expected_bands=1)
    if not (scl.crs.is_geographic or scl.crs.is_projected):
        raise FormatError(
            path,
            f"has a CRS that cannot be placed on the 10 m grid ({scl.crs})",
            "pass the SCL band of the L2A product as delivered (SCL_20m, UTM)",
        )
    values = scl.data[0]
    finite = values[np.isfinite(values)]
    if finite.size and (finite.min() < 0 or finite.max() > _SCL_MAX):
        raise FormatError(
            path,
            f"has values {finite.min():g}..{finite.max():g}, outside the SCL classes 0..11",
            "pass the SCL band of the L2A product (SCL_20m)",
        )
    src = np.where(np.isfinite(values), values, 0).astype(np.uint8)
    out = np.zeros((like.height, like.width), dtype=np.uint8)
    reproject(
        src,
        out,
        src_transform=scl.transform,
        src_crs=scl.crs,
        src_nodata=0,
        dst_transform=like.transform,
        dst_crs=like.crs,
        dst_nodata=0,
        resampling=Resampling.nearest,
    )
    return out


def read_sentinel2_l2a(
    source: SourceType,
    *,
    scl: str | PathLike[str] | None = None,
    mask_clouds: bool = False,
) -> Raster:
    """Read Sentinel-2 L2A bands B2, B3, B4, B8 as surface reflectance.

    ``reflectance = (DN + BOA_ADD_OFFSET) / QUANTIFICATION_VALUE`` (ESA L2A Product
    Specification). The offset comes from the ``BOA_ADD_OFFSET`` tag (an L1C file's
    ``RADIO_ADD_OFFSET``: its DN then give TOA reflectance by the same rule); else from the
    ``PROCESSING_BASELINE`` tag (-1000 from 04.00 on, 0 before); else from ``_Nxxxx_`` in
    a SAFE product path; else the file is refused (FormatError). ``QUANTIFICATION_VALUE``
    defaults to 10000. DN 0 (and the file's nodata) is NaN.

    Args:
        source: a stacked GeoTIFF (bands picked by their descriptions B2/B02..., other
            bands ignored; a stack without such descriptions is refused) or a
            mapping ``{"B2": path, "B3": ..., "B4": ..., "B8": ...}`` of one-band
            GeoTIFF/JP2 files on one grid (tags read from B2's file).
        scl: optional Scene Classification raster, resampled nearest to the 10 m grid;
            returned in ``tags["SCL_FILE"]``.
        mask_clouds: set pixels of SCL classes 3, 8, 9, 10 to NaN (needs ``scl``).

    Returns:
        Raster ``(4, H, W) float32`` with band names ``S2_BANDS`` and the file's tags.
        Reflectance outside -0.1..1.5 gives a :class:`PaiiWarning`.

    Raises:
        InputNotFoundError: a file is missing.
        FormatError: unreadable or truncated file, no CRS, wrong band count or band
            descriptions lacking B2/B3/B4/B8, band files on different grids, garbage
            BOA_ADD_OFFSET / PROCESSING_BASELINE / QUANTIFICATION_VALUE tags, bad SCL.
        ValidationError: mapping without the four bands; ``mask_clouds`` without ``scl``.
    """
    if mask_clouds and scl is None:
        raise ValidationError("mask_clouds=True needs scl=PATH (the SCL_20m band)")
    if isinstance(source, Mapping):
        dn, ref, b2_path = _read_bands(source)
        where = str(b2_path)
    else:
        dn, ref = _read_stack(Path(source))
        where = str(source)
    offset, scale = _offset_and_scale(ref.tags, where)
    refl = dn.astype(np.float32, copy=True)
    refl[refl == 0] = np.nan
    if scale > 1:  # DN: never negative, so a negative one is an undeclared fill (-9999)
        negative = refl < 0
        if negative.any():
            values = np.unique(refl[negative])
            shown = ", ".join(f"{v:g}" for v in values[:3]) + (" ..." if values.size > 3 else "")
            warnings.warn(
                f"{where}: {int(negative.sum())} values are negative DN ({shown}), which "
                "Sentinel-2 DN never are: read as no data, an undeclared fill value. Fix: "
                f"declare it, e.g. `gdal_edit.py -a_nodata {values[0]:g} FILE`",
                PaiiWarning,
                stacklevel=2,
            )
            refl[negative] = np.nan
    refl = ((refl + np.float32(offset)) / np.float32(scale)).astype(np.float32)

    tags = dict(ref.tags)
    if scl is not None:
        out = Raster(refl, ref.crs, ref.transform, S2_BANDS, tags)
        classes = read_scl(scl, out)
        tags["SCL_FILE"] = str(scl)
        if mask_clouds:
            refl[:, np.isin(classes, CLOUD_SCL_CLASSES)] = np.nan

    valid = refl[np.isfinite(refl)]
    lo, hi = _VALID_RANGE
    outside = int(np.count_nonzero((valid < lo) | (valid > hi)))
    if outside:
        warnings.warn(
            f"{where}: {outside} reflectance values outside {lo}..{hi} "
            f"(range {valid.min():.3f}..{valid.max():.3f}); check BOA_ADD_OFFSET and "
            "that the file holds L2A DN, not reflectance already",
            PaiiWarning,
            stacklevel=2,
        )
    return Raster(refl, ref.crs, ref.transform, S2_BANDS, tags)


def _check_date(date: str) -> str:
    try:
        datetime.fromisoformat(str(date))
    except ValueError:
        raise ValidationError(
            f"date {date!r} is not ISO 8601; pass e.g. '2021-06-01' or '2021-06-01T03:05:59Z'"
        ) from None
    return str(date)


def write_sentinel2_l2a(
    path: str | PathLike[str],
    reflectance: ArrayLike,
    *,
    crs: CRS | str | int,
    transform: Affine,
    date: str,
    processing_baseline: str = "05.10",
    tile_id: str | None = None,
    extra_tags: Mapping[str, str] | None = None,
) -> Path:
    """Write reflectance as an L2A-style stacked uint16 GeoTIFF (B2, B3, B4, B8).

    ``DN = round(reflectance * 10000) - BOA_ADD_OFFSET`` (i.e. + 1000 from baseline
    04.00), clipped to 1..65535; NaN is written as DN 0 (nodata). Tags:
    PROCESSING_BASELINE, BOA_ADD_OFFSET, QUANTIFICATION_VALUE, DATATAKE_SENSING_START
    (``date`` as given), DATE (YYYY-MM-DD) and TILE_ID when given.

    Args:
        path: output GeoTIFF.
        reflectance: ``(4, H, W)`` surface reflectance, NaN = nodata.
        crs, transform: georeferencing.
        date: acquisition date or time, ISO 8601.
        processing_baseline: ``"NN.NN"``; decides the offset.
        tile_id: MGRS tile such as ``"50SKE"``.
        extra_tags: more dataset tags (provenance); they cannot override the above.

    Returns:
        The output path.

    Raises:
        ValidationError: shape not (4, H, W), bad date or baseline.
    """
    refl = np.asarray(reflectance, dtype=np.float64)
    if refl.ndim != 3 or refl.shape[0] != len(S2_BANDS):
        raise ValidationError(
            f"reflectance should be (4, H, W) in B2, B3, B4, B8 order, got {refl.shape}"
        )
    m = _BASELINE_RE.match(str(processing_baseline))
    if m is None:
        raise ValidationError(
            f"processing_baseline {processing_baseline!r} is not like '05.10' (NN.NN)"
        )
    baseline = int(m.group(1)) + int(m.group(2)) / 100.0
    offset = _L2A_OFFSET if baseline >= _OFFSET_FROM_BASELINE else 0.0
    when = _check_date(date)

    nan = np.isnan(refl)
    dn = np.rint(np.where(nan, 0.0, refl) * _QUANTIFICATION) - offset
    clipped = int(np.count_nonzero(((dn < 1) | (dn > 65535)) & ~nan))
    if clipped:
        warnings.warn(
            f"{clipped} reflectance values fall outside what uint16 DN can hold "
            f"({(1 + offset) / _QUANTIFICATION:g}..{(65535 + offset) / _QUANTIFICATION:g}) "
            "and were clipped",
            PaiiWarning,
            stacklevel=2,
        )
    dn = np.where(nan, 0, np.clip(dn, 1, 65535)).astype(np.uint16)
    tags = {
        "PROCESSING_BASELINE": f"{int(m.group(1)):02d}.{m.group(2)}",
        "BOA_ADD_OFFSET": f"{offset:.0f}",
        "QUANTIFICATION_VALUE": f"{_QUANTIFICATION:.0f}",
        "DATATAKE_SENSING_START": when,
        "DATE": datetime.fromisoformat(when).date().isoformat(),
    }
    if tile_id is not None:
        tags["TILE_ID"] = str(tile_id)
    tags = {**{str(k): str(v) for k, v in (extra_tags or {}).items()}, **tags}
    return write_geotiff(
        path,
        dn,
        crs=crs,
        transform=transform,
        nodata=0,
        dtype="uint16",
        band_names=S2_BANDS,
        tags=tags,
    )


def write_scl(
    path: str | PathLike[str], scl: ArrayLike, *, crs: CRS | str | int, transform: Affine
) -> Path:
    """Write a Scene Classification band: ``(H, W)`` uint8 classes 0..11, nodata 0.

    Raises:
        ValidationError: not 2-D, or values outside 0..11 or not integers.
    """
    arr = np.asarray(scl)
    if arr.ndim != 2:
        raise ValidationError(f"scl should be (H, W), got shape {arr.shape}")
    if arr.size and (
        not np.all(np.isfinite(arr))
        or np.any(arr != np.rint(arr))
        or arr.min() < 0
        or arr.max() > _SCL_MAX
    ):
        raise ValidationError("scl values should be integer SCL classes 0..11")
    return write_geotiff(
        path,
        arr.astype(np.uint8),
        crs=crs,
        transform=transform,
        nodata=0,
        dtype="uint8",
        band_names=("SCL",),
    )
