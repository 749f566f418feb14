"""Flood maps from Sentinel-1 and a DEM: water, change, terrain masks and depth, by window."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from paii_core.errors import ValidationError
from paii_core.flood import terrain, water
from paii_core.flood.depth import flood_depth

__all__ = [
    "FloodMap",
    "Rules",
    "fit_scene",
    "fit_windows",
    "map_flood",
    "map_window",
    "rules_water",
]

TILE_SIZES_PX = (32, 64, 128)
"""Tile sides of the split-based threshold search (320 m to 1.3 km at 10 m)."""
GROW_DB = (1.0, 3.0)
"""Region growing admits pixels at least 1 and at most 3 dB brighter than the threshold,
up to the midpoint of the water and land means."""
GROW_FILTER_PX = 7
"""Region growing decides on a Kuan filter of this window (:func:`water.kuan_db`), not on the
3 x 3 boxcar the seeds and the core use: the boxcar smears bright land into the shore's
pixels and dark water into the land's; the Kuan filter keeps a pixel's own value where its
window holds an edge. Chosen on the development chips and simulators (bench/BENCHMARKS.md,
"Flood water, fourth pass": every development chip equal or better, simulator and real-DEM
figures equal or better; 5 x 5 was the other size measured)."""
RAW_GROW_PX = 2
"""Single-look pixels join the water only this close to it (the 3 x 3 mean's reach)."""
STRONG_SD = 1.0
"""A water body must hold at least ``min_px`` pixels darker than the water class mean plus
this many of its standard deviations (hysteresis: region growing extends clear water, it
does not make water of a patch that is only moderately dark, such as wet paddies or roads)."""
UNCORED_MARGIN_DB = 1.0
"""In a scene split by its own clearly bimodal histogram (method ``scene``: water a large
share of it), a body without a core of clear water is still water where its mean power is
at least this much darker than the midpoint of the water and land means: the shallow flood
water of a monsoon plain is a whole body of moderately dark pixels, which the core alone
drops; a moderately dark field or road is about as bright as that midpoint. Chosen on the
development data (bench/BENCHMARKS.md, "Flood water, seventh pass": in the India_pxs10
chip and its windows the dropped bodies were labelled water and 1.3-2.8 dB darker than the
midpoint, in Nigeria's windows labelled dry and under 0.3 dB darker)."""
PRE_MARGIN_DB = 1.0
"""Pre-event water must be this much darker than the threshold to count as old water."""
LEARNED_MAX_PX_M = 30.0
"""The learned water model is trained on 10 and 20 m pixels; coarser scenes use the rules."""


def use_learned(pixel_size_m: float) -> bool:
    """True where the learned water model applies (pixels up to :data:`LEARNED_MAX_PX_M`)."""
    return pixel_size_m <= LEARNED_MAX_PX_M


@dataclass(frozen=True, eq=False)
class FloodMap:
    """Water, flood extent, depth and likelihood on the SAR grid."""

    flooded: NDArray[np.bool_]
    """(H, W) normally dry land under water (permanent and pre-event water excluded)."""
    depth_m: NDArray[np.float32]
    """(H, W) water depth in metres on flooded cells, NaN where dry or without a DEM."""
    threshold_db: float | None
    """The VV water threshold used (None: no water contrast in the scene)."""
    water: NDArray[np.bool_] | None = None
    """(H, W) all open water in the post-event image (flood and permanent)."""
    likelihood: NDArray[np.float32] | None = None
    """(H, W) water likelihood 0..100 from the backscatter alone (NaN: no SAR data)."""
    method: str = "tiles"
    """How the threshold was found: ``scene`` (the clearly bimodal scene's own split),
    ``tiles`` (split-based), ``global`` (fallback), ``level`` (a scene of water without
    a land mode, split at the absolute water level) or ``none``."""
    terrain: str = "HAND/slope"
    """Terrain exclusion used: ``HAND/slope``, or why none (``none: no DEM``)."""
    water_source: str = "rules"
    """What decided ``water``: ``learned`` (the LightGBM model) or ``rules`` (thresholds)."""
    water_model_dir: Path | None = None
    """Folder of the learned model's files when ``water_source`` is ``learned`` and they
    came from a folder other than ``models/flood/``."""


def _validate(post, dem, pre, permanent, pixel_size_m):
    post = np.asarray(post, dtype=np.float32)
    if post.ndim != 3 or post.shape[0] != 2:
        raise ValidationError(
            f"post_sar should be (2, H, W) VV, VH sigma0 in dB, got shape {post.shape}"
        )
    z = None
    if dem is not None:
        z = np.asarray(dem, dtype=np.float32)
        if z.shape != post.shape[1:]:
            raise ValidationError(
                f"dem {z.shape} should be on the SAR grid {post.shape[1:]}; reproject it "
                "first (the `paii flood` command does this for GeoTIFFs)"
            )
        if not np.isfinite(z).any():
            raise ValidationError("dem holds no data (all NaN) over the SAR scene")
    if min(post.shape[1:]) < 16:
        raise ValidationError(
            f"the scene {post.shape[1:]} is too small; use at least 16 x 16 pixels"
        )
    if not np.isfinite(post[0]).any():
        raise ValidationError("post_sar holds no data (all NaN); pass a scene with valid pixels")
    if pre is not None:
        pre = np.asarray(pre, dtype=np.float32)
        if pre.shape != post.shape:
            raise ValidationError(f"pre_sar {pre.shape} should have post_sar's shape {post.shape}")
    if permanent is not None:
        permanent = np.asarray(permanent)
        if permanent.shape != post.shape[1:]:
            raise ValidationError(
                f"permanent_water {permanent.shape} should have the SAR grid's shape "
                f"{post.shape[1:]}"
            )
        permanent = permanent.astype(bool)
    if not (isinstance(pixel_size_m, int | float) and 0 < pixel_size_m < 1000):
        raise ValidationError(f"pixel_size_m should be in metres, 0..1000, got {pixel_size_m!r}")
    return post, z, pre, permanent


def _windows(h: int, w: int, size: int, halo: int):
    """(core slices, padded slices, core within padded) covering the grid."""
    for r0 in range(0, h, size):
        for c0 in range(0, w, size):
            r1, c1 = min(h, r0 + size), min(w, c0 + size)
            pr0, pc0 = max(0, r0 - halo), max(0, c0 - halo)
            pr1, pc1 = min(h, r1 + halo), min(w, c1 + halo)
            yield (
                (slice(r0, r1), slice(c0, c1)),
                (slice(pr0, pr1), slice(pc0, pc1)),
                (slice(r0 - pr0, r1 - pr0), slice(c0 - pc0, c1 - pc0)),
            )


def fit_windows(windows: Iterable[NDArray[np.float32]]) -> water.WaterFit:
    """A scene's :class:`water.WaterFit` from its ``(2, h, w)`` dB windows (no overlap),
    pooled one window at a time so memory stays that of a window (with the scene's VH
    histogram, which says whether a single-mode scene is water or land, and that of its
    despeckled VH, which says whether water is more than a sliver of it)."""
    hists: list[np.ndarray] = []
    scene = np.zeros(water.BINS.size - 1)
    vh = np.zeros(water.BINS.size - 1)
    vh_smooth = np.zeros(water.BINS.size - 1)
    for window in windows:
        vv = water.despeckle_db(water.water_feature_db(window))
        tiles = [water.tile_histograms(vv, tile_px=t) for t in TILE_SIZES_PX]
        scene += tiles[-1].counts.sum(axis=0)
        hists += [water.pool_bimodal(t) for t in tiles]
        vh += water.histogram(window[1])
        if np.isfinite(window[1]).any():
            vh_smooth += water.histogram(water.despeckle_db(window[1]))
    return water.fit_water(hists, scene, vh_counts=vh, vh_smooth_counts=vh_smooth)


def fit_scene(post: NDArray[np.float32], *, window_px: int = 2048) -> water.WaterFit:
    """The scene's :class:`water.WaterFit` from a ``(2, H, W)`` dB scene, window by window."""
    h, w = post.shape[1:]
    return fit_windows(post[:, c[0], c[1]] for c, _, _ in _windows(h, w, window_px, 0))


def map_flood(
    post_sar: ArrayLike,
    dem: ArrayLike | None = None,
    *,
    pre_sar: ArrayLike | None = None,
    pixel_size_m: float,
    permanent_water: ArrayLike | None = None,
    terrain_masks: bool = True,
    hand_m: ArrayLike | None = None,
    hand_max_m: float = 10.0,
    level_margin_m: float = 3.0,
    slope_max_deg: float = 25.0,
    change_db: float = 3.0,
    window_px: int = 2048,
    water_model: bool = False,
    model_dir: Path | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> FloodMap:
    """Map open water and flood water in a Sentinel-1 scene.

    1. Water is sought in the mean of VV and VH + 7 dB (VV alone where VH is missing:
       :func:`water.water_feature_db`). Speckle is damped by a 3 x 3 mean in power. The
       water threshold comes from
       the split-based search over tiles of several sizes (:func:`water.fit_water`:
       tiles whose histogram is bimodal by Ashman's D, pooled, Kittler-Illingworth
       split; the scene's own split where its whole histogram is clearly bimodal, i.e.
       water is a large share of it; Otsu's split of the tiles where their
       minimum-error split would cut off only a sliver of the dark tail while a
       quarter of the despeckled VH is as dark as calm water; a global split with a
       warning where no tile is bimodal; in a scene with a single mode of water, no
       land, the split is raised to the absolute water level of
       :mod:`paii_core.flood.levels`). VV below it is water, grown into touching
       pixels up to the midpoint of the water and land
       means, 1 to 3 dB above the threshold (:data:`GROW_DB`; region growing recovers
       the mixed pixels of shores and narrow channels; it decides on a Kuan filter,
       :data:`GROW_FILTER_PX`, which keeps the shore sharp), then into single-look pixels
       darker than that midpoint which touch the water. A body is kept only if it holds
       a core of clear water (:data:`STRONG_SD`) or, in a scene split by its own
       histogram, is as a whole clearly darker than that midpoint
       (:data:`UNCORED_MARGIN_DB`). With ``water_model`` (opt-in, for
       pixels up to :data:`LEARNED_MAX_PX_M`) this rules' water is one input of
       the learned model (:mod:`paii_core.flood.learned`: LightGBM per pixel on
       backscatter, texture and tile statistics, trained on hand-labelled Sentinel-1
       chips), whose water replaces it; a scene without water contrast (no threshold)
       has no water either way. The likelihood band is the two-Gaussian posterior of
       the pooled model.
    2. With ``pre_sar`` (same grid), water that was already there (below the threshold
       less :data:`PRE_MARGIN_DB` before, and not darkened by ``change_db``) is not
       flood. The pre-event image only ever removes such confident old water from
       ``flooded``; it never changes ``water`` (change detection as in Matgen et al.
       2011 and Long, Fatoyinbo & Policelli 2014).
    3. ``permanent_water`` is never flood.
    4. Terrain (only with a DEM): water on slopes steeper than ``slope_max_deg`` is
       dropped, and so is water more than ``hand_max_m`` above the nearest drainage
       (HAND as an exclusion mask, Twele et al. 2016, IJRS 37) unless it lies within
       ``level_margin_m`` of the water level observed locally: the HAND of the nearest
       shore cell of its own water body, capped by that body's 90th percentile. A
       deep valley flood, whose shore stands 12 m above the river, is thus kept,
       while a dark hillside patch (radar shadow) whose body does not reach the valley
       floor is not. The limits
       (10 m, 25 deg) were tuned on training scenes (``bench/flood/tune_terrain.py``).
    5. Depth from the DEM within each flood patch (:func:`depth.flood_depth`).

    Args:
        post_sar: (2, H, W) VV, VH sigma0 in dB after the event; NaN = nodata (VH may
            be all NaN: then only VV is used for the water rule).
        dem: (H, W) metres on the same grid, or None (no terrain exclusion, no depth).
        pre_sar: (2, H, W) before the event, or None.
        pixel_size_m: pixel size in metres.
        permanent_water: (H, W) bool, or None.
        hand_m: (H, W) precomputed HAND on this grid (computed from ``dem`` if None).
        progress: called with (fraction done, message).
        water_model: water from the learned model (default False: the rules alone,
            which the model has not beaten on held-out chips; bench/BENCHMARKS.md).
        model_dir: folder of the learned model's files (default ``models/flood/``).

    Returns:
        A :class:`FloodMap`.

    Raises:
        ValidationError: shapes that differ, all-NaN SAR or DEM, bad pixel size.
        InputNotFoundError: ``water_model`` and the model file is missing.
    """
    post, z, pre, permanent = _validate(post_sar, dem, pre_sar, permanent_water, pixel_size_m)
    h, w = post.shape[1:]
    halo = 64
    report = progress or (lambda _f, _m: None)
    fit = fit_scene(post, window_px=window_px)
    threshold = fit.threshold_db
    use_terrain = z is not None and terrain_masks
    terrain_note = "HAND/slope" if use_terrain else (
        "none: no DEM" if z is None else "none: switched off"
    )  # fmt: skip
    wet_all = np.zeros((h, w), dtype=bool)
    flooded = np.zeros((h, w), dtype=bool)
    depth = np.full((h, w), np.nan, dtype=np.float32)
    likelihood = np.full((h, w), np.nan, dtype=np.float32)
    if threshold is None:
        likelihood[np.isfinite(post[0])] = 0.0
        report(1.0, "no water contrast in the scene")
        return FloodMap(flooded, depth, None, wet_all, likelihood, fit.method, terrain_note)
    height = None
    if use_terrain:
        report(0.0, "terrain (HAND)")
        height = (
            np.asarray(hand_m, dtype=np.float32)
            if hand_m is not None
            else terrain.hand(z, pixel_size_m=float(pixel_size_m), channels=permanent)
        )
    rules = Rules.from_fit(
        fit, pixel_size_m=float(pixel_size_m), hand_max_m=hand_max_m,
        level_margin_m=level_margin_m, slope_max_deg=slope_max_deg, change_db=change_db,
        learned=water_model and use_learned(float(pixel_size_m)), model_dir=model_dir,
    )  # fmt: skip
    windows = list(_windows(h, w, window_px, halo))
    for i, (core, padded, inner) in enumerate(windows):
        report(i / len(windows), f"window {i + 1} of {len(windows)}")
        wet, flood, like, deep = map_window(
            post[:, padded[0], padded[1]],
            rules,
            fit,
            pre=pre[:, padded[0], padded[1]] if pre is not None else None,
            dem=z[padded] if z is not None else None,
            height=height[padded] if height is not None else None,
            permanent=permanent[padded] if permanent is not None else None,
        )
        wet_all[core] = wet[inner]
        flooded[core] = flood[inner]
        likelihood[core] = like[inner]
        depth[core] = deep[inner]
    report(1.0, "done")
    source = "learned" if rules.learned else "rules"
    return FloodMap(
        flooded, depth, threshold, wet_all, likelihood, fit.method, terrain_note, source,
        rules.model_dir if rules.learned else None,
    )  # fmt: skip


@dataclass(frozen=True)
class Rules:
    """The scene-wide numbers every window is mapped with."""

    threshold: float
    middle: float
    grow_limit: float
    min_px: int
    pixel_size_m: float
    hand_max_m: float = 10.0
    level_margin_m: float = 3.0
    slope_max_deg: float = 25.0
    change_db: float = 3.0
    strong: float | None = None
    uncored_max_db: float | None = None
    """Bodies without a clear-water core are kept where their mean power is below this
    (:data:`UNCORED_MARGIN_DB`; None: the core decides alone)."""
    learned: bool = False
    """Water from the learned model (:mod:`paii_core.flood.learned`) instead of the rules."""
    model_dir: Path | None = None
    """Folder of the learned model's files (None: ``models/flood/``)."""

    @classmethod
    def from_fit(
        cls,
        fit: water.WaterFit,
        *,
        pixel_size_m: float,
        learned: bool = False,
        model_dir: Path | None = None,
        **limits: float,
    ) -> Rules:
        if fit.threshold_db is None:
            raise ValidationError("the scene has no water threshold; nothing to map")
        t = fit.threshold_db
        middle = 0.5 * (fit.water[0] + fit.land[0])
        grow = float(np.clip(middle, t + GROW_DB[0], t + GROW_DB[1]))
        min_px = max(3, round(2000.0 / pixel_size_m**2))
        strong = min(t, fit.water[0] + STRONG_SD * fit.water[1])
        uncored = middle - UNCORED_MARGIN_DB if fit.method == "scene" else None
        return cls(
            t, middle, grow, min_px, pixel_size_m, strong=strong, uncored_max_db=uncored,
            learned=learned, model_dir=model_dir, **limits,
        )  # fmt: skip


def map_window(
    post: NDArray[np.float32],
    rules: Rules,
    fit: water.WaterFit,
    *,
    pre: NDArray[np.float32] | None = None,
    dem: NDArray[np.float32] | None = None,
    height: NDArray[np.float32] | None = None,
    permanent: NDArray[np.bool_] | None = None,
) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """(water, flooded, likelihood, depth_m) of one window with its halo; see map_flood.

    Terrain masks apply where ``height`` (HAND) is given; depth where ``dem`` is.
    """
    vv, wet = rules_water(post, rules)
    if rules.learned:
        wet = _learned_water(post, fit, wet, rules)
    if height is not None and dem is not None:
        steep = terrain.slope_deg(dem, pixel_size_m=rules.pixel_size_m) > rules.slope_max_deg
        wet = _terrain_filter(wet, height, steep, rules.hand_max_m, rules.level_margin_m)
        wet = _drop_specks(wet, min_px=rules.min_px)
    before = np.zeros(vv.shape, dtype=bool)
    t = rules.threshold
    if pre is not None:
        pre_single = water.water_feature_db(pre)
        was = water.despeckle_db(pre_single)
        old = water.grow_water(
            pre_single, was < t - PRE_MARGIN_DB, limit_db=min(rules.middle, rules.grow_limit)
        )
        before = old & ((vv - was) > -rules.change_db)
    perm = permanent if permanent is not None else np.zeros(vv.shape, dtype=bool)
    flood = _drop_specks(wet & ~before & ~perm, min_px=rules.min_px)
    if permanent is not None and pre is not None:
        # Fields already under water before the event (rice paddies) are flooded
        # too where the new flood reaches them: keep the old water joined to it.
        flood = _joined(wet & ~perm, flood)
    like = water.water_likelihood(vv, fit)
    if dem is not None:
        deep = flood_depth(flood, dem, water=(wet & ~flood) | perm)
    else:
        deep = np.full(vv.shape, np.nan, dtype=np.float32)
    return wet, flood, like, deep


def rules_water(
    post: NDArray[np.float32], rules: Rules
) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
    """(despeckled water feature in dB, water by the rules) of one window; see map_flood."""
    single = water.water_feature_db(post)
    vv = water.despeckle_db(single)
    # seeds on the 3 x 3 mean, growth into the pixels the edge-keeping filter finds dark
    edges = water.kuan_db(single, size=GROW_FILTER_PX)
    wet = water.grow_water(edges, vv < rules.threshold, limit_db=rules.grow_limit)
    # Narrow channels and shore pixels are mixed away by the 3 x 3 mean: admit
    # single-look pixels darker than the class midpoint that touch the water, within
    # RAW_GROW_PX of it (the width the 3 x 3 mean blurs; farther growth would swallow
    # dark fields and radar shadow next to the water).
    near = ndimage.binary_dilation(wet, structure=np.ones((3, 3), bool), iterations=RAW_GROW_PX)
    dark = (single < min(rules.middle, rules.grow_limit)) & near
    wet = water.grow_water(np.where(dark, -99.0, 0.0), wet, limit_db=0.0)
    wet = _drop_specks(wet, min_px=rules.min_px)
    if rules.strong is not None:
        cored = _with_core(wet, vv < rules.strong, min_px=rules.min_px)
        if rules.uncored_max_db is not None:
            cored |= _dark_bodies(wet, single, rules.uncored_max_db)
        wet = cored
    return vv, wet


def _learned_water(
    post: NDArray[np.float32], fit: water.WaterFit, wet: NDArray[np.bool_], rules: Rules
) -> NDArray[np.bool_]:
    """Water by the learned model (:mod:`paii_core.flood.learned`), specks dropped."""
    from paii_core.flood.learned import water_probability

    p, cut = water_probability(post, fit, wet, model_dir=rules.model_dir)
    return _drop_specks(np.nan_to_num(p, nan=0.0) >= cut, min_px=rules.min_px)


def _terrain_filter(
    wet: NDArray[np.bool_],
    height: NDArray[np.float32],
    steep: NDArray[np.bool_],
    hand_max_m: float,
    margin_m: float,
) -> NDArray[np.bool_]:
    """Water kept by the terrain: not steep, and not above its own body's level + margin.

    Cells of unknown HAND (NaN: no DEM there) are kept.
    """
    known = np.isfinite(height)
    wet = wet & ~(steep & known)
    high = wet & known & (height > hand_max_m)
    if not high.any():
        return wet
    labels, n = ndimage.label(wet, structure=np.ones((3, 3), dtype=bool))
    # Only bodies with cells above hand_max_m need a level; the rest are kept as they are.
    involved = np.zeros(n + 1, dtype=bool)
    involved[labels[high]] = True
    involved[0] = False
    body = involved[labels]
    shore = body & ~ndimage.binary_erosion(wet, structure=np.ones((3, 3), dtype=bool))
    shore &= known
    if not shore.any():
        return wet & ~high
    cap = _quantile_by_label(labels[shore], height[shore], n, 0.9)
    floor = _quantile_by_label(labels[body & known], height[body & known], n, 0.05)
    # Only bodies that reach down to the drainage have a water level of their own.
    cap[~(floor <= hand_max_m)] = np.nan
    # The local level: HAND of the nearest shore cell (the FwDET idea, Cohen et al.
    # 2018), capped by the body's 90th percentile so an odd high shore cell is no licence.
    # The distance transform runs only over the bounding box of the high cells' bodies.
    rows, cols = np.nonzero(body)
    box = (slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1))
    idx = ndimage.distance_transform_edt(~shore[box], return_distances=False, return_indices=True)
    local = np.minimum(height[box][idx[0], idx[1]], cap[labels[box]])
    limit = np.where(np.isfinite(local), np.maximum(hand_max_m, local + margin_m), hand_max_m)
    keep = wet.copy()
    keep[high] = False
    sub_high = high[box]
    keep[box] |= sub_high & (height[box] <= limit)
    return keep


def _quantile_by_label(labels: NDArray, values: NDArray, n: int, q: float) -> NDArray[np.float64]:
    """(n + 1,) ``q`` quantile (lower) of ``values`` per label 0..n (NaN where none)."""
    out = np.full(n + 1, np.nan)
    if labels.size == 0:
        return out
    order = np.lexsort((values, labels))
    lab, val = labels[order], values[order]
    first = np.searchsorted(lab, np.arange(n + 1), side="left")
    last = np.searchsorted(lab, np.arange(n + 1), side="right")
    has = last > first
    mid = first + np.floor(q * (last - first - 1)).astype(np.int64)
    out[has] = val[mid[has]]
    return out


def _joined(candidates: NDArray[np.bool_], core: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Connected patches of ``candidates`` that hold a ``core`` pixel, plus ``core``."""
    labels, n = ndimage.label(candidates | core, structure=np.ones((3, 3), dtype=bool))
    keep = np.zeros(n + 1, dtype=bool)
    keep[labels[core]] = True
    keep[0] = False
    return keep[labels]


def _with_core(
    mask: NDArray[np.bool_], core: NDArray[np.bool_], *, min_px: int
) -> NDArray[np.bool_]:
    """8-connected patches of ``mask`` holding at least ``min_px`` pixels of ``core``."""
    labels, n = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
    if n == 0:
        return mask
    keep = np.bincount(labels[core & mask], minlength=n + 1) >= min_px
    keep[0] = False
    return keep[labels]


def _dark_bodies(
    mask: NDArray[np.bool_], db: NDArray[np.float32], max_db: float
) -> NDArray[np.bool_]:
    """8-connected patches of ``mask`` whose mean power (the linear mean of ``db`` over the
    patch, NaN pixels left out) is below ``max_db``."""
    labels, n = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
    if n == 0:
        return mask
    ok = mask & np.isfinite(db)
    power = np.bincount(labels[ok], np.power(10.0, db[ok] / 10.0), n + 1)
    count = np.bincount(labels[ok], minlength=n + 1)
    keep = power < np.power(10.0, max_db / 10.0) * count
    keep[0] = False
    return keep[labels]


def _drop_specks(mask: NDArray[np.bool_], *, min_px: int) -> NDArray[np.bool_]:
    """Remove 8-connected patches smaller than ``min_px`` pixels (speckle, not flood)."""
    labels, n = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
    if n == 0:
        return mask
    sizes = np.bincount(labels.ravel())
    keep = sizes >= min_px
    keep[0] = False
    return keep[labels]
