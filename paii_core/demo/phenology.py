"""Crop calendars as data and the NDVI, residue and paddy-water state they imply.

Each crop grows in one or more seasons whose green canopy follows a double logistic
curve, the model of Zhang et al. (2003, "Monitoring vegetation phenology using MODIS",
Remote Sens. Environ. 84) and Beck et al. (2006, "Improved monitoring of vegetation
dynamics at very high latitudes", Remote Sens. Environ. 100): a logistic rise from
green-up to peak and a logistic decline through senescence. We use the product of a
rising and a falling logistic so that the canopy fraction stays in 0..1 and several
seasons (a rotation, hay cuttings, next year's sowing) combine by their maximum.

Dates are days of year (DOY, 1 = 1 January); a negative DOY is in the previous year
(winter crops). Calendars follow the usual dates of USDA (1994, "Major World Crop Areas
and Climatic Profiles", Agricultural Handbook 664) for China and USDA NASS (2010, "Field
Crops Usual Planting and Harvesting Dates", Agricultural Handbook 628) for Iowa.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from paii_core.demo.classes import CROPS, LandCover, crop_index
from paii_core.demo.crop_calendars import (
    _MAX_NDVI,
    CROP_CALENDARS,
    LANDCOVER_CALENDARS,
    REGION_CALENDAR,
    CropCalendar,
    Season,
    _check_region,
    _raster_calendar,
    calendar_table,
    get_calendar,
)
from paii_core.demo.noise import ndvi_texture, smooth_noise
from paii_core.errors import ValidationError

__all__ = [
    "CROP_CALENDARS",
    "LANDCOVER_CALENDARS",
    "REGION_CALENDAR",
    "CropCalendar",
    "CropStateMaps",
    "Season",
    "calendar_table",
    "crop_state_maps",
    "get_calendar",
    "is_crop_present",
    "landcover_ndvi",
    "ndvi_at",
    "ndvi_texture",
    "paddy_flooded",
    "parcel_vigour",
    "smooth_noise",
]

_LOGIT_98 = float(np.log(49.0))
"""A logistic goes from 2 % to 98 % over +-ln(49) scale lengths around its midpoint."""
_YEAR = 365.0
_FLOODED_NDVI = -0.05
"""NDVI of a puddled paddy: shallow turbid water over mud with a few seedlings."""


@dataclass(frozen=True)
class CropStateMaps:
    """Per-pixel state of the land surface on one date, all ``(H, W)``.

    ``ndvi`` float32 without texture (NaN on nodata); ``dry`` float32 cover of senescent
    leaves, stubble or litter in the non-green part of a pixel; ``flowering`` float32
    cover of open flowers in the canopy; ``standing_water`` bool paddy water under the
    canopy; ``paddy_flooded`` bool paddies whose water still dominates the signal (canopy
    not yet closed).
    """

    ndvi: NDArray[np.float32]
    dry: NDArray[np.float32]
    flowering: NDArray[np.float32]
    standing_water: NDArray[np.bool_]
    paddy_flooded: NDArray[np.bool_]


def _logistic(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _window(t: NDArray[np.float64], first: float, last: float, ramp: float = 1.5):
    """Smooth 0..1 indicator of ``first <= t <= last`` with ``ramp``-day edges."""
    return _logistic((t - first + 0.5) / ramp) * (1.0 - _logistic((t - last - 0.5) / ramp))


def _season_state(season: Season, t: NDArray[np.float64], cal: CropCalendar):
    """Green canopy fraction, dead cover, flowering and standing water of one season."""
    half = season.days_to_peak / 2.0
    rise = _logistic((t - season.greenup_doy - half) / (half / _LOGIT_98))
    if season.winter_ndvi is not None:
        # Autumn emergence over about a month to the dormant winter canopy.
        w = (season.winter_ndvi - cal.base_ndvi) / (season.peak_ndvi - cal.base_ndvi)
        autumn = _logistic((t - season.sowing_doy - 22.0) / (15.0 / _LOGIT_98))
        rise = w * autumn + (1.0 - w) * rise
    mature = season.harvest_doy - season.dry_down_days
    sen_half = season.senescence_days / 2.0
    decline = _logistic((t - mature + sen_half) / (sen_half / _LOGIT_98))
    green = rise * (1.0 - decline)
    after = _logistic((t - season.harvest_doy) / 1.5)
    if season.cut:
        standing_dead = np.zeros_like(t)
    else:
        standing_dead = 0.9 * _logistic((t - season.peak_doy) / 3.0) * decline
    since = np.maximum(t - season.harvest_doy, 0.0)
    stubble = cal.residue * np.exp(-since / cal.residue_days)
    dry = (1.0 - after) * standing_dead + after * stubble
    if season.flowering_doys is None:
        flowering = np.zeros_like(t)
    else:
        flowering = 0.6 * _window(t, *season.flowering_doys, ramp=3.0)
        flowering = np.where(flowering < 1e-3, 0.0, flowering)  # no flowers in the tails
    water = np.zeros_like(t) if season.flood_doys is None else _window(t, *season.flood_doys)
    return green, dry, flowering, water


def _evaluate(
    cal: CropCalendar, doy: ArrayLike, shift: ArrayLike = 0.0, vigour: ArrayLike = 1.0
) -> tuple[NDArray[np.float64], ...]:
    """NDVI, dry cover, flowering, standing water (0..1), green fraction and presence."""
    t = np.asarray(doy, dtype=np.float64) - np.asarray(shift, dtype=np.float64)
    vig = np.asarray(vigour, dtype=np.float64)
    t, vig = np.broadcast_arrays(t, vig)
    canopies = []
    zeros = np.zeros(t.shape)
    green_frac, dead, flowering, water = zeros, zeros, zeros, zeros
    present = np.full(t.shape, cal.perennial)
    for season in cal.seasons:
        top = np.minimum(cal.base_ndvi + vig * (season.peak_ndvi - cal.base_ndvi), _MAX_NDVI)
        for offset in (-_YEAR, 0.0, _YEAR):  # last year's and next year's cycles
            ts = t - offset
            green, d, f, w = _season_state(season, ts, cal)
            canopies.append((green, top))
            green_frac = np.maximum(green_frac, green)
            dead = np.maximum(dead, d)
            flowering = np.maximum(flowering, f * green)
            water = np.maximum(water, w)
            if season.crop == cal.crop:
                present = present | ((ts >= season.sowing_doy) & (ts <= season.harvest_doy))
    # Linear mixing of canopy and background NDVI; the background is puddled water while
    # a paddy stands flooded, bare soil or the dormant sward otherwise.
    background = cal.base_ndvi + water * (_FLOODED_NDVI - cal.base_ndvi)
    ndvi = background.copy()
    for green, top in canopies:
        ndvi = np.maximum(ndvi, background + green * (top - background))
    dry = np.maximum(cal.dormant_dry * (1.0 - green_frac), dead)
    return ndvi, np.clip(dry, 0.0, 1.0), flowering, water, green_frac, present


def _check_doy(doy: ArrayLike) -> NDArray[np.float64]:
    arr = np.asarray(doy, dtype=np.float64)
    if not np.all((arr >= 1.0) & (arr <= 366.0)):
        raise ValidationError("doy must be a day of year between 1 and 366")
    return arr


def ndvi_at(
    doy: ArrayLike,
    crop: str | CropCalendar,
    *,
    sowing_shift_days: ArrayLike = 0.0,
    vigour: ArrayLike = 1.0,
    region: str | None = None,
) -> NDArray[np.float64]:
    """NDVI of ``crop`` on day(s) of year ``doy``, broadcast with the per-field arguments.

    ``sowing_shift_days`` delays the whole calendar (negative: earlier); ``vigour``
    scales the canopy amplitude above the background (1 = the calendar's peak NDVI).
    ``crop`` is a name in :data:`CROPS` (calendar of ``region``, default its home region)
    or a :class:`CropCalendar`, e.g. ``LANDCOVER_CALENDARS[LandCover.FOREST]``.
    Raises ValidationError for an unknown crop or region or a DOY outside 1..366.
    """
    cal = get_calendar(crop, region)
    if not np.all(np.asarray(vigour, dtype=np.float64) > 0):
        raise ValidationError("vigour must be > 0 (1 = the calendar's peak NDVI)")
    return _evaluate(cal, _check_doy(doy), sowing_shift_days, vigour)[0]


def is_crop_present(
    doy: ArrayLike,
    crop: str | CropCalendar,
    *,
    sowing_shift_days: ArrayLike = 0.0,
    region: str | None = None,
) -> NDArray[np.bool_]:
    """Whether ``crop`` itself stands in the field (sowing to harvest; always if perennial)."""
    cal = get_calendar(crop, region)
    return _evaluate(cal, _check_doy(doy), sowing_shift_days)[5]


def parcel_vigour(parcels: pd.DataFrame) -> NDArray[np.float64]:
    """Canopy vigour of each parcel row (1 = typical).

    Taken from a ``vigour`` column, else from ``management``: a number is the vigour
    itself, a word one of ``poor`` (0.85), ``average`` (1.0) or ``good`` (1.08).
    Without either column every parcel gets 1. Raises ValidationError for other words.
    """
    if "vigour" in parcels:
        return parcels["vigour"].to_numpy(dtype=np.float64)
    if "management" not in parcels:
        return np.ones(len(parcels))
    col = parcels["management"]
    if pd.api.types.is_numeric_dtype(col):
        return col.to_numpy(dtype=np.float64)
    levels = {"poor": 0.85, "average": 1.0, "good": 1.08}
    unknown = sorted(set(col.astype(str)) - set(levels))
    if unknown:
        raise ValidationError(
            f"parcels management {unknown[0]!r} is unknown; use a number or one of: "
            + ", ".join(levels)
        )
    return col.astype(str).map(levels).to_numpy(dtype=np.float64)


def _check_planes(**planes: NDArray) -> tuple[int, int]:
    """All arrays must be 2-D of one shape; returns it."""
    shape = None
    for name, arr in planes.items():
        if np.ndim(arr) != 2:
            raise ValidationError(f"{name} must be a 2-D (H, W) array, got shape {np.shape(arr)}")
        if shape is None:
            shape, first = np.shape(arr), name
        elif np.shape(arr) != shape:
            raise ValidationError(
                f"{first} and {name} should have the same shape, got {shape} and {np.shape(arr)}"
            )
    return shape


def _parcel_tables(parcels: pd.DataFrame | None, ids: NDArray[np.int64]):
    """Sowing shift, vigour and soil brightness of each parcel id in ``ids``.

    Ids missing from the table (and parcel 0) get 0 days, vigour 1 and brightness 1.
    """
    n = len(ids)
    shift, vigour, soil = np.zeros(n), np.ones(n), np.ones(n)
    if parcels is None or len(parcels) == 0:
        return shift, vigour, soil
    if "parcel_id" not in parcels:
        raise ValidationError("parcels must have a parcel_id column")
    table_ids = parcels["parcel_id"].to_numpy(dtype=np.int64)
    pos = np.minimum(np.searchsorted(ids, table_ids), n - 1)
    keep = ids[pos] == table_ids
    pos = pos[keep]
    if "sowing_shift_days" in parcels:
        shift[pos] = parcels["sowing_shift_days"].to_numpy(dtype=np.float64)[keep]
    vigour[pos] = parcel_vigour(parcels)[keep]
    if "soil_brightness" in parcels:
        soil[pos] = parcels["soil_brightness"].to_numpy(dtype=np.float64)[keep]
    if not np.all(np.isfinite(shift)) or np.any(np.abs(shift) > 120):
        raise ValidationError("parcels sowing_shift_days must be finite and within +-120 days")
    if not np.all(vigour > 0) or not np.all(soil > 0):
        raise ValidationError("parcels vigour/management and soil_brightness must be > 0")
    return shift, vigour, soil


_DENSE_IDS = 1 << 18
"""Parcel ids up to this index lookup tables directly; sparser ids are renumbered."""


def _crop_codes(crop_type: NDArray, parcel_ids: NDArray):
    """Validated crop codes, parcel index per pixel (0..n-1) and the parcel id of each."""
    ct = np.asarray(crop_type)
    pid = np.asarray(parcel_ids)
    if not np.issubdtype(ct.dtype, np.integer) or not np.issubdtype(pid.dtype, np.integer):
        raise ValidationError("crop_type and parcel_ids must be integer arrays")
    if ct.size and (ct.min() < -1 or ct.max() >= len(CROPS)):
        raise ValidationError(f"crop_type values must be -1 (no crop) or 0..{len(CROPS) - 1}")
    if pid.size and pid.min() < 0:
        raise ValidationError("parcel_ids must be >= 0 (0 = no parcel)")
    top = int(pid.max()) + 1 if pid.size else 1
    if top <= _DENSE_IDS:
        return ct, pid, np.arange(top, dtype=np.int64)
    ids, index = np.unique(pid, return_inverse=True)
    return ct, index.reshape(pid.shape).astype(np.int32), ids.astype(np.int64)


def crop_state_maps(
    land_cover: NDArray,
    crop_type: NDArray,
    parcel_ids: NDArray,
    parcels: pd.DataFrame | None,
    doy: float,
    *,
    region: str | None = None,
) -> CropStateMaps:
    """State of every pixel on ``doy`` from its class, crop and parcel (no texture).

    land_cover ``(H, W)`` uint8 :class:`LandCover` codes; crop_type ``(H, W)`` int index
    into :data:`CROPS` (-1 none); parcel_ids ``(H, W)`` int (0 none); parcels a table
    with ``parcel_id`` and optional ``sowing_shift_days``, ``vigour``/``management``.
    The crop comes from ``crop_type``, the timing and vigour from the pixel's parcel
    (defaults for parcel 0 or ids missing from the table). Crops use the calendar of
    ``region`` where it has one, else their default calendar. Raises ValidationError.
    """
    _check_planes(land_cover=land_cover, crop_type=crop_type, parcel_ids=parcel_ids)
    _check_doy(doy)
    _check_region(region)
    lc = np.asarray(land_cover)
    if lc.size and (lc.min() < 0 or lc.max() > max(LandCover)):
        raise ValidationError(f"land_cover values must be LandCover codes 0..{max(LandCover)}")
    ct, pid, ids = _crop_codes(crop_type, parcel_ids)
    shift, vigour, _ = _parcel_tables(parcels, ids)
    n_ids = len(ids)
    n_cls = max(LandCover) + 1
    # One lookup table: crop c and parcel p at c * n_ids + p, then the land-cover classes.
    size = len(CROPS) * n_ids + n_cls
    luts = [np.full(size, np.nan, dtype=np.float32)] + [
        np.zeros(size, dtype=np.float32) for _ in range(4)
    ]
    present = np.bincount((ct.ravel() + 1).astype(np.intp), minlength=len(CROPS) + 1)[1:]
    for c in np.flatnonzero(present):
        ndvi, dry, flower, water, green, _ = _evaluate(
            _raster_calendar(CROPS[c], region), doy, shift, vigour
        )
        span = slice(c * n_ids, (c + 1) * n_ids)
        for lut, values in zip(luts, (ndvi, dry, flower, water, green), strict=True):
            lut[span] = values
    base = len(CROPS) * n_ids
    for code, cal in LANDCOVER_CALENDARS.items():
        ndvi, dry, *_ = _evaluate(cal, doy)
        luts[0][base + code], luts[1][base + code] = ndvi, dry
    is_crop = (ct >= 0) & (lc != LandCover.NODATA)
    itype = np.int32 if size < 2**31 else np.int64
    key = np.where(is_crop, ct.astype(itype) * itype(n_ids) + pid, lc.astype(itype) + itype(base))
    ndvi, dry = (np.take(lut, key) for lut in luts[:2])
    flower = _gather_if_any(luts[2], key, np.float32)
    standing = _gather_if_any(luts[3] > 0.5, key, np.bool_)
    paddy = _gather_if_any((luts[3] > 0.5) & (luts[4] < 0.5), key, np.bool_)
    return CropStateMaps(ndvi, dry, flower, standing, paddy)


def _gather_if_any(lut: NDArray, key: NDArray, dtype: type) -> NDArray:
    """``lut[key]``, skipping the gather when the table holds nothing but zeros."""
    if not np.any(lut):
        return np.zeros(key.shape, dtype=dtype)
    return np.take(lut.astype(dtype), key)


def landcover_ndvi(
    land_cover: NDArray,
    crop_type: NDArray,
    parcel_ids: NDArray,
    parcels: pd.DataFrame | None,
    doy: float,
    rng: np.random.Generator,
    *,
    region: str | None = None,
) -> NDArray[np.float32]:
    """NDVI ``(H, W)`` float32 of every pixel on ``doy``; NaN on nodata.

    Crop pixels follow their crop calendar with their parcel's sowing shift and vigour,
    other classes their :data:`LANDCOVER_CALENDARS`; a small smooth texture (drawn from
    ``rng``) varies NDVI within fields. Same arguments and seed give the same map.
    """
    state = crop_state_maps(land_cover, crop_type, parcel_ids, parcels, doy, region=region)
    return np.clip(state.ndvi + ndvi_texture(land_cover, rng), -1.0, 1.0)


def paddy_flooded(
    crop_type: NDArray,
    parcel_ids: NDArray,
    parcels: pd.DataFrame | None,
    doy: float,
    *,
    region: str | None = None,
) -> NDArray[np.bool_]:
    """``(H, W)`` bool: rice pixels whose paddy water still dominates (canopy not closed)."""
    _check_planes(crop_type=crop_type, parcel_ids=parcel_ids)
    _check_doy(doy)
    ct, pid, ids = _crop_codes(crop_type, parcel_ids)
    shift, vigour, _ = _parcel_tables(parcels, ids)
    *_, water, green, _ = _evaluate(_raster_calendar("rice", region), doy, shift, vigour)
    lut = (water > 0.5) & (green < 0.5)
    return (ct == crop_index("rice")) & lut[pid]
