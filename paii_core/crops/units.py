"""Recognition units: delineated parcels, split where their pixels hold two crops."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
from numpy.typing import NDArray
from skimage import measure

from paii_core.crops.features import ndvi_curve

__all__ = ["UNITS_VERSION", "split_parcels"]

UNITS_VERSION = "two-means-2+evidence-1"
"""Changes whenever the splitting rule or the unit features do (cached recognition
features carry it)."""


def _group_mean(x: NDArray, group: NDArray, n: int) -> tuple[NDArray, NDArray]:
    """``(n, G)`` mean of the rows of ``x`` (P, G) per ``group`` (P,) and ``(n,)`` counts."""
    count = np.bincount(group, minlength=n).astype(np.float64)
    sums = np.stack([np.bincount(group, weights=col, minlength=n) for col in x.T], axis=1)
    return sums / np.maximum(count, 1.0)[:, None], count


def _two_means(x: NDArray, lab: NDArray, n: int, steps: int = 8) -> tuple[NDArray, NDArray]:
    """Two-means (Lloyd 1982) inside every group at once.

    Args:
        x: (P, G) pixel NDVI curves; lab: (P,) group id in 0..n-1.

    Returns:
        (P,) bool side of each pixel and (n,) RMSE between each group's two centroids.
        Seeds: the group mean and the group's pixel farthest from it.
    """
    mean, _ = _group_mean(x, lab, n)
    dist = np.sum((x - mean[lab]) ** 2, axis=1)
    order = np.lexsort((dist, lab))
    last = np.r_[np.flatnonzero(np.diff(lab[order])), len(order) - 1]
    far = np.zeros_like(mean)
    far[lab[order][last]] = x[order][last]
    ca, cb = mean, far
    side = np.zeros(len(lab), bool)
    for _ in range(steps):
        side = np.sum((x - cb[lab]) ** 2, axis=1) < np.sum((x - ca[lab]) ** 2, axis=1)
        both, _ = _group_mean(x, lab * 2 + side, 2 * n)
        ca, cb = both[0::2], both[1::2]
    return side, np.sqrt(np.mean((ca - cb) ** 2, axis=1))


def split_parcels(
    series: NDArray,
    dates: Sequence[date],
    parcels: NDArray,
    *,
    min_rmse: float = 0.08,
    min_pixels: int = 12,
    min_share: float = 0.2,
    rounds: int = 2,
) -> NDArray[np.int32]:
    """Recognition units ``(H, W)`` int32, 0 off parcels.

    A parcel stays whole unless its pixels' NDVI curves (``(T, 4, H, W)`` season) form
    two clusters: a within-parcel two-means whose centroids differ by more than
    ``min_rmse`` NDVI (RMSE over the season grid) and whose smaller side holds at least
    ``min_pixels`` pixels and ``min_share`` of the parcel. Then the parcel is cut in two
    (so a delineation that joined a corn and a soybean field does not force one class on
    both); ``rounds`` times, so a parcel can hold up to ``2**rounds`` crops. Mixed edge
    pixels (a thin ring, under ``min_share``) and noise (under ``min_rmse``) do not cut.
    Pieces under 6 pixels go back to the biggest piece of their parcel.
    """
    lab2d = np.asarray(parcels).astype(np.int64)
    inside = lab2d > 0
    if not inside.any():
        return lab2d.astype(np.int32)
    curve = np.nan_to_num(ndvi_curve(series, dates), nan=0.0)
    x = curve[:, inside].T.astype(np.float64)
    lab = lab2d[inside]
    for _ in range(rounds):
        _, lab = np.unique(lab, return_inverse=True)
        n = int(lab.max()) + 1
        side, gap = _two_means(x, lab, n)
        size = np.bincount(lab, minlength=n)
        one = np.bincount(lab[side], minlength=n)
        small = np.minimum(one, size - one)
        cut = (gap > min_rmse) & (small >= np.maximum(min_pixels, min_share * size))
        if not cut.any():
            break
        lab = np.where(cut[lab] & side, lab + n, lab)
    key = np.zeros(lab2d.shape, np.int64)
    key[inside] = lab + 1
    pieces = measure.label(key, background=0, connectivity=1)
    sizes = np.bincount(pieces.ravel())
    biggest = np.zeros(int(lab2d.max()) + 1, np.int64)
    order = np.argsort(sizes[pieces[inside]], kind="stable")
    biggest[lab2d[inside][order]] = pieces[inside][order]
    tiny = inside & (sizes[pieces] < 6)
    pieces[tiny] = biggest[lab2d[tiny]]
    return measure.label(pieces, background=0, connectivity=1).astype(np.int32)
