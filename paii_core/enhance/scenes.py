"""Simulated training and benchmark samples for the enhancement models.

Scenes come from the demo generator (terrain, landscape, phenology, optics, haze, SAR)
with seeds and regions kept apart: training draws seeds from :data:`TRAIN_SEEDS` in
:data:`TRAIN_REGIONS`; the benchmark uses :data:`BENCH_SEEDS` in every region,
including Iowa, which training never sees. The demo world (seed 0) and the test world
(seed 7) are outside both ranges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from paii_core.demo import haze, landscape, optics, sar, terrain
from paii_core.demo.regions import DEMO_REGIONS
from paii_core.errors import ValidationError

__all__ = [
    "BENCH_SEEDS",
    "TRAIN_REGIONS",
    "TRAIN_SEEDS",
    "Scene",
    "hazy_version",
    "make_scene",
    "sr_sample",
]

TRAIN_SEEDS = range(1000, 9000)
BENCH_SEEDS = range(90_000, 90_100)
TRAIN_REGIONS: tuple[str, ...] = ("henan", "hubei")
FACTOR = 4
_TERRAIN = {"henan": (60.0, 6.0, 4.0), "hubei": (25.0, 5.0, 6.0), "iowa": (300.0, 25.0, 10.0)}
_FIELD_HA = {"henan": 0.6, "hubei": 0.5, "iowa": 16.0}


@dataclass(frozen=True)
class Scene:
    """One simulated place seen on a few nearby dates."""

    hires: NDArray[np.float32]
    """(D, 4, 4h, 4w) clear 2.5 m reflectance on D dates a few days apart."""
    clear: NDArray[np.float32]
    """(D, 4, h, w) 10 m captures of each date (PSF, random sub-pixel shift except date
    0, which defines the grid, and sensor noise)."""
    sar: NDArray[np.float32]
    """(2, h, w) Sentinel-1 VV, VH in dB on date 0."""
    region: str


def make_scene(
    seed: int, region: str, *, size: int = 96, dates: int = 3, spread_days: int = 8
) -> Scene:
    """Simulate a ``size`` x ``size`` 10 m scene (and its 2.5 m truth) on ``dates`` dates
    within ``spread_days`` of a random day in the growing season.
    Raises ValidationError for an unknown region or a size below 16."""
    if region not in DEMO_REGIONS:
        raise ValidationError(f"region must be one of {sorted(DEMO_REGIONS)}, got {region!r}")
    if size < 16 or dates < 1:
        raise ValidationError(f"size must be >= 16 and dates >= 1, got {size}, {dates}")
    rng = np.random.default_rng([seed, 3])
    hi_shape = (size * FACTOR, size * FACTOR)
    base, relief, valley = _TERRAIN[region]
    ter = terrain.make_terrain(
        hi_shape,
        10.0 / FACTOR,
        rng,
        base_elevation_m=base,
        relief_m=relief,
        valley_depth_m=valley,
    )
    crops = DEMO_REGIONS[region].aois[0].crops
    land = landscape.make_landscape(
        hi_shape, 10.0 / FACTOR, rng, crops=crops, terrain=ter, mean_field_ha=_FIELD_HA[region]
    )
    doy0 = int(rng.integers(70, 270))
    days = [doy0] + [
        doy0 + int(rng.integers(-spread_days, spread_days + 1)) for _ in range(dates - 1)
    ]
    hires, clear = [], []
    for k, doy in enumerate(days):
        hi = optics.render_landscape(land, doy, rng, region=region)
        shift = (0.0, 0.0) if k == 0 else tuple(rng.uniform(-0.5, 0.5, 2))
        hires.append(hi)
        clear.append(optics.add_sensor_noise(optics.degrade(hi, FACTOR, shift_px=shift), rng))
    low = landscape.downsample_labels(land, FACTOR)
    ndvi_lo = optics.ndvi_of(clear[0])
    sigma0 = sar.simulate_sar(
        low.land_cover,
        low.crop_type,
        np.nan_to_num(ndvi_lo),
        terrain.downsample_terrain(ter, FACTOR).dem,
        10.0,
        rng,
    )
    return Scene(np.stack(hires), np.stack(clear), sigma0, region)


def hazy_version(
    clear: NDArray,
    rng: np.random.Generator,
    *,
    mean_tau: float | None = None,
    scene_mean: bool = False,
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Physically simulated haze over a clear ``(4, H, W)`` capture: a log-normal, smooth
    optical depth field (thickness drawn 0.05..1.7 unless ``mean_tau``), an Angstrom
    exponent 0.9..1.6 and an airlight within 15 % of the default per band.

    ``mean_tau`` is the field's expected mean; on a scene smaller than a few correlation
    lengths one draw's mean can sit far from it (2.5 for 1.0 happens). ``scene_mean=True``
    scales the draw so that this scene's mean depth is exactly ``mean_tau``, as a benchmark
    case labelled "tau 1.0" should be.
    Returns the hazy image ``(4, H, W)`` and the depth field ``(H, W)``."""
    h, w = clear.shape[1:]
    tau = float(rng.uniform(0.05, 1.7)) if mean_tau is None else float(mean_tau)
    field = haze.haze_optical_depth(
        (h, w),
        rng,
        mean_tau=tau,
        variability=float(rng.uniform(0.1, 0.6)),
        correlation_px=float(rng.uniform(20.0, 150.0)),
    )
    if scene_mean and tau > 0:
        field *= np.float32(tau / float(field.mean()))
    airlight = np.asarray(haze.DEFAULT_AIRLIGHT) * rng.uniform(0.85, 1.15, 4)
    hazy = haze.apply_haze(
        clear, field, airlight=airlight.tolist(), angstrom=float(rng.uniform(0.9, 1.6))
    )
    return hazy, field


def sr_sample(
    scene: Scene, rng: np.random.Generator, *, patch: int, others: int
) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.float32], NDArray[np.float32]]:
    """A random ``patch`` x ``patch`` 10 m window of a scene: reference ``(4, p, p)``,
    ``others`` other captures ``(T, 4, p, p)``, SAR ``(2, p, p)`` and the 2.5 m truth
    ``(4, 4p, 4p)`` of the reference date."""
    h, w = scene.clear.shape[2:]
    y, x = int(rng.integers(0, h - patch + 1)), int(rng.integers(0, w - patch + 1))
    win = np.s_[y : y + patch, x : x + patch]
    pick = rng.choice(np.arange(1, scene.clear.shape[0]), others, replace=True) if others else []
    ref = scene.clear[0][(slice(None), *win)]
    oth = (
        np.stack([scene.clear[k][(slice(None), *win)] for k in pick])
        if others
        else (np.zeros((0, 4, patch, patch), np.float32))
    )
    hi = scene.hires[0][:, y * FACTOR : (y + patch) * FACTOR, x * FACTOR : (x + patch) * FACTOR]
    return ref, oth, scene.sar[(slice(None), *win)], hi
