"""Physical validity of dehazed reflectance: TOA path, non-negativity, too-thick haze.

Top-of-atmosphere reflectance (Sentinel-2 L1C, Landsat L1) carries the clear sky's own
path reflectance (Rayleigh scattering, some aerosol) that surface reflectance (L2A)
does not. A dehazer trained on L2A takes it for haze and strips it, so a clear TOA scene
changed by 0.02 reflectance and NDVI by up to 0.4. :func:`clear_sky_path` estimates
that offset (a dark-object subtraction, Chavez 1988, capped at a clear standard
atmosphere) so it can be taken off before dehazing and put back after: the dehazer then
removes only the haze above a clear sky, and L1C and L2A inputs are treated alike.
Where haze is so thick that the ground is barely seen (transmission at 550 nm under
:data:`THICK_T`), :func:`thick_haze` flags the pixels; the dehazed bands are NaN there
rather than invented ground. Opaque cloud is the cloud mask's job (SCL, s2cloudless):
the Dark Channel Prior reads a uniform cloud deck as the airlight itself.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from paii_core.enhance.dcp import dcp_transmission
from paii_core.enhance.haze_index import PATCH_PX

__all__ = ["CLEAR_SKY_PATH", "THICK_T", "clear_sky_path", "thick_haze", "thick_haze_band"]

CLEAR_SKY_PATH = np.array([0.05, 0.03, 0.015, 0.005], np.float32)
"""Largest clear-sky path reflectance taken off B2, B3, B4, B8 of a TOA capture: the
Rayleigh path reflectance for a sun 30-40 degrees from zenith (optical depths 0.16,
0.09, 0.045, 0.016; Bodhaine et al. 1999) with a little aerosol. Real clear L1C over
Slovenia sits 0.056 / 0.025 / 0.017 above real L2A vegetation in B2 / B3 / B4."""
FLAG_GRID_PX = 512
THICK_T = 0.15
"""Dark Channel Prior transmission at 550 nm (tau550 > 1.9) under which the ground is
flagged, not restored: the blue band keeps under 10 % of its signal. The DCP estimate
errs high (on real L2A under simulated tau 1.5 it flags 4 % of the pixels whose true
transmission is under 0.15 on 14 %), so flagged pixels are surely too thick. A flag at
0.25 took 10 % of the pixels under tau 0.5 on real L2A."""


def clear_sky_path(image: NDArray) -> NDArray[np.float32]:
    """Per-band offset ``(4,)`` of a TOA ``(4, H, W)`` capture: its 0.5th percentile (the
    darkest objects, Chavez 1988) but at most :data:`CLEAR_SKY_PATH`, so that what a hazy
    sky adds above a clear one is left for the dehazer."""
    dark = np.nanpercentile(image.reshape(4, -1), 0.5, axis=1).astype(np.float32)
    return np.clip(dark, 0.0, CLEAR_SKY_PATH)


def thick_haze(image: NDArray) -> NDArray[np.bool_]:
    """Pixels ``(H, W)`` of a surface-level ``(4, H, W)`` image (L2A, or TOA with
    :func:`clear_sky_path` taken off) whose haze is too thick to recover: Dark Channel
    Prior transmission under :data:`THICK_T`. NaN pixels are not flagged. Haze varies
    over tens of pixels, so rasters over :data:`FLAG_GRID_PX` px are judged on every
    k-th pixel (patch scaled alike) and the flags spread back: a 4096 px capture costs
    1/64 of the time and memory of a full-resolution Dark Channel Prior."""
    _, h, w = image.shape
    k = max(1, int(np.ceil(max(h, w) / FLAG_GRID_PX)))
    small = image[:, ::k, ::k]
    if np.isnan(small).any(axis=0).all():
        return np.zeros((h, w), bool)
    t550 = dcp_transmission(small, patch=max(3, PATCH_PX // k), radius=max(2, 20 // k))
    with np.errstate(invalid="ignore"):
        flags = t550 < THICK_T
    flags = np.repeat(np.repeat(flags, k, axis=0), k, axis=1)[:h, :w]
    return flags & ~np.isnan(image).any(axis=0)


def thick_haze_band(nodata: NDArray, dehazed: NDArray) -> NDArray[np.float32]:
    """The ``THICK_HAZE`` band ``(H, W)`` float32 of a dehazed product: 1 where the input
    had data (``nodata`` ``(H, W)`` False) but ``dehazed`` ``(4, H, W)`` is NaN (haze too
    thick to recover), 0 elsewhere, NaN on the input's nodata."""
    flag = (np.isnan(dehazed).any(axis=0) & ~nodata).astype(np.float32)
    flag[nodata] = np.nan
    return flag
