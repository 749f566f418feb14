"""Training of the cropland and parcel-boundary models on generated scenes (seeds never used
by demo or benchmark)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy import ndimage

from paii_core.crops.cropland import CROPLAND_MODEL_VERSION, cropland_features, model_path
from paii_core.crops.scenes import make_scene
from paii_core.demo.classes import LandCover
from paii_core.errors import ValidationError

__all__ = [
    "TRAIN_SEEDS",
    "boundary_jobs",
    "sharp_boundary_jobs",
    "small_boundary_jobs",
    "train_boundary",
    "train_cropland",
]

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


BoundaryJob = tuple[str, str, int, int, float, int]
"""(layout, region, seed, size_px, pixel_m, hires_factor) of one boundary training scene."""
_PIXEL_M = (10.0, 5.0, 10.0, 20.0)
_HIRES = (4, 1, 2)


def boundary_jobs(
    seeds: tuple[int, ...] = TRAIN_SEEDS, layouts: tuple[str, ...] = ("grid",)
) -> list[BoundaryJob]:
    """Training scenes of the boundary model per seed: for ``grid`` (the demo's layout)
    one in every region (Henan/Hubei 160 px, Iowa 240 px, 10 m rendered at 2.5 m, as the
    demo world); for each other layout of ``layouts`` (names from
    :data:`paii_core.demo.field_layouts.TRAINING_LAYOUTS`) one scene of 200 px, the region,
    the pixel size (10, 5, 10, 20 m) and the rendering (at a quarter, at the pixel size
    itself: sharp edges, or at half) turning with the seed,
    so the model meets other sensors' sharpness and other field widths in pixels. Never
    the held-out layout (``bsp``) nor the real pattern (``slovenia``): both are test-only.

    Raises:
        ValidationError: a held-out, real or unknown layout.
    """
    from paii_core.demo.field_layouts import TRAINING_LAYOUTS

    for name in layouts:
        if name not in TRAINING_LAYOUTS:
            raise ValidationError(
                f"layout {name!r} is not a training layout (held-out and real patterns "
                f"are test-only); use some of: {', '.join(TRAINING_LAYOUTS)}"
            )
    jobs: list[BoundaryJob] = []
    for i, seed in enumerate(seeds):
        for lay in layouts:
            if lay == "grid":
                jobs += [("grid", r, seed, 240 if r == "iowa" else 160, 10.0, 4) for r in REGIONS]
            else:
                k = TRAINING_LAYOUTS.index(lay)
                jobs.append(
                    (
                        lay,
                        REGIONS[(i + k) % 3],
                        seed,
                        200,
                        _PIXEL_M[(i + 2 * k) % 4],
                        _HIRES[(i + k) % 3],
                    )
                )
    return jobs


def sharp_boundary_jobs(seeds: tuple[int, ...] = TRAIN_SEEDS) -> list[BoundaryJob]:
    """Training scenes of the boosters for sharp inputs: the demo's ``grid`` layout in
    every region (Henan/Hubei 160 px, Iowa 240 px) and then one scene of each other
    training layout (voronoi, strips, blocks; 200 px, the region turning with the seed)
    per seed, all 10 m rendered at 10 m directly (no mixed pixels, no optical blur)."""
    others = ("voronoi", "strips", "blocks")  # the shipped sharp pair's layouts
    jobs: list[BoundaryJob] = [
        ("grid", r, seed, 240 if r == "iowa" else 160, 10.0, 1) for seed in seeds for r in REGIONS
    ]
    for i, seed in enumerate(seeds):
        jobs += [(lay, REGIONS[(i + k) % 3], seed, 200, 10.0, 1) for k, lay in enumerate(others)]
    return jobs


def small_boundary_jobs(seeds: tuple[int, ...] = TRAIN_SEEDS) -> list[BoundaryJob]:
    """Training scenes of the small-field booster: the ``meadows`` layout
    (:mod:`paii_core.demo.field_layouts_small`) in every region per seed, 200 px of 10 m
    rendered at 2.5 m and degraded as the demo world."""
    return [("meadows", r, seed, 200, 10.0, 4) for seed in seeds for r in REGIONS]


def boundary_training_set(
    jobs: list[BoundaryJob],
    *,
    pixels_per_scene: int = 20000,
    progress: Callable[[float, str], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[str, ...]]:
    """Features ``(N, D)`` float32, fine and coarse boundary truth ``(N,)`` bool and the
    feature names, ``pixels_per_scene`` pixels on and next to fields of every scene.

    Scenes rendered finer than their pixel size are degraded like the demo world, so
    field edges carry mixed pixels. Deterministic.
    """
    from paii_core.crops.boundary import boundary_features, boundary_truth
    from paii_core.crops.cropland import cropland_probability

    rng = np.random.default_rng(2025)
    xs, fine_y, coarse_y = [], [], []
    names: tuple[str, ...] = ()
    for i, (layout, region, seed, size, pixel_m, hires) in enumerate(jobs):
        scene = make_scene(
            region, seed, size_px=size, hires_factor=hires, layout=layout, pixel_m=pixel_m
        )
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
            progress((i + 1) / (len(jobs) + 1), f"boundary scene {layout} {region} {seed}")
    return np.concatenate(xs), np.concatenate(fine_y), np.concatenate(coarse_y), names


def train_boundary(
    out_dir: Path | None = None,
    *,
    seeds: tuple[int, ...] = TRAIN_SEEDS,
    layouts: tuple[str, ...] = ("grid",),
    sharp: bool = False,
    small: bool = False,
    pixels_per_scene: int = 20000,
    progress: Callable[[float, str], None] | None = None,
) -> tuple[Path, ...]:
    """Train the fine and coarse parcel-boundary boosters (needs the cropland model) on
    the scenes of :func:`boundary_jobs`, or with ``sharp`` the pair for sharp inputs on
    those of :func:`sharp_boundary_jobs`, or with ``small`` the fine booster for
    small-field scenes on those of :func:`small_boundary_jobs` (``layouts`` unused by
    both). Returns the paths written (fine first).

    The defaults reproduce the shipped degraded-input pair (from boundary-lgbm-2);
    ``layouts=TRAINING_LAYOUTS`` trains on the mix of field layouts, pixel sizes and
    sharpness, which did not beat it on the validation scenes (models/parcels/MODEL_CARD.md).

    Raises:
        ValidationError: both ``sharp`` and ``small``.
    """
    from paii_core.crops.boundary import booster_name, model_dir

    if sharp and small:
        raise ValidationError("train_boundary trains one booster set: pass sharp or small")
    pair = "sharp" if sharp else "small" if small else "degraded"
    jobs = {
        "sharp": sharp_boundary_jobs,
        "small": small_boundary_jobs,
        "degraded": lambda s: boundary_jobs(s, layouts),
    }[pair](seeds)
    x, fine, coarse, names = boundary_training_set(
        jobs, pixels_per_scene=pixels_per_scene, progress=progress
    )
    folder = Path(out_dir) if out_dir is not None else model_dir()
    folder.mkdir(parents=True, exist_ok=True)
    levels = (("fine", fine),) if small else (("fine", fine), ("coarse", coarse))
    written = tuple(
        _fit_boundary(x, y, names, folder / booster_name(level, pair)) for level, y in levels
    )
    if progress:
        progress(1.0, f"boundary models written to {folder}")
    return written


BOUNDARY_PARAMS = {
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
BOUNDARY_ROUNDS = 200


def _fit_boundary(x: np.ndarray, y: np.ndarray, names: tuple[str, ...], path: Path) -> Path:
    import lightgbm as lgb

    data = lgb.Dataset(x, y.astype(np.int32), feature_name=list(names))
    booster = lgb.train(BOUNDARY_PARAMS, data, num_boost_round=BOUNDARY_ROUNDS)
    tmp = path.with_suffix(".tmp")
    booster.save_model(str(tmp))
    tmp.replace(path)
    return path
