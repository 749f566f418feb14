"""The NIR airlight of a hazy TOA capture, read from its water (issue 11, TOA dehazing).

Koschmieder's law in NIR, I = J t + A (1 - t): the visible bands' dark objects give the
NIR transmission t (:mod:`paii_core.enhance.haze_path`), but not the NIR airlight A, and
over land nothing does: vegetation is bright in NIR. Water is not: it leaves almost no NIR
(the black-pixel assumption of ocean-colour correction, Gordon & Wang 1994, Appl. Opt.
33(3)), so its clear TOA NIR J_w is the clear-sky path alone, small and nearly constant
over a scene. Haze varies over the water, so the water pixels' hazy NIR against their
transmission is a straight line whose ends are J_w (t = 1) and A (t = 0): both are
identified, and :func:`nir_airlight` fits them together as a maximum a posteriori estimate,
the airlight about the prior (:data:`AIRLIGHT_NIR_SD`) and J_w about :data:`WATER_NIR`
(a wide :data:`WATER_NIR_SD`: clear seas read 0.007-0.014, turbid water and lakes
0.02-0.035 on the real captures of bench/BENCHMARKS.md), the pixels' residual variance
inflated :data:`RESIDUAL_INFLATION` times because neighbouring pixels share their haze (the
pixels are not independent draws). Without enough hazed water the prior stays.

The transmission the fit uses over the water is the LAND's, carried over the shore water
(a normalised Gaussian convolution of the land's transmission, :data:`SHORE_PX`): what NDVI
needs is an airlight consistent with the transmission the land is inverted with, and over
water the visible dark objects may sit at another clear level than over land (seventh pass,
bench/BENCHMARKS.md). Every setting was chosen on development captures only
(``bench/enhance/dehaze_dev.py`` variant ``water-landmap-0.03-300-10``).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from paii_core.errors import ValidationError

__all__ = ["AIRLIGHT_NIR_SD", "WATER_NIR", "WATER_NIR_SD", "nir_airlight"]

AIRLIGHT_NIR_SD = 0.0225
"""Prior standard deviation of the NIR airlight: a 15 % spread either way about 0.26, as a
uniform (0.26 x 0.3 / sqrt(12))."""
WATER_NIR = 0.02
"""Prior clear-sky TOA NIR of water: the clear path, Rayleigh (about 0.005 at 842 nm) plus
background aerosol (0-0.03), water itself leaving none (Gordon & Wang 1994)."""
WATER_NIR_SD = 0.03
"""Its prior standard deviation: wide, so the fit reads the water's own level (a clear sea
at 0.007 and a turbid lake at 0.035 both within about one sd)."""
RESIDUAL_INFLATION = 300.0
"""The water pixels' residual variance about the fitted line is multiplied by this: pixels
a haze correlation length apart share their haze, so thousands of them carry the weight of
tens (development: 100 to 1000 within 0.001 of each other)."""
SHORE_PX = 10.0
"""Scale (sample pixels, sigma = half of it) over which the land's transmission is carried
over the shore water; water farther than this from land (under 20 % land weight) is not
used."""
SHORE_MIN_LAND = 0.2
WATER_NDWI = 0.3
"""Water in the image dehazed with the current airlight: NDWI (green - NIR) / (green + NIR)
above this (McFeeters 1996) and NIR under :data:`WATER_NIR_MAX`, eroded by one pixel."""
WATER_NIR_MAX = 0.06
WATER_MIN_SHARE = 0.005
"""Water is used only if at least this share of the sample (and 50 pixels) is water."""
WATER_MIN_PX = 50
WATER_T_MAX = 0.95
"""Pixels whose NIR transmission is above this carry no haze to read and are not used."""
WATER_PASSES = 3
"""Times water is looked for, each in NIR dehazed with the last pass's airlight: water
under an airlight above the prior is too bright in NIR to pass for water at first."""
SAMPLE_MAX_PX = 1024
"""Every other pixel is sampled, or sparser so that the sample is about this many pixels a
side at most (a 4096 px capture: every fourth): bounded time and memory."""
AIRLIGHT_RANGE = (0.7, 1.3)
"""The result is kept within this factor of the prior (a guard; the draws the settings
were chosen on never reached it)."""


def _water(green: NDArray, nir: NDArray, valid: NDArray) -> NDArray | None:
    """Water pixels (module docstring) of dehazed ``green`` and ``nir``, or None if too few."""
    water = (green * (1.0 - WATER_NDWI) > nir * (1.0 + WATER_NDWI)) & (nir < WATER_NIR_MAX)
    water = ndimage.binary_erosion(water & valid)
    return water if water.sum() >= max(WATER_MIN_PX, WATER_MIN_SHARE * water.size) else None


def _shore_transmission(t: NDArray, water: NDArray, valid: NDArray) -> tuple[NDArray, NDArray]:
    """The land's transmission carried over the water (normalised convolution) and the
    weight of land behind it at each pixel."""
    land = (~ndimage.binary_dilation(water, iterations=2) & valid).astype(np.float64)
    near = ndimage.gaussian_filter(land, SHORE_PX / 2)
    carried = ndimage.gaussian_filter(t * land, SHORE_PX / 2) / np.maximum(near, 1e-6)
    return carried, near


def _map_fit(hazy: NDArray, t: NDArray, prior: float) -> float:
    """The airlight of the joint MAP fit of I = J t + A (1 - t) over water (module
    docstring): least squares for the residual variance, then the Gaussian posterior mode."""
    x = np.stack([1.0 - t, t], axis=1)
    coef = np.linalg.lstsq(x, hazy, rcond=None)[0]
    noise = max(float(np.var(hazy - x @ coef)), 1e-8) * RESIDUAL_INFLATION
    lhs = x.T @ x / noise + np.diag([AIRLIGHT_NIR_SD**-2, WATER_NIR_SD**-2])
    rhs = x.T @ hazy / noise + np.array([prior / AIRLIGHT_NIR_SD**2, WATER_NIR / WATER_NIR_SD**2])
    return float(np.linalg.solve(lhs, rhs)[0])


def nir_airlight(
    nir: NDArray, green_out: NDArray, t_nir: NDArray, valid: NDArray, prior: float
) -> float:
    """The NIR airlight of a hazy capture (module docstring). ``nir``: its hazy NIR;
    ``green_out``: its dehazed green; ``t_nir``: the NIR transmission; ``valid``: the
    pixels with data (all ``(H, W)``); ``prior``: the prior airlight, returned as it is
    without enough hazed water near land. Raises ValidationError for mismatched shapes."""
    shapes = {np.shape(a) for a in (nir, green_out, t_nir, valid)}
    if len(shapes) != 1 or len(next(iter(shapes))) != 2:
        raise ValidationError(
            "nir_airlight needs nir, green_out, t_nir and valid as (H, W) arrays of one shape, "
            f"got shapes {[np.shape(a) for a in (nir, green_out, t_nir, valid)]}; pass one "
            "band plane of the same capture each"
        )
    step = max(2, math.ceil(max(np.shape(nir)) / SAMPLE_MAX_PX))
    pick = np.s_[::step, ::step]
    g = np.asarray(green_out[pick], np.float64)
    h = np.asarray(nir[pick], np.float64)
    t = np.asarray(t_nir[pick], np.float64)
    ok = np.asarray(valid[pick], bool) & (t < WATER_T_MAX) & (g > 0)
    air = prior
    for _ in range(WATER_PASSES):
        water = _water(g, (h - air * (1.0 - t)) / t, ok)
        if water is None:
            break
        carried, near = _shore_transmission(t, water, ok)
        water &= near >= SHORE_MIN_LAND
        if water.sum() < WATER_MIN_PX:
            break
        air = _map_fit(h[water], carried[water], prior)
    lo, hi = AIRLIGHT_RANGE
    return float(np.clip(air, lo * prior, hi * prior))
