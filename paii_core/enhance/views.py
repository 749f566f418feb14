"""Images for people: true-colour and NDVI renderings of BGRN reflectance, thick-haze layer."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["flag_overlay", "flagged", "ndvi_rgb", "true_colour"]

_NDVI_STOPS = np.array(
    [[165, 0, 38], [244, 109, 67], [254, 224, 139], [166, 217, 106], [26, 152, 80], [0, 69, 41]],
    dtype=np.float32,
)


def true_colour(
    image: NDArray, *, max_reflectance: float = 0.3, gamma: float = 0.8
) -> NDArray[np.uint8]:
    """``(H, W, 3)`` uint8 RGB (B4, B3, B2) of a ``(4, H, W)`` image; a fixed stretch
    (0..max_reflectance, gamma) so before and after are comparable; nodata is black."""
    rgb = np.asarray(image, dtype=np.float32)[[2, 1, 0]].transpose(1, 2, 0)
    scaled = np.clip(np.nan_to_num(rgb, nan=0.0) / max_reflectance, 0.0, 1.0) ** gamma
    return (scaled * 255.0 + 0.5).astype(np.uint8)


def ndvi_rgb(image: NDArray) -> NDArray[np.uint8]:
    """``(H, W, 3)`` uint8 NDVI (-0.2 red .. 0.9 dark green) of a ``(4, H, W)`` image."""
    arr = np.asarray(image, dtype=np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        ndvi = (arr[3] - arr[2]) / (arr[3] + arr[2])
    pos = np.clip((np.nan_to_num(ndvi, nan=-0.2) + 0.2) / 1.1, 0.0, 1.0) * (len(_NDVI_STOPS) - 1)
    lo = np.floor(pos).astype(int).clip(0, len(_NDVI_STOPS) - 2)
    frac = (pos - lo)[..., None]
    rgb = _NDVI_STOPS[lo] * (1 - frac) + _NDVI_STOPS[lo + 1] * frac
    rgb[np.isnan(ndvi)] = 0.0
    return rgb.astype(np.uint8)


def flagged(image: NDArray, dehazed: NDArray) -> NDArray[np.bool_]:
    """``(H, W)`` pixels the dehazer left as nodata although the input had data there:
    haze too thick to recover."""
    valid_in = ~np.isnan(np.asarray(image, dtype=np.float32)).any(axis=0)
    return valid_in & np.isnan(np.asarray(dehazed, dtype=np.float32)).any(axis=0)


def flag_overlay(image: NDArray, flags: NDArray, *, alpha: float = 0.6) -> NDArray[np.uint8]:
    """True colour of ``image`` with the ``flags`` ``(H, W)`` layer drawn over it in
    magenta (``alpha`` opaque), for a map of where the haze was too thick."""
    rgb = true_colour(image).astype(np.float32)
    magenta = np.array([255.0, 0.0, 255.0], np.float32)
    rgb[flags] = (1 - alpha) * rgb[flags] + alpha * magenta
    return (rgb + 0.5).astype(np.uint8)
