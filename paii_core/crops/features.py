"""Multi-date features of a BGRN season: the NDVI curve, phenology metrics, band statistics."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from paii_core.errors import ValidationError
from paii_core.text import count

__all__ = [
    "DOY_GRID",
    "SEASON_MIN_DATES",
    "PixelFeatures",
    "area_gap",
    "day_of_year",
    "fill_gaps",
    "ndvi_curve",
    "pixel_features",
    "sar_only_note",
    "season_gap",
    "validate_series",
]

DOY_GRID: NDArray[np.float32] = np.arange(65, 290, 16, dtype=np.float32)
"""Days of year the NDVI curve is resampled onto (5 March .. mid-October every 16 days),
so scenes with other capture dates give comparable features."""

SEASON_MIN_DATES = 4
"""Optical dates a season curve needs (cropland, parcels and crop recognition read one);
an area with fewer is still an area: the Imagery page works on a single date."""


def season_gap(aoi_id: str, region_id: str, n_dates: int) -> str | None:
    """Why the crop maps of area ``aoi_id`` (``n_dates`` Sentinel-2 dates) cannot be made,
    and what to add; None when it has a season. Said alike by ``paii area add``, ``paii
    crops map``, the Crop labels and Insurance pages."""
    missing = SEASON_MIN_DATES - n_dates
    if missing <= 0:
        return None
    return (
        f"area {aoi_id} has {count(n_dates, 'Sentinel-2 date')}; cropland, parcels and crop "
        f"maps need at least {SEASON_MIN_DATES} over one season (they read the season's NDVI "
        f"curve). Add {count(missing, 'more Sentinel-2 date')} of the same season: `paii area "
        f"add {aoi_id} --region {region_id} --s2 ITEM... --replace` with its items and the new "
        'ones, or the Data page\'s "Add an area" with the same id and Replace ticked. '
        "Imagery (dehaze, super-resolution) works on it as it is"
    )


def area_gap(aoi_id: str, region_id: str, n_dates: int, sensors: Sequence[str]) -> str | None:
    """What an area with ``sensors`` (e.g. ("S1", "S2")) and ``n_dates`` Sentinel-2 dates
    lacks for crop maps: :func:`sar_only_note` for a Sentinel-1 area, else
    :func:`season_gap`."""
    if "S1" in sensors and "S2" not in sensors:
        return sar_only_note(aoi_id)
    return season_gap(aoi_id, region_id, n_dates)


def sar_only_note(aoi_id: str) -> str:
    """What an area made from Sentinel-1 alone is for, and what Sentinel-2 would add (said
    in place of :func:`season_gap` for such an area)."""
    return (
        f"area {aoi_id} has Sentinel-1 only: it maps floods (Flood page, `paii flood`); "
        "imagery, cropland, parcels and crop maps need Sentinel-2 dates of the same ground: "
        f"`paii area add {aoi_id} --replace --s2 ITEM... --s1 ITEM...`, or the Data page's "
        '"Add an area" with the same id, its Sentinel-1 files too, and Replace ticked'
    )


@dataclass(frozen=True, eq=False)
class PixelFeatures:
    """Per-pixel features of a season."""

    values: NDArray[np.float32]
    """(D, H, W) float32; NaN where a pixel had no clear observation at all."""
    names: tuple[str, ...]
    curve: NDArray[np.float32]
    """(G, H, W) float32 smoothed NDVI on :data:`DOY_GRID`."""


def validate_series(
    series: NDArray, dates: Sequence[date], *, extra_bands: bool = False
) -> NDArray[np.float32]:
    """Check a ``(T, 4, H, W)`` BGRN series against its ``dates``; return it as float32.

    With ``extra_bands`` the series may carry further bands after B, G, R, N
    (``(T, 4 + E, H, W)``: red edge, SWIR...), as crop recognition uses every band.

    Raises:
        ValidationError: wrong rank or band count, dates that do not match T, dates out
            of order or spanning more than a year, or fewer than 4 dates (a curve needs
            them).
    """
    arr = np.asarray(series, dtype=np.float32)
    if arr.ndim != 4 or arr.shape[1] < 4 or (arr.shape[1] != 4 and not extra_bands):
        want = (
            "(T, 4 + E, H, W): B, G, R, N then any other bands"
            if extra_bands
            else ("(T, 4, H, W) BGRN reflectance")
        )
        raise ValidationError(f"series should be {want}, got shape {arr.shape}")
    if len(dates) != arr.shape[0]:
        raise ValidationError(
            f"dates has {len(dates)} entries but series has {arr.shape[0]} dates; give one "
            "date per image"
        )
    if arr.shape[0] < SEASON_MIN_DATES:
        raise ValidationError(
            f"series needs at least {SEASON_MIN_DATES} dates for a season curve, got "
            f"{arr.shape[0]}: add {count(SEASON_MIN_DATES - arr.shape[0], 'more optical date')} "
            "of the same season"
        )
    doy = day_of_year(dates)
    if np.any(np.diff(doy) <= 0):
        raise ValidationError("dates must be strictly increasing within one season")
    if doy[-1] - doy[0] > 366:
        raise ValidationError(
            f"dates span {int(doy[-1] - doy[0])} days from {dates[0]} to {dates[-1]}; give "
            "one season of at most a year"
        )
    return arr


def day_of_year(dates: Sequence[date]) -> NDArray[np.float32]:
    """(T,) float32 day of each date in the season's main year (the year most dates fall
    in; the later one on a tie): plain day of year for a season inside one calendar year,
    negative for the autumn before (a winter crop sown in October) and above 365 for the
    months after, so a season that crosses New Year stays in order."""
    years = [d.year for d in dates]
    main = max(set(years), key=lambda y: (years.count(y), y)) if years else 2000
    start = date(main, 1, 1).toordinal()
    return np.array([d.toordinal() - start + 1 for d in dates], dtype=np.float32)


def fill_gaps(values: NDArray[np.float32], t: NDArray[np.float32]) -> NDArray[np.float32]:
    """Linear interpolation over time of NaN gaps in ``(T, N)``; ends take the nearest value."""
    n_t, n = values.shape
    valid = np.isfinite(values)
    idx = np.where(valid, np.arange(n_t)[:, None], -1)
    prev = np.maximum.accumulate(idx, axis=0)
    idx_next = np.where(valid, np.arange(n_t)[:, None], n_t)
    nxt = np.minimum.accumulate(idx_next[::-1], axis=0)[::-1]
    cols = np.arange(n)[None, :]
    has_prev, has_next = prev >= 0, nxt < n_t
    p, q = np.clip(prev, 0, n_t - 1), np.clip(nxt, 0, n_t - 1)
    vp, vq = values[p, cols], values[q, cols]
    tp, tq = t[p], t[q]
    w = np.where(tq > tp, (t[:, None] - tp) / np.maximum(tq - tp, 1e-6), 0.0)
    both = vp + w * (vq - vp)
    out = np.where(has_prev & has_next, both, np.where(has_prev, vp, vq))
    return np.where(valid, values, out).astype(np.float32)


def _upper_envelope(curve: NDArray[np.float32], iterations: int = 3) -> NDArray[np.float32]:
    """Smooth a ``(T, N)`` NDVI curve toward its upper envelope.

    Haze, thin cloud and shadow depress NDVI, so, as in the iterative Savitzky-Golay
    filter of Chen et al. (2004, "A simple method for reconstructing a high-quality NDVI
    time-series data set based on the Savitzky-Golay filter", RSE 91), values below the
    smoothed curve are replaced by it and the smoothing repeated; here the smoother is a
    (1, 2, 1) / 4 kernel with the ends kept.
    """
    raw = curve.copy()
    smooth = raw
    for _ in range(iterations):
        padded = np.concatenate([smooth[:1], smooth, smooth[-1:]])
        smooth = 0.25 * padded[:-2] + 0.5 * padded[1:-1] + 0.25 * padded[2:]
        raw = np.maximum(raw, smooth)
        smooth = np.where(raw > smooth, 0.5 * (raw + smooth), smooth)
    return smooth.astype(np.float32)


def _resample(curve: NDArray[np.float32], t: NDArray[np.float32]) -> NDArray[np.float32]:
    """(T, N) on days ``t`` -> (G, N) on :data:`DOY_GRID` by linear interpolation."""
    i = np.clip(np.searchsorted(t, DOY_GRID) - 1, 0, len(t) - 2)
    w = np.clip((DOY_GRID - t[i]) / (t[i + 1] - t[i]), 0.0, 1.0)[:, None]
    return ((1 - w) * curve[i] + w * curve[i + 1]).astype(np.float32)


def ndvi_curve(series: NDArray, dates: Sequence[date]) -> NDArray[np.float32]:
    """Smoothed, gap-filled NDVI ``(G, H, W)`` on :data:`DOY_GRID` of a ``(T, 4, H, W)`` series.

    NaN observations (clouds) are bridged by linear interpolation in time; pixels with
    no clear date at all stay NaN.
    """
    arr = validate_series(series, dates)
    t = day_of_year(dates)
    _, _, h, w = arr.shape
    with np.errstate(divide="ignore", invalid="ignore"):
        ndvi = (arr[:, 3] - arr[:, 2]) / (arr[:, 3] + arr[:, 2])
    flat = ndvi.reshape(len(t), -1).astype(np.float32)
    empty = ~np.isfinite(flat).any(axis=0)
    filled = fill_gaps(flat, t)
    curve = _resample(_upper_envelope(filled), t)
    curve[:, empty] = np.nan
    return curve.reshape(len(DOY_GRID), h, w)


def _crossing(curve: NDArray, level: NDArray, rising: bool) -> NDArray[np.float32]:
    """Day of year where each column of ``(G, N)`` first crosses ``level`` upward
    (``rising``) or last crosses it downward, linearly interpolated."""
    above = curve >= level[None]
    g = len(DOY_GRID)
    if rising:
        k = np.argmax(above, axis=0)
    else:
        k = g - 1 - np.argmax(above[::-1], axis=0)
    cols = np.arange(curve.shape[1])
    j = np.clip(k - 1 if rising else k + 1, 0, g - 1)
    a, b = curve[j, cols], curve[k, cols]
    frac = np.clip((level - a) / np.where(b != a, b - a, 1.0), 0.0, 1.0)
    return (DOY_GRID[j] + frac * (DOY_GRID[k] - DOY_GRID[j])).astype(np.float32)


def pixel_features(series: NDArray, dates: Sequence[date]) -> PixelFeatures:
    """Per-pixel season features of a ``(T, 4, H, W)`` BGRN series with NaN for clouds.

    The smoothed NDVI curve on :data:`DOY_GRID`; phenology metrics from it as in TIMESAT
    (Jonsson & Eklundh 2004, "TIMESAT - a program for analyzing time-series of satellite
    sensor data", Comput. Geosci. 30): green-up and senescence as the days the curve
    crosses half its amplitude on the way up and down, peak value and day, amplitude,
    season length and mean; temporal statistics of the clear observations: median of
    each band, median and minimum NDWI (McFeeters 1996) for water, NDVI spread.
    """
    arr = validate_series(series, dates)
    _, _, h, w = arr.shape
    curve = ndvi_curve(arr, dates).reshape(len(DOY_GRID), -1)
    filled = np.nan_to_num(curve, nan=0.0)
    peak_k = np.argmax(filled, axis=0)
    cols = np.arange(filled.shape[1])
    peak = filled[peak_k, cols]
    base = np.min(filled, axis=0)
    level = base + 0.5 * (peak - base)
    greenup = _crossing(filled, level, rising=True)
    senescence = _crossing(filled, level, rising=False)
    flat = arr.reshape(arr.shape[0], 4, -1)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-cloud pixels stay NaN
        bands = np.nanmedian(flat, axis=0)
        ndwi = (flat[:, 1] - flat[:, 3]) / (flat[:, 1] + flat[:, 3])
        ndwi_med, ndwi_max = np.nanmedian(ndwi, axis=0), np.nanmax(ndwi, axis=0)
        ndvi_std = np.nanstd(curve, axis=0)
    metrics = {
        "peak_ndvi": peak,
        "peak_doy": DOY_GRID[peak_k],
        "min_ndvi": base,
        "amplitude": peak - base,
        "greenup_doy": greenup,
        "senescence_doy": senescence,
        "season_days": senescence - greenup,
        "mean_ndvi": filled.mean(axis=0),
        "ndvi_std": ndvi_std,
        "ndwi_median": ndwi_med,
        "ndwi_max": ndwi_max,
        **{f"median_{b}": bands[i] for i, b in enumerate("BGRN")},
    }
    names = tuple(f"ndvi_{int(d)}" for d in DOY_GRID) + tuple(metrics)
    values = np.concatenate([curve, np.stack(list(metrics.values()))]).astype(np.float32)
    empty = ~np.isfinite(curve).any(axis=0)
    values[:, empty] = np.nan
    return PixelFeatures(
        values=values.reshape(len(names), h, w),
        names=names,
        curve=curve.reshape(len(DOY_GRID), h, w),
    )
