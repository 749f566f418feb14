"""Flood depth from the extent and a DEM: the water surface from each patch's shoreline."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from paii_core.errors import ValidationError

__all__ = ["flood_depth"]


def flood_depth(
    flooded: ArrayLike,
    dem: ArrayLike,
    *,
    water: ArrayLike | None = None,
    smooth_px: int = 9,
) -> NDArray[np.float32]:
    """(H, W) float32 water depth in metres on flooded cells, NaN elsewhere.

    The Floodwater Depth Estimation Tool idea (Cohen et al. 2018, "Estimating floodwater
    depths from flood inundation maps and topography", JAWRA 54; FwDET 2.0, Cohen et al.
    2019): the water surface at a flooded cell is the ground elevation of the nearest
    shoreline cell, a flooded cell touching dry land. Shorelines against permanent
    ``water`` (the river itself) say nothing about the level and are left out. The
    surface is then smoothed with a ``smooth_px`` mean over flooded cells to damp
    shoreline noise from a speckled mask, and depth = surface - ground, at least 0.

    Raises:
        ValidationError: mismatched shapes.
    """
    f = np.asarray(flooded, dtype=bool)
    z = np.asarray(dem, dtype=np.float32)
    if f.shape != z.shape or f.ndim != 2:
        raise ValidationError(
            f"flooded {f.shape} and dem {z.shape} should be (H, W) arrays of one shape"
        )
    wet = f | (np.asarray(water, dtype=bool) if water is not None else False)
    out = np.full(z.shape, np.nan, dtype=np.float32)
    if not f.any():
        return out
    # Work in the box around the flood (plus the smoothing reach): the distance
    # transform is the cost, and floods are usually a small part of a scene.
    rows, cols = np.nonzero(f)
    pad = smooth_px + 2
    box = (
        slice(max(0, rows.min() - pad), rows.max() + pad + 1),
        slice(max(0, cols.min() - pad), cols.max() + pad + 1),
    )
    out[box] = _depth_in_box(f[box], wet[box], z[box], smooth_px)
    return out


def _depth_in_box(f, wet, z, smooth_px):
    out = np.full(z.shape, np.nan, dtype=np.float32)
    dry = ~wet & np.isfinite(z)
    shore = f & ndimage.binary_dilation(dry, structure=np.ones((3, 3), dtype=bool))
    shore &= np.isfinite(z)
    if not shore.any():
        return out
    idx = ndimage.distance_transform_edt(~shore, return_distances=False, return_indices=True)
    surface = z[idx[0], idx[1]]
    weight = f.astype(np.float32)
    num = ndimage.uniform_filter(np.where(f, surface, 0.0).astype(np.float32), smooth_px)
    den = ndimage.uniform_filter(weight, smooth_px)
    with np.errstate(invalid="ignore", divide="ignore"):
        smooth = num / den
    depth = np.maximum(smooth - z, 0.0)
    out[f] = depth[f]
    out[~np.isfinite(z)] = np.nan
    return out
