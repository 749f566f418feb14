"""Cropland probability from a season of BGRN images: gradient boosting on the seasonal curve."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from paii_core.config import paths
from paii_core.crops.features import pixel_features, validate_series
from paii_core.errors import InputNotFoundError

__all__ = [
    "CROPLAND_MODEL_VERSION",
    "cropland_features",
    "cropland_probability",
    "model_path",
]

CROPLAND_MODEL_VERSION = "cropland-lgbm-1"
TILE = 256
HALO = 8
_CONTEXT = ("peak_ndvi", "mean_ndvi", "amplitude", "min_ndvi", "ndwi_median", "median_N")
Progress = Callable[[float, str], None]


def model_path() -> Path:
    """Where the trained cropland booster lives: models/cropland/cropland_lgbm.txt."""
    return paths().root / "models" / "cropland" / "cropland_lgbm.txt"


def cropland_features(series: NDArray, dates: Sequence[date]) -> tuple[NDArray, tuple[str, ...]]:
    """Pixel features plus their 5x5 neighbourhood means and spreads, ``(D, H, W)`` float32.

    Neighbourhood statistics help the mixed pixels at field edges and tell the even
    canopy of a field from the patchy one of grass and woodland.
    """
    feats = pixel_features(series, dates)
    values, names = feats.values, list(feats.names)
    extra = []
    for name in _CONTEXT:
        plane = np.nan_to_num(values[names.index(name)], nan=0.0)
        mean = ndimage.uniform_filter(plane, 5, mode="reflect")
        sq = ndimage.uniform_filter(plane * plane, 5, mode="reflect")
        extra += [mean, np.sqrt(np.maximum(sq - mean * mean, 0.0))]
        names += [f"{name}_mean5", f"{name}_std5"]
    return np.concatenate([values, np.stack(extra)]).astype(np.float32), tuple(names)


@lru_cache(maxsize=2)
def _booster(path: str, mtime: float):
    import lightgbm as lgb

    return lgb.Booster(model_file=path)


def load_booster(path: Path | None = None):
    """The trained LightGBM booster; raises InputNotFoundError naming the train command."""
    p = Path(path) if path is not None else model_path()
    if not p.is_file():
        raise InputNotFoundError(
            f"cropland model {p} is missing; run `paii crops train` to train it (a few minutes)"
        )
    return _booster(str(p), p.stat().st_mtime)


def cropland_probability(
    series: NDArray,
    dates: Sequence[date],
    *,
    model: Path | None = None,
    progress: Progress | None = None,
) -> NDArray[np.float32]:
    """Probability ``(H, W)`` float32 in 0..1 that each pixel is cropland.

    Cropland (annual crops and hay) against forest, grass, water, villages and roads:
    on one date a field and a wood can look alike, over a season their NDVI curves do
    not. A LightGBM model (Ke et al. 2017) over :func:`cropland_features`, run in
    ``256``-pixel tiles with an 8-pixel halo so the neighbourhood features see across
    tile edges. Pixels clouded on every date are NaN.

    Args:
        series: (T, 4, H, W) BGRN reflectance, NaN for clouds.
        dates: the T capture dates, increasing.
        model: a booster file (default models/cropland/cropland_lgbm.txt).
        progress: called with (fraction, message) after each tile.

    Raises:
        ValidationError: bad series or dates. InputNotFoundError: no trained model.
    """
    arr = validate_series(series, dates)
    booster = load_booster(model)
    _, _, h, w = arr.shape
    out = np.full((h, w), np.nan, dtype=np.float32)
    starts = [(r, c) for r in range(0, h, TILE) for c in range(0, w, TILE)]
    for i, (r, c) in enumerate(starts):
        r0, c0 = max(r - HALO, 0), max(c - HALO, 0)
        r1, c1 = min(r + TILE + HALO, h), min(c + TILE + HALO, w)
        feats, _ = cropland_features(arr[:, :, r0:r1, c0:c1], dates)
        flat = feats.reshape(feats.shape[0], -1).T
        prob = booster.predict(flat).astype(np.float32).reshape(r1 - r0, c1 - c0)
        rr, cc = min(r + TILE, h), min(c + TILE, w)
        out[r:rr, c:cc] = prob[r - r0 : rr - r0, c - c0 : cc - c0]
        if progress:
            progress((i + 1) / len(starts), f"cropland tile {i + 1}/{len(starts)}")
    empty = ~np.isfinite(arr[:, 3]).any(axis=0)
    out[empty] = np.nan
    return out
