"""Open water in SAR backscatter: speckle filter, split-based thresholds, change detection."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from paii_core.errors import PaiiWarning, ValidationError
from paii_core.flood import levels

__all__ = [
    "BINS",
    "TileHistograms",
    "WaterFit",
    "dark_vh_share",
    "describe_method",
    "despeckle_db",
    "fit_water",
    "grow_water",
    "histogram",
    "kuan_db",
    "otsu_threshold",
    "pool_bimodal",
    "scene_separability",
    "tail_minimum",
    "tile_histograms",
    "tiled_threshold",
    "water_likelihood",
]

BINS = np.linspace(-40.0, 10.0, 201, dtype=np.float32)
"""Histogram bin edges in dB (0.25 dB wide): sigma0 of land, water and noise floor."""
_CENTRES = 0.5 * (BINS[1:] + BINS[:-1])
POOLED_MIN_SHARE = 0.05
"""Least share of the pooled bimodal tiles' histogram either side of the scene threshold."""
SCENE_MIN_ETA = 0.75
"""Least between-class to total variance ratio of a scene's Otsu split for the scene's own
histogram to be trusted as bimodal (one Gaussian split at its mean gives 2 / pi = 0.64)."""
SCENE_MIN_SHARE = 0.1
"""Least share of a bimodal scene's histogram either side of its Otsu split."""
SINGLE_MODE_ETA = 0.70
"""A scene's histogram with Otsu's separability below this (one Gaussian: 2 / pi = 0.64)
and no valley at the chosen split has a single mode; where that mode is water its split is
raised to the absolute water level (:mod:`paii_core.flood.levels`). Between this and
:data:`SCENE_MIN_ETA` the scene is neither clearly one mode nor clearly two: the split stands."""


DARK_VH_MIN_SHARE = 0.25
"""Least share of a scene's despeckled VH below the calm-water level
(:data:`paii_core.flood.levels.VH_WATER_DB`) for :func:`fit_water` to refuse the pooled
tiles' degenerate minimum-error split (a sliver of the dark tail) and split them by Otsu.
Chosen on the development chips' windows: the dry windows of Sri-Lanka_qxb32, radar-dark
land, reach 0.19; Paraguay_jja10's flood windows 0.11-0.54 (bench/BENCHMARKS.md, "Flood
water, eighth pass")."""


CROSS_POL_OFFSET_DB = 7.0
"""Typical VV - VH difference of land in dB (vegetation and soil at C band)."""


def water_feature_db(sar: ArrayLike) -> NDArray[np.float32]:
    """(H, W) float32 dB in which water is sought: the mean of VV and VH + 7 dB.

    Open water is dark in both polarisations, but wind or rain roughen it in VV far more
    than in VH, while VH alone is noisier (closer to the noise floor). Their mean in dB,
    with VH lifted by the typical land VV - VH difference (:data:`CROSS_POL_OFFSET_DB`)
    so that VV-scaled limits (the -12 dB split ceiling) hold, separates water from land
    more often than either band (on the Sen1Floods11 chips used to choose it, held apart
    from the benchmark's chips). Where VH is missing (VV-only scenes) VV is used.
    ``sar`` is ``(2, H, W)`` VV, VH in dB.
    """
    x = np.asarray(sar, dtype=np.float32)
    vv, vh = x[0], x[1]
    mix = np.float32(0.5) * (vv + vh + np.float32(CROSS_POL_OFFSET_DB))
    return np.where(np.isfinite(vh), mix, vv).astype(np.float32)


def despeckle_db(db: ArrayLike, *, size: int = 3) -> NDArray[np.float32]:
    """(H, W) float32 boxcar mean of sigma0 taken in linear power, back in dB.

    Averaging ``size`` x ``size`` pixels multiplies the equivalent number of looks by
    about size^2 (Lee & Pottier 2009, "Polarimetric radar imaging", ch. 4), narrowing
    the speckle spread of water and land so their histogram modes separate. NaN pixels
    are left out of the means and stay NaN.
    """
    x = np.asarray(db, dtype=np.float32)
    if x.ndim != 2:
        raise ValidationError(f"db should be an (H, W) array, got shape {x.shape}")
    valid = np.isfinite(x)
    power = np.where(valid, np.power(np.float32(10.0), x / np.float32(10.0)), 0.0)
    total = ndimage.uniform_filter(power.astype(np.float32), size=size, mode="nearest")
    count = ndimage.uniform_filter(valid.astype(np.float32), size=size, mode="nearest")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.float32(10.0) * np.log10(total / count)
    out[~valid] = np.nan
    return out.astype(np.float32)


S1_LOOKS = 4.4
"""Equivalent number of looks of Sentinel-1 IW GRDH (full resolution), ESA's product figure."""


def kuan_db(db: ArrayLike, *, size: int = 7, looks: float = S1_LOOKS) -> NDArray[np.float32]:
    """(H, W) float32 Kuan filter of a dB image, computed in linear power, back in dB.

    The local-statistics minimum-mean-square-error speckle filter of Lee (1980) in Kuan et
    al.'s (1985, IEEE TPAMI 7) form, as Lopes, Touzi & Nezry (1990, IEEE TGRS 28) write
    it: out = m + k (x - m), m the local ``size`` x ``size`` mean, k = (1 - Cu^2 / Ci^2) /
    (1 + Cu^2) clipped to 0..1, Cu^2 = 1 / ``looks`` (speckle alone), Ci^2 the local
    variance over m^2. Homogeneous areas are averaged as a boxcar would; where the window
    holds an edge (Ci^2 far above Cu^2) the pixel keeps most of its own value (k up to
    1 / (1 + Cu^2) = 0.81 at 4.4 looks), so the shore between dark water and bright land
    is far less smeared. NaN pixels are left out of the statistics and stay NaN.
    """
    x = np.asarray(db, dtype=np.float32)
    if x.ndim != 2:
        raise ValidationError(f"db should be an (H, W) array, got shape {x.shape}")
    if not looks > 0:
        raise ValidationError(f"looks should be positive, got {looks}")
    valid = np.isfinite(x)
    p = np.where(valid, np.power(np.float32(10.0), x / np.float32(10.0)), 0.0).astype(np.float32)
    n = ndimage.uniform_filter(valid.astype(np.float32), size, mode="nearest")
    with np.errstate(divide="ignore", invalid="ignore"):
        m = ndimage.uniform_filter(p, size, mode="nearest") / n
        var = ndimage.uniform_filter(p * p, size, mode="nearest") / n - m * m
        np.maximum(var, 0.0, out=var)
        cu2 = np.float32(1.0 / looks)
        k = (1.0 - cu2 * (m * m) / np.maximum(var, np.float32(1e-30))) / (1.0 + cu2)
        np.clip(k, 0.0, 1.0, out=k)
        out = np.float32(10.0) * np.log10(m + k * (p - m))
    out[~valid] = np.nan
    return out.astype(np.float32)


@dataclass(frozen=True)
class TileHistograms:
    """Histograms of square tiles of one image, on the bins :data:`BINS`."""

    counts: NDArray[np.float64]
    """(N, len(BINS) - 1) pixel counts per tile and bin."""
    tile_px: int


def tile_histograms(image: ArrayLike, *, tile_px: int) -> TileHistograms:
    """Histogram every ``tile_px`` square of an ``(H, W)`` dB image (NaN skipped)."""
    x = np.asarray(image, dtype=np.float32)
    if x.ndim != 2:
        raise ValidationError(f"image should be (H, W), got shape {x.shape}")
    if tile_px < 8:
        raise ValidationError(f"tile_px should be at least 8, got {tile_px}")
    h, w = x.shape
    rows, cols = -(-h // tile_px), -(-w // tile_px)
    tile = (np.arange(h)[:, None] // tile_px) * cols + (np.arange(w)[None, :] // tile_px)
    valid = np.isfinite(x)
    nb = BINS.size - 1
    flat = tile[valid] * nb + _bin_index(x[valid])
    counts = np.bincount(flat, minlength=rows * cols * nb).reshape(rows * cols, nb)
    return TileHistograms(counts.astype(np.float64), tile_px)


def _bin_index(values: NDArray[np.float32]) -> NDArray[np.int64]:
    """The :data:`BINS` bin of each finite dB value (values beyond them in the end bins).
    The bins are uniform and half-open, [lower edge, upper edge) as numpy.histogram's:
    floor((x - first edge) / width) without a binary search per pixel. An edge value
    falls in the bin above it, so a split at bin k's upper edge t calls water exactly the
    pixels counted in bins 0..k (water is ``x < t`` throughout): with the bin below, a
    pixel on the edge was counted as water and not called water, and whether a
    despeckled value landed on the edge or a float32 step off it depended on the CPU."""
    step = np.float32(BINS[1] - BINS[0])
    b = np.floor((values - BINS[0]) / step).astype(np.int64)
    return np.clip(b, 0, BINS.size - 2, out=b)


def histogram(image: ArrayLike) -> NDArray[np.float64]:
    """Counts of an image's finite dB values on :data:`BINS` (values beyond them in the end
    bins), as :func:`tile_histograms` bins them."""
    x = np.asarray(image, dtype=np.float32)
    return np.bincount(_bin_index(x[np.isfinite(x)]), minlength=BINS.size - 1).astype(np.float64)


def _otsu_rows(counts: NDArray[np.float64]) -> tuple[NDArray, NDArray, NDArray]:
    """Otsu split per histogram row: (threshold index, low-class share, Ashman's D)."""
    n = counts.sum(axis=1, keepdims=True)
    p = counts / np.maximum(n, 1.0)
    w0 = np.cumsum(p, axis=1)
    m = np.cumsum(p * _CENTRES, axis=1)
    mt = m[:, -1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mt * w0 - m) ** 2 / (w0 * (1.0 - w0))
    between[~np.isfinite(between)] = -1.0
    k = between.argmax(axis=1)
    rows = np.arange(counts.shape[0])
    share = w0[rows, k]
    low = np.arange(_CENTRES.size)[None, :] <= k[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        n0 = (p * low).sum(1)
        n1 = (p * ~low).sum(1)
        mu0 = (p * low * _CENTRES).sum(1) / n0
        mu1 = (p * ~low * _CENTRES).sum(1) / n1
        v0 = (p * low * (_CENTRES - mu0[:, None]) ** 2).sum(1) / n0
        v1 = (p * ~low * (_CENTRES - mu1[:, None]) ** 2).sum(1) / n1
        ashman = np.sqrt(2.0) * np.abs(mu1 - mu0) / np.sqrt(v0 + v1 + 1e-6)
    return k, share, np.nan_to_num(ashman)


def otsu_threshold(counts: ArrayLike) -> float:
    """Otsu (1979) threshold in dB of one histogram on :data:`BINS`."""
    c = np.asarray(counts, dtype=np.float64).reshape(1, -1)
    k, _, _ = _otsu_rows(c)
    return float(BINS[k[0] + 1])


def scene_separability(counts: ArrayLike) -> tuple[float, float]:
    """(eta, low-class share) of the Otsu split of one histogram on :data:`BINS`.

    eta is Otsu's (1979) separability measure, the between-class variance over the total
    variance at the optimal split (0..1). A single Gaussian split at its mean gives
    2 / pi = 0.64 whatever its spread; two well separated modes approach 1. An empty or
    single-bin histogram gives (0.0, 0.0).
    """
    c = np.asarray(counts, dtype=np.float64)
    if c.ndim != 1 or c.size != _CENTRES.size:
        raise ValidationError(
            f"counts should be one histogram of {_CENTRES.size} bins (water.BINS), got "
            f"shape {c.shape}"
        )
    n = c.sum()
    if n <= 0:
        return 0.0, 0.0
    p = c / n
    mean = float((p * _CENTRES).sum())
    total = float((p * (_CENTRES - mean) ** 2).sum())
    if total <= 0:
        return 0.0, 0.0
    k, _, _ = _otsu_rows(c.reshape(1, -1))
    low = np.arange(_CENTRES.size) <= k[0]
    w0 = float(p[low].sum())
    if not 0.0 < w0 < 1.0:
        return 0.0, w0
    m0 = float((p[low] * _CENTRES[low]).sum()) / w0
    m1 = float((p[~low] * _CENTRES[~low]).sum()) / (1.0 - w0)
    return w0 * (1.0 - w0) * (m1 - m0) ** 2 / total, w0


def minimum_error_threshold(
    counts: ArrayLike, *, max_db: float = 0.0, min_share: float = 1e-3
) -> float:
    """Kittler & Illingworth (1986) minimum-error threshold in dB of one histogram.

    Fits two Gaussians whose spreads and sizes may differ and returns the bin edge
    minimising J(t) = 1 + 2 (P1 ln s1 + P2 ln s2) - 2 (P1 ln P1 + P2 ln P2); unlike
    Otsu it does not drift towards the wider land mode (used for SAR water by Bazi,
    Bruzzone & Melgani 2007 and Chini et al. 2017). The threshold is sought at or
    below ``max_db``, where each class holds at least ``min_share`` of the histogram:
    J(t) also dips where a narrow sliver of the tail is split off (a class of a few
    bins has a tiny spread), the known degenerate minimum of the criterion.
    """
    c = np.asarray(counts, dtype=np.float64)
    j, ok = _ki_criterion(c, max_db, min_share)
    if not ok.any():
        return otsu_threshold(c)
    k = int(np.flatnonzero(ok)[np.argmin(j[ok])])
    return float(BINS[k + 1])


def _ki_criterion(
    c: NDArray[np.float64], max_db: float, min_share: float
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Kittler-Illingworth's J at every bin edge of histogram ``c`` and where it is admissible
    (each class >= ``min_share``, both spread, the split at or below ``max_db``)."""
    p = c / max(c.sum(), 1.0)
    p1 = np.cumsum(p)
    p2 = 1.0 - p1
    m1 = np.cumsum(p * _CENTRES)
    s1 = np.cumsum(p * _CENTRES**2)
    with np.errstate(divide="ignore", invalid="ignore"):
        mu1, mu2 = m1 / p1, (m1[-1] - m1) / p2
        v1 = s1 / p1 - mu1**2
        v2 = (s1[-1] - s1) / p2 - mu2**2
        j = 1.0 + p1 * np.log(v1) + p2 * np.log(v2) - 2.0 * (p1 * np.log(p1) + p2 * np.log(p2))
    ok = (p1 >= min_share) & (p2 >= min_share) & (v1 > 1e-4) & (v2 > 1e-4) & np.isfinite(j)
    ok &= _CENTRES <= max_db
    return j, ok


def tail_minimum(counts: ArrayLike, *, max_db: float = 0.0, min_share: float = 1e-3) -> bool:
    """True where :func:`minimum_error_threshold`'s criterion J(t) has no interior minimum:
    its least admissible value lies at the dark end of the admissible range (the
    ``min_share`` limit) and J is lower still beyond it, so the split is the degenerate one
    that cuts a sliver off the dark tail (Kittler & Illingworth 1986 take thresholds at
    local minima of J; a histogram with no two separate modes, such as one broad hump of
    flood water and land, has none). False for an empty histogram or no admissible split.
    """
    c = np.asarray(counts, dtype=np.float64)
    if c.ndim != 1 or c.size != _CENTRES.size:
        raise ValidationError(
            f"counts should be one histogram of {_CENTRES.size} bins (water.BINS), got "
            f"shape {c.shape}"
        )
    if c.sum() <= 0:
        return False
    j, ok = _ki_criterion(c, max_db, min_share)
    if not ok.any():
        return False
    admissible = np.flatnonzero(ok)
    k = int(admissible[np.argmin(j[admissible])])
    return bool(k == admissible[0] and k > 0 and np.isfinite(j[k - 1]) and j[k - 1] < j[k])


def dark_vh_share(vh_counts: ArrayLike | None) -> float:
    """Share of a VH histogram on :data:`BINS` below the calm-water level
    (:data:`paii_core.flood.levels.VH_WATER_DB`); 0.0 for None or an empty histogram."""
    if vh_counts is None:
        return 0.0
    vh = np.asarray(vh_counts, dtype=np.float64)
    total = vh.sum()
    return float(vh[_CENTRES < levels.VH_WATER_DB].sum() / total) if total > 0 else 0.0


def tiled_threshold(
    hists: list[TileHistograms],
    *,
    min_ashman: float = 2.0,
    min_share: float = 0.1,
    max_split_db: float = -12.0,
) -> float | None:
    """Water/land threshold in dB from the tiles whose histogram is clearly bimodal.

    The split-based approach of Martinis, Twele & Voigt (2009, "Towards operational
    near real-time flood detection using a split-based automatic thresholding
    procedure on high resolution TerraSAR-X data", NHESS 9) as refined by Chini et al.
    (2017, "A hierarchical split-based approach for parametric thresholding of SAR
    images: flood inundation as a test case", IEEE TGRS 55): tiles at several sizes are
    kept when Otsu splits them into two classes each holding at least ``min_share`` of
    the tile and separated by Ashman's D >= ``min_ashman`` (Ashman, Bird & Zepf 1994),
    and split below ``max_split_db`` (calm open water in C-band VV lies near -18 to
    -25 dB; splits above that part bright villages from fields, not water from land);
    the threshold is the minimum-error one (:func:`minimum_error_threshold`) on the
    pooled histogram of those tiles. Where water is a
    small part of the scene this pooled histogram is far more balanced than the
    scene's, which is where one global Otsu threshold fails. Returns None when no tile
    is bimodal (no detectable water contrast).
    """
    pooled = np.zeros(BINS.size - 1)
    found = 0
    for h in hists:
        enough = h.counts.sum(axis=1) >= 0.5 * h.tile_px**2
        if not enough.any():
            continue
        counts = h.counts[enough]
        _, share, ashman = _otsu_rows(counts)
        k, _, _ = _otsu_rows(counts)
        dark = _CENTRES[np.minimum(k, _CENTRES.size - 1)] <= max_split_db
        keep = (ashman >= min_ashman) & (share >= min_share) & (share <= 1.0 - min_share) & dark
        found += int(keep.sum())
        pooled += counts[keep].sum(axis=0)
    if found == 0:
        return None
    return minimum_error_threshold(pooled, max_db=max_split_db)


def grow_water(db: ArrayLike, seeds: ArrayLike, *, limit_db: float) -> NDArray[np.bool_]:
    """(H, W) bool: ``seeds`` grown into 8-connected pixels darker than ``limit_db``.

    Region growing from confident water (Martinis et al. 2009; Matgen et al. 2011)
    recovers flood edges that mixed pixels make a little brighter than the threshold,
    without admitting isolated dark land pixels.
    """
    x = np.asarray(db, dtype=np.float32)
    seed = np.asarray(seeds, dtype=bool)
    candidate = (x < limit_db) | seed
    labels, n = ndimage.label(candidate, structure=np.ones((3, 3), dtype=bool))
    keep = np.zeros(n + 1, dtype=bool)
    keep[labels[seed]] = True
    keep[0] = False
    return keep[labels]


@dataclass(frozen=True)
class WaterFit:
    """Water / land backscatter model of a scene: the threshold and two Gaussians in dB."""

    threshold_db: float | None
    """VV water threshold (None: no water contrast found)."""
    water: tuple[float, float]
    """(mean, standard deviation) of despeckled VV over water, dB."""
    land: tuple[float, float]
    """(mean, standard deviation) of despeckled VV over land, dB."""
    method: str
    """``scene`` (the clearly bimodal scene's own split), ``tiles`` (split-based),
    ``global`` (fallback on the whole histogram), ``level`` (a scene of water without a land
    mode, split at the absolute water level, :mod:`paii_core.flood.levels`) or ``none``."""
    scene_otsu_db: float | None = None
    """One Otsu threshold of the whole scene's histogram (context for the learned model)."""


METHOD_TEXT = {
    "scene": "the scene's own split between its water and land modes",
    "tiles": "split on the tiles that hold both water and land",
    "global": "one split of the whole scene's histogram (no tile held both classes)",
    "level": "the scene is water with no land mode, so the absolute water level is the "
    "threshold, not a split of the water",
    "none": "no water contrast in the scene",
}
"""What each :attr:`WaterFit.method` means, in words for a page or a command's summary."""


def describe_method(method: str) -> str:
    """``method (what it means)`` for a known threshold method, else the name alone."""
    text = METHOD_TEXT.get(method)
    return f"{method} ({text})" if text else method


def _classes(counts: NDArray[np.float64], threshold: float) -> tuple[tuple, tuple]:
    """(mean, sd) below and above ``threshold`` of one histogram on :data:`BINS`."""
    low = _CENTRES < threshold
    out = []
    for part in (low, ~low):
        n = counts[part].sum()
        mu = float((counts[part] * _CENTRES[part]).sum() / max(n, 1.0))
        var = float((counts[part] * (_CENTRES[part] - mu) ** 2).sum() / max(n, 1.0))
        out.append((mu, max(np.sqrt(var), 0.5)))
    return out[0], out[1]


def fit_water(
    hists: list[TileHistograms | NDArray[np.float64]],
    scene_counts: ArrayLike,
    *,
    min_ashman: float = 2.0,
    max_split_db: float = -12.0,
    vh_counts: ArrayLike | None = None,
    vh_smooth_counts: ArrayLike | None = None,
) -> WaterFit:
    """Threshold and class model of a scene: its own split where it is clearly bimodal,
    else split-based, else a global fallback.

    ``hists`` are tile histograms, or histograms already pooled by
    :func:`pool_bimodal` (the mappers pool window by window to bound memory). Where
    some tile is bimodal and the whole scene's histogram is itself clearly bimodal
    (Otsu's separability eta >= :data:`SCENE_MIN_ETA`, each class >= :data:`SCENE_MIN_SHARE`
    of it, split below ``max_split_db``: water is a large part of the scene), the scene's
    own minimum-error split is the threshold (method ``scene``): the tiles are there to
    find water that is a small part of the scene, and where it is not, pooling the small
    bimodal tiles of its shores and islands biases the split towards the darkest water
    (chosen on the Sen1Floods11 development chips: Nigeria, 50 % water, water IoU 0.857
    -> 0.872; the other development chips and the held-out simulated scenes are below the
    eta limit). The class model (means and spreads: the growing limit and the clear-water
    core of the mappers) still comes from the bimodal tiles, split at that threshold, so
    that a third, moderately dark mode of the scene (wet fields) does not widen the water
    class. Otherwise the tiles as in :func:`tiled_threshold`. Where no tile is bimodal the whole
    scene's histogram (``scene_counts``) is tried: when its minimum-error split
    (Kittler & Illingworth 1986) separates two classes by Ashman's D >= ``min_ashman``
    below ``max_split_db`` that threshold is used with a :class:`PaiiWarning` (a global
    threshold is biased where water is rare); otherwise there is no water. The class
    means and spreads are those of the pooled bimodal tiles (or the scene) either side
    of the threshold; they give the likelihood of :func:`water_likelihood`.

    A scene with a single mode (Otsu's separability below :data:`SINGLE_MODE_ETA` and no
    valley of its histogram at the split: a window inside a flooded plain, or of dry
    fields) is not split inside that mode: which class the mode is comes from absolute
    levels (:mod:`paii_core.flood.levels`; the median of ``vh_counts``, the scene's VH
    histogram on :data:`BINS`, against -22 dB, or the feature's against -15 dB where VH is
    missing); in a scene of water the split is raised to the water level (taken as the
    threshold where none was found; method ``level``). Chosen on sub-windows of the
    development chips (``bench.flood.water_windows``: all-water Sri Lanka windows 0.10-0.17
    -> 0.78-0.96 water IoU). A scene of land keeps its split: lowering it to the level was
    tested once on the held-out chips and cost two of them (bench/BENCHMARKS.md, "Flood
    water, sixth pass").

    On the tiles path, where the pooled tiles' minimum-error criterion has no interior
    minimum (:func:`tail_minimum`: its split would cut a sliver off the dark tail) while at
    least :data:`DARK_VH_MIN_SHARE` of the scene's despeckled VH (``vh_smooth_counts``, the
    histogram of :func:`despeckle_db` of VH on :data:`BINS`) is below the calm-water level,
    the levels say water is no sliver: the pooled tiles are split by Otsu instead (capped at
    ``max_split_db``). Flood water roughened by wind or vegetation is as bright as land in
    VV and darker only in VH, so the feature's histogram is one broad hump with no valley
    (development chip Paraguay_jja10, 64 % water: 0.088 -> 0.525 water IoU; bench/BENCHMARKS.md,
    "Flood water, eighth pass"). A scene whose water is a small dark tail keeps its split.
    """
    scene = np.asarray(scene_counts, dtype=np.float64)
    whole = otsu_threshold(scene) if scene.sum() > 0 else None
    pooled = sum(
        (pool_bimodal(h, min_ashman=min_ashman, max_split_db=max_split_db) for h in hists),
        np.zeros(BINS.size - 1),
    )
    if pooled.sum() > 0 and _bimodal_scene(scene, max_split_db):
        t = minimum_error_threshold(scene, max_db=max_split_db, min_share=POOLED_MIN_SHARE)
        water, land = _classes(pooled, t)
        return WaterFit(t, water, land, "scene", whole)
    if pooled.sum() > 0:
        # Each pooled tile holds >= 10 % water by its Otsu split, so the pooled water
        # class cannot be a sliver: half that share is the least the split may leave.
        t = minimum_error_threshold(pooled, max_db=max_split_db, min_share=POOLED_MIN_SHARE)
        if dark_vh_share(vh_smooth_counts) >= DARK_VH_MIN_SHARE and tail_minimum(
            pooled, max_db=max_split_db, min_share=POOLED_MIN_SHARE
        ):
            t = min(otsu_threshold(pooled), max_split_db)
        return _single_mode(
            WaterFit(t, *_classes(pooled, t), "tiles", whole), pooled, scene, vh_counts
        )
    if scene.sum() > 0:
        t = minimum_error_threshold(scene, max_db=max_split_db)
        water, land = _classes(scene, t)
        share = scene[_CENTRES < t].sum() / scene.sum()
        d = np.sqrt(2.0) * abs(land[0] - water[0]) / np.sqrt(water[1] ** 2 + land[1] ** 2)
        if d >= min_ashman and 0.001 <= share <= 0.95 and t <= max_split_db and _valley(scene, t):
            warnings.warn(
                f"no tile of the scene is clearly bimodal; a global threshold of {t:.2f} dB "
                f"(Kittler-Illingworth, Ashman's D {d:.1f}) is used, less reliable where "
                "water is rare",
                PaiiWarning,
                stacklevel=3,
            )
            return WaterFit(t, water, land, "global", whole)
    none = WaterFit(None, (np.nan, np.nan), (np.nan, np.nan), "none", whole)
    return _single_mode(none, scene, scene, vh_counts)


def _single_mode(
    fit: WaterFit,
    model: NDArray[np.float64],
    scene: NDArray[np.float64],
    vh_counts: ArrayLike | None,
) -> WaterFit:
    """``fit`` with its split raised to the absolute water level where the split lies
    inside the scene's single mode and that mode is water (no land mode: a window inside a
    flooded plain; :mod:`paii_core.flood.levels`), so the water's body is not cut in two.
    Such a scene without any split (no bimodal tile, no global valley) takes the level. The
    class model is ``model`` (the scene where ``model`` is empty on a side) split at the new
    threshold (method ``level``). A single mode of land keeps its split (see
    :mod:`paii_core.flood.levels` for why it is not lowered to the level).
    """
    if scene.sum() <= 0 or scene_separability(scene)[0] >= SINGLE_MODE_ETA:
        return fit
    if fit.threshold_db is not None and _valley(scene, fit.threshold_db):
        return fit
    vh = None if vh_counts is None else np.asarray(vh_counts, dtype=np.float64)
    if levels.mode_class(scene, vh, _CENTRES) != "water":
        return fit
    vv_only = vh is None or not vh.sum() >= 0.5 * scene.sum()
    level = levels.feature_water_db(CROSS_POL_OFFSET_DB, vv_only=vv_only)
    t = level if fit.threshold_db is None else max(fit.threshold_db, level)
    if t == fit.threshold_db:
        return fit
    low = _CENTRES < t
    if model[low].sum() <= 0 or model[~low].sum() <= 0:
        model = scene
    water, land = _classes(model, t)
    if model[~low].sum() <= 0:
        land = levels.LAND_FEATURE_DB
    return WaterFit(t, water, land, "level", fit.scene_otsu_db)


def pool_bimodal(
    hist: TileHistograms | NDArray[np.float64],
    *,
    min_ashman: float = 2.0,
    max_split_db: float = -12.0,
) -> NDArray[np.float64]:
    """Summed histogram of the clearly bimodal tiles of ``hist`` (see :func:`fit_water`).

    Passing these sums instead of every tile's histogram keeps a full scene's threshold
    search in a few kilobytes. An array given instead of :class:`TileHistograms` is
    taken as an already pooled histogram and returned.
    """
    if not isinstance(hist, TileHistograms):
        return np.asarray(hist, dtype=np.float64)
    enough = hist.counts.sum(axis=1) >= 0.5 * hist.tile_px**2
    if not enough.any():
        return np.zeros(BINS.size - 1)
    keep = _bimodal(hist.counts[enough], min_ashman, 0.1, max_split_db)
    return hist.counts[enough][keep].sum(axis=0)


def _bimodal_scene(counts: NDArray[np.float64], max_split_db: float) -> bool:
    """True when the scene's own histogram is clearly bimodal (:data:`SCENE_MIN_ETA`),
    both classes hold :data:`SCENE_MIN_SHARE` and the split is dark enough for water."""
    if counts.sum() <= 0:
        return False
    eta, share = scene_separability(counts)
    return (
        eta >= SCENE_MIN_ETA
        and SCENE_MIN_SHARE <= share <= 1.0 - SCENE_MIN_SHARE
        and otsu_threshold(counts) <= max_split_db
    )


def _valley(counts: NDArray[np.float64], threshold: float, depth: float = 0.5) -> bool:
    """True when the smoothed histogram dips at ``threshold`` below ``depth`` times the
    lower of its two peaks (a unimodal histogram's tail split has no such dip)."""
    smooth = ndimage.uniform_filter1d(counts, 9, mode="constant")
    low = _CENTRES < threshold
    if not low.any() or low.all():
        return False
    k = int(np.argmin(np.abs(_CENTRES - threshold)))
    peak = int(np.argmax(np.where(low, smooth, -1.0)))
    separate = _CENTRES[k] - _CENTRES[peak] >= 1.5  # the water mode is not the tail edge
    return separate and bool(smooth[k] < depth * min(smooth[peak], smooth[~low].max()))


def _bimodal(counts, min_ashman, min_share, max_split_db):
    k, share, ashman = _otsu_rows(counts)
    dark = _CENTRES[np.minimum(k, _CENTRES.size - 1)] <= max_split_db
    return (ashman >= min_ashman) & (share >= min_share) & (share <= 1.0 - min_share) & dark


def water_likelihood(vv_db: ArrayLike, fit: WaterFit) -> NDArray[np.float32]:
    """(H, W) float32 likelihood of water in 0..100 (NaN where VV is NaN).

    The posterior probability of water under the two-Gaussian model of ``fit`` with
    equal priors, in percent, as the Copernicus Global Flood Monitoring product
    publishes its "likelihood" layer (Bayesian classification of sigma0 against water
    and land distributions: Bauer-Marschallinger et al. 2022, "Satellite-based flood
    mapping through Bayesian inference from a Sentinel-1 SAR datacube", Remote Sens.
    14, 3673). Zero everywhere when the scene has no water contrast.
    """
    x = np.asarray(vv_db, dtype=np.float32)
    out = np.zeros(x.shape, dtype=np.float32)
    if fit.threshold_db is None:
        out[~np.isfinite(x)] = np.nan
        return out
    (mw, sw), (ml, sl) = (float(v) for v in fit.water), (float(v) for v in fit.land)
    # The log-density difference ln p_land - ln p_water is a quadratic in x, evaluated
    # by Horner's rule in float32 in place (a full scene's windows spend most of their
    # likelihood time on temporaries otherwise); it is stable far in either tail.
    a = 0.5 / sw**2 - 0.5 / sl**2
    b = ml / sl**2 - mw / sw**2
    c = 0.5 * mw**2 / sw**2 - 0.5 * ml**2 / sl**2 + np.log(sw) - np.log(sl)
    d = x * np.float32(a)
    d += np.float32(b)
    d *= x
    d += np.float32(c)
    with np.errstate(over="ignore", invalid="ignore"):
        np.clip(d, -60.0, 60.0, out=d)
        np.exp(d, out=d)
        d += np.float32(1.0)
        p = np.float32(100.0) / d
    # below the water mean the quadratic land tail would win back: water stays certain
    np.maximum(p, np.float32(50.0), out=p, where=x < mw)
    return p
