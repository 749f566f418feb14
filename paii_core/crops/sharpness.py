"""Input sharpness: which of the boundary model's two booster pairs reads a season.

The main boundary boosters were trained on scenes rendered finer than their pixel and
degraded like Sentinel-2 (mixed pixels at field edges, an optical blur of about half a
pixel). An input whose field edges are sharper (a sensor with a crisper point-spread
function, imagery resampled without smoothing, a simulator rendering straight at the
pixel size) shows one-pixel steps that those boosters read as weaker boundaries, so
fields parted by nothing but a crop change merge. Such inputs go to a second pair trained
on sharp renders (`paii crops train boundary`); inputs as blurred as the training renders
(real Sentinel-2 among them) keep the main pair.

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

__all__ = ["EDGE_CONCENTRATION_SHARP", "edge_concentration", "is_sharp"]

EDGE_CONCENTRATION_SHARP = 0.65
"""Inputs whose edge concentration exceeds this are sharp: degraded renders measure
0.47-0.53, scenes rendered straight at the pixel size 0.75-0.98 (training layouts on
unseen seeds; chosen between the two, never on the held-out layout or real data)."""
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


def is_sharp(series: NDArray) -> bool:
    """Whether a ``(T, C, H, W)`` season's edges are sharper than the degraded training
    renders (:func:`edge_concentration` over :data:`EDGE_CONCENTRATION_SHARP`); False
    when there are too few edges to tell."""
    return bool(edge_concentration(series) > EDGE_CONCENTRATION_SHARP)
