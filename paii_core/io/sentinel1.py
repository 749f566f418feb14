"""Sentinel-1 GRD / RTC backscatter: VV and VH sigma0, read as dB."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from datetime import datetime
from os import PathLike
from pathlib import Path
from typing import Literal

import numpy as np
from affine import Affine
from numpy.typing import ArrayLike, NDArray
from rasterio.crs import CRS

from paii_core.errors import FormatError, PaiiWarning, ValidationError
from paii_core.io.geotiff import Raster, read_raster, write_geotiff
from paii_core.text import count

__all__ = [
    "S1_BANDS",
    "SIGMA0_UNITS_READ_TAG",
    "SIGMA0_UNITS_TAG",
    "check_sigma0",
    "inspect_sentinel1",
    "read_as",
    "read_sentinel1",
    "sigma0_units",
    "write_sentinel1",
]

S1_BANDS: tuple[str, ...] = ("VV", "VH")
SIGMA0_UNITS_TAG = "SIGMA0_UNITS"
"""Dataset tag naming the units of the stored sigma0: ``linear`` (power) or ``db``."""
SIGMA0_UNITS_READ_TAG = "SIGMA0_UNITS_READ"
"""Tag of a read scene: the units its file held (``linear`` or ``db``) before conversion to
dB, so a caller can tell the user how the file was read (:func:`read_as`)."""


def read_as(units_read: str) -> str:
    """How a scene whose :data:`SIGMA0_UNITS_READ_TAG` says ``units_read`` was read, in the
    words `paii flood` and the Flood page both use."""
    return "linear power, converted to dB" if units_read == "linear" else "dB (decibels)"


_UNIT_NAMES: dict[str, Literal["linear", "db"]] = {
    "linear": "linear",
    "power": "linear",
    "db": "db",
    "decibel": "db",
}
_OTHER_POLS = ("HH", "HV")
_NEGATIVE_SHARE_DB = 0.01
_LINEAR_MEDIAN_MAX = 1.0
_DB_MEDIAN_RANGE = (-50.0, 10.0)
"""The median VV of any calibrated scene in dB lies well within this (water about -25,
land -15 to -5, cities up to 0)."""
_NOT_BACKSCATTER_SHARE = 0.9
"""Linear sigma0 is positive: a file with more than this share of values <= 0 is no scene."""
_CLASS_VALUES_MAX = 4
"""A VV band of at most this many distinct values is a class raster (a water label, a
mask: Sen1Floods11's LabelHand holds -1, 0, 1), not backscatter, which speckle makes
differ from pixel to pixel."""
_CLASS_CHECK_MIN_PX = 256
"""Scenes smaller than this are too small to judge by their distinct values."""
_CLASS_CHECK_SAMPLE = 1_000_000
SourceType = str | PathLike[str] | Mapping[str, str | PathLike[str]]


def _pol(name: str) -> str | None:
    """``"VV"``, ``"Sigma0_VV_db"``, ``"vh"`` -> the polarisation; else None."""
    found = [p for p in S1_BANDS if p in name.upper()]
    return found[0] if len(found) == 1 else None


def _other_pols(names: tuple[str, ...]) -> list[str]:
    """HH / HV polarisations named in band descriptions (EW or SM mode, polar scenes)."""
    return [p for n in names for p in _OTHER_POLS if p in n.upper() and _pol(n) is None]


def sigma0_units(
    values: NDArray[np.floating], tags: Mapping[str, str], where: str | None = None
) -> Literal["linear", "db"]:
    """Decide whether sigma0 values are linear power or dB.

    Rule: the ``SIGMA0_UNITS`` tag (``linear``/``power`` or ``db``/``decibel``, any case)
    wins. Without it, the values decide: linear power is never negative and for land
    mostly 0.001..0.5, while dB is mostly -30..0. More than 1% negative valid values
    means dB; otherwise a median of at most 1 means linear. Non-negative values with a
    median above 1 are ambiguous and raise.

    Raises:
        FormatError: unknown tag value, no valid value, or ambiguous values.
    """
    upper = {k.upper(): v for k, v in tags.items()}
    if SIGMA0_UNITS_TAG in upper:
        text = str(upper[SIGMA0_UNITS_TAG]).strip().lower()
        if text not in _UNIT_NAMES:
            raise FormatError(
                where,
                f"{SIGMA0_UNITS_TAG} tag is {upper[SIGMA0_UNITS_TAG]!r}, not 'linear' or 'db'",
                f"set the tag to linear or db (gdal_edit.py -mo {SIGMA0_UNITS_TAG}=db FILE)",
            )
        return _UNIT_NAMES[text]
    valid = values[np.isfinite(values)]
    if valid.size == 0:
        raise FormatError(
            where,
            f"has no valid pixel and no {SIGMA0_UNITS_TAG} tag, so its units are unknown",
            f"tag the file with {SIGMA0_UNITS_TAG}=linear or db",
        )
    if np.count_nonzero(valid < 0) > _NEGATIVE_SHARE_DB * valid.size:
        return "db"
    if float(np.median(valid)) <= _LINEAR_MEDIAN_MAX:
        return "linear"
    raise FormatError(
        where,
        f"sigma0 values are non-negative with median {float(np.median(valid)):.3g}, "
        "which is neither typical linear power (<1) nor dB (mostly negative)",
        f"tag the file with {SIGMA0_UNITS_TAG}=linear or db",
    )


def _order(raster: Raster, where: Path, allow_vv_only: bool) -> list[int]:
    other = _other_pols(raster.band_names)
    if other:
        raise FormatError(
            where,
            f"holds {'/'.join(sorted(set(other)))} polarisation (band descriptions "
            f"{raster.band_names}); PAII's water rules are for VV (and VH)",
            "pass a VV/VH scene (Sentinel-1 IW mode over land), not HH/HV",
        )
    pols = [_pol(n) for n in raster.band_names]
    if raster.count == 1:
        if not allow_vv_only:
            raise FormatError(
                where,
                "has 1 band; expected 2 (VV, VH)",
                "pass a 2-band VV, VH GeoTIFF (VV-only scenes are accepted by `paii flood`)",
            )
        if pols[0] not in (None, "VV"):
            raise FormatError(
                where,
                f"has one band described {raster.band_names[0]!r}; a one-band scene must be VV",
                "pass the VV band (or a 2-band VV, VH GeoTIFF)",
            )
        return [0]
    if raster.count != 2:
        raise FormatError(
            where,
            f"has {raster.count} bands, expected 2 (VV, VH)",
            "pass the right file or select its bands before reading",
        )
    if any(pols):
        if sorted(p for p in pols if p) != sorted(S1_BANDS):
            raise FormatError(
                where,
                f"band descriptions {raster.band_names} do not name one VV and one VH band",
                "describe the bands as VV and VH (or leave descriptions empty for VV, VH order)",
            )
        return [pols.index(p) for p in S1_BANDS]
    return [0, 1]


def read_sentinel1(
    source: SourceType,
    *,
    units: Literal["auto", "linear", "db"] = "auto",
    allow_vv_only: bool = False,
) -> Raster:
    """Read VV and VH sigma0 as dB.

    Args:
        source: a 2-band GeoTIFF (band order from descriptions containing VV / VH, else
            VV then VH) or a mapping ``{"VV": path, "VH": path}`` of one-band files on
            one grid (units and tags from the VV file).
        units: ``"auto"`` decides with :func:`sigma0_units`; ``"linear"`` or ``"db"``
            states the units and overrides any tag.
        allow_vv_only: accept a one-band VV scene; its VH band is returned all NaN and
            the tag ``POLARISATIONS`` is ``"VV"`` (else ``"VV,VH"``).

    Returns:
        Raster ``(2, H, W) float32`` in dB, band names ``("VV", "VH")``, tags with
        ``SIGMA0_UNITS = "db"``. Linear input becomes ``10 * log10(sigma0)``; linear
        values <= 0 become NaN. Units are decided by :func:`sigma0_units`.

    Raises:
        InputNotFoundError: a file is missing.
        FormatError: unreadable file, no CRS, band count != 2 (or != 1 per file; 1
            allowed for VV with ``allow_vv_only``), HH/HV bands, descriptions not
            VV/VH, files on different grids, unknown or undecidable units, a median VV
            outside -50..10 dB (values that are not calibrated sigma0).
        ValidationError: a mapping without both VV and VH, unknown ``units``.
    """
    if units not in ("auto", "linear", "db"):
        raise ValidationError(f"units {units!r} is unknown; use 'auto', 'linear' or 'db'")
    if isinstance(source, Mapping):
        by_pol = {_pol(str(k)): Path(v) for k, v in source.items()}
        missing = [p for p in S1_BANDS if p not in by_pol]
        if allow_vv_only and missing == ["VH"]:
            missing = []
        if missing:
            raise ValidationError(
                f"sentinel-1 source lacks {', '.join(missing)} (keys: {', '.join(source)}); "
                "pass {'VV': path, 'VH': path}"
            )
        vv = read_raster(by_pol["VV"], expected_bands=1)
        if "VH" not in by_pol:
            raw, ref, where = vv.data, vv, by_pol["VV"]
        else:
            vh = read_raster(by_pol["VH"], expected_bands=1)
            _same_grid(vv, vh, by_pol)
            raw = np.concatenate([vv.data, vh.data])
            ref, where = vv, by_pol["VV"]
    else:
        where = Path(source)
        ref = read_raster(where)
        raw = ref.data[_order(ref, where, allow_vv_only)]

    _refuse_class_raster(raw[0], where)  # before its 0s are said to have no dB value
    found = units if units != "auto" else sigma0_units(raw, ref.tags, str(where))
    db = _to_db(raw, found, where)
    check_sigma0(raw[0], db[0], found, where)
    pols = "VV,VH" if db.shape[0] == 2 else "VV"
    if db.shape[0] == 1:
        db = np.concatenate([db, np.full_like(db, np.nan)])
    drop = (SIGMA0_UNITS_TAG, SIGMA0_UNITS_READ_TAG, "POLARISATIONS")
    tags = {k: v for k, v in ref.tags.items() if k.upper() not in drop}
    tags[SIGMA0_UNITS_TAG] = "db"
    tags[SIGMA0_UNITS_READ_TAG] = found
    tags["POLARISATIONS"] = pols
    return Raster(db, ref.crs, ref.transform, S1_BANDS, tags)


def check_sigma0(raw_vv: NDArray, db_vv: NDArray, units: str, where: Path) -> None:
    """Refuse VV values that no calibrated sigma0 takes; warn when values stated as dB
    (by ``units`` or the file's tag) look like linear power.

    Raises:
        FormatError: the VV band holds a handful of distinct values (a label or mask
            raster), or its median in dB lies outside -50..10 (dB x 100, raw DN...).
    """
    _refuse_class_raster(raw_vv, where)
    finite = np.isfinite(db_vv)
    if not finite.any():
        return
    median = float(np.median(db_vv[finite]))
    if not _DB_MEDIAN_RANGE[0] <= median <= _DB_MEDIAN_RANGE[1]:
        raise FormatError(
            where,
            f"has a median VV of {median:.4g} dB (read as {units}), which sigma0 never is "
            "(mostly -30 to 0 dB): its values are not calibrated backscatter (dB x 100 in "
            "integers, or raw DN?)",
            "write sigma0 in dB or linear power first, e.g. for dB x 100: `gdal_calc.py -A "
            "FILE --allBands A --calc 'A/100.0' --type Float32 --outfile OUT`",
        )
    raw = raw_vv[np.isfinite(raw_vv)]
    negative = np.count_nonzero(raw < 0) / raw.size
    if units == "db" and negative <= _NEGATIVE_SHARE_DB and median <= _LINEAR_MEDIAN_MAX:
        warnings.warn(
            f"{where}: is read as dB (as --units or its {SIGMA0_UNITS_TAG} tag say), but its "
            f"VV values look like linear power ({negative:.1%} negative, median "
            f"{median:.3g}); if they are, pass --units linear",
            PaiiWarning,
            stacklevel=3,
        )


def _refuse_class_raster(raw_vv: NDArray, where: Path) -> None:
    """Refuse a VV band of a few distinct values: a label or mask file passed as the scene
    (its 0/1 values read as linear sigma0 would map as a scene without water)."""
    raw = raw_vv[np.isfinite(raw_vv)]
    if raw.size < _CLASS_CHECK_MIN_PX:
        return
    seen = np.unique(raw[:: max(1, raw.size // _CLASS_CHECK_SAMPLE)])
    if seen.size > _CLASS_VALUES_MAX:
        return
    raise FormatError(
        where,
        f"holds only {count(seen.size, 'distinct value')} ({', '.join(f'{v:g}' for v in seen)}),"
        " as a class raster does (a water label, a mask), not backscatter, whose values "
        "differ from pixel to pixel",
        "pass the Sentinel-1 VV (and VH) sigma0 GeoTIFF, e.g. a Sen1Floods11 chip's "
        "*_S1Hand.tif rather than its *_LabelHand.tif",
    )


def _same_grid(vv: Raster, vh: Raster, by_pol: dict) -> None:
    if not (
        vv.crs == vh.crs
        and vv.data.shape == vh.data.shape
        and vv.transform.almost_equals(vh.transform)
    ):
        raise FormatError(
            by_pol["VH"],
            f"is not on the grid of {by_pol['VV'].name}",
            "pass VV and VH of one scene, resampled to one grid",
        )


def _to_db(raw: NDArray, units: str, where: Path) -> NDArray[np.float32]:
    if units == "db":
        return raw.astype(np.float32, copy=False)
    with np.errstate(divide="ignore", invalid="ignore"):
        power = raw.astype(np.float64)
        db = np.where(power > 0, 10.0 * np.log10(power), np.nan).astype(np.float32)
    dropped = int(np.count_nonzero(np.isfinite(raw) & (raw <= 0)))
    finite = int(np.count_nonzero(np.isfinite(raw)))
    if finite and dropped > _NOT_BACKSCATTER_SHARE * finite:
        seen = np.unique(raw[np.isfinite(raw)])
        shown = ", ".join(f"{v:g}" for v in seen[:4]) + ("..." if seen.size > 4 else "")
        raise FormatError(
            where,
            f"{dropped / finite:.1%} of its values are <= 0, which linear sigma0 never is "
            f"(values {shown}): it is not backscatter (a water label or a mask?) or its "
            "units are not linear",
            "pass the Sentinel-1 VV (and VH) backscatter GeoTIFF; if it holds dB, tag it "
            f"{SIGMA0_UNITS_TAG}=db",
        )
    if dropped:
        warnings.warn(
            f"{where}: {dropped} linear sigma0 values <= 0 have no dB value; set to NaN",
            PaiiWarning,
            stacklevel=3,
        )
    return db


def inspect_sentinel1(
    path: str | PathLike[str],
    *,
    units: Literal["auto", "linear", "db"] = "auto",
    allow_vv_only: bool = False,
    sample_px: int = 1024,
) -> tuple[list[int], Literal["linear", "db"]]:
    """(1-based band indexes of VV[, VH], units) of a Sentinel-1 GeoTIFF, for windowed reads.

    The same checks as :func:`read_sentinel1` (band count, descriptions, HH/HV, units),
    with the units decided on a decimated sample (at most ``sample_px`` a side) rather
    than on every pixel, so a full scene need not be read.

    Raises:
        InputNotFoundError, FormatError, ValidationError: as :func:`read_sentinel1`.
    """
    from paii_core.io.geotiff import _check, _open_checked

    if units not in ("auto", "linear", "db"):
        raise ValidationError(f"units {units!r} is unknown; use 'auto', 'linear' or 'db'")
    where = Path(path)
    with _open_checked(where, "raster") as src:
        names = _check(src, where, None, None)
        step = max(1, max(src.height, src.width) // sample_px)
        shape = (src.count, max(1, src.height // step), max(1, src.width // step))
        sample = src.read(out_shape=shape, masked=True).astype(np.float32).filled(np.nan)
        tags = dict(src.tags())
    ref = Raster(sample, CRS.from_epsg(4326), Affine.identity(), names, tags)
    order = _order(ref, where, allow_vv_only)
    _refuse_class_raster(sample[order[0]], where)
    found = units if units != "auto" else sigma0_units(sample[order], tags, str(where))
    vv = sample[order[0]]
    check_sigma0(vv, _to_db(vv[None], found, where)[0], found, where)
    return [i + 1 for i in order], found


def write_sentinel1(
    path: str | PathLike[str],
    sigma0_db: ArrayLike,
    *,
    crs: CRS | str | int,
    transform: Affine,
    date: str,
    units: Literal["db", "linear"] = "db",
) -> Path:
    """Write VV, VH sigma0 as a float32 GeoTIFF, in dB or converted to linear power.

    Tags: ``SIGMA0_UNITS`` (``units``), ``DATE`` (``date`` as given, ISO 8601).
    NaN stays NaN (the file's nodata).

    Args:
        path: output GeoTIFF.
        sigma0_db: ``(2, H, W)`` VV, VH in dB.
        crs, transform: georeferencing.
        date: acquisition date or time, ISO 8601.
        units: ``"db"`` stores the input; ``"linear"`` stores ``10 ** (dB / 10)``.

    Returns:
        The output path.

    Raises:
        ValidationError: shape not (2, H, W), unknown units, bad date.
    """
    db = np.asarray(sigma0_db, dtype=np.float64)
    if db.ndim != 3 or db.shape[0] != 2:
        raise ValidationError(f"sigma0_db should be (2, H, W) VV, VH, got shape {db.shape}")
    if units not in ("db", "linear"):
        raise ValidationError(f"units {units!r} is unknown; use 'db' or 'linear'")
    try:
        datetime.fromisoformat(str(date))
    except ValueError:
        raise ValidationError(f"date {date!r} is not ISO 8601; pass e.g. '2020-07-10'") from None
    values = db if units == "db" else 10.0 ** (db / 10.0)
    return write_geotiff(
        path,
        values,
        crs=crs,
        transform=transform,
        band_names=S1_BANDS,
        tags={SIGMA0_UNITS_TAG: units, "DATE": str(date)},
    )
