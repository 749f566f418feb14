"""NIR airlight and transmission estimators of the eighth dehaze pass (issue 11), for the
development harness :mod:`bench.enhance.dehaze_dev` only: ideas (a) the soil line, (b) the
land's NIR regressed on the haze, (c) a per-scene Angstrom exponent. All three were
rejected on the development draws (bench/BENCHMARKS.md, eighth pass); none is in
:mod:`paii_core.enhance.haze_path`.
"""

from __future__ import annotations

import numpy as np

from paii_core.enhance.dcp import ANGSTROM, WAVELENGTHS_NM
from paii_core.enhance.haze_path import (
    AIRLIGHT,
    AIRLIGHT_MARGIN,
    CLEAR_DARK,
    T_FLOOR,
    dark_objects,
)

AIRLIGHT_NIR_SD = 0.0225
"""Spread of the drawn NIR airlight about the prior (15 % either way, uniform)."""
LAND_T_MAX = 0.95
"""Land pixels whose NIR transmission is above this carry no haze to regress on."""
MIN_LAND_PX = 200


def hot_airlight(nir, out, t_nir, k: float, degree: int = 1, max_ndvi: float = 1.0) -> float:
    """The NIR airlight from how the hazy NIR of LAND follows the haze (idea (b) of the
    eighth pass, after the haze-optimised transformation's regression, Zhang, Guindon &
    Cihlar 2002): I_N / t = J_N + A (1 - t) / t, with the ground's NIR J_N modelled from
    the dehazed visible bands (a polynomial of ``degree`` in B, G, R), so that A is the
    coefficient of (1 - t) / t over pixels whose haze differs; its least-squares standard
    error, inflated sqrt(``k``) times (neighbouring pixels share their haze and ground),
    weighs it against the prior (:data:`AIRLIGHT_NIR_SD`) by inverse variances. Land: not
    water (dehazed NIR above green), NIR transmission under :data:`LAND_T_MAX`, every
    other pixel."""
    prior = float(AIRLIGHT[3])
    step = np.s_[::2, ::2]
    t = t_nir[step].astype(np.float64)
    vis = out[:3][(slice(None), *step)].astype(np.float64)
    y = nir[step].astype(np.float64) / t
    n_prior = (nir[step] - prior * (1.0 - t)) / t
    keep = (t < LAND_T_MAX) & (n_prior > vis[1]) & np.isfinite(y)
    keep &= n_prior - vis[2] <= max_ndvi * np.maximum(n_prior + vis[2], 1e-3)
    if int(keep.sum()) < MIN_LAND_PX:
        return prior
    x = ((1.0 - t) / t)[keep]
    b, g, r = (v[keep] for v in vis)
    cols = [np.ones_like(x), b, g, r]
    if degree >= 2:
        cols += [b * b, g * g, r * r, b * g, b * r, g * r]
    z = np.stack([x, *cols], axis=1)
    coef, *_ = np.linalg.lstsq(z, y[keep], rcond=None)
    resid = y[keep] - z @ coef
    s2 = float(resid @ resid) / max(len(resid) - z.shape[1], 1)
    cov = np.linalg.pinv(z.T @ z) * s2 * k
    se2 = max(float(cov[0, 0]), 1e-12)
    w_p, w_d = AIRLIGHT_NIR_SD**-2, 1.0 / se2
    return float((prior * w_p + coef[0] * w_d) / (w_p + w_d))


def band_depths(image: np.ndarray) -> np.ndarray:
    """Each visible band's own optical depth -ln t_b ``(3, H, W)`` as
    :func:`path_dehaze` reads it (airlight raised to the brightest dark objects)."""
    dark = dark_objects(image)
    brightest = np.percentile(dark[:, ::4, ::4].reshape(3, -1), 99.9, axis=1)
    air = np.maximum(AIRLIGHT[:3], brightest + AIRLIGHT_MARGIN)
    excess = np.maximum(dark - CLEAR_DARK[:, None, None], 0.0)
    t = np.clip(1.0 - excess / (air - CLEAR_DARK)[:, None, None], T_FLOOR, 1.0)
    return -np.log(t)


def scene_angstrom(depths: np.ndarray, weight: float, min_depth: float = 0.2) -> float:
    """The Angstrom exponent of a scene from its visible bands' optical depths (idea (c) of
    the eighth pass): per pixel the slope of ln tau_b on ln(lambda_b / 550), its median over
    pixels whose green depth is at least ``min_depth``, shrunk to :data:`ANGSTROM` by
    ``weight`` (0: the fixed exponent; 1: the scene's) and kept within 0.5-2.0."""
    x = np.log(np.asarray(WAVELENGTHS_NM[:3]) / 550.0)
    d = depths[:, ::2, ::2].reshape(3, -1)
    keep = (d.min(axis=0) > 1e-3) & (d[1] >= min_depth)
    if int(keep.sum()) < MIN_LAND_PX:
        return float(ANGSTROM)
    y = np.log(d[:, keep])
    xc = x - x.mean()
    slope = (xc @ (y - y.mean(axis=0))) / float(xc @ xc)
    return float(np.clip(ANGSTROM + weight * (-float(np.median(slope)) - ANGSTROM), 0.5, 2.0))
