"""Haze, clouds, cloud shadows and the Sentinel-2 scene classification that flags them.

Haze follows the atmospheric scattering model I = J t + A (1 - t) (Koschmieder 1924,
"Theorie der horizontalen Sichtweite"; in the notation of He, Sun & Tang 2009, "Single
image haze removal using dark channel prior", CVPR), with a transmission per band
t = exp(-tau) and an aerosol optical depth that falls with wavelength as
tau(lambda) = tau_550 (lambda / 550 nm)^-alpha (Angstrom 1929, "On the atmospheric
transmission of sun radiation and on dust in the air", Geogr. Ann. 11), so NIR sees
through haze best.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage
from scipy.special import ndtri

from paii_core.demo.classes import LandCover
from paii_core.demo.optics import WAVELENGTHS_NM, _check_image
from paii_core.demo.phenology import _check_planes, smooth_noise
from paii_core.errors import ValidationError

__all__ = [
    "DEFAULT_AIRLIGHT",
    "SCL",
    "add_clouds",
    "apply_haze",
    "haze_optical_depth",
    "haze_transmission",
    "scl_from_masks",
]

DEFAULT_AIRLIGHT: tuple[float, ...] = (0.36, 0.33, 0.30, 0.26)
"""Airlight A of B2, B3, B4, B8 in reflectance units: bright and bluish, since the
scattered skylight that haze adds is richest at short wavelengths."""

SCL: dict[str, int] = {
    "no_data": 0,
    "cloud_shadow": 3,
    "vegetation": 4,
    "not_vegetated": 5,
    "water": 6,
    "cloud_medium_probability": 8,
    "cloud_high_probability": 9,
    "thin_cirrus": 10,
}
"""Sentinel-2 L2A Scene Classification codes used by the demo world (ESA Sen2Cor)."""

_SHADOW_REMAINING = (0.40, 0.33, 0.28, 0.22)
"""Fraction of B, G, R, N light left in a cloud shadow: only diffuse skylight, whose
share of the irradiance grows toward the blue (Iqbal 1983, "An Introduction to Solar
Radiation", ch. 7)."""
_CLOUD_REFLECTANCE = (0.55, 0.54, 0.53, 0.55)
"""Thick low cloud: bright and spectrally flat in the visible and NIR."""


def haze_optical_depth(
    shape: tuple[int, int],
    rng: np.random.Generator,
    *,
    mean_tau: float,
    variability: float = 0.3,
    correlation_px: float | None = None,
) -> NDArray[np.float32]:
    """Spatially smooth aerosol optical depth at 550 nm, ``(H, W)`` float32.

    Log-normal around ``mean_tau`` with coefficient of variation ``variability``, the
    usual distribution of aerosol optical depth (O'Neill, Ignatov, Holben & Eck 2000,
    "The lognormal distribution as a reference for reporting aerosol optical depth
    statistics", Geophys. Res. Lett. 27). Smooth over ``correlation_px`` pixels
    (default a quarter of the scene). With the same generator state the field scales
    in proportion to ``mean_tau``, so a larger mean gives thicker haze at every pixel.
    Raises ValidationError for a negative mean_tau or variability, or a bad shape.
    """
    if len(shape) != 2 or min(shape) < 1:
        raise ValidationError(f"shape must be (H, W) with positive sizes, got {shape!r}")
    if not np.isfinite(mean_tau) or mean_tau < 0:
        raise ValidationError(f"mean_tau must be >= 0, got {mean_tau}")
    if not np.isfinite(variability) or variability < 0:
        raise ValidationError(f"variability must be >= 0, got {variability}")
    corr = 0.25 * max(shape) if correlation_px is None else float(correlation_px)
    if corr <= 0:
        raise ValidationError(f"correlation_px must be > 0, got {correlation_px}")
    z = smooth_noise(shape, rng, corr)
    s = np.float32(np.sqrt(np.log1p(variability**2)))
    return (np.float32(mean_tau) * np.exp(s * z - 0.5 * s * s)).astype(np.float32)


def haze_transmission(
    tau550: NDArray, *, angstrom: float = 1.3, wavelengths_nm: Sequence[float] = WAVELENGTHS_NM
) -> NDArray[np.float32]:
    """Transmission ``(C, H, W)`` float32 of each band: exp(-tau550 (lambda/550)^-alpha)."""
    tau = np.asarray(tau550, dtype=np.float32)
    if not 0.0 <= angstrom <= 4.0:
        raise ValidationError(f"angstrom must be between 0 and 4 (haze: 1.0-1.5), got {angstrom}")
    ratio = (np.asarray(wavelengths_nm, dtype=np.float32) / np.float32(550.0)) ** np.float32(
        -angstrom
    )
    return np.exp(-ratio[:, None, None] * tau[None])


def apply_haze(
    clear: NDArray,
    tau550: NDArray,
    *,
    airlight: Sequence[float] | None = None,
    angstrom: float = 1.3,
    wavelengths_nm: Sequence[float] = WAVELENGTHS_NM,
) -> NDArray[np.float32]:
    """Hazy image ``(C, H, W)`` float32 = clear * t + airlight * (1 - t), band by band.

    clear ``(C, H, W)`` reflectance (default bands B, G, R, N); tau550 ``(H, W)`` aerosol
    optical depth at 550 nm, >= 0; airlight one value per band (default
    :data:`DEFAULT_AIRLIGHT`); angstrom the exponent alpha (about 1.0-1.5 for haze).
    NaN stays NaN. Raises ValidationError for mismatched shapes or negative depth.
    """
    image = _check_image(clear, "clear")
    tau = np.asarray(tau550, dtype=np.float32)
    if tau.shape != image.shape[1:]:
        raise ValidationError(
            f"tau550 must have the shape (H, W) = {image.shape[1:]} of clear, got {tau.shape}"
        )
    if np.nanmin(tau, initial=0.0) < 0:
        raise ValidationError("tau550 must be >= 0 everywhere (optical depth)")
    if len(wavelengths_nm) != image.shape[0]:
        raise ValidationError(
            f"clear has {image.shape[0]} bands but wavelengths_nm gives {len(wavelengths_nm)}"
        )
    a = np.asarray(DEFAULT_AIRLIGHT if airlight is None else airlight, dtype=np.float32)
    if a.shape != (image.shape[0],) or np.any(a < 0) or np.any(a > 1.5):
        raise ValidationError(f"airlight needs {image.shape[0]} values between 0 and 1.5")
    t = haze_transmission(tau, angstrom=angstrom, wavelengths_nm=wavelengths_nm)
    return (image * t + a[:, None, None] * (1.0 - t)).astype(np.float32)


def add_clouds(
    image: NDArray,
    rng: np.random.Generator,
    *,
    cover: float,
    correlation_px: float | None = None,
    shadow_offset_px: tuple[int, int] | None = None,
) -> tuple[NDArray[np.float32], NDArray[np.bool_], NDArray[np.bool_]]:
    """Opaque clouds and their displaced shadows over a ``(4, H, W)`` BGRN image.

    A smooth random field thresholded so that about ``cover`` (0..1) of the scene is
    cloud; opacity rises from the cloud edge to an opaque core of bright, flat
    reflectance. Each cloud casts a shadow ``shadow_offset_px`` (rows, cols) away
    (default north-west, away from a morning sun in the south-east), which keeps only
    diffuse skylight: darkest in NIR. Clouds just outside the scene can shade it.
    Returns the cloudy image, the cloud mask and the shadow mask (outside clouds).
    Raises ValidationError for cover outside 0..1 or an image without 4 bands.
    """
    img = _check_image(image)
    if img.shape[0] != 4:
        raise ValidationError(f"add_clouds needs a 4-band BGRN image, got {img.shape[0]} bands")
    if not 0.0 <= cover <= 1.0:
        raise ValidationError(f"cover must be a fraction between 0 and 1, got {cover}")
    _, h, w = img.shape
    corr = max(4.0, 0.08 * max(h, w)) if correlation_px is None else float(correlation_px)
    if corr <= 0:
        raise ValidationError(f"correlation_px must be > 0, got {correlation_px}")
    if shadow_offset_px is None:
        # Shadows fall toward azimuth 330 deg, about 1.5 cloud sizes away.
        reach = 1.5 * corr
        shadow_offset_px = (round(-0.87 * reach), round(-0.5 * reach))
    oy, ox = (int(v) for v in shadow_offset_px)
    # Two scales, so cloud edges are ragged rather than round; variance stays one.
    big = (h + abs(oy), w + abs(ox))
    canvas = (smooth_noise(big, rng, corr) + 0.5 * smooth_noise(big, rng, max(corr / 4, 2.0))) / (
        np.float32(np.sqrt(1.25))
    )
    if cover <= 0.0:
        opacity = np.zeros_like(canvas)
    else:
        threshold = np.float32(ndtri(1.0 - cover)) if cover < 1.0 else -np.inf
        opacity = np.clip((canvas - threshold) / np.float32(0.5), 0.0, 1.0)
    py, px = max(0, oy), max(0, ox)
    cloud = opacity[py : py + h, px : px + w]
    shade = opacity[py - oy : py - oy + h, px - ox : px - ox + w]
    remaining = np.asarray(_SHADOW_REMAINING, dtype=np.float32)[:, None, None]
    out = img * (1.0 - shade[None] * (1.0 - remaining))
    texture = np.float32(1.0) + np.float32(0.08) * smooth_noise((h, w), rng, max(corr / 4, 2.0))
    bright = np.asarray(_CLOUD_REFLECTANCE, dtype=np.float32)[:, None, None] * (
        np.float32(0.85) + np.float32(0.15) * cloud
    )
    out += cloud[None] * (bright * texture - out)
    cloud_mask = cloud > 0.0
    shadow_mask = (shade > 0.05) & ~cloud_mask
    out[np.isnan(img)] = np.nan
    return out.astype(np.float32), cloud_mask, shadow_mask


def scl_from_masks(
    cloud_mask: NDArray,
    shadow_mask: NDArray,
    land_cover: NDArray,
    *,
    ndvi: NDArray | None = None,
    tau550: NDArray | None = None,
    cirrus_tau: float = 0.8,
) -> NDArray[np.uint8]:
    """Sentinel-2 Scene Classification ``(H, W)`` uint8 from the simulated masks.

    0 nodata, 9 cloud core (high probability), 8 cloud edge (medium), 3 cloud shadow,
    10 thin cirrus where haze is thick (``tau550 >= cirrus_tau``), 6 water,
    4 vegetation (``ndvi >= 0.4``; without ndvi: forest, grass and cropland), 5 the rest.
    Raises ValidationError for arrays of different shapes.
    """
    planes = {"cloud_mask": cloud_mask, "shadow_mask": shadow_mask, "land_cover": land_cover}
    if ndvi is not None:
        planes["ndvi"] = ndvi
    if tau550 is not None:
        planes["tau550"] = tau550
    _check_planes(**planes)
    lc = np.asarray(land_cover)
    cloud = np.asarray(cloud_mask, dtype=bool)
    if ndvi is None:
        vegetated = np.isin(lc, (LandCover.FOREST, LandCover.GRASS, LandCover.CROPLAND))
    else:
        vegetated = np.asarray(ndvi) >= 0.4
    scl = np.where(vegetated, SCL["vegetation"], SCL["not_vegetated"]).astype(np.uint8)
    scl[lc == LandCover.WATER] = SCL["water"]
    if tau550 is not None:
        scl[np.asarray(tau550) >= cirrus_tau] = SCL["thin_cirrus"]
    scl[np.asarray(shadow_mask, dtype=bool)] = SCL["cloud_shadow"]
    scl[cloud] = SCL["cloud_medium_probability"]
    core = ndimage.binary_erosion(cloud, iterations=2, border_value=1)
    scl[core] = SCL["cloud_high_probability"]
    scl[lc == LandCover.NODATA] = SCL["no_data"]
    return scl
