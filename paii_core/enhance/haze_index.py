"""Haze level of a BGRN image from the Dark Channel Prior (He, Sun & Tang 2009, CVPR).

In haze-free land scenes most local patches hold some pixel that is dark in at least
one band (shadow, dark vegetation in blue/red, water in NIR); haze adds airlight
A (1 - t), lifting this "dark channel". Its mean on the 0..255 scale is the haze index.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from paii_core.enhance._checks import check_bgrn

__all__ = ["HazeIndex", "dark_channel", "haze_index"]

PATCH_PX = 15
"""Patch of the minimum filter: 15 px as in He et al. (2009); at 10 m this is 150 m, a
few fields, so each patch very likely holds a dark pixel."""


@dataclass(frozen=True)
class HazeIndex:
    """The scene's haze level and its per-pixel map, both on the 0..255 scale."""

    level: float
    """Mean of the dark channel over valid pixels, 0 (clear) .. 255 (opaque)."""
    map: NDArray[np.float32]
    """(H, W) float32 dark channel x 255; NaN on nodata."""


def dark_channel(image: NDArray, patch: int = PATCH_PX) -> NDArray[np.float32]:
    """Dark channel ``(H, W)`` float32 of ``(C, H, W)`` reflectance: the minimum over bands
    and over a ``patch`` x ``patch`` window; nodata pixels are skipped and stay NaN."""
    arr = np.asarray(image, dtype=np.float32)
    nodata = np.isnan(arr).all(axis=0)
    low = np.where(np.isnan(arr), np.inf, arr).min(axis=0)
    dark = ndimage.minimum_filter(low, size=patch, mode="nearest")
    dark[nodata] = np.nan
    return np.where(np.isinf(dark), np.nan, dark).astype(np.float32)


def haze_index(image: NDArray, *, patch: int = PATCH_PX) -> HazeIndex:
    """Haze level of a ``(4, H, W)`` BGRN reflectance image (NaN nodata).

    Reflectance is mapped to 0..255 (x 255, clipped) as in an 8-bit image, so the
    numbers read like He et al.'s. Raises ValidationError for a non-BGRN or all-nodata
    image.
    """
    arr = check_bgrn(image)
    dark = np.clip(dark_channel(arr, patch) * np.float32(255.0), 0.0, 255.0)
    return HazeIndex(level=float(np.nanmean(dark)), map=dark.astype(np.float32))
