"""Few-shot crop recognition: an expert-calendar prior and label spreading over unit features."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from sklearn.neighbors import NearestNeighbors

from paii_core.crops.calendars import expected_ndvi, region_crops
from paii_core.crops.features import DOY_GRID, validate_series
from paii_core.crops.unit_features import parcel_features, similarity_space
from paii_core.crops.units import split_parcels
from paii_core.demo.classes import CROPS
from paii_core.errors import ValidationError

__all__ = [
    "CropMap",
    "Prepared",
    "prepare_recognition",
    "recognize_crops",
    "recognize_prepared",
    "split_parcels",
    "spread_graph",
    "unit_probabilities",
    "validate_labels",
]

Label = tuple[int, int, str]
ALPHA = 0.9
LOW_CONFIDENCE = 0.5


@dataclass(frozen=True, eq=False)
class CropMap:
    """Crop types of an area."""

    classes: list[str]
    label_map: NDArray[np.int16]
    """(H, W) int16 index into ``classes``; -1 where there is no crop parcel."""
    probability: NDArray[np.float32]
    """(K, H, W) float32; rows of a crop pixel sum to at most 1, less where unsure."""
    parcels: NDArray[np.int32]
    """(H, W) int32 the parcels the map was spread over."""

    @property
    def confidence(self) -> NDArray[np.float32]:
        """(H, W) float32 probability of the chosen class (0 off parcels)."""
        return self.probability.max(axis=0) if len(self.classes) else np.zeros(0, np.float32)


def validate_labels(labels: Sequence[Label], shape: tuple[int, int]) -> list[Label]:
    """Check point labels ``[(row, col, crop), ...]`` against the image ``shape``.

    Raises:
        ValidationError: a crop name not in :data:`CROPS`, a point outside the image, or
            fewer than two distinct crops (nothing to tell apart).
    """
    out = []
    h, w = shape
    for item in labels:
        if len(item) != 3:
            raise ValidationError(f"label {item!r} should be (row, col, crop)")
        r, c, crop = item
        if crop not in CROPS:
            raise ValidationError(f"label crop {crop!r} is unknown; use one of: {', '.join(CROPS)}")
        if not (0 <= int(r) < h and 0 <= int(c) < w):
            raise ValidationError(
                f"label at row {r}, col {c} is outside the image of {h} x {w} pixels; "
                "label points inside the area"
            )
        out.append((int(r), int(c), str(crop)))
    if len({c for _, _, c in out}) < 2:
        raise ValidationError(
            "labels name fewer than two crops; label parcels of at least two crops so there "
            "is something to tell apart"
        )
    return out


def _prior(curves: NDArray, slope: NDArray, region: str | None, classes: list[str]) -> NDArray:
    """(N, K+1) calendar prior over the labelled classes plus 'another crop'."""
    n, k = curves.shape[0], len(classes)
    if region is None:
        return np.full((n, k + 1), 1.0 / (k + 1))
    experts = region_crops(region)
    names = list(dict.fromkeys([*classes, *experts]))
    fit = np.zeros((n, len(names)))
    for j, name in enumerate(names):
        if name not in experts:
            fit[:, j] = np.exp(-0.5 * 1.5**2)  # no calendar: a neutral fit
            continue
        template = expected_ndvi(experts[name], DOY_GRID)
        rmse = np.sqrt(np.mean((curves - template[None]) ** 2, axis=1))
        fit[:, j] = np.exp(-0.5 * (rmse / 0.12) ** 2)
        steep = np.nan_to_num(slope, nan=0.0) > experts[name].max_slope_deg
        fit[steep, j] *= 0.2
    other = fit[:, k:].max(axis=1) if len(names) > k else np.full(n, 1e-3)
    prior = np.column_stack([fit[:, :k], other]) + 1e-6
    return prior / prior.sum(axis=1, keepdims=True)


def _spread(x: NDArray, y0: NDArray, k_nn: int = 10, s: sparse.spmatrix | None = None) -> NDArray:
    """Label spreading (Zhou et al. 2004, "Learning with local and global consistency",
    NIPS 16): F = (1 - alpha) (I - alpha S)^-1 Y on a symmetric kNN graph with Gaussian
    weights, S = D^-1/2 W D^-1/2; solved by 40 fixed-point steps. ``s`` is the graph of
    :func:`spread_graph` when already built."""
    s = spread_graph(x, k_nn) if s is None else s
    f = y0.copy()
    for _ in range(40):
        f = ALPHA * (s @ f) + (1 - ALPHA) * y0
    return f


def spread_graph(x: NDArray, k_nn: int = 10) -> sparse.spmatrix:
    """``(N, N)`` normalised kNN graph S of unit features ``x``, the same for every label set."""
    n = x.shape[0]
    k = min(k_nn, n - 1)
    dist, idx = NearestNeighbors(n_neighbors=k + 1).fit(x).kneighbors(x)
    sigma = max(float(np.median(dist[:, 1:])), 1e-6)
    rows = np.repeat(np.arange(n), k)
    vals = np.exp(-((dist[:, 1:].ravel() / sigma) ** 2))
    w = sparse.csr_matrix((vals, (rows, idx[:, 1:].ravel())), shape=(n, n))
    w = w.maximum(w.T)
    deg = np.asarray(w.sum(axis=1)).ravel()
    inv = sparse.diags(1.0 / np.sqrt(np.maximum(deg, 1e-12)))
    return inv @ w @ inv


def recognize_crops(
    series: NDArray,
    dates: Sequence[date],
    labels: Sequence[Label],
    *,
    sar: NDArray | None = None,
    dem: NDArray | None = None,
    parcels: NDArray | None = None,
    region: str | None = None,
) -> CropMap:
    """Crop type of every parcel from a handful of point labels.

    Each parcel is described by its mean season features (:func:`parcel_features`); a
    labelled parcel takes its label, the others start from the expert-calendar prior of
    ``region`` (:mod:`paii_core.crops.calendars`: how well the parcel's NDVI curve fits
    each crop's expected curve, and whether its slope suits the crop), and labels spread
    over the parcels' feature-space kNN graph (:func:`_spread`). An extra 'another crop'
    column takes the mass of parcels that fit a calendar crop nobody labelled, or sit far
    from every label, so unknown crops come out with low probability, not a confident
    wrong class.

    Args:
        series: (T, 4, H, W) BGRN, NaN for clouds; dates its T dates.
        labels: [(row, col, crop), ...] points on parcels, at least two crops.
        sar: (T, 2, H, W) or (2, H, W) VV, VH dB; dem: (H, W) metres; both optional.
        parcels: (H, W) int fine parcels (default :func:`delineate_parcels`).
        region: region id for the calendar prior (henan, hubei, iowa); None for none.

    Raises:
        ValidationError: bad labels (see :func:`validate_labels`), a label off every
            parcel, or inputs of the wrong shape.
    """
    arr = validate_series(series, dates)
    shape = arr.shape[2:]
    points = validate_labels(labels, shape)
    if region is not None:
        region_crops(region)
    if parcels is None:
        from paii_core.crops.parcels import delineate_parcels

        parcels = delineate_parcels(arr, dates)
    parcels = np.asarray(parcels)
    if parcels.shape != shape or not np.issubdtype(parcels.dtype, np.integer):
        raise ValidationError(
            f"parcels should be an (H, W) int map of {shape}, got {parcels.shape}"
        )
    for r, c, crop in points:
        if parcels[r, c] <= 0:
            raise ValidationError(
                f"label {crop!r} at row {r}, col {c} is not on a crop parcel; label a parcel"
            )
    prepared = prepare_recognition(arr, dates, parcels, sar=sar, dem=dem)
    return recognize_prepared(prepared, points, region=region)


@dataclass(frozen=True, eq=False)
class Prepared:
    """What recognition needs from the imagery, computed once per area (labels change)."""

    parcels: NDArray[np.int32]
    """(H, W) int32 fine parcels."""
    units: NDArray[np.int32]
    """(H, W) int32 recognition units (:func:`split_parcels`)."""
    x: NDArray[np.float32]
    """(N, D) float32 unit features in the label-spreading space (:func:`similarity_space`)."""
    curves: NDArray[np.float32]
    """(N, G) float32 mean NDVI curves."""
    slope: NDArray[np.float32]
    """(N,) float32 mean slope, degrees (NaN without a DEM)."""
    graph: sparse.spmatrix | None = None
    """The label-spreading graph of ``x`` (:func:`spread_graph`), built once per area."""


def prepare_recognition(
    series: NDArray,
    dates: Sequence[date],
    parcels: NDArray,
    *,
    sar: NDArray | None = None,
    dem: NDArray | None = None,
) -> Prepared:
    """Recognition units and their features (the slow part of :func:`recognize_crops`),
    so a labelling session reruns only the label spreading when labels change."""
    arr = validate_series(series, dates)
    parcels = np.asarray(parcels)
    if parcels.shape != arr.shape[2:] or not np.issubdtype(parcels.dtype, np.integer):
        raise ValidationError(
            f"parcels should be an (H, W) int map of {arr.shape[2:]}, got {parcels.shape}"
        )
    units = split_parcels(arr, dates, parcels)
    feats = parcel_features(arr, dates, units, sar=sar, dem=dem)
    x = similarity_space(feats.values, feats.groups)
    curves, slope = feats.curves, feats.slope
    return Prepared(parcels.astype(np.int32), units, x, curves, slope, spread_graph(x))


def recognize_prepared(
    prepared: Prepared, labels: Sequence[Label], *, region: str | None = None
) -> CropMap:
    """:func:`recognize_crops` on :func:`prepare_recognition`'s output.

    Raises:
        ValidationError: bad labels (see :func:`validate_labels`) or a label off every
            parcel; unknown region.
    """
    parcels, units = prepared.parcels, prepared.units
    classes, prob = unit_probabilities(prepared, labels, region=region)
    k = len(classes)
    choice = prob.argmax(axis=1)
    table = np.vstack([np.zeros((1, k), np.float32), prob.astype(np.float32)])
    probability = np.moveaxis(table[units], -1, 0)
    label_map = np.where(units > 0, np.r_[-1, choice][units], -1).astype(np.int16)
    return CropMap(classes, label_map, probability.astype(np.float32), parcels.astype(np.int32))


def unit_probabilities(
    prepared: Prepared, labels: Sequence[Label], *, region: str | None = None
) -> tuple[list[str], NDArray[np.float64]]:
    """The labelled classes and ``(N, K)`` probability of each recognition unit (rows sum
    to at most 1; the rest is 'another crop'), without drawing a map: what
    :func:`recognize_prepared` and the held-out scores need.

    Raises:
        ValidationError: as :func:`recognize_prepared`.
    """
    parcels, units, x = prepared.parcels, prepared.units, prepared.x
    points = validate_labels(labels, parcels.shape)
    if region is not None:
        region_crops(region)
    for r, c, crop in points:
        if parcels[r, c] <= 0:
            raise ValidationError(
                f"label {crop!r} at row {r}, col {c} is not on a crop parcel; label a parcel"
            )
    classes = [c for c in CROPS if c in {p[2] for p in points}]
    k = len(classes)
    prior = _prior(prepared.curves, prepared.slope, region, classes)
    y0 = 0.2 * prior
    for r, c, crop in points:  # the last label of a unit wins (a relabel)
        y0[units[r, c] - 1] = 0.0
        y0[units[r, c] - 1, classes.index(crop)] = 1.0
    f = _spread(x, y0, s=prepared.graph)
    prob = f / np.maximum(f.sum(axis=1, keepdims=True), 1e-12)
    # Far from every labelled parcel of its class: halve the belief.
    labelled = np.zeros(x.shape[0], bool)
    labelled[[units[r, c] - 1 for r, c, _ in points]] = True
    near = NearestNeighbors(n_neighbors=1).fit(x[labelled]).kneighbors(x)[0][:, 0]
    ref = np.percentile(near[~labelled], 90) if (~labelled).any() else 1.0
    far = near > 1.5 * ref
    prob[far, :k] *= 0.5
    # A labelled unit keeps its (last) label: spreading only fills the others (clamping,
    # as in label propagation, Zhu & Ghahramani 2002).
    prob[labelled] = y0[labelled]
    return classes, prob[:, :k]
