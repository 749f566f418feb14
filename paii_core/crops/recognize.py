"""Few-shot recognition of any crops: a regularised classifier of each unit's season,
smoothed by label spreading, with crop calendars as an optional prior."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import NearestNeighbors

from paii_core.crops.calendars import CropCalendar, calendar_fit, default_calendars
from paii_core.crops.features import DOY_GRID, validate_series
from paii_core.crops.unit_features import parcel_features, season_evidence, similarity_space
from paii_core.crops.units import split_parcels
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
Calendars = Mapping[str, CropCalendar]
ALPHA = 0.9
LOW_CONFIDENCE = 0.5
C_REG = 0.1
"""Inverse L2 strength of the season classifier: strong, as it learns from ~40 labels."""


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
    """Check point labels ``[(row, col, crop), ...]`` against the image ``shape``. Any
    crop name is a class; names are stripped of surrounding blanks.

    Raises:
        ValidationError: an empty crop name, a point outside the image, or fewer than
            two distinct crops (nothing to tell apart).
    """
    out = []
    h, w = shape
    for item in labels:
        if len(item) != 3:
            raise ValidationError(f"label {item!r} should be (row, col, crop)")
        r, c, crop = item
        name = str(crop).strip()
        if not name:
            raise ValidationError(
                f"label at row {r}, col {c} has an empty crop name; name the crop, e.g. sorghum"
            )
        if not (0 <= int(r) < h and 0 <= int(c) < w):
            raise ValidationError(
                f"label at row {r}, col {c} is outside the image of {h} x {w} pixels; "
                "label points inside the area"
            )
        out.append((int(r), int(c), name))
    if len({c for _, _, c in out}) < 2:
        raise ValidationError(
            "labels name fewer than two crops; label parcels of at least two crops so there "
            "is something to tell apart"
        )
    return out


def _calendars(region: str | None, calendars: Calendars | None) -> dict[str, CropCalendar]:
    return dict(calendars) if calendars is not None else default_calendars(region)


def _prior(curves: NDArray, calendars: Calendars, classes: list[str]) -> NDArray:
    """(N, K+1) optional calendar prior over the labelled classes plus 'another crop':
    a class with a calendar weighs by how well each curve fits it, one without gets a
    neutral weight; 'another crop' takes the best fit of a calendar crop nobody
    labelled. Without calendars: uniform."""
    n, k = curves.shape[0], len(classes)
    if not calendars:
        return np.full((n, k + 1), 1.0 / (k + 1))
    names = [c for c in calendars if c not in classes]
    fit = calendar_fit(curves, DOY_GRID, [calendars[c] for c in classes if c in calendars])
    neutral = np.exp(-0.5 * 1.5**2)
    cols, j = [], 0
    for c in classes:
        if c in calendars:
            cols.append(fit[:, j])
            j += 1
        else:
            cols.append(np.full(n, neutral))
    other = calendar_fit(curves, DOY_GRID, [calendars[c] for c in names])
    cols.append(other.max(axis=1) if names else np.full(n, 1e-3))
    prior = np.stack(cols, axis=1) + 1e-6
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
    calendars: Calendars | None = None,
) -> CropMap:
    """Crop type of every parcel from a handful of point labels of any crops.

    Each parcel (split into recognition units where it holds two crops) is described by
    its whole season of evidence (:func:`season_evidence`: every band, NDVI and NDWI on
    the area's own time grid, radar where given). A strongly L2-regularised multinomial
    logistic regression learns the labelled crops from the labelled units; its
    probabilities, weighed by the optional calendar prior, spread over the units'
    feature-space kNN graph (:func:`_spread`), so neighbouring look-alikes agree. An
    extra 'another crop' column takes the mass of units that fit a calendar crop nobody
    labelled, and units far from every label lose half their belief, so unknown crops
    come out with low probability, not a confident wrong class.

    Args:
        series: (T, 4 + E, H, W) B, G, R, N then any further bands (red edge, SWIR...),
            reflectance, NaN for clouds; dates its T dates (one season, may cross New Year).
        labels: [(row, col, crop), ...] points on parcels, at least two crops; any names.
        sar: (T, 2, H, W) or (2, H, W) VV, VH dB; dem: (H, W) metres; both optional.
        parcels: (H, W) int fine parcels (default :func:`delineate_parcels`).
        region: region id whose default calendars (:func:`default_calendars`) are the
            prior when ``calendars`` is None; a region without any means no prior.
        calendars: crop -> :class:`CropCalendar` (e.g. the store's rows for the region).

    Raises:
        ValidationError: bad labels (see :func:`validate_labels`), a label off every
            parcel, or inputs of the wrong shape.
    """
    arr = validate_series(series, dates, extra_bands=True)
    shape = arr.shape[2:]
    points = validate_labels(labels, shape)
    if parcels is None:
        from paii_core.crops.parcels import delineate_parcels

        parcels = delineate_parcels(arr[:, :4], dates)
    parcels = np.asarray(parcels)
    if parcels.shape != shape or not np.issubdtype(parcels.dtype, np.integer):
        raise ValidationError(
            f"parcels should be an (H, W) int map of {shape}, got {parcels.shape}"
        )
    _check_on_parcels(points, parcels)
    prepared = prepare_recognition(arr, dates, parcels, sar=sar, dem=dem)
    return recognize_prepared(prepared, points, region=region, calendars=calendars)


def _check_on_parcels(points: Sequence[Label], parcels: NDArray) -> None:
    for r, c, crop in points:
        if parcels[r, c] <= 0:
            raise ValidationError(
                f"label {crop!r} at row {r}, col {c} is not on a crop parcel; label a parcel"
            )


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
    """(N, G) float32 mean NDVI curves on :data:`DOY_GRID` (for the calendar prior)."""
    slope: NDArray[np.float32]
    """(N,) float32 mean slope, degrees (NaN without a DEM)."""
    graph: sparse.spmatrix | None = None
    """The label-spreading graph of ``x`` (:func:`spread_graph`), built once per area."""
    evidence: NDArray[np.float32] | None = None
    """(N, E) float32 standardised season evidence (:func:`season_evidence`) the
    classifier learns from; None falls back to ``x``."""


def prepare_recognition(
    series: NDArray,
    dates: Sequence[date],
    parcels: NDArray,
    *,
    sar: NDArray | None = None,
    dem: NDArray | None = None,
) -> Prepared:
    """Recognition units and their features (the slow part of :func:`recognize_crops`),
    so a labelling session reruns only the classifier and spreading when labels change.
    ``series`` is (T, 4 + E, H, W) as in :func:`recognize_crops`."""
    arr = validate_series(series, dates, extra_bands=True)
    parcels = np.asarray(parcels)
    if parcels.shape != arr.shape[2:] or not np.issubdtype(parcels.dtype, np.integer):
        raise ValidationError(
            f"parcels should be an (H, W) int map of {arr.shape[2:]}, got {parcels.shape}"
        )
    bgrn = arr[:, :4]
    units = split_parcels(bgrn, dates, parcels)
    feats = parcel_features(bgrn, dates, units, sar=sar, dem=dem)
    x = similarity_space(feats.values, feats.groups)
    ev = season_evidence(arr, dates, units, sar=sar)
    ev = (ev - ev.mean(axis=0)) / np.maximum(ev.std(axis=0), 1e-6)
    return Prepared(
        parcels.astype(np.int32),
        units,
        x,
        feats.curves,
        feats.slope,
        spread_graph(x),
        ev.astype(np.float32),
    )


def recognize_prepared(
    prepared: Prepared,
    labels: Sequence[Label],
    *,
    region: str | None = None,
    calendars: Calendars | None = None,
) -> CropMap:
    """:func:`recognize_crops` on :func:`prepare_recognition`'s output.

    Raises:
        ValidationError: bad labels (see :func:`validate_labels`) or a label off every
            parcel.
    """
    parcels, units = prepared.parcels, prepared.units
    classes, prob = unit_probabilities(prepared, labels, region=region, calendars=calendars)
    k = len(classes)
    choice = prob.argmax(axis=1)
    table = np.vstack([np.zeros((1, k), np.float32), prob.astype(np.float32)])
    probability = np.moveaxis(table[units], -1, 0)
    label_map = np.where(units > 0, np.r_[-1, choice][units], -1).astype(np.int16)
    return CropMap(classes, label_map, probability.astype(np.float32), parcels.astype(np.int32))


def _classify(ev: NDArray, labelled: NDArray, y: NDArray, k: int) -> NDArray:
    """(N, K) probabilities of a multinomial logistic regression (L2, C = :data:`C_REG`)
    fitted on the labelled rows of the standardised evidence ``ev``."""
    out = np.zeros((ev.shape[0], k))
    if len(np.unique(y)) < 2:  # relabels left one crop: it is all the evidence says
        out[:, y[0]] = 1.0
        return out
    model = LogisticRegression(C=C_REG, max_iter=500)
    model.fit(ev[labelled], y)
    out[:, model.classes_] = model.predict_proba(ev)
    return out


def unit_probabilities(
    prepared: Prepared,
    labels: Sequence[Label],
    *,
    region: str | None = None,
    calendars: Calendars | None = None,
) -> tuple[list[str], NDArray[np.float64]]:
    """The labelled classes (sorted by name) and ``(N, K)`` probability of each
    recognition unit (rows sum to at most 1; the rest is 'another crop'), without
    drawing a map: what :func:`recognize_prepared` and the held-out scores need.

    Raises:
        ValidationError: as :func:`recognize_prepared`.
    """
    parcels, units, x = prepared.parcels, prepared.units, prepared.x
    points = validate_labels(labels, parcels.shape)
    _check_on_parcels(points, parcels)
    classes = sorted({p[2] for p in points})
    k = len(classes)
    last = {int(units[r, c]) - 1: classes.index(crop) for r, c, crop in points}
    labelled_idx = np.array(sorted(last))  # the last label of a unit wins (a relabel)
    y = np.array([last[i] for i in labelled_idx])
    ev = prepared.evidence if prepared.evidence is not None else x
    prior = _prior(prepared.curves, _calendars(region, calendars), classes)
    y0 = prior * np.column_stack([_classify(ev, labelled_idx, y, k), np.full(len(x), 0.2)])
    y0 /= np.maximum(y0.sum(axis=1, keepdims=True), 1e-12)
    y0[labelled_idx] = 0.0
    y0[labelled_idx, y] = 1.0
    f = _spread(x, y0, s=prepared.graph)
    prob = f / np.maximum(f.sum(axis=1, keepdims=True), 1e-12)
    # Far from every labelled unit: halve the belief.
    labelled = np.zeros(x.shape[0], bool)
    labelled[labelled_idx] = True
    near = NearestNeighbors(n_neighbors=1).fit(ev[labelled]).kneighbors(ev)[0][:, 0]
    ref = np.percentile(near[~labelled], 90) if (~labelled).any() else 1.0
    prob[near > 1.5 * ref, :k] *= 0.5
    # A labelled unit keeps its (last) label: spreading only fills the others (clamping,
    # as in label propagation, Zhu & Ghahramani 2002).
    prob[labelled] = y0[labelled]
    return classes, prob[:, :k]
