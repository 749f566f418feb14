"""Haze removal from top-of-atmosphere reflectance by its per-band path radiance.

Haze adds to each band b the path term of Koschmieder's law, I_b = J_b t_b + A_b (1 - t_b),
with one optical depth per pixel coupled across bands by the Angstrom law,
t_b = exp(-tau550 (lambda_b / 550)^-alpha). A network trained on surface reflectance
misjudges the airlight A_b of a TOA capture per band, and a 0.045 error in red's moves
vegetation NDVI by 0.1-0.25 (bench/BENCHMARKS.md, issue 11). The path itself can be read
from the image instead, as in dark-object subtraction (Chavez 1988) made local and
tied across bands (Makarau et al. 2014, IEEE TGRS 52(9), haze thickness from dark pixels
with per-band scales):

- the dark objects of B, G and R (a local minimum over :data:`DARK_PATCH_PX`, smoothed)
  are D_b = Dc_b t_b + A_b (1 - t_b), where Dc_b, the dark-object level of a CLEAR TOA
  capture, is nearly the same across sensors and landscapes (:data:`CLEAR_DARK`);
- their excess e_b = D_b - Dc_b = (A_b - Dc_b)(1 - t_b) gives each band's transmission
  with a prior airlight (:data:`AIRLIGHT`, raised to the scene's brightest dark objects
  when they reach it); the path taken off, e_b + Dc_b (1 - t_b), is then exact whatever
  the true airlight: its error only scales J_b - D_b, which is small for the dark red of
  vegetation, so NDVI holds;
- red, which decides NDVI, is divided by the transmission of the MEAN of the three
  visible bands' optical depths (Angstrom law), its path still its own: its own depth
  carries the error of the prior red airlight alone (simulated haze draws each band's
  airlight within +-15 %), which scales red's contrast above its dark objects by
  t / t_read, and the mean dilutes each band's airlight error (session 11's oracle
  decomposition in bench/BENCHMARKS.md: the draw's red airlight alone takes the
  development error from 0.0215 to 0.0183; the mean depth, to 0.0195);
- NIR has no dark objects over land: its transmission follows the visible bands' optical
  depth by the Angstrom law and is inverted with the prior airlight; vegetation's NIR is
  close to that airlight, so the prior's error there moves it little.

A clear capture has no excess (D_b <= Dc_b over most of it) and is left nearly unchanged,
so dehaze(clear) and dehaze(hazy) of one place agree (issue 11's TOA criterion). The
figures that chose the constants are in bench/BENCHMARKS.md (development scenes only:
Landsat-5 TM Para, Landsat-8 OLI, the Italian training rows with a TOA path added).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from paii_core.enhance._checks import check_bgrn
from paii_core.enhance.dcp import ANGSTROM, WAVELENGTHS_NM
from paii_core.enhance.tiling import fill_nodata
from paii_core.errors import ValidationError

__all__ = [
    "AIRLIGHT",
    "AIRLIGHT_MARGIN",
    "CLEAR_DARK",
    "DARK_PATCH_PX",
    "THICK_T",
    "dark_objects",
    "path_dehaze",
]

AIRLIGHT = np.array([0.36, 0.33, 0.30, 0.26], np.float32)
"""Prior airlight of B2, B3, B4, B8 in reflectance: bright and bluish (skylight scattered
by haze is richest at short wavelengths). It sets only how a dark object's excess is
split between path and transmission; the path itself is read from the image."""
CLEAR_DARK = np.array([0.0716, 0.0542, 0.0378], np.float32)
"""Dark-object level (:func:`dark_objects`) of a clear TOA capture in B, G, R: 0.9 x the
median over the development scenes' clear captures (Landsat-5 TM 0.080 / 0.057 / 0.035,
Landsat-8 OLI 0.073 / 0.056 / 0.040, Italy L2A + a TOA path 0.077 / 0.070 / 0.038 at
21 px); 0.9 x rather than 1 x held NDVI better there (0.031 against 0.038)."""
DARK_PATCH_PX = 11
"""Side of the minimum filter: a few fields (110 m at 10 m, 330 m at 30 m), so most
windows hold some dense vegetation or shadow; haze varies over tens of pixels.
Chosen on the development scenes among 7 / 9 / 11 / 15 / 21 px."""
DARK_SMOOTH_PX = 5.0
"""Gaussian sigma that smooths the dark-object map (the minimum filter's blocks)."""
AIRLIGHT_MARGIN = 0.02
"""A band's airlight is at least its brightest dark objects (99.9th percentile) plus this:
under thick haze dark objects tend to the airlight, and a prior below them would drive
the transmission to zero (development scenes, 36 draws: worst NDVI consistency 0.106 ->
0.072, and thick-haze flags that are right 75 % of the time instead of 64 %)."""
THICK_T = 0.2
"""Transmission at 550 nm (the path's estimate) under which pixels are flagged too thick
(tau550 > 1.6). On the development draws the flags at 0.2 held 87 % of the pixels whose
true transmission is under 0.15, 75 % of what they flagged being such pixels; at 0.15
they held 37 %, at 0.25 they were right 36 % of the time."""
DARK_SLACK = 0.005
"""How far below :data:`CLEAR_DARK` a region's dark objects may pull its path (it is then
brightened by up to this). Under haze such a region's dark objects are lifted with the
rest, and the dehazed image puts them back at :data:`CLEAR_DARK`; the clear capture
must be treated alike for dehaze(clear) and dehaze(hazy) to agree (development draws:
cases within 0.05 NDVI 29 -> 33 of 36, mean 0.029 -> 0.024; a clear capture's change
0.0040 -> 0.0045 reflectance MAE on Landsat-5)."""
T_FLOOR = 0.1


def dark_objects(image: NDArray) -> NDArray[np.float32]:
    """Dark-object map ``(3, H, W)`` of B, G, R of a nodata-free ``(4, H, W)`` image: the
    minimum over :data:`DARK_PATCH_PX` of each band (lightly smoothed against noise), then
    smoothed by :data:`DARK_SMOOTH_PX`."""
    out = np.empty((3, *image.shape[1:]), np.float32)
    for b in range(3):
        low = ndimage.gaussian_filter(image[b], 1.0)
        low = ndimage.minimum_filter(low, size=DARK_PATCH_PX, mode="nearest")
        out[b] = ndimage.gaussian_filter(low, DARK_SMOOTH_PX, mode="nearest")
    return out


def _check_levels(clear_dark: NDArray, shape: tuple[int, ...]) -> NDArray[np.float32]:
    """``clear_dark`` as float32 ``(3,)`` or ``(3, H, W)``, or ValidationError."""
    levels = np.asarray(clear_dark, np.float32)
    if levels.shape not in ((3,), (3, *shape)):
        raise ValidationError(
            f"clear_dark must give B, G, R levels as (3,) or (3, H, W) = (3, {shape[0]}, "
            f"{shape[1]}), got shape {levels.shape}"
        )
    if not (np.isfinite(levels).all() and (levels >= 0).all() and (levels < AIRLIGHT[2]).all()):
        raise ValidationError(
            "clear_dark must be finite reflectance levels between 0 and the prior red airlight "
            f"{AIRLIGHT[2]:.2f} (a clear capture's dark objects), e.g. haze_path.CLEAR_DARK"
        )
    return levels


def _invert(band: NDArray, excess: NDArray, base, t: NDArray, out: NDArray) -> None:
    """``out = (band - excess - base (1 - t)) / t``, the path taken off and the
    transmission undone; ``excess`` is overwritten."""
    np.subtract(band, excess, out=out)
    out -= base
    np.multiply(t, base, out=excess)
    out += excess
    out /= t


def path_dehaze(
    image: NDArray, clear_dark: NDArray | None = None
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Dehaze a ``(4, H, W)`` BGRN top-of-atmosphere reflectance image by its per-band
    haze path (module docstring). Returns the dehazed TOA image ``(4, H, W)`` float32
    (NaN nodata kept, never negative) and the transmission at 550 nm ``(H, W)``.
    ``clear_dark``: the clear dark-object level of B, G, R, ``(3,)`` or ``(3, H, W)``
    (default :data:`CLEAR_DARK`; the development harness passes others).
    Raises ValidationError for a non-BGRN or all-nodata image."""
    arr = check_bgrn(image)
    levels = CLEAR_DARK if clear_dark is None else _check_levels(clear_dark, arr.shape[1:])
    nodata = np.isnan(arr).any(axis=0)
    filled = fill_nodata(arr)  # the caller's array itself when it has no NaN: not written
    ratio = (np.asarray(WAVELENGTHS_NM, np.float32) / np.float32(550.0)) ** np.float32(-ANGSTROM)
    dark = dark_objects(filled)
    brightest = np.percentile(dark[:, ::4, ::4].reshape(3, -1), 99.9, axis=1).astype(np.float32)
    airlight = np.maximum(AIRLIGHT[:3], brightest + AIRLIGHT_MARGIN)
    out = np.empty_like(filled)
    # Band by band and in place (a 4096 px capture holds 64 MB per band-plane): the path
    # taken off is excess + base (1 - t), and each band's optical depth goes into ``dark``.
    # Red waits for the three depths (module docstring: its transmission is that of their
    # mean), keeping its excess.
    for b in range(3):
        base = levels[b]
        excess = dark[b] - base
        np.maximum(excess, -DARK_SLACK, out=excess)
        t = np.maximum(excess, 0.0)
        t *= np.float32(-1.0 / (airlight[b] - base))
        t += 1.0
        np.clip(t, T_FLOOR, 1.0, out=t)
        if b < 2:
            _invert(filled[b], excess, base, t, out[b])
        else:
            red_excess = excess
        np.log(t, out=t)
        np.multiply(t, -1.0 / ratio[b], out=dark[b])
        del excess, t
    t_red = dark.mean(axis=0)
    t_red *= -ratio[2]
    np.exp(t_red, out=t_red)
    np.maximum(t_red, T_FLOOR, out=t_red)
    _invert(filled[2], red_excess, levels[2], t_red, out[2])
    del red_excess, t_red
    # One optical depth for NIR: the median of the visible bands' (robust to one band's
    # dark objects being lifted by bright ground), as sum - max - min of the three.
    tau550 = dark.sum(axis=0)
    tau550 -= dark.max(axis=0)
    tau550 -= dark.min(axis=0)
    del dark
    t_nir = np.exp(tau550 * -ratio[3])
    np.multiply(t_nir, AIRLIGHT[3], out=out[3])
    out[3] += filled[3] - AIRLIGHT[3]
    out[3] /= t_nir
    del t_nir
    np.maximum(out, 0.0, out=out)
    out[:, nodata] = np.nan
    np.negative(tau550, out=tau550)
    t550 = np.exp(tau550, out=tau550)
    t550[nodata] = np.nan
    return out.astype(np.float32, copy=False), t550
