"""Mean season features of each parcel (or recognition unit) and their label-spreading space."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from paii_core.crops.features import day_of_year, fill_gaps, pixel_features
from paii_core.errors import ValidationError

__all__ = [
    "SIMILARITY_GROUPS",
    "UnitFeatures",
    "parcel_features",
    "season_evidence",
    "similarity_space",
]

SIMILARITY_GROUPS = ("curve", "phenology", "bands", "sar", "sar_rise")
"""Kinds of unit feature that tell crops apart and so enter the label-spreading distance.
Terrain (slope, aspect) describes the site, not the crop: it differs at random between
neighbouring fields of one crop, so it only enters the calendar prior (steep ground)."""


@dataclass(frozen=True, eq=False)
class UnitFeatures:
    """Mean features of each parcel (or recognition unit) 1..N."""

    values: NDArray[np.float32]
    """(N, D) float32 features."""
    groups: tuple[str, ...]
    """(D,) the kind of evidence of each column: curve, phenology, bands, sar, sar_rise,
    terrain."""
    curves: NDArray[np.float32]
    """(N, G) float32 mean NDVI curves on :data:`DOY_GRID`."""
    slope: NDArray[np.float32]
    """(N,) float32 mean slope in degrees (NaN without a DEM)."""


def _kind(name: str) -> str:
    """The kind of evidence of a :func:`pixel_features` column."""
    if name.startswith("ndvi_"):
        return "curve"
    return "bands" if name.startswith("median_") else "phenology"


def parcel_features(
    series: NDArray,
    dates: Sequence[date],
    parcels: NDArray,
    *,
    sar: NDArray | None = None,
    dem: NDArray | None = None,
) -> UnitFeatures:
    """Mean features of each parcel 1..N of ``parcels`` (H, W) int.

    Features: the NDVI curve, phenology metrics and band medians (:func:`pixel_features`);
    with ``sar`` ((T, 2, H, W) or (2, H, W) VV, VH dB) the minimum, mean and spread of VV
    and VH over time (paddies under water are dark early in the season) and, with 3 or
    more dates, the seasonal rise of the parcel's mean VV and VH
    (:func:`_backscatter_rise`); with ``dem`` the slope and aspect (as cos, sin) from its
    gradient at 10 m.

    Raises:
        ValidationError: ``sar`` or ``dem`` not on the image grid.
    """
    feats = pixel_features(series, dates)
    n = int(parcels.max())
    index = np.arange(1, n + 1)
    planes = [np.nan_to_num(p, nan=0.0) for p in feats.values]
    groups = [_kind(name) for name in feats.names]
    s = None
    if sar is not None:
        s = np.asarray(sar, np.float32)
        s = s[None] if s.ndim == 3 else s
        if s.ndim != 4 or s.shape[1] != 2 or s.shape[2:] != parcels.shape:
            raise ValidationError(
                f"sar should be (T, 2, H, W) or (2, H, W) VV, VH dB on the image grid "
                f"{parcels.shape}, got {np.shape(sar)}"
            )
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # pixels radar never saw
            for b in range(2):
                stats = (np.nanmin(s[:, b], 0), np.nanmean(s[:, b], 0), np.nanstd(s[:, b], 0))
                planes += [np.where(np.isfinite(v), v, np.nanmean(v)) for v in stats]
        groups += ["sar"] * 6
    slope = np.full(n, np.nan, np.float32)
    if dem is not None:
        d = np.asarray(dem, np.float32)
        if d.shape != parcels.shape:
            raise ValidationError(f"dem should be (H, W) {parcels.shape}, got {d.shape}")
        gy, gx = np.gradient(np.nan_to_num(d, nan=float(np.nanmean(d))), 10.0)
        slope_px = np.degrees(np.arctan(np.hypot(gx, gy)))
        aspect = np.arctan2(-gx, gy)
        slope = np.asarray(ndimage.mean(slope_px, parcels, index), np.float32)
        planes += [slope_px, np.cos(aspect), np.sin(aspect)]
        groups += ["terrain"] * 3
    columns = [ndimage.mean(p, parcels, index) for p in planes]
    if s is not None and s.shape[0] >= 3:
        columns += [_backscatter_rise(s[:, b], parcels, index) for b in range(2)]
        groups += ["sar_rise"] * 2
    curves = np.stack([ndimage.mean(np.nan_to_num(c), parcels, index) for c in feats.curve], 1)
    return UnitFeatures(
        np.stack(columns, axis=1).astype(np.float32),
        tuple(groups),
        curves.astype(np.float32),
        slope,
    )


def _backscatter_rise(band: NDArray, parcels: NDArray, index: NDArray) -> NDArray:
    """(N,) seasonal rise of each parcel's mean backscatter ``band`` (T, H, W) dB: the
    mean of its top third of dates minus its bottom third.

    Averaging over the parcel first removes the speckle that hides it per pixel. The
    rise from bare soil to full canopy follows the canopy's structure (the water cloud
    model, Attema & Ulaby 1978, "Vegetation modeled as a water cloud", Radio Sci. 13):
    VV grows more over tall stalky maize than over soybean or hay (Veloso et al. 2017,
    RSE 199), so it parts crops whose NDVI curves coincide. Needs no radar dates.
    """
    means = []
    for plane in band:
        fill = float(np.nanmean(plane)) if np.isfinite(plane).any() else 0.0
        means.append(ndimage.mean(np.where(np.isfinite(plane), plane, fill), parcels, index))
    ordered = np.sort(np.stack(means), axis=0)
    k = max(1, len(ordered) // 3)
    return ordered[-k:].mean(axis=0) - ordered[:k].mean(axis=0)


def similarity_space(values: NDArray, groups: Sequence[str]) -> NDArray[np.float32]:
    """The label-spreading space of unit features ``values`` (N, D): each column of a
    :data:`SIMILARITY_GROUPS` kind standardised, then scaled by 1/sqrt(columns of its
    kind), so each kind of evidence weighs the same in the kNN distance however many
    columns describe it (the 15 points of one NDVI curve would otherwise outvote the two
    radar-rise columns that tell corn from a soybean field sown early). Returns (N, D')
    float32."""
    kinds = np.asarray(groups)
    keep = np.isin(kinds, SIMILARITY_GROUPS)
    x = values[:, keep]
    x = (x - x.mean(axis=0)) / np.maximum(x.std(axis=0), 1e-6)
    names, count = np.unique(kinds[keep], return_counts=True)
    size = dict(zip(names.tolist(), count.tolist(), strict=True))
    weight = np.array([1.0 / np.sqrt(size[g]) for g in kinds[keep]])
    return (x * weight).astype(np.float32)


def _unit_means(planes: NDArray, units: NDArray, n: int) -> NDArray[np.float32]:
    """``(T, n)`` mean of the finite pixels of each unit 1..n in each plane of ``planes``
    (T, H, W); NaN where a unit has no finite pixel that date (under cloud)."""
    lab = units.ravel()
    inside = lab > 0
    out = np.full((len(planes), n), np.nan, np.float32)
    for i, plane in enumerate(planes):
        v = plane.ravel()
        ok = inside & np.isfinite(v)
        count = np.bincount(lab[ok], minlength=n + 1)[1:]
        total = np.bincount(lab[ok], weights=v[ok], minlength=n + 1)[1:]
        out[i] = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return out


def _fill_mean(values: NDArray) -> NDArray[np.float32]:
    """``(T, n)`` with each NaN replaced by its date's mean over the units (the overall
    mean for a date nobody saw, 0 for nothing at all)."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        overall = float(np.nanmean(values)) if np.isfinite(values).any() else 0.0
        per_date = np.nan_to_num(np.nanmean(values, axis=1), nan=overall)
    return np.where(np.isfinite(values), values, per_date[:, None]).astype(np.float32)


def _on_grid(values: NDArray, t: NDArray, grid: NDArray) -> NDArray[np.float32]:
    """``(T, n)`` unit series on days ``t`` -> ``(G, n)`` on days ``grid``: cloud gaps
    bridged linearly in time, then linear interpolation; a unit never seen stays 0."""
    filled = np.nan_to_num(fill_gaps(values.astype(np.float32), t), nan=0.0)
    i = np.clip(np.searchsorted(t, grid) - 1, 0, len(t) - 2)
    w = np.clip((grid - t[i]) / (t[i + 1] - t[i]), 0.0, 1.0)[:, None]
    return ((1 - w) * filled[i] + w * filled[i + 1]).astype(np.float32)


def season_evidence(
    series: NDArray,
    dates: Sequence[date],
    units: NDArray,
    *,
    sar: NDArray | None = None,
    step_days: float = 15.0,
) -> NDArray[np.float32]:
    """``(N, D)`` float32 what each unit 1..N of ``units`` looked like over the season,
    for a classifier of any crops: every band of ``series`` ((T, C, H, W), B, G, R, N
    first, NaN for clouds) and NDVI and NDWI, each averaged over the unit's clear pixels
    per date, cloud gaps bridged in time and resampled to every ``step_days`` over the
    series' own span (so the features follow the area's season, whatever its calendar);
    with ``sar`` ((S, 2, H, W) or (2, H, W) VV, VH dB) the unit's mean VV and VH per
    radar date. Nothing here knows a crop: the labels decide what matters.
    """
    arr = np.asarray(series, np.float32)
    n = int(units.max())
    t = day_of_year(dates)
    grid = np.arange(t[0], t[-1] + 0.5, step_days, dtype=np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        ndvi = (arr[:, 3] - arr[:, 2]) / (arr[:, 3] + arr[:, 2])
        ndwi = (arr[:, 1] - arr[:, 3]) / (arr[:, 1] + arr[:, 3])
    planes = [arr[:, b] for b in range(arr.shape[1])] + [ndvi, ndwi]
    blocks = [_on_grid(_unit_means(p, units, n), t, grid).T for p in planes]
    if sar is not None:
        s = np.asarray(sar, np.float32)
        s = s[None] if s.ndim == 3 else s
        for b in range(2):
            means = _unit_means(s[:, b], units, n)
            blocks.append(_fill_mean(means).T)
    return np.concatenate(blocks, axis=1).astype(np.float32)
