"""Input sharpness matched to the boundary model's training renders.

The boundary model was trained on scenes rendered finer than their pixel and degraded
like Sentinel-2 (mixed pixels at field edges, an optical blur of about half a pixel).
An input whose field edges are sharper (a sensor with a crisper point-spread function,
imagery resampled without smoothing, or a simulator rendering straight at the pixel
size) shows one-pixel steps that the model reads as weaker boundaries, so fields parted
by nothing but a crop change merge. Such an input is blurred by half a pixel, toward the
training sharpness, before the boundary features are computed; inputs as blurred as the
training renders (real Sentinel-2 among them) pass unchanged. (A blur that matches the
training renders' edge concentration fully, 0.7-0.8 px, smeared narrow fields and
matched fewer of them on the training layouts than half a pixel.)

Sharpness is measured on the season mean (noise divided by the square root of the clear
dates) as the *edge concentration*: over the strongest monotone three-step windows of
every band, in rows and columns, the share of the window's total change taken by its
middle step. A step edge gives 1; an edge blurred by a Gaussian of standard deviation
sigma pixels gives about erf(1 / (2 sqrt(2) sigma)), 0.6 at sigma = 0.58, the blur of a
pixel-sized box with a 0.5-pixel optical PSF (the slanted-edge idea of ISO 12233,
reduced to one number).
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

__all__ = ["EDGE_CONCENTRATION_SHARP", "MATCH_BLUR_PX", "edge_concentration", "match_sharpness"]

EDGE_CONCENTRATION_SHARP = 0.65
"""Inputs whose edge concentration exceeds this are sharper than the training renders
(those measure 0.47-0.53; scenes rendered straight at the pixel size 0.75-0.98, on the
training layouts; chosen between the two, never on the held-out layout)."""
MATCH_BLUR_PX = 0.5
"""Gaussian blur (pixels) applied to a sharp input: of 0.3, 0.4, 0.5, 0.6 px, the one
that gave the highest share of matched fields on sharp renders of the training layouts
(9 scenes, unseen seeds; 0.56 matched unblurred, 0.71 at 0.5 px)."""
_TOP = 0.02
_MIN_WINDOWS = 50


def _season_mean(series: NDArray) -> NDArray[np.float64]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-cloud pixels
        mean = np.nanmean(np.asarray(series, np.float64), axis=0)
    for band in mean:
        ok = np.isfinite(band)
        band[~ok] = np.median(band[ok]) if ok.any() else 0.0
    return mean


def edge_concentration(series: NDArray) -> float:
    """Median share of a strong edge's change taken by its steepest one-pixel step, of a
    ``(T, C, H, W)`` season (NaN = no data); NaN when the scene holds fewer than 50 edge
    windows to measure (too small or featureless)."""
    shares = []
    for band in _season_mean(series):
        for plane in (band, band.T):
            if plane.shape[1] < 5:
                continue
            d = np.diff(plane, axis=1)
            d1, d2, d3 = d[:, :-2], d[:, 1:-1], d[:, 2:]
            total = np.abs(d1 + d2 + d3)
            centred = (
                (np.abs(d2) >= np.abs(d1))
                & (np.abs(d2) >= np.abs(d3))
                & (d1 * d2 >= 0)
                & (d3 * d2 >= 0)
                & (total > 0)
            )
            if centred.sum() < _MIN_WINDOWS:
                continue
            strong = centred & (total >= np.quantile(total[centred], 1.0 - _TOP))
            shares.append(np.abs(d2[strong]) / total[strong])
    values = np.concatenate(shares) if shares else np.zeros(0)
    return float(np.median(values)) if values.size >= _MIN_WINDOWS else float("nan")


def _blur(series: NDArray, sigma: float) -> NDArray[np.float32]:
    """NaN-aware Gaussian blur of every plane (normalised convolution); NaN stays NaN."""
    arr = np.asarray(series, np.float32)
    out = np.empty_like(arr)
    for t in range(arr.shape[0]):
        for b in range(arr.shape[1]):
            plane = arr[t, b]
            ok = np.isfinite(plane)
            num = ndimage.gaussian_filter(np.where(ok, plane, 0.0), sigma)
            den = ndimage.gaussian_filter(ok.astype(np.float32), sigma)
            out[t, b] = np.where(ok, num / np.maximum(den, 1e-6), np.nan)
    return out


def match_sharpness(series: NDArray) -> tuple[NDArray[np.float32], float]:
    """The season to compute boundary features on, and the blur applied (pixels, 0 = none):
    ``series`` blurred by :data:`MATCH_BLUR_PX` when its :func:`edge_concentration` is
    over :data:`EDGE_CONCENTRATION_SHARP`, else ``series`` itself."""
    conc = edge_concentration(series)
    if not conc > EDGE_CONCENTRATION_SHARP:
        return series, 0.0
    return _blur(series, MATCH_BLUR_PX), MATCH_BLUR_PX
