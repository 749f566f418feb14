"""Field-boundary model: per-pixel boundary probability of fine and coarse parcels."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from paii_core.config import paths
from paii_core.crops.features import ndvi_curve, validate_series
from paii_core.errors import InputNotFoundError

__all__ = ["BOUNDARY_MODEL_VERSION", "boundary_features", "boundary_probability", "boundary_truth"]

BOUNDARY_MODEL_VERSION = "boundary-lgbm-1"


def model_dir() -> Path:
    """models/parcels/: the fine and coarse boundary boosters."""
    return paths().root / "models" / "parcels"


def _sobel(plane: NDArray) -> NDArray[np.float32]:
    return np.hypot(ndimage.sobel(plane, 0), ndimage.sobel(plane, 1)).astype(np.float32)


def boundary_features(
    series: NDArray, dates: Sequence[date], cropland: NDArray
) -> tuple[NDArray[np.float32], tuple[str, ...]]:
    """Per-pixel boundary evidence ``(D, H, W)`` float32 and the feature names.

    Sobel gradients of each band and NDVI averaged over the clear dates (scaled by each
    date's spread) and their maximum over dates; the distance between a pixel's NDVI
    curve and its 4 neighbours' (fields that differ in crop or sowing date part there);
    a ridge measure (edge minus its 5x5 mean); the cropland probability and its gradient.
    """
    arr = validate_series(series, dates)
    with np.errstate(divide="ignore", invalid="ignore"):
        ndvi = (arr[:, 3] - arr[:, 2]) / (arr[:, 3] + arr[:, 2])
    planes = np.concatenate([arr, ndvi[:, None]], axis=1)
    shape = arr.shape[2:]
    sums = np.zeros((5, *shape), np.float32)
    peak = np.zeros(shape, np.float32)
    count = np.zeros(shape, np.float32)
    for t in range(planes.shape[0]):
        valid = np.isfinite(planes[t]).all(axis=0)
        if valid.mean() < 0.2:
            continue
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
    series: NDArray, dates: Sequence[date], cropland: NDArray, *, level: str = "fine"
) -> NDArray[np.float32]:
    """(H, W) float32 probability that a pixel lies on a ``level`` parcel boundary.

    Raises InputNotFoundError (naming `paii crops train`) when the model is missing.
    """
    path = model_dir() / f"boundary_{level}_lgbm.txt"
    if not path.is_file():
        raise InputNotFoundError(
            f"parcel boundary model {path} is missing; run `paii crops train` to train it"
        )
    feats, _ = boundary_features(series, dates, cropland)
    flat = feats.reshape(feats.shape[0], -1).T
    booster = _booster(str(path), path.stat().st_mtime)
    return booster.predict(flat).astype(np.float32).reshape(feats.shape[1:])
