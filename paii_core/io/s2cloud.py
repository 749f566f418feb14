"""Clouds of Sentinel-2 L1C scenes from the s2cloudless LightGBM model (Sinergise).

The s2cloudless package imports OpenCV and the Sentinel Hub client on import, neither of
which PAII needs offline, so the package is installed without dependencies and only its
shipped model file is used here: a LightGBM booster over the top-of-atmosphere
reflectance of 10 bands, one pixel at a time. The post-processing follows the method the
package documents (Zupanc, "Improving cloud detection with machine learning", Sentinel
Hub blog, 2017): the probability is averaged over a disk, thresholded at 0.4, and the mask
dilated by a disk, with eo-learn's 10 m disk radii (22 and 11 px) given here in metres.
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage, signal

from paii_core.errors import InputNotFoundError, ValidationError

__all__ = [
    "CLOUD_MODEL_BANDS",
    "CLOUD_THRESHOLD",
    "cloud_mask",
    "cloud_model_file",
    "cloud_probability",
]

CLOUD_MODEL_BANDS: tuple[str, ...] = (
    "B01", "B02", "B04", "B05", "B08", "B8A", "B09", "B10", "B11", "B12",
)  # fmt: skip
"""The model's 10 input bands, in its feature order (L1C TOA reflectance 0..1)."""
CLOUD_THRESHOLD = 0.4
PROCESSING_M = 40.0
"""Pixel size the model is evaluated at: 10 m bands are block-averaged 4 x 4 first (the
model is per pixel and clouds span hundreds of metres): 16x fewer predictions, 2.2 s
instead of 21 s for 500 x 500 px at 10 m on one thread. The probability is then repeated
back to the grid before the 220 m disk average."""
AVERAGE_RADIUS_M = 220.0
DILATION_RADIUS_M = 110.0
_MODEL_FILE = "pixel_s2_cloud_detector_lightGBM_v0.1.txt"
_INSTALL = "pip install --no-deps s2cloudless==1.7.3 (only its model file is used)"


def cloud_model_file() -> Path:
    """The LightGBM model file shipped in the s2cloudless package, found without importing
    the package (its import pulls in OpenCV and the Sentinel Hub client).

    Raises:
        InputNotFoundError: s2cloudless is not installed, or its model file is missing.
    """
    spec = importlib.util.find_spec("s2cloudless")
    if spec is None or not spec.submodule_search_locations:
        raise InputNotFoundError(
            f"the s2cloudless package (L1C cloud model) is not installed. Fix: {_INSTALL}"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / _MODEL_FILE
    if not path.is_file():
        raise InputNotFoundError(f"{path}: s2cloudless model file missing. Fix: {_INSTALL}")
    return path


def _blocks(x: NDArray[np.float64], k: int) -> NDArray[np.float64]:
    """Mean over k x k blocks of ``(C, H, W)``, NaN-aware; edges padded with NaN."""
    c, h, w = x.shape
    hp, wp = -(-h // k) * k, -(-w // k) * k
    pad = np.full((c, hp, wp), np.nan)
    pad[:, :h, :w] = x
    blocks = pad.reshape(c, hp // k, k, wp // k, k)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN blocks stay NaN
        return np.nanmean(blocks, axis=(2, 4))


def cloud_probability(
    toa: NDArray[np.floating], *, pixel_size_m: float = PROCESSING_M
) -> NDArray[np.float32]:
    """Cloud probability of an L1C scene, evaluated at :data:`PROCESSING_M`.

    Args:
        toa: ``(10, H, W)`` top-of-atmosphere reflectance (0..1, offset removed) of
            :data:`CLOUD_MODEL_BANDS` in that order; NaN where no data.
        pixel_size_m: the grid's pixel size; the bands are block-averaged to about
            :data:`PROCESSING_M` before the model and the result repeated back.

    Returns:
        ``(H, W) float32`` in 0..1, NaN where any band is NaN.

    Raises:
        ValidationError: not 10 bands.
    """
    import lightgbm

    x = np.asarray(toa, dtype=np.float64)
    if x.ndim != 3 or x.shape[0] != len(CLOUD_MODEL_BANDS):
        raise ValidationError(
            f"toa should be (10, H, W) bands {', '.join(CLOUD_MODEL_BANDS)}, got {x.shape}"
        )
    k = max(1, round(PROCESSING_M / pixel_size_m))
    coarse = _blocks(x, k) if k > 1 else x
    pixels = coarse.reshape(len(CLOUD_MODEL_BANDS), -1).T
    ok = np.isfinite(pixels).all(axis=1)
    prob = np.full(pixels.shape[0], np.nan, dtype=np.float32)
    if ok.any():
        booster = lightgbm.Booster(model_file=str(cloud_model_file()))
        prob[ok] = booster.predict(pixels[ok], num_threads=1).astype(np.float32)
    prob = prob.reshape(coarse.shape[1:])
    if k > 1:
        prob = np.repeat(np.repeat(prob, k, axis=0), k, axis=1)[: x.shape[1], : x.shape[2]]
    prob[~np.isfinite(x).all(axis=0)] = np.nan
    return prob


def _disk(radius_px: int) -> NDArray[np.bool_]:
    r = max(int(radius_px), 0)
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1]
    return (xx * xx + yy * yy) <= r * r


def cloud_mask(
    probability: NDArray[np.floating], *, pixel_size_m: float, threshold: float = CLOUD_THRESHOLD
) -> NDArray[np.bool_]:
    """Cloud mask from a probability map: disk average (220 m), threshold, disk dilation
    (110 m). NaN pixels count as clear for the average and are never cloud.

    Returns:
        ``(H, W) bool``, True = cloud.
    """
    p = np.asarray(probability, dtype=np.float64)
    valid = np.isfinite(p)
    disk = _disk(round(AVERAGE_RADIUS_M / pixel_size_m)).astype(np.float64)
    # FFT convolution: the 45 px disk at 10 m makes a direct convolution slow; dividing by
    # the convolved valid mask makes the edges and nodata holes a mean over valid pixels.
    num = signal.fftconvolve(np.where(valid, p, 0.0), disk, mode="same")
    den = signal.fftconvolve(valid.astype(np.float64), disk, mode="same")
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(den > 0.5, num / np.maximum(den, 0.5), 0.0)
    mask = mean > threshold
    dil = round(DILATION_RADIUS_M / pixel_size_m)
    if dil > 0:
        mask = ndimage.binary_dilation(mask, structure=_disk(dil))
    return mask & valid
