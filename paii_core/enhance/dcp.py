"""The classical Dark Channel Prior dehazer, extended from RGB to B, G, R, NIR.

He, Sun & Tang (2009, CVPR; 2011, TPAMI 33): the airlight A is the colour of the
brightest pixels among the 0.1 % haziest of the dark channel; the transmission is
t = 1 - omega * dark_channel(I / A), refined by the guided filter (He, Sun & Tang 2010,
"Guided image filtering", ECCV) with the image's brightness as guide; the scene is
J = (I - A) / max(t, t0) + A. The dark channel is taken over the visible bands (NIR is
bright over vegetation), its transmission is read as that at 550 nm, and each band gets
t_c = t^((lambda_c / 550)^-alpha) by the Angstrom (1929) law, so NIR is corrected less.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from paii_core.enhance._checks import check_bgrn
from paii_core.enhance.haze_index import PATCH_PX, dark_channel

__all__ = ["dcp_dehaze", "dcp_transmission", "estimate_airlight", "guided_filter"]

WAVELENGTHS_NM: tuple[float, ...] = (490.0, 560.0, 665.0, 842.0)
"""Central wavelengths of Sentinel-2 B2, B3, B4, B8 (ESA MSI spectral response)."""
OMEGA = 0.95
T_MIN = 0.1
ANGSTROM = 1.3


def guided_filter(guide: NDArray, src: NDArray, radius: int, eps: float) -> NDArray[np.float32]:
    """Edge-preserving smoothing of ``src`` ``(H, W)`` by the linear model q = a I + b over
    ``(2r+1)^2`` windows of ``guide`` ``(H, W)`` (He, Sun & Tang 2010)."""
    size = 2 * radius + 1

    def box(x: NDArray) -> NDArray:
        return ndimage.uniform_filter(x, size=size, mode="reflect")

    g, p = guide.astype(np.float64), src.astype(np.float64)
    mean_g, mean_p = box(g), box(p)
    var_g = box(g * g) - mean_g**2
    a = (box(g * p) - mean_g * mean_p) / (var_g + eps)
    b = mean_p - a * mean_g
    return (box(a) * g + box(b)).astype(np.float32)


def estimate_airlight(image: NDArray, dark: NDArray, top: float = 0.001) -> NDArray[np.float32]:
    """Airlight ``(C,)``: among the ``top`` fraction of pixels with the highest dark
    channel, the one brightest in the visible bands (He et al. 2009)."""
    valid = ~np.isnan(dark)
    flat = np.flatnonzero(valid)
    k = max(1, round(top * flat.size))
    haziest = flat[np.argsort(dark.ravel()[flat])[-k:]]
    pixels = image.reshape(image.shape[0], -1)[:, haziest]
    return pixels[:, int(np.argmax(pixels[:3].sum(axis=0)))].astype(np.float32)


def dcp_dehaze(
    image: NDArray, *, patch: int = PATCH_PX, radius: int = 20, eps: float = 1e-3
) -> NDArray[np.float32]:
    """Dehaze a ``(4, H, W)`` BGRN reflectance image by the Dark Channel Prior.

    Returns ``(4, H, W)`` float32; NaN nodata stays NaN. ``radius`` and ``eps`` are those
    of the guided filter (reflectance units). Raises ValidationError for a non-BGRN or
    all-nodata image.
    """
    arr = check_bgrn(image)
    nodata = np.isnan(arr).any(axis=0)
    filled, airlight, t550 = _transmission(arr, nodata, patch, radius, eps)
    ratio = (np.asarray(WAVELENGTHS_NM, np.float32) / np.float32(550.0)) ** np.float32(-ANGSTROM)
    t = np.maximum(t550[None] ** ratio[:, None, None], np.float32(T_MIN))
    out = (filled - airlight[:, None, None]) / t + airlight[:, None, None]
    out[:, nodata] = np.nan
    return out.astype(np.float32)


def _transmission(arr: NDArray, nodata: NDArray, patch: int, radius: int, eps: float):
    if nodata.all():  # no pixel has all four bands: nothing to dehaze, all stays nodata
        ones = np.ones(arr.shape[1:], np.float32)
        return np.nan_to_num(arr), np.ones(4, np.float32), ones
    fill = np.nanmean(arr, axis=(1, 2))
    filled = np.where(np.isnan(arr), fill[:, None, None], arr)
    dark = dark_channel(filled[:3], patch)
    dark[nodata] = np.nan
    airlight = np.maximum(estimate_airlight(filled, dark), np.float32(1e-3))
    t_raw = 1.0 - OMEGA * dark_channel(filled[:3] / airlight[:3, None, None], patch)
    guide = filled[:3].mean(axis=0)
    t550 = np.clip(guided_filter(guide, t_raw, radius, eps), T_MIN, 1.0)
    return filled, airlight, t550


def dcp_transmission(
    image: NDArray, *, patch: int = PATCH_PX, radius: int = 20, eps: float = 1e-3
) -> NDArray[np.float32]:
    """The Dark Channel Prior's transmission at 550 nm ``(H, W)`` float32 (T_MIN..1,
    guided-filter refined; NaN on nodata) of a ``(4, H, W)`` BGRN image.
    Raises ValidationError for a non-BGRN or all-nodata image."""
    arr = check_bgrn(image)
    nodata = np.isnan(arr).any(axis=0)
    t550 = _transmission(arr, nodata, patch, radius, eps)[2].astype(np.float32)
    t550[nodata] = np.nan
    return t550
