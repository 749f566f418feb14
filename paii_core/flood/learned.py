"""Learned open-water model for Sentinel-1: per-pixel LightGBM on backscatter and context.

The rules of :mod:`paii_core.flood.mapping` (split-based threshold, region growing) decide
water from one scene-wide threshold. Real floods mix calm water, wind-roughened water,
flooded vegetation and wet soil, which one threshold cannot separate. This model sees,
for each pixel near dark water (:data:`GATE_DB`): despeckled VV, VH and their difference,
the water feature (VV/VH mean, single-look and despeckled), local means at three scales
against the scene's threshold, local spreads, minima and maxima (texture), and the rules'
own water and its local share. No scene-wide constant is a feature: with a few training
chips the trees would learn each chip's water share from it. Monotone constraints keep
darker pixels at least as likely water. It is trained by ``bench/flood/train_water.py``
on hand-labelled Sentinel-1 chips that are not the benchmark's and on simulated scenes,
with random calibration offsets, extra speckle and 20 m pixels; scenes without VH use a
VV-only variant trained on the same scenes with VH removed.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from paii_core.config import paths
from paii_core.errors import InputNotFoundError
from paii_core.flood import water

__all__ = [
    "FEATURES",
    "FEATURES_VV",
    "MODEL_NAME",
    "VV_MODEL_NAME",
    "load_water_model",
    "model_path",
    "water_features",
    "water_probability",
]

MODEL_NAME = "water_lgbm.txt"
VV_MODEL_NAME = "water_vv_lgbm.txt"
"""The VV-only variant (scenes without VH), trained on the same scenes with VH removed."""
SCALES_PX = (9, 25, 51)
"""Sides of the local windows (90 m, 250 m, 510 m at 10 m): within the mapper's 64 px halo."""
GATE_DB = 3.0
"""Only pixels within 4 px of one whose despeckled water feature is below the scene's
threshold + this many dB are classified; all others are land (most of a scene's pixels:
this bounds a full scene's cost, and training sees only such pixels too)."""
FEATURES = (
    "vv", "vh", "vv_minus_vh", "mix", "mix_raw",
    *(f"mean{s}_minus_t" for s in SCALES_PX),
    *(f"std{s}" for s in SCALES_PX[:2]),
    "min9_minus_t", "max9_minus_t", "rules_wet", "rules_share25",
)  # fmt: skip
"""Feature names, in the order of :func:`water_features` (and of the model's columns).
No scene-wide constant is a feature: with a few training chips the trees would learn each
chip's water share from it (leave-one-chip-out chose this set over ones with the scene's
class means and per-tile Otsu thresholds)."""
FEATURES_VV = tuple(f for f in FEATURES if f not in ("vh", "vv_minus_vh"))
"""Features of the VV-only model (``mix`` is then VV itself)."""
EXTRA_FEATURES = (
    "vv_minus_t", "vh_minus_t", "mean101_minus_t", "std51",
    "local_otsu_minus_t", "mix_minus_local_otsu", "local_ashman", "local_share",
    "cv9_vv", "cv9_vh", "ratio31",
)  # fmt: skip
"""Candidate features computed on request (leave-one-chip-out chooses among them,
bench/flood/select_water.py): the bands against the scene threshold, a 1 km mean and a
510 m spread, and the Otsu split of the 96 x 96 px neighbourhood (:data:`LOCAL_TILE_PX`
tiles, 3 x 3): its threshold against the scene's, the pixel against it, its Ashman D
(bimodality) and its dark-class share; texture (flood14): each band's 9 px local coefficient
of variation of power (speckle over flat ground, more over texture) and VV - VH over 310 m."""
LOCAL_TILE_PX = 32
"""Tile of the local Otsu split; 3 x 3 tiles (96 px) stay within the mapper's 64 px halo."""
DARKER_IS_WETTER = frozenset({
    "vv", "vh", "mix", "mix_raw", "mean9_minus_t", "mean25_minus_t", "min9_minus_t",
    "vv_minus_t", "vh_minus_t", "mix_minus_local_otsu",
})  # fmt: skip
"""Features the model's water probability may only fall with (monotone constraints)."""


def model_path(*, vv_only: bool = False, folder: Path | None = None) -> Path:
    """The model file in ``folder`` (default ``models/flood/``)."""
    base = Path(folder) if folder is not None else paths().models / "flood"
    return base / (VV_MODEL_NAME if vv_only else MODEL_NAME)


@lru_cache(maxsize=2)
def _booster(path: str, mtime: float):
    import lightgbm as lgb

    booster = lgb.Booster(model_file=path)
    meta_path = Path(path).with_suffix(".json")
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    return booster, float(meta.get("threshold", 0.5))


def load_water_model(
    path: Path | None = None, *, vv_only: bool = False, folder: Path | None = None
):
    """(LightGBM booster, probability threshold) of the water model (or its VV-only one):
    the file ``path``, else the one in ``folder`` (default ``models/flood/``).

    Raises:
        InputNotFoundError: the model file is missing (names the command that retrains it).
    """
    p = Path(path) if path is not None else model_path(vv_only=vv_only, folder=folder)
    if not p.is_file():
        raise InputNotFoundError(
            f"flood water model {p} is missing; restore it from git (models/flood/) or "
            "retrain it with `python -m bench.flood.train_water` (a few minutes)"
        )
    return _booster(str(p), p.stat().st_mtime)


def water_features(
    post: NDArray[np.float32],
    fit: water.WaterFit,
    rules_wet: NDArray[np.bool_],
    names: tuple[str, ...] = FEATURES,
) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
    """((len(names), n) float32 features of the gated pixels, (H, W) gate) of a window.

    ``post`` is ``(2, H, W)`` VV, VH in dB (VH all NaN for a VV-only scene), ``fit`` the
    scene's :class:`water.WaterFit` (with a threshold), ``rules_wet`` the rules' water.
    The gate (:data:`GATE_DB`) holds the pixels with SAR data that the model classifies.
    """
    t = np.float32(fit.threshold_db)
    single = water.water_feature_db(post)
    mix = water.despeckle_db(single)
    valid = np.isfinite(single)
    filled = np.where(valid, mix, np.float32(np.nanmedian(mix) if valid.any() else 0.0))
    low9 = ndimage.minimum_filter(filled, 9, mode="nearest") - t
    gate = valid & (low9 < np.float32(GATE_DB))
    n = int(gate.sum())
    out = np.empty((len(names), n), dtype=np.float32)
    if n == 0:
        return out, gate
    vv = water.despeckle_db(post[0])
    vh = water.despeckle_db(post[1]) if np.isfinite(post[1]).any() else None
    cols: dict[str, NDArray[np.float32]] = {
        "vv": vv[gate],
        "vh": vh[gate] if vh is not None else np.full(n, np.nan, np.float32),
        "mix": mix[gate], "mix_raw": single[gate], "min9_minus_t": low9[gate],
        "max9_minus_t": ndimage.maximum_filter(filled, 9, mode="nearest")[gate] - t,
    }  # fmt: skip
    cols["vv_minus_vh"] = cols["vv"] - cols["vh"]
    power = np.where(valid, np.power(np.float32(10.0), single / np.float32(10.0)), 0.0)
    power = power.astype(np.float32)
    x = np.where(valid, single, 0.0).astype(np.float32)
    whole = bool(valid.all())
    scales = (*SCALES_PX, 101) if "mean101_minus_t" in names else SCALES_PX
    spread = (*SCALES_PX[:2], 51) if "std51" in names else SCALES_PX[:2]
    with np.errstate(divide="ignore", invalid="ignore"):
        for s in scales:
            count = (
                np.float32(1.0) if whole
                else ndimage.uniform_filter(valid.astype(np.float32), s, mode="nearest")[gate]
            )  # fmt: skip
            m = ndimage.uniform_filter(power, s, mode="nearest")[gate] / count
            cols[f"mean{s}_minus_t"] = np.float32(10.0) * np.log10(m) - t
            if s in spread:
                m1 = ndimage.uniform_filter(x, s, mode="nearest")[gate] / count
                m2 = ndimage.uniform_filter(x * x, s, mode="nearest")[gate] / count
                cols[f"std{s}"] = np.sqrt(np.maximum(m2 - m1 * m1, 0.0))
    for band in ("vv", "vh"):  # candidates only: not the shipped models' features
        if f"{band}_minus_t" in names:
            cols[f"{band}_minus_t"] = cols[band] - t
    for band, db in (("vv", post[0]), ("vh", post[1])):
        if f"cv9_{band}" in names:
            cols[f"cv9_{band}"] = _local_cv(db, 9)[gate]
    if "ratio31" in names:
        cols["ratio31"] = _box_mean(vv - vh, 31)[gate] if vh is not None else np.full(n, np.nan)
    if any(name.startswith("local_") or name.endswith("local_otsu") for name in names):
        cols.update(_local_split(mix, valid, gate, t))
    wet = rules_wet.astype(np.float32)
    cols["rules_wet"] = wet[gate]
    cols["rules_share25"] = ndimage.uniform_filter(wet, 25, mode="nearest")[gate]
    for i, name in enumerate(names):
        out[i] = cols[name]
    return out, gate


def _box_mean(a: NDArray[np.float32], size: int) -> NDArray[np.float32]:
    """Mean of the finite values of ``a`` in a ``size`` square (NaN where none)."""
    ok = np.isfinite(a)
    n = ndimage.uniform_filter(ok.astype(np.float32), size, mode="nearest")
    m = ndimage.uniform_filter(np.where(ok, a, 0.0).astype(np.float32), size, mode="nearest")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, m / n, np.nan).astype(np.float32)


def _local_cv(db: NDArray[np.float32], size: int) -> NDArray[np.float32]:
    """Local coefficient of variation (std / mean of linear power) in a ``size`` square: the
    speckle's 1 / sqrt(looks) over a homogeneous surface, more over texture (NaN without data)."""
    p = np.power(np.float32(10.0), np.asarray(db, np.float32) / np.float32(10.0))
    m, m2 = _box_mean(p, size), _box_mean(p * p, size)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (np.sqrt(np.maximum(m2 - m * m, 0.0)) / m).astype(np.float32)


def _local_split(
    mix: NDArray[np.float32], valid: NDArray[np.bool_], gate: NDArray[np.bool_], t: np.float32
) -> dict[str, NDArray[np.float32]]:
    """Features of the Otsu split of each pixel's 3 x 3 tiles (:data:`LOCAL_TILE_PX`):
    NaN where those tiles hold under a quarter of their pixels with data."""
    tile = LOCAL_TILE_PX
    hist = water.tile_histograms(np.where(valid, mix, np.nan), tile_px=tile)
    h, w = mix.shape
    rows, cols = -(-h // tile), -(-w // tile)
    counts = hist.counts.reshape(rows, cols, -1)
    padded = np.pad(counts, ((1, 1), (1, 1), (0, 0)))
    near = sum(padded[i : i + rows, j : j + cols] for i in range(3) for j in range(3))
    k, share, ashman = water._otsu_rows(near.reshape(rows * cols, -1))
    split = water.BINS[k + 1].astype(np.float32)
    few = near.sum(axis=2).ravel() < 0.25 * 9 * tile * tile
    split[few] = share[few] = ashman[few] = np.nan
    r, c = np.nonzero(gate)
    at = (r // tile) * cols + c // tile
    local = split[at]
    return {
        "local_otsu_minus_t": local - t, "mix_minus_local_otsu": mix[gate] - local,
        "local_ashman": ashman[at].astype(np.float32), "local_share": share[at].astype(np.float32),
    }  # fmt: skip


def water_probability(
    post: NDArray[np.float32],
    fit: water.WaterFit,
    rules_wet: NDArray[np.bool_],
    *,
    model_dir: Path | None = None,
) -> tuple[NDArray[np.float32], float]:
    """((H, W) probability of water 0..1, NaN where no SAR; the model's threshold).

    A window without any VH data is classified by the VV-only model. ``model_dir``: the
    folder of the model files (default ``models/flood/``).
    """
    vv_only = not np.isfinite(post[1]).any()
    booster, threshold = load_water_model(vv_only=vv_only, folder=model_dir)
    x, gate = water_features(post, fit, rules_wet, FEATURES_VV if vv_only else FEATURES)
    p = np.where(np.isfinite(post[0]), np.float32(0.0), np.float32(np.nan))
    if x.shape[1]:
        p[gate] = booster.predict(x.T, num_threads=0).astype(np.float32)
    return p, threshold
