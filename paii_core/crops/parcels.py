"""Field parcels at two levels from a season of images: multi-date edges, watershed, merging."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage
from skimage import graph, measure, segmentation

from paii_core.crops.boundary import boundary_probability
from paii_core.crops.features import validate_series
from paii_core.errors import ValidationError

__all__ = ["delineate_parcels", "merge_parcels"]

Level = Literal["fine", "coarse"]
MIN_PIXELS = 4


def _check_level(level: str) -> None:
    if level not in ("fine", "coarse"):
        raise ValidationError(f"level {level!r} is unknown; use 'fine' or 'coarse'")


def delineate_parcels(
    series: NDArray,
    dates: Sequence[date],
    *,
    level: Level = "fine",
    cropland: NDArray | None = None,
    marker_below: float = 0.2,
) -> NDArray[np.int32]:
    """Parcel instance labels ``(H, W)`` int32 from a ``(T, 4, H, W)`` season; 0 = no parcel.

    1. Extent: ``cropland`` probability > 0.5 (computed with :func:`cropland_probability`
       when not given), opened once to drop stray pixels.
    2. Boundaries: a LightGBM boundary model trained on generated scenes
       (:mod:`paii_core.crops.boundary`: multi-date gradients and NDVI-curve distances).
    3. Instances: a marker-controlled watershed (Beucher & Meyer 1993) of the boundary
       probability inside the extent, markers where it is under ``marker_below``, so
       touching fields with a boundary between them stay apart.

    ``level="coarse"`` returns blocks (the fields of one road-bounded block): fine
    parcels merged over a region-adjacency graph where the coarse-boundary model sees
    no block edge between them (:func:`merge_parcels`); each is a union of whole fine
    parcels.

    Raises:
        ValidationError: bad series/dates, unknown level, cropland of another shape.
    """
    _check_level(level)
    arr = validate_series(series, dates)
    shape = arr.shape[2:]
    if cropland is None:
        from paii_core.crops.cropland import cropland_probability

        cropland = cropland_probability(arr, dates)
    cropland = np.asarray(cropland)
    if cropland.shape != shape:
        raise ValidationError(
            f"cropland should be an (H, W) map of the series grid {shape}, got {cropland.shape}"
        )
    mask = ndimage.binary_opening(np.nan_to_num(cropland, nan=0.0) > 0.5, iterations=1)
    fine_edges = boundary_probability(arr, dates, cropland, level="fine")
    fine = _watershed(fine_edges, mask, marker_below)
    if level == "fine":
        return fine
    coarse_edges = boundary_probability(arr, dates, cropland, level="coarse")
    return merge_parcels(fine, coarse_edges, threshold=0.15)


def _watershed(edges: NDArray, mask: NDArray, marker_below: float) -> NDArray[np.int32]:
    """Marker-controlled watershed of a boundary map inside ``mask``; tiny bits dropped."""
    markers = measure.label((edges < marker_below) & mask, connectivity=1)
    sizes = np.bincount(markers.ravel())
    tiny = sizes < 2
    tiny[0] = False
    markers[tiny[markers]] = 0
    seg = segmentation.watershed(edges, markers, mask=mask, connectivity=1)
    seg = measure.label(seg, background=0, connectivity=1)
    sizes = np.bincount(seg.ravel())
    small = sizes < MIN_PIXELS
    small[0] = False
    seg[small[seg]] = 0
    return measure.label(seg, background=0, connectivity=1).astype(np.int32)


def merge_parcels(labels: NDArray, edges: NDArray, *, threshold: float) -> NDArray[np.int32]:
    """Merge touching parcels whose shared boundary has a mean ``edges`` under ``threshold``.

    Hierarchical merging of a boundary region-adjacency graph (Arbelaez et al. 2011,
    "Contour detection and hierarchical image segmentation", IEEE TPAMI 33), weakest
    boundary first; the result is a union of whole input parcels. Returns ``(H, W)`` int32.
    """
    lab = np.asarray(labels)
    if lab.max() < 2:
        return lab.astype(np.int32)
    # Background gets its own large id so it is never merged with a parcel.
    shifted = np.where(lab > 0, lab, lab.max() + 1).astype(np.int64)
    rag = graph.rag_boundary(shifted, np.asarray(edges, np.float64))
    bg = int(lab.max()) + 1
    for n in list(rag.neighbors(bg)) if bg in rag else []:
        rag[bg][n]["weight"] = np.inf
    merged = graph.merge_hierarchical(
        shifted,
        rag,
        thresh=threshold,
        rag_copy=False,
        in_place_merge=True,
        merge_func=_merge_boundary,
        weight_func=_weight_boundary,
    )
    merged = np.where(lab > 0, merged + 1, 0)
    return measure.label(merged, background=0, connectivity=1).astype(np.int32)


def _weight_boundary(g, src, dst, n):
    """Length-weighted mean boundary strength of a merged region to its neighbour ``n``."""
    default = {"weight": 0.0, "count": 0}
    a, b = g[src].get(n, default), g[dst].get(n, default)
    count = a["count"] + b["count"]
    weight = (a["count"] * a["weight"] + b["count"] * b["weight"]) / max(count, 1)
    return {"count": count, "weight": weight}


def _merge_boundary(g, src, dst) -> None:
    """Nothing to carry over: the boundary weights are recomputed by ``_weight_boundary``."""
