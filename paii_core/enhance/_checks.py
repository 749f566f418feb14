"""Shared validation of the images the enhancement functions take."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from paii_core.errors import ValidationError

__all__ = ["check_bgrn"]


def check_bgrn(image: NDArray, name: str = "image") -> NDArray[np.float32]:
    """Return ``image`` as ``(4, H, W)`` float32 BGRN reflectance, or raise ValidationError
    naming ``name`` when it has another shape, is not floating point, or is all nodata."""
    arr = np.asarray(image)
    if arr.ndim != 3 or arr.shape[0] != 4 or min(arr.shape[1:]) < 1:
        raise ValidationError(
            f"{name} must be a (4, H, W) B, G, R, NIR reflectance array, got shape {arr.shape}"
        )
    if not np.issubdtype(arr.dtype, np.floating):
        raise ValidationError(
            f"{name} must hold floating-point reflectance (0..1), got {arr.dtype}"
        )
    arr = arr.astype(np.float32, copy=False)
    if np.isnan(arr).all():
        raise ValidationError(f"{name} is all nodata (NaN); give an image with valid pixels")
    return arr
