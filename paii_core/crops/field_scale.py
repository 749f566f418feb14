"""Field scale of a scene from its cropland extent: which boundary booster reads it.

The main boundary boosters were trained on landscapes whose cropland forms wide
contiguous areas (road grids of strips, blocks, Voronoi farmland). Where cropland comes in
narrow patches (meadows and gardens in forest clearings, strips a few pixels wide) the
fields inside are as narrow, most of their edges are mixed pixels, and those boosters miss
their boundaries; such scenes go to a booster trained on small-field landscapes
(:mod:`paii_core.demo.field_layouts_small`) and to a finer watershed.

The scale is the *patch thickness*: the mean, over the cropland pixels, of the Euclidean
distance to the nearest pixel outside the cropland (half the width of a long strip, about
a third of a square's half side). It needs the cropland extent only, not the boundary map.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from paii_core.errors import ValidationError

__all__ = ["SMALL_FIELD_THICKNESS", "patch_thickness", "small_fields"]

SMALL_FIELD_THICKNESS = 3.5
"""Scenes whose cropland patch thickness (pixels) is under this are small-field scenes.
Chosen on training layouts only (validation seeds 910-915, 10 m rendered at 2.5 m):
small-field scenes (``meadows``) measure 2.3-3.3, every other training layout 3.8 and up
(demo grid 3.8-10.8, blocks 10-15, Voronoi 8-11) except one open-field strips scene
(2.7, which both routes segment alike); the threshold lies between 3.3 and 3.8."""
MIN_CROPLAND_PIXELS = 50


def patch_thickness(mask: NDArray) -> float:
    """Mean distance (pixels) of a cropland pixel of the (H, W) bool ``mask`` to the
    nearest non-cropland pixel (the image border does not count as an edge); NaN when
    the mask holds fewer than 50 cropland pixels, infinity when it is all cropland.

    Raises:
        ValidationError: ``mask`` is not two-dimensional.
    """
    m = np.asarray(mask, bool)
    if m.ndim != 2:
        raise ValidationError(f"mask should be an (H, W) cropland mask, got shape {m.shape}")
    if m.sum() < MIN_CROPLAND_PIXELS:
        return float("nan")
    if m.all():
        return float("inf")
    return float(ndimage.distance_transform_edt(m)[m].mean())


def small_fields(mask: NDArray) -> bool:
    """Whether the cropland ``mask`` comes in patches narrow enough for small-field
    boundaries (:func:`patch_thickness` under :data:`SMALL_FIELD_THICKNESS`); False when
    there is too little cropland to tell."""
    return bool(patch_thickness(mask) < SMALL_FIELD_THICKNESS)
