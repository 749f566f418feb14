"""Field-boundary model: per-pixel boundary probability of fine and coarse parcels."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from paii_core.config import paths
from paii_core.crops.features import ndvi_curve, validate_series
from paii_core.crops.sharpness import is_sharp
from paii_core.errors import InputNotFoundError, ValidationError

__all__ = [
    "BOUNDARY_MODEL_VERSION",
    "PAIRS",
    "booster_name",
    "boundary_features",
    "boundary_probability",
    "boundary_truth",
]

BOUNDARY_MODEL_VERSION = "boundary-lgbm-4"
"""boundary-lgbm-2's boosters for degraded (Sentinel-2-like) inputs, a pair trained on
sharp renders, chosen per input by :func:`paii_core.crops.sharpness.is_sharp`, and a fine
booster for small narrow fields (chosen by :func:`paii_core.crops.field_scale.small_fields`
in :func:`paii_core.crops.parcels.delineate_parcels`)."""
PAIRS: tuple[str, ...] = ("degraded", "sharp", "small")
"""Booster sets: degraded inputs, sharp inputs, small fields (fine level only)."""


def model_dir() -> Path:
    """models/parcels/: the fine and coarse boundary boosters."""
    return paths().root / "models" / "parcels"


def booster_name(level: str, pair: str = "degraded") -> str:
    """File name of the ``level`` booster of ``pair`` (one of :data:`PAIRS`).

    Raises:
        ValidationError: unknown pair.
    """
    if pair not in PAIRS:
        raise ValidationError(f"booster pair {pair!r} is unknown; use one of: {', '.join(PAIRS)}")
    return f"boundary_{level}{'' if pair == 'degraded' else '_' + pair}_lgbm.txt"


def _sobel(plane: NDArray) -> NDArray[np.float32]:
    return np.hypot(ndimage.sobel(plane, 0), ndimage.sobel(plane, 1)).astype(np.float32)


def _noise_scaled_sobel(plane: NDArray) -> NDArray[np.float32]:
    """Sobel magnitude of ``plane`` in units of its scene median (mostly field-interior
    noise), so scenes of other brightness or noise give comparable values."""
    mag = _sobel(plane)
    return mag / max(float(np.median(mag)), 1e-6)


def _window_means(planes: NDArray, usable: list[int]) -> list[NDArray[np.float32]]:
    """``(C, H, W)`` NaN-aware means of ``planes`` (T, C, H, W) over the whole season and
    over its first, middle and last third of ``usable`` dates (gaps filled by the median;
    all dates when fewer than 3 are usable)."""
    if len(usable) < 3:
        usable = list(range(planes.shape[0]))
    thirds = np.array_split(np.asarray(usable), 3)
    out = []
    for idx in [np.asarray(usable), *thirds]:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-cloud pixels
            mean = np.nanmean(planes[idx], axis=0)
        fill = np.nanmedian(mean.reshape(mean.shape[0], -1), axis=1)
        out.append(np.where(np.isfinite(mean), mean, fill[:, None, None]).astype(np.float32))
    return out


def _denoised_edges(planes: NDArray, usable: list[int]) -> dict[str, NDArray[np.float32]]:
    """Edges of time-averaged bands: gradients of each band's season mean and of its mean
    over each third of the season, in noise units.

    Neighbouring fields of alike crops still differ by a few per cent in soil brightness,
    sowing date and vigour, a step under the noise of one date but consistent over many;
    averaging the dates before differentiating keeps the step and divides the noise by
    the square root of the dates averaged (the temporal-composite edges of Watkins & van
    Niekerk 2019, "A comparison of object-based image analysis approaches for field
    boundary delineation using multi-temporal Sentinel-2 imagery", Comput. Electron.
    Agric. 158). The thirds combine as the trace of the multi-channel structure tensor
    (Di Zenzo 1986, "A note on the gradient of a multi-image", CVGIP 33).
    """
    season, *windows = _window_means(planes, usable)
    feats = {f"mean_grad_{b}": _noise_scaled_sobel(season[i]) for i, b in enumerate("BGRN")}
    per_window = []
    for mean in windows:
        sq = sum(_noise_scaled_sobel(plane) ** 2 for plane in mean)
        per_window.append(np.sqrt(sq / len(mean)))
    stack = np.stack(per_window)
    total = np.sqrt(np.mean(stack**2, axis=0))
    feats["window_grad"] = total
    feats["window_grad_max"] = stack.max(axis=0)
    feats["window_ridge"] = total - ndimage.uniform_filter(total, 5)
    return feats


def boundary_features(
    series: NDArray, dates: Sequence[date], cropland: NDArray
) -> tuple[NDArray[np.float32], tuple[str, ...]]:
    """Per-pixel boundary evidence ``(D, H, W)`` float32 and the feature names.

    Sobel gradients of each band and NDVI averaged over the clear dates (scaled by each
    date's spread) and their maximum over dates; the distance between a pixel's NDVI
    curve and its 4 neighbours' (fields that differ in crop or sowing date part there);
    a ridge measure (edge minus its 5x5 mean); edges of time-averaged bands
    (:func:`_denoised_edges`); the cropland probability and its gradient.
    """
    arr = validate_series(series, dates)
    with np.errstate(divide="ignore", invalid="ignore"):
        ndvi = (arr[:, 3] - arr[:, 2]) / (arr[:, 3] + arr[:, 2])
    planes = np.concatenate([arr, ndvi[:, None]], axis=1)
    shape = arr.shape[2:]
    sums = np.zeros((5, *shape), np.float32)
    peak = np.zeros(shape, np.float32)
    count = np.zeros(shape, np.float32)
    usable = []
    for t in range(planes.shape[0]):
        valid = np.isfinite(planes[t]).all(axis=0)
        if valid.mean() < 0.2:
            continue
        usable.append(t)
        ok = ndimage.binary_erosion(valid, iterations=1, border_value=1)
        total = np.zeros(shape, np.float32)
        for b, plane in enumerate(planes[t]):
            fill = np.where(valid, plane, np.nanmedian(plane))
            spread = max(float(np.nanpercentile(plane, 90) - np.nanpercentile(plane, 10)), 1e-3)
            mag = _sobel(fill) / spread
            sums[b] += np.where(ok, mag, 0.0)
            total += mag
        peak = np.maximum(peak, np.where(ok, total, 0.0))
        count += ok
    means = sums / np.maximum(count, 1.0)
    edge = means.sum(axis=0)
    curve = np.nan_to_num(ndvi_curve(arr, dates), nan=0.0)
    dists = []
    for axis in (1, 2):
        for step in (1, -1):
            shifted = np.roll(curve, step, axis=axis)
            dists.append(np.sqrt(np.mean((curve - shifted) ** 2, axis=0)))
    dist = np.stack(dists)
    crop = np.nan_to_num(np.asarray(cropland, np.float32), nan=0.0)
    smooth = ndimage.gaussian_filter(edge, 1.0)
    feats = {
        **{f"grad_{b}": means[i] for i, b in enumerate(("B", "G", "R", "N", "ndvi"))},
        "grad_max": peak,
        "edge_smooth": smooth,
        "ridge": edge - ndimage.uniform_filter(edge, 5),
        "ridge_smooth": smooth - ndimage.uniform_filter(smooth, 7),
        "curve_dist_max": dist.max(axis=0),
        "curve_dist_mean": dist.mean(axis=0),
        "curve_dist_row": np.maximum(dists[0], dists[1]),
        "curve_dist_col": np.maximum(dists[2], dists[3]),
        **_denoised_edges(arr, usable),
        "cropland": crop,
        "cropland_min3": ndimage.minimum_filter(crop, 3),
        "cropland_grad": _sobel(crop),
        "mean_ndvi": curve.mean(axis=0),
    }
    return np.stack(list(feats.values())).astype(np.float32), tuple(feats)


def boundary_truth(labels: NDArray) -> NDArray[np.bool_]:
    """(H, W) bool: pixels of a parcel whose right or lower neighbour is another label."""
    lab = np.asarray(labels)
    out = np.zeros(lab.shape, bool)
    out[:, :-1] |= lab[:, :-1] != lab[:, 1:]
    out[:-1, :] |= lab[:-1, :] != lab[1:, :]
    return out & (lab > 0)


@lru_cache(maxsize=4)
def _booster(path: str, mtime: float):
    import lightgbm as lgb

    return lgb.Booster(model_file=path)


def boundary_probability(
    series: NDArray,
    dates: Sequence[date],
    cropland: NDArray,
    *,
    level: str = "fine",
    pair: str | None = None,
) -> NDArray[np.float32]:
    """(H, W) float32 probability that a pixel lies on a ``level`` parcel boundary.

    ``pair`` picks the boosters (one of :data:`PAIRS`); by default an input with sharper
    field edges than the degraded training renders
    (:func:`paii_core.crops.sharpness.is_sharp`) is read by the boosters trained on sharp
    renders, any other by the degraded-input pair. Raises InputNotFoundError (naming
    `paii crops train`) when the model is missing, ValidationError for an unknown pair.
    """
    arr = validate_series(series, dates)
    if pair is None:
        pair = "sharp" if is_sharp(arr) else "degraded"
    path = model_dir() / booster_name(level, pair)
    if not path.is_file():
        raise InputNotFoundError(
            f"parcel boundary model {path} is missing; run `paii crops train` to train it"
        )
    feats, names = boundary_features(arr, dates, cropland)
    booster = _booster(str(path), path.stat().st_mtime)
    wanted = booster.feature_name()
    missing = sorted(set(wanted) - set(names))
    if missing:
        raise InputNotFoundError(
            f"parcel boundary model {path} needs features {missing} that this PAII does "
            f"not compute; retrain it with `paii crops train boundary`"
        )
    index = [names.index(n) for n in wanted]
    flat = feats[index].reshape(len(index), -1).T
    return booster.predict(flat).astype(np.float32).reshape(feats.shape[1:])
