"""Rule variants of the rules' water measured on the DEV chips (fourth pass), rerunnable.

They modify the rules as they were BEFORE the fourth pass (everything decided on the 3 x 3
boxcar), so that the figures of bench/BENCHMARKS.md "Flood water, fourth pass" rerun as
they were measured; "growing on Kuan 7x7" is the one the engine took.

Each variant is a context manager that swaps one step of :mod:`paii_core.flood.mapping`
(or the working grid of :mod:`paii_core.flood.files`) for the time of a run and restores it;
``bench.flood.water_dev --variant NAME`` scores the dev chips (and with ``--checks`` the
simulator and the real-DEM benchmark) under it. None of them is in the engine: each lost on
the development chips or on the simulators, except growing on a Kuan filter (seeds and core
on the boxcar), which the engine now does. The directions:

- decision scale: the threshold, growing and core applied to another speckle filter (a 5 x 5
  boxcar; the Lee (1980) minimum-mean-square-error filter in Kuan et al.'s (1985) form,
  :func:`paii_core.flood.water.kuan_db`, of 5 or 7 px for 4.4 looks, the
  equivalent number of looks of Sentinel-1 IW GRD), or the growing alone on a Kuan filter of
  5 or 7 px, or all three on the mean power of segments
  (SLIC, Achanta et al. 2012; Felzenszwalb & Huttenlocher 2004) instead of pixels;
  a majority filter of the final water (post-classification smoothing); a minimum mapping
  unit 3 times larger;
- growing bounded by the two-class model's posterior (P(water | x) > 0.5 under the fitted
  Gaussians in dB, equal priors or the scene's thresholded share) instead of t + 1..3 dB;
- a texture gate: grown pixels kept only where the local coefficient of variation of
  linear power (7 x 7) is below a limit (water is smooth);
- a square working grid at the finer side of a geographic pixel (no input column merged).

The variants named "engine: ..." (fifth pass) start from the engine's rules as they are
now (growing on the Kuan 7 x 7 filter) and add one step: an object-level decision (a
water body kept only if its mean power is below the threshold or the class midpoint,
:func:`dark_objects`), a minimum mapping unit 3 times larger, growing bounded by the
posterior, or the CV gate. None won on the development chips or their sub-windows
(:mod:`bench.flood.water_windows`; bench/BENCHMARKS.md, "Flood water, fifth pass").

The variant named "fit: ..." (sixth pass) changes the threshold, not the rules: on top of
the engine's raise of a water scene's split to the absolute water level
(:mod:`paii_core.flood.levels`), a single LAND mode's split is lowered to that level unless
a tenth of the scene is darker than it (:func:`land_level`). It cleaned the dry
development windows, and was tested once on the held-out chips, where it cost Bolivia and
Mekong (bench/BENCHMARKS.md, "Flood water, sixth pass"); it is kept here to be rerun.

The variants named "scene: ..." (seventh pass) change the clear-water core on the scene path
only (a scene split by its own clearly bimodal histogram), measured on the development chips
with the STAC Overflow ones (India_pxs10 among them) and their windows: no core, a core at
the water mean + 2 or 3 sd or at the threshold (:func:`scene_core`), or bodies without a
core kept where their mean power is below the class midpoint, or 1 dB below it. The last is
now in the engine (``mapping.UNCORED_MARGIN_DB``); "engine before the seventh pass" takes it
out again (:func:`scene_core` with the engine's core and ``uncored_max_db`` None) so that
the figures before it rerun.

The variants named "feature: ..." and "split: ..." (eighth pass) address flood water that is
as bright as land in VV and dark only in VH (Paraguay_jja10, Pakistan_849790): the water
feature chosen per scene by the Otsu separability of its histogram (VH + 7 dB where clearly
more bimodal than the engine's mean of VV and VH + 7 dB, :func:`separable_feature`), and
Otsu's split where the minimum-error criterion has no interior minimum (:func:`ki_or_otsu`).
The second is in the engine only where at least a quarter of the scene's despeckled VH is
below the calm-water level (``water.DARK_VH_MIN_SHARE``); "split: ... raw VH ..." judges
that share on the raw VH (rejected: a dry window crossed it), and "engine before the eighth
pass" takes the rule out (bench/BENCHMARKS.md, "Flood water, eighth pass").

The variants of the ninth pass ask whether one principled change removes the extra water
of India_pxs10 (the India test chip's event): growth beyond the seeds only where both
polarisations, each on its own, are on the water side of the class midpoint
(:func:`both_polarisations`, everywhere or on the scene path only), and the scene path's
split at the posterior 0.5 of a Gaussian mixture fitted to the scene's histogram with one
land mode or two (:func:`mixture_split`). Each lowered development chips and windows
(bench/BENCHMARKS.md, "Flood water, ninth pass"): outside the India event the pixels dark
in VH but not in VV are mostly water.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator

import numpy as np
from scipy import ndimage

from paii_core.errors import ValidationError
from paii_core.flood import files, levels, mapping, water

SEGMENT_SIZES_PX = {"slic": 30, "felzenszwalb": 50}
"""Mean segment size (SLIC) or scale (Felzenszwalb) of the segment-mean variants."""


def kuan_db(db: np.ndarray, *, size: int = 5, looks: float = water.S1_LOOKS) -> np.ndarray:
    """:func:`paii_core.flood.water.kuan_db` (the engine's, 7 x 7 there by default)."""
    return water.kuan_db(db, size=size, looks=looks)


def segment_mean_db(db: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(H, W) float32 mean power (in dB) of each pixel's segment; NaN pixels left out, kept NaN."""
    x = np.asarray(db, dtype=np.float64)
    lab = np.asarray(labels)
    if lab.shape != x.shape:
        raise ValidationError(f"labels {lab.shape} should have the image's shape {x.shape}")
    valid = np.isfinite(x)
    n = int(lab.max()) + 1
    power = np.bincount(lab.ravel(), np.where(valid, 10.0 ** (x / 10.0), 0.0).ravel(), n)
    count = np.bincount(lab.ravel(), valid.ravel().astype(float), n)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (10.0 * np.log10(power / count))[lab]
    out[~valid] = np.nan
    return out.astype(np.float32)


def majority(mask: np.ndarray, size: int) -> np.ndarray:
    """(H, W) bool: pixels where more than half of the ``size`` square around them is set."""
    return ndimage.uniform_filter(np.asarray(mask, dtype=np.float32), size) > 0.5


def dark_objects(mask: np.ndarray, db: np.ndarray, max_db: float) -> np.ndarray:
    """The 8-connected bodies of ``mask`` whose mean power (linear mean of ``db``, NaN left
    out) is below ``max_db``: an object-level decision, each body as a whole."""
    m = np.asarray(mask, dtype=bool)
    x = np.asarray(db, dtype=np.float64)
    if m.shape != x.shape:
        raise ValidationError(f"mask {m.shape} and db {x.shape} should have one shape")
    labels, n = ndimage.label(m, structure=np.ones((3, 3), bool))
    if n == 0:
        return m
    ok = np.isfinite(x) & m
    power = np.bincount(labels[ok], 10.0 ** (x[ok] / 10.0), n + 1)
    count = np.bincount(labels[ok], minlength=n + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        keep = power / count < 10.0 ** (max_db / 10.0)
    keep[0] = False
    return keep[labels]


def _segments(kind: str) -> Callable[[np.ndarray], np.ndarray]:
    from skimage.segmentation import felzenszwalb, slic

    def decide(single: np.ndarray) -> np.ndarray:
        vv = water.despeckle_db(single)
        x = np.where(np.isfinite(vv), vv, np.nanmedian(vv)).astype(np.float64)
        k = SEGMENT_SIZES_PX[kind]
        if kind == "slic":
            lab = slic(x, n_segments=max(1, x.size // k), compactness=0.1, channel_axis=None,
                       start_label=0)  # fmt: skip
        else:
            lab = felzenszwalb(x, scale=k, sigma=0.5, min_size=10)
        return segment_mean_db(single, lab)

    return decide


def _posterior_limit(fit: water.WaterFit, prior: float = 0.5) -> float | None:
    """The dB above the water mean where P(water | x) falls to 0.5 under ``fit``'s Gaussians."""
    (mw, sw), (ml, sl) = fit.water, fit.land
    xs = np.arange(mw, 0.0, 0.01)
    lw = -0.5 * ((xs - mw) / sw) ** 2 - np.log(sw) + np.log(prior)
    ll = -0.5 * ((xs - ml) / sl) ** 2 - np.log(sl) + np.log(1.0 - prior)
    over = np.flatnonzero(lw < ll)
    return float(xs[over[0]]) if over.size else None


def rules_water_with(
    post: np.ndarray,
    rules: mapping.Rules,
    *,
    decide: Callable[[np.ndarray], np.ndarray] | None = None,
    grow_on: Callable[[np.ndarray], np.ndarray] | None = None,
    limit: float | None = None,
    smooth_gate: float | None = None,
    min_px: int | None = None,
    final: Callable[[np.ndarray], np.ndarray] | None = None,
    object_max_db: float | None = None,
    uncored_max_db: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The rules' water as they were before the fourth pass, with one step swapped.

    Before the fourth pass the threshold, the growing and the core were all decided on
    the 3 x 3 boxcar; the engine now grows on a Kuan filter (``grow_on`` =
    ``water.kuan_db(s, size=mapping.GROW_FILTER_PX)`` gives :func:`mapping.rules_water`,
    tested). ``decide`` maps the single-look feature to the image the threshold, growing
    and core are decided on (default its 3 x 3 boxcar); ``grow_on`` the image the growing
    alone is decided on (default ``decide``'s); ``limit`` the growing limit; ``smooth_gate``
    admits grown pixels only where the 7 x 7 local CV is below it; ``min_px`` the
    minimum body; ``final`` post-processes the water; ``object_max_db`` keeps only the water
    bodies whose mean power (of the single-look feature) is below it (:func:`dark_objects`);
    ``uncored_max_db`` keeps, beside the bodies with a clear-water core, those without one
    whose mean power (of the single-look feature) is below it.
    """
    from bench.flood.water_dev import local_cv

    single = water.water_feature_db(post)
    d = water.despeckle_db(single) if decide is None else decide(single)
    grow = rules.grow_limit if limit is None else limit
    seeds = d < rules.threshold
    candidate = d if grow_on is None else grow_on(single)
    if smooth_gate is not None:
        candidate = np.where((np.nan_to_num(local_cv(single), nan=9.0) < smooth_gate) | seeds,
                             candidate, 99.0)  # fmt: skip
    wet = water.grow_water(candidate, seeds, limit_db=grow)
    near = ndimage.binary_dilation(wet, structure=np.ones((3, 3), bool),
                                   iterations=mapping.RAW_GROW_PX)  # fmt: skip
    dark = (single < min(rules.middle, grow)) & near
    wet = water.grow_water(np.where(dark, -99.0, 0.0), wet, limit_db=0.0)
    wet = mapping._drop_specks(wet, min_px=rules.min_px if min_px is None else min_px)
    if rules.strong is not None:
        cored = mapping._with_core(wet, d < rules.strong, min_px=rules.min_px)
        if uncored_max_db is not None:
            cored |= dark_objects(wet, single, uncored_max_db)
        wet = cored
    if object_max_db is not None:
        wet = dark_objects(wet, single, object_max_db)
    if final is not None:
        wet = final(wet)
    return d, wet


@contextlib.contextmanager
def _rules(make: Callable[[np.ndarray, mapping.Rules, water.WaterFit], dict]) -> Iterator[None]:
    """Swap ``mapping.rules_water`` for :func:`rules_water_with` with ``make``'s options."""
    saved_rules, saved_fit = mapping.rules_water, mapping.fit_scene
    state: dict = {}

    def fit_scene(post, **kw):
        state["fit"] = saved_fit(post, **kw)
        return state["fit"]

    def rules_water(post, rules):
        return rules_water_with(post, rules, **make(post, rules, state["fit"]))

    mapping.fit_scene, mapping.rules_water = fit_scene, rules_water
    try:
        yield
    finally:
        mapping.fit_scene, mapping.rules_water = saved_fit, saved_rules


def _engine_grow(single: np.ndarray) -> np.ndarray:
    """The image the engine grows on: the Kuan filter of :data:`mapping.GROW_FILTER_PX`."""
    return water.kuan_db(single, size=mapping.GROW_FILTER_PX)


def _clipped(value: float | None, rules: mapping.Rules) -> float:
    low, high = rules.threshold, rules.threshold + mapping.GROW_DB[1]
    return float(np.clip(high if value is None else value, low, high))


def _scene_prior(post: np.ndarray, rules: mapping.Rules) -> float:
    d = water.despeckle_db(water.water_feature_db(post))
    return float(np.clip(np.nanmean(d < rules.threshold), 0.01, 0.99))


@contextlib.contextmanager
def _finer_grid() -> Iterator[None]:
    """A geographic scene's working grid square at the finer side of its pixel."""
    saved = files._to_working_grid

    def to_grid(sar):
        if not sar.crs.is_geographic:
            return sar
        from rasterio.warp import Resampling, calculate_default_transform

        from paii_core import io

        lat = np.radians(0.5 * (sar.bounds[1] + sar.bounds[3]))
        per_lon = 111_412.84 * np.cos(lat) - 93.5 * np.cos(3 * lat)
        per_lat = 111_132.92 - 559.82 * np.cos(2 * lat) + 1.175 * np.cos(4 * lat)
        side = min(abs(sar.transform.a) * per_lon, abs(sar.transform.e) * per_lat)
        crs = files.utm_crs(sar.crs, sar.bounds)
        transform, w, h = calculate_default_transform(
            sar.crs, crs, sar.width, sar.height, *sar.bounds, resolution=side
        )
        power = np.power(np.float32(10.0), sar.data / np.float32(10.0))
        warped = files._warp(power, sar, crs, transform, (h, w), Resampling.bilinear)
        with np.errstate(divide="ignore", invalid="ignore"):
            db = np.float32(10.0) * np.log10(warped)
        return io.Raster(db.astype(np.float32), crs, transform, sar.band_names, dict(sar.tags))

    files._to_working_grid = to_grid
    try:
        yield
    finally:
        files._to_working_grid = saved


def land_level(
    fit: water.WaterFit, model: np.ndarray, scene: np.ndarray, vh_counts: np.ndarray | None
) -> water.WaterFit:
    """The engine's single-mode check (``water._single_mode``) plus the land side of the
    sixth pass's tested variant: a split inside a single land mode (eta below
    :data:`water.SINGLE_MODE_ETA`, no valley, VH median at or above -22 dB) lowered to the
    water level where under a tenth of the scene is darker than the level."""
    out = _ENGINE_SINGLE_MODE(fit, model, scene, vh_counts)
    if out is not fit or fit.threshold_db is None or scene.sum() <= 0:
        return out
    centres = 0.5 * (water.BINS[1:] + water.BINS[:-1])
    if water.scene_separability(scene)[0] >= water.SINGLE_MODE_ETA:
        return fit
    if water._valley(scene, fit.threshold_db):
        return fit
    vh = None if vh_counts is None else np.asarray(vh_counts, dtype=np.float64)
    if levels.mode_class(scene, vh, centres) != "land":
        return fit
    vv_only = vh is None or not vh.sum() >= 0.5 * scene.sum()
    level = levels.feature_water_db(water.CROSS_POL_OFFSET_DB, vv_only=vv_only)
    if scene[centres < level].sum() >= water.SCENE_MIN_SHARE * scene.sum():
        return fit
    t = min(fit.threshold_db, level)
    if t == fit.threshold_db:
        return fit
    low = centres < t
    if scene[low].sum() <= 0:
        return water.WaterFit(None, (np.nan, np.nan), (np.nan, np.nan), "none", fit.scene_otsu_db)
    if model[low].sum() <= 0 or model[~low].sum() <= 0:
        model = scene
    return water.WaterFit(t, *water._classes(model, t), "level", fit.scene_otsu_db)


_ENGINE_SINGLE_MODE = water._single_mode


_ENGINE_FROM_FIT = mapping.Rules.from_fit.__func__
STRONG_ENGINE = -1.0
"""``sd`` of :func:`scene_core` that keeps the engine's core (the engine before the seventh
pass: no body without a core kept)."""


def scene_core(sd: float | None) -> Callable[[], contextlib.AbstractContextManager]:
    """On the scene path only (a scene clearly bimodal by its own histogram, method
    ``scene``), the clear-water core at the water mean + ``sd`` standard deviations (capped
    at the threshold, as the engine's; ``inf``: the threshold itself), or no core at all
    (``sd`` None), or the engine's core (:data:`STRONG_ENGINE`); every other scene keeps
    the engine's core (:data:`paii_core.flood.mapping.STRONG_SD`). Bodies without a core
    are never kept (the engine's ``uncored_max_db`` is taken out: these are variants of the
    engine before the seventh pass)."""

    def from_fit(cls, fit: water.WaterFit, **kw):
        rules = dataclasses.replace(_ENGINE_FROM_FIT(cls, fit, **kw), uncored_max_db=None)
        if fit.method != "scene" or sd == STRONG_ENGINE:
            return rules
        if sd is None:
            return dataclasses.replace(rules, strong=None)
        strong = min(rules.threshold, fit.water[0] + sd * fit.water[1])
        return dataclasses.replace(rules, strong=strong)

    @contextlib.contextmanager
    def swap() -> Iterator[None]:
        mapping.Rules.from_fit = classmethod(from_fit)
        try:
            yield
        finally:
            mapping.Rules.from_fit = classmethod(_ENGINE_FROM_FIT)

    return swap


@contextlib.contextmanager
def _land_level() -> Iterator[None]:
    """Swap the engine's single-mode check for :func:`land_level` for a run."""
    water._single_mode = land_level
    try:
        yield
    finally:
        water._single_mode = _ENGINE_SINGLE_MODE


_ENGINE_FEATURE = water.water_feature_db
_ENGINE_KI = water.minimum_error_threshold
FEATURE_MARGIN = 0.05
"""Least excess of VH + 7 dB's Otsu separability over the engine feature's for
:func:`separable_feature` to take VH (eighth pass)."""


def separable_feature(sar: np.ndarray, margin: float = FEATURE_MARGIN) -> np.ndarray:
    """The water feature of ``sar`` (``(2, H, W)`` VV, VH dB) chosen by bimodality: VH + 7 dB
    where the Otsu separability eta (Otsu 1979; :func:`paii_core.flood.water.scene_separability`)
    of its despeckled histogram exceeds that of the engine's feature (the mean of VV and VH +
    7 dB) by ``margin``, else the engine's feature. VV alone is never a candidate: wind and
    vegetation brighten flood water in VV far more than in VH (:mod:`paii_core.flood.levels`),
    and VV's own histogram can be bimodal for other reasons (Sri-Lanka_534068: VV eta 0.62,
    mix 0.56, VH 0.50 on 98 % water). The choice is made on the array it is given: one
    scene for the development chips and windows (one mapping window each), not scene-wide
    for scenes over ``mapping.map_flood``'s window."""
    x = np.asarray(sar, dtype=np.float32)
    mix = _ENGINE_FEATURE(x)
    if x.ndim != 3 or x.shape[0] != 2 or not np.isfinite(x[1]).any():
        return mix
    vh = np.where(np.isfinite(x[1]), x[1] + np.float32(water.CROSS_POL_OFFSET_DB), x[0])
    vh = vh.astype(np.float32)
    eta_mix = water.scene_separability(water.histogram(water.despeckle_db(mix)))[0]
    eta_vh = water.scene_separability(water.histogram(water.despeckle_db(vh)))[0]
    return vh if eta_vh >= eta_mix + margin else mix


def ki_or_otsu(counts, *, max_db: float = 0.0, min_share: float = 1e-3) -> float:
    """:func:`paii_core.flood.water.minimum_error_threshold`, except where its criterion J(t)
    has no interior minimum: where the least admissible J lies at the dark end of the
    admissible range (the ``min_share`` limit) and J is still lower beyond it, the split is
    the degenerate tail one Kittler & Illingworth (1986) warn of, and Otsu's (capped at
    ``max_db``) is taken instead (eighth pass)."""
    c = np.asarray(counts, dtype=np.float64)
    t = _ENGINE_KI(c, max_db=max_db, min_share=min_share)
    if water.tail_minimum(c, max_db=max_db, min_share=min_share):
        return min(water.otsu_threshold(c), max_db)
    return t


_ENGINE_FIT = water.fit_water
VH_WATER_SHARE = 0.25
"""Least share of a scene's VH below the calm-water level (``levels.VH_WATER_DB``) for
:func:`fit_vh_share` to refuse a degenerate minimum-error split (eighth pass)."""


def ki_degenerate(counts, *, max_db: float, min_share: float) -> bool:
    """The engine's :func:`paii_core.flood.water.tail_minimum` (J(t) without an interior
    minimum), under the name the eighth pass's variants were written with."""
    return water.tail_minimum(counts, max_db=max_db, min_share=min_share)


def fit_before_eighth(hists, scene_counts, *, vh_smooth_counts=None, **kw) -> water.WaterFit:
    """:func:`paii_core.flood.water.fit_water` as before the eighth pass: without the
    despeckled VH histogram, so a degenerate tiles split is never refused."""
    return _ENGINE_FIT(hists, scene_counts, **kw)


def fit_vh_share(
    hists, scene_counts, *, min_ashman=2.0, max_split_db=-12.0, vh_counts=None,
    vh_smooth_counts=None,
):  # fmt: skip
    """The engine's :func:`paii_core.flood.water.fit_water` as before the eighth pass
    (``vh_smooth_counts`` ignored), except on the tiles path where the pooled tiles'
    minimum-error split is degenerate (:func:`ki_degenerate`) while at least
    :data:`VH_WATER_SHARE` of the scene's RAW VH histogram lies below the calm-water level:
    Otsu's split of the pooled tiles (capped at ``max_split_db``) is taken, then the
    engine's single-mode check (the single-look VH's speckle widens its histogram, so a dry
    Sri-Lanka_qxb32 window crossed the share; the engine judges the despeckled VH)."""
    fit = _ENGINE_FIT(
        hists, scene_counts, min_ashman=min_ashman, max_split_db=max_split_db,
        vh_counts=vh_counts,
    )  # fmt: skip
    if fit.method != "tiles" or vh_counts is None:
        return fit
    vh = np.asarray(vh_counts, dtype=np.float64)
    centres = 0.5 * (water.BINS[1:] + water.BINS[:-1])
    if vh.sum() <= 0 or vh[centres < levels.VH_WATER_DB].sum() < VH_WATER_SHARE * vh.sum():
        return fit
    pooled = sum(
        (water.pool_bimodal(h, min_ashman=min_ashman, max_split_db=max_split_db) for h in hists),
        np.zeros(water.BINS.size - 1),
    )
    if not ki_degenerate(pooled, max_db=max_split_db, min_share=water.POOLED_MIN_SHARE):
        return fit
    t = min(water.otsu_threshold(pooled), max_split_db)
    scene = np.asarray(scene_counts, dtype=np.float64)
    out = water.WaterFit(t, *water._classes(pooled, t), "tiles", fit.scene_otsu_db)
    return water._single_mode(out, pooled, scene, vh)


@contextlib.contextmanager
def _fit_as(fit: Callable) -> Iterator[None]:
    """Swap :func:`paii_core.flood.water.fit_water` for ``fit`` for a run."""
    water.fit_water = fit
    try:
        yield
    finally:
        water.fit_water = _ENGINE_FIT


def _fit_swap(feature: bool, split: bool) -> Callable[[], contextlib.AbstractContextManager]:
    """Swap the water feature (:func:`separable_feature`) and/or the minimum-error split
    (:func:`ki_or_otsu`) for a run, on the engine before the eighth pass
    (:func:`fit_before_eighth`)."""

    @contextlib.contextmanager
    def swap() -> Iterator[None]:
        water.fit_water = fit_before_eighth  # on the engine as it was when measured
        if feature:
            water.water_feature_db = separable_feature
        if split:
            water.minimum_error_threshold = ki_or_otsu
        try:
            yield
        finally:
            water.water_feature_db = _ENGINE_FEATURE
            water.minimum_error_threshold = _ENGINE_KI
            water.fit_water = _ENGINE_FIT

    return swap


def both_polarisations(post: np.ndarray, rules: mapping.Rules) -> np.ndarray:
    """(H, W) bool: where both polarisations, each on its own, are on the water side of the
    class midpoint: the Kuan-filtered (:data:`mapping.GROW_FILTER_PX`) VV below
    ``rules.middle`` and the Kuan-filtered VH + 7 dB (the feature's scale,
    ``water.CROSS_POL_OFFSET_DB``) below it too; VV alone where VH is missing (ninth pass)."""
    x = np.asarray(post, dtype=np.float32)
    vv = water.kuan_db(x[0], size=mapping.GROW_FILTER_PX)
    agree = vv < rules.middle
    if np.isfinite(x[1]).any():
        offset = np.float32(water.CROSS_POL_OFFSET_DB)
        vh = water.kuan_db(x[1], size=mapping.GROW_FILTER_PX) + offset
        agree &= np.where(np.isfinite(vh), vh < rules.middle, True)
    return agree


def rules_water_agreeing(
    post: np.ndarray, rules: mapping.Rules, *, scene_only: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The engine's :func:`paii_core.flood.mapping.rules_water` except that growth beyond
    the seeds (region growing and single-look growing) admits only pixels where both
    polarisations agree (:func:`both_polarisations`); ``scene_only``: only on the scene path
    (``rules.uncored_max_db`` set, the engine's mark of a scene split by its own histogram)."""
    if scene_only and rules.uncored_max_db is None:
        return _ENGINE_RULES_WATER(post, rules)
    single = water.water_feature_db(post)
    vv = water.despeckle_db(single)
    seeds = vv < rules.threshold
    agree = both_polarisations(post, rules) | seeds
    edges = np.where(agree, water.kuan_db(single, size=mapping.GROW_FILTER_PX), 99.0)
    wet = water.grow_water(edges, seeds, limit_db=rules.grow_limit)
    near = ndimage.binary_dilation(wet, structure=np.ones((3, 3), bool),
                                   iterations=mapping.RAW_GROW_PX)  # fmt: skip
    dark = (single < min(rules.middle, rules.grow_limit)) & near & agree
    wet = water.grow_water(np.where(dark, -99.0, 0.0), wet, limit_db=0.0)
    wet = mapping._drop_specks(wet, min_px=rules.min_px)
    if rules.strong is not None:
        cored = mapping._with_core(wet, vv < rules.strong, min_px=rules.min_px)
        if rules.uncored_max_db is not None:
            cored |= mapping._dark_bodies(wet, single, rules.uncored_max_db)
        wet = cored
    return vv, wet


_ENGINE_RULES_WATER = mapping.rules_water


def _agreeing(scene_only: bool) -> Callable[[], contextlib.AbstractContextManager]:
    @contextlib.contextmanager
    def swap() -> Iterator[None]:
        mapping.rules_water = lambda post, rules: rules_water_agreeing(
            post, rules, scene_only=scene_only
        )
        try:
            yield
        finally:
            mapping.rules_water = _ENGINE_RULES_WATER

    return swap


def mixture_split(counts, *, components: int = 3, iters: int = 300) -> tuple[float | None, dict]:
    """The split where the posterior of the darkest component of a Gaussian mixture, fitted
    by EM (Dempster, Laird & Rubin 1977) to a histogram on ``water.BINS``, falls to 0.5
    above that component's mean (ninth pass: the land class allowed two modes, e.g. wet and
    dry fields, with ``components`` 3). Starts from the minimum-error split (water below it)
    and, for 3, the Otsu split of the rest. Returns (split dB or None, {"mean", "sd",
    "share"} of the components, darkest first)."""
    c = np.asarray(counts, dtype=np.float64)
    if c.shape != (water.BINS.size - 1,) or c.sum() <= 0:
        raise ValidationError(
            f"counts should be a non-empty histogram on water.BINS ({water.BINS.size - 1} "
            f"bins), got shape {c.shape} and {c.sum():g} counts"
        )
    if components not in (2, 3):
        raise ValidationError(f"components should be 2 or 3, got {components}")
    x, w = water._CENTRES, c / c.sum()
    t0 = water.minimum_error_threshold(c, min_share=water.POOLED_MIN_SHARE)
    parts = [x < t0, x >= t0]
    if components == 3:
        t1 = water.otsu_threshold(np.where(parts[1], c, 0.0))
        parts = [parts[0], parts[1] & (x < t1), parts[1] & (x >= t1)]
    parts = [p for p in parts if w[p].sum() > 0]
    pi = np.array([w[p].sum() for p in parts])
    mu = np.array([(w[p] * x[p]).sum() / w[p].sum() for p in parts])
    sd = np.array(
        [
            np.sqrt((w[p] * (x[p] - m) ** 2).sum() / w[p].sum())
            for p, m in zip(parts, mu, strict=True)
        ]
    )
    sd = np.maximum(sd, 0.5)
    for _ in range(iters):
        dens = pi[:, None] * np.exp(-0.5 * ((x - mu[:, None]) / sd[:, None]) ** 2) / sd[:, None]
        r = dens / np.maximum(dens.sum(0, keepdims=True), 1e-300)
        nk = np.maximum((r * w).sum(1), 1e-12)
        pi, mu = nk / nk.sum(), (r * w * x).sum(1) / nk
        sd = np.maximum(np.sqrt((r * w * (x - mu[:, None]) ** 2).sum(1) / nk), 0.5)
    order = np.argsort(mu)
    pi, mu, sd = pi[order], mu[order], sd[order]
    dens = pi[:, None] * np.exp(-0.5 * ((x - mu[:, None]) / sd[:, None]) ** 2) / sd[:, None]
    post = dens[0] / np.maximum(dens.sum(0), 1e-300)
    above = np.flatnonzero((x > mu[0]) & (post < 0.5))
    split = float(water.BINS[above[0]]) if above.size else None
    return split, {"mean": mu.tolist(), "sd": sd.tolist(), "share": pi.tolist()}


def _mixture_scene_split(components: int) -> Callable[[], contextlib.AbstractContextManager]:
    """On the scene path only, the split at :func:`mixture_split`'s posterior 0.5 (capped at
    -12 dB) instead of the minimum-error split; the class model as the engine's (the pooled
    tiles split at the new threshold)."""

    def fit(hists, scene_counts, **kw):
        out = _ENGINE_FIT(hists, scene_counts, **kw)
        if out.method != "scene":
            return out
        t, _ = mixture_split(scene_counts, components=components)
        if t is None:
            return out
        t = min(t, kw.get("max_split_db", -12.0))
        pooled = sum(
            (water.pool_bimodal(h) for h in hists), np.zeros(water.BINS.size - 1)
        )  # fmt: skip
        return water.WaterFit(t, *water._classes(pooled, t), "scene", out.scene_otsu_db)

    return lambda: _fit_as(fit)


VARIANTS: dict[str, Callable[[], contextlib.AbstractContextManager]] = {
    "box 5x5 decision": lambda: _rules(
        lambda p, r, f: {"decide": lambda s: water.despeckle_db(s, size=5)}),
    "Kuan 5x5 decision": lambda: _rules(lambda p, r, f: {"decide": lambda s: kuan_db(s, size=5)}),
    "Kuan 7x7 decision": lambda: _rules(lambda p, r, f: {"decide": lambda s: kuan_db(s, size=7)}),
    "SLIC segment mean": lambda: _rules(lambda p, r, f: {"decide": _segments("slic")}),
    "Felzenszwalb segment mean": lambda: _rules(
        lambda p, r, f: {"decide": _segments("felzenszwalb")}),
    "growing on Kuan 5x5": lambda: _rules(
        lambda p, r, f: {"grow_on": lambda s: kuan_db(s, size=5)}),
    "growing on Kuan 7x7 (the engine since the fourth pass)": lambda: _rules(
        lambda p, r, f: {"grow_on": lambda s: kuan_db(s, size=7)}),
    "majority 5x5": lambda: _rules(lambda p, r, f: {"final": lambda m: majority(m, 5)}),
    "minimum body x3": lambda: _rules(lambda p, r, f: {"min_px": 3 * r.min_px}),
    "growing to posterior 0.5": lambda: _rules(
        lambda p, r, f: {"limit": _clipped(_posterior_limit(f), r)}),
    "growing to posterior 0.5, scene prior": lambda: _rules(
        lambda p, r, f: {"limit": _clipped(_posterior_limit(f, _scene_prior(p, r)), r)}),
    "CV gate 0.6 on growing": lambda: _rules(lambda p, r, f: {"smooth_gate": 0.6}),
    "CV gate 0.8 on growing": lambda: _rules(lambda p, r, f: {"smooth_gate": 0.8}),
    "finer working grid": _finer_grid,
    # fifth pass: on the engine's rules (growing on Kuan 7 x 7), one step added or swapped
    "engine: bodies darker than the threshold as a whole": lambda: _rules(
        lambda p, r, f: {"grow_on": _engine_grow, "object_max_db": r.threshold}),
    "engine: bodies darker than the class midpoint as a whole": lambda: _rules(
        lambda p, r, f: {"grow_on": _engine_grow, "object_max_db": r.middle}),
    "engine: minimum body x3": lambda: _rules(
        lambda p, r, f: {"grow_on": _engine_grow, "min_px": 3 * r.min_px}),
    "engine: growing to posterior 0.5": lambda: _rules(
        lambda p, r, f: {"grow_on": _engine_grow, "limit": _clipped(_posterior_limit(f), r)}),
    "engine: CV gate 0.8 on growing": lambda: _rules(
        lambda p, r, f: {"grow_on": _engine_grow, "smooth_gate": 0.8}),
    "engine: CV gate 1.0 on growing": lambda: _rules(
        lambda p, r, f: {"grow_on": _engine_grow, "smooth_gate": 1.0}),
    # sixth pass: the threshold of a single-mode scene
    "fit: dry scenes lowered to the water level": _land_level,
    # seventh pass: the clear-water core on the scene path (clearly bimodal scenes) only
    "scene: no clear-water core": scene_core(None),
    "scene: clear-water core at water mean + 2 sd": scene_core(2.0),
    "scene: clear-water core at water mean + 3 sd": scene_core(3.0),
    "scene: clear-water core at the threshold": scene_core(float("inf")),
    "engine before the seventh pass": scene_core(STRONG_ENGINE),
    "engine: bodies without a core kept if darker than the class midpoint": lambda: _rules(
        lambda p, r, f: {"grow_on": _engine_grow, "uncored_max_db": r.middle}),
    "scene: bodies without a core kept if darker than the class midpoint": lambda: _rules(
        lambda p, r, f: {"grow_on": _engine_grow,
                         "uncored_max_db": r.middle if f.method == "scene" else None}),
    "scene: bodies without a core kept if 1 dB darker than the class midpoint": lambda: _rules(
        lambda p, r, f: {"grow_on": _engine_grow,
                         "uncored_max_db": r.middle - 1.0 if f.method == "scene" else None}),
    # eighth pass: VV-bright flood water (Paraguay_jja10, Pakistan_849790)
    "feature: VH + 7 dB where clearly more bimodal": _fit_swap(True, False),
    "split: Otsu where K-I has no interior minimum": _fit_swap(False, True),
    "feature and split: both": _fit_swap(True, True),
    "split: Otsu where K-I has no interior minimum and a quarter of raw VH is water-dark":
        lambda: _fit_as(fit_vh_share),
    "engine before the eighth pass": lambda: _fit_as(fit_before_eighth),
    # ninth pass: growth beyond the seeds only where VV and VH + 7 dB both say water
    "growth where both polarisations agree": _agreeing(False),
    "scene: growth where both polarisations agree": _agreeing(True),
    "scene: split at the two-component mixture's posterior 0.5": _mixture_scene_split(2),
    "scene: split at the three-component mixture's posterior 0.5": _mixture_scene_split(3),
}  # fmt: skip
"""Name -> context manager factory of every variant of the fourth pass."""


def variant(name: str) -> contextlib.AbstractContextManager:
    """The context manager of variant ``name`` (see :data:`VARIANTS`)."""
    if name not in VARIANTS:
        raise ValidationError(f"unknown variant {name!r}; choose one of: {', '.join(VARIANTS)}")
    return VARIANTS[name]()
