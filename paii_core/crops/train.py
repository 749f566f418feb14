"""Training of the cropland model on generated scenes (seeds never used by demo or benchmark)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy import ndimage

from paii_core.crops.cropland import CROPLAND_MODEL_VERSION, cropland_features, model_path
from paii_core.crops.scenes import make_scene
from paii_core.demo.classes import LandCover

__all__ = ["TRAIN_SEEDS", "train_cropland"]

TRAIN_SEEDS: tuple[int, ...] = tuple(range(100, 106))
"""Training scenes: seeds 100..105 in every region. The benchmark uses 200 and up; the
demo world seed 0, the test world seed 7."""
REGIONS = ("henan", "hubei", "iowa")


def train_cropland(
    out: Path | None = None,
    *,
    seeds: tuple[int, ...] = TRAIN_SEEDS,
    size_px: int = 160,
    pixels_per_scene: int = 12000,
    progress: Callable[[float, str], None] | None = None,
) -> Path:
    """Train the LightGBM cropland model and write it (text format) to ``out``.

    Every (region, seed) scene gives ``pixels_per_scene`` random pixels with their
    :func:`cropland_features` and the truth cropland / not cropland. Deterministic.
    Returns the path written.
    """
    import lightgbm as lgb

    rng = np.random.default_rng(2024)
    xs, ys = [], []
    jobs = [(r, s) for s in seeds for r in REGIONS]
    names: tuple[str, ...] = ()
    for i, (region, seed) in enumerate(jobs):
        scene = make_scene(region, seed, size_px=size_px)
        feats, names = cropland_features(scene.series, scene.dates)
        flat = feats.reshape(feats.shape[0], -1).T
        truth = (scene.land_cover == LandCover.CROPLAND).ravel()
        pick = rng.choice(flat.shape[0], min(pixels_per_scene, flat.shape[0]), replace=False)
        xs.append(flat[pick])
        ys.append(truth[pick])
        if progress:
            progress((i + 1) / (len(jobs) + 1), f"scene {region} seed {seed}")
    x, y = np.concatenate(xs), np.concatenate(ys).astype(np.int32)
    params = {
        "objective": "binary",
        "learning_rate": 0.08,
        "num_leaves": 31,
        "min_data_in_leaf": 40,
        "feature_fraction": 0.8,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "lambda_l2": 1.0,
        "num_threads": 2,
        "seed": 7,
        "deterministic": True,
        "verbose": -1,
    }
    data = lgb.Dataset(x, y, feature_name=list(names))
    booster = lgb.train(params, data, num_boost_round=300)
    path = Path(out) if out is not None else model_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    booster.save_model(str(tmp))
    tmp.replace(path)
    if progress:
        progress(1.0, f"{CROPLAND_MODEL_VERSION} written to {path}")
    return path


def train_boundary(
    out_dir: Path | None = None,
    *,
    seeds: tuple[int, ...] = TRAIN_SEEDS,
    pixels_per_scene: int = 20000,
    progress: Callable[[float, str], None] | None = None,
) -> tuple[Path, Path]:
    """Train the fine and coarse parcel-boundary boosters (needs the cropland model).

    Scenes are rendered at 2.5 m and degraded to 10 m like the demo world, so field
    edges carry the same mixed pixels. Returns the two paths written.
    """
    import lightgbm as lgb

    from paii_core.crops.boundary import boundary_features, boundary_truth, model_dir
    from paii_core.crops.cropland import cropland_probability

    rng = np.random.default_rng(2025)
    xs, fine_y, coarse_y = [], [], []
    jobs = [(r, s) for s in seeds for r in REGIONS]
    names: tuple[str, ...] = ()
    for i, (region, seed) in enumerate(jobs):
        scene = make_scene(region, seed, size_px=240 if region == "iowa" else 160, hires_factor=4)
        prob = cropland_probability(scene.series, scene.dates)
        feats, names = boundary_features(scene.series, scene.dates, prob)
        flat = feats.reshape(feats.shape[0], -1).T
        # Train where the boundary question matters: on and next to cropland.
        near = ndimage.binary_dilation(scene.fine_parcels > 0, iterations=2).ravel()
        idx = np.flatnonzero(near)
        pick = rng.choice(idx, min(pixels_per_scene, idx.size), replace=False)
        xs.append(flat[pick])
        fine_y.append(boundary_truth(scene.fine_parcels).ravel()[pick])
        coarse_y.append(boundary_truth(scene.coarse_parcels).ravel()[pick])
        if progress:
            progress((i + 1) / (len(jobs) + 1), f"boundary scene {region} seed {seed}")
    x = np.concatenate(xs)
    folder = Path(out_dir) if out_dir is not None else model_dir()
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for level, ys in (("fine", fine_y), ("coarse", coarse_y)):
        params = {
            "objective": "binary",
            "learning_rate": 0.08,
            "num_leaves": 31,
            "min_data_in_leaf": 40,
            "feature_fraction": 0.9,
            "num_threads": 2,
            "seed": 7,
            "deterministic": True,
            "verbose": -1,
        }
        data = lgb.Dataset(x, np.concatenate(ys).astype(np.int32), feature_name=list(names))
        booster = lgb.train(params, data, num_boost_round=200)
        path = folder / f"boundary_{level}_lgbm.txt"
        tmp = path.with_suffix(".tmp")
        booster.save_model(str(tmp))
        tmp.replace(path)
        written.append(path)
    if progress:
        progress(1.0, f"boundary models written to {folder}")
    return written[0], written[1]
