"""Surface reflectance of the demo world in B, G, R, N and the sensor that captures it.

Bands are Sentinel-2 B2 (490 nm), B3 (560 nm), B4 (665 nm) and B8 (842 nm); images are
``(4, H, W)`` float32 surface reflectance in 0..1 with NaN as nodata.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import sparse
from scipy.special import ndtr

from paii_core.demo.classes import LandCover
from paii_core.demo.phenology import (
    _check_planes,
    _crop_codes,
    _parcel_tables,
    crop_state_maps,
    landcover_ndvi,
    ndvi_texture,
    smooth_noise,
)
from paii_core.errors import ValidationError

__all__ = [
    "BANDS",
    "ENDMEMBERS",
    "SENTINEL2_SNR",
    "WAVELENGTHS_NM",
    "add_sensor_noise",
    "degrade",
    "ndvi_of",
    "render_bgrn",
    "render_landscape",
]

BANDS: tuple[str, ...] = ("B2", "B3", "B4", "B8")
WAVELENGTHS_NM: tuple[float, ...] = (490.0, 560.0, 665.0, 842.0)

ENDMEMBERS: dict[str, tuple[float, float, float, float]] = {
    # Dry loamy soil on the soil line NIR ~ 1.1 R + 0.03 (Baret, Jacquemoud & Hanocq 1993,
    # "The soil line concept in remote sensing", Remote Sens. Rev. 7).
    "soil": (0.11, 0.15, 0.20, 0.27),
    # Closed green crop canopy, as PROSAIL gives for LAI 4-5 (Jacquemoud et al. 2009,
    # "PROSPECT + SAIL models: a review", Remote Sens. Environ. 113).
    "canopy": (0.030, 0.075, 0.028, 0.47),
    # Broadleaf forest: the same leaves with more self-shadowing.
    "forest": (0.022, 0.050, 0.022, 0.36),
    # Senescent leaves, stubble and straw are brighter than soil (Daughtry 2001,
    # "Discriminating crop residues from soil by shortwave infrared reflectance", Agron. J. 93).
    "residue": (0.14, 0.19, 0.25, 0.34),
    # Yellow rapeseed petals: carotenoids absorb blue, green and red are reflected
    # (Sulik & Long 2016, "Spectral considerations for modeling yield of canola", RSE 184).
    "flower": (0.05, 0.28, 0.32, 0.48),
    # Moderately turbid inland water and a puddled paddy (water over mud).
    "water": (0.055, 0.070, 0.050, 0.020),
    "paddy": (0.070, 0.090, 0.080, 0.055),
    # Roofs and concrete of villages, and asphalt/concrete roads (Herold et al. 2004,
    # "Spectrometry for urban area remote sensing", Remote Sens. Environ. 91).
    "built": (0.13, 0.15, 0.17, 0.20),
    "road": (0.09, 0.10, 0.11, 0.13),
}
"""Endmember spectra (B2, B3, B4, B8 surface reflectance) of the linear mixing model."""

SENTINEL2_SNR: tuple[float, ...] = (154.0, 168.0, 142.0, 174.0)
"""Required SNR of B2, B3, B4, B8 at the reference radiance (Drusch et al. 2012,
"Sentinel-2: ESA's optical high-resolution mission", Remote Sens. Environ. 120)."""

_SOIL_MOISTURE_DEFAULT = 0.15
_MOISTURE_DARKENING = 1.3
"""Reflectance falls as exp(-c * theta) with volumetric moisture theta (Lobell & Asner
2002, "Moisture effects on soil reflectance", Soil Sci. Soc. Am. J. 66)."""


def _spectrum(name: str) -> NDArray[np.float32]:
    return np.asarray(ENDMEMBERS[name], dtype=np.float32)


def _class_tables() -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.float32]]:
    """Per land-cover class: background spectrum (4, K), texture amplitude, soil flag."""
    n_cls = max(LandCover) + 1
    bg = np.full((4, n_cls), np.nan, dtype=np.float32)
    amp = np.zeros(n_cls, dtype=np.float32)
    soil_like = np.zeros(n_cls, dtype=np.float32)
    for code, name, a in (
        (LandCover.CROPLAND, "soil", 0.06),
        (LandCover.GRASS, "soil", 0.06),
        (LandCover.WATER, "water", 0.12),
        (LandCover.BUILT, "built", 0.25),
        (LandCover.ROAD, "road", 0.06),
    ):
        bg[:, code], amp[code] = _spectrum(name), a
    # A forest floor is soil and litter in the canopy's shade.
    bg[:, LandCover.FOREST], amp[LandCover.FOREST] = 0.55 * _spectrum("soil"), 0.08
    soil_like[[LandCover.CROPLAND, LandCover.GRASS, LandCover.FOREST]] = 1.0
    return bg, amp, soil_like


def ndvi_of(image: NDArray) -> NDArray[np.float32]:
    """NDVI ``(H, W)`` float32 of a ``(4, H, W)`` BGRN image: (N - R) / (N + R)."""
    image = _check_image(image)
    red, nir = image[2], image[3]
    with np.errstate(divide="ignore", invalid="ignore"):
        return ((nir - red) / (nir + red)).astype(np.float32)


def render_bgrn(
    land_cover: NDArray,
    crop_type: NDArray,
    parcel_ids: NDArray,
    parcels: pd.DataFrame | None,
    doy: float,
    rng: np.random.Generator,
    *,
    ndvi: NDArray | None = None,
    soil_moisture: ArrayLike | None = None,
    region: str | None = None,
) -> NDArray[np.float32]:
    """Clear-sky surface reflectance ``(4, H, W)`` float32 (B, G, R, N) on ``doy``.

    Each pixel is a linear mixture (Adams, Smith & Johnson 1986, "Spectral mixture
    modeling", J. Geophys. Res. 91) of a green canopy and its background: soil darkened
    by moisture and scaled by the parcel's ``soil_brightness``, mixed with senescent
    residue; paddy water while a paddy stands flooded; water, roofs or roads on those
    classes. The green fraction f is the one whose mixture has exactly the requested
    NDVI, which grows about as the square of the scaled NDVI, as Carlson & Ripley (1997,
    "On the relation between NDVI, fractional vegetation cover, and leaf area index",
    RSE 62) and Gutman & Ignatov (1998, Int. J. Remote Sens. 19) describe. Flowering
    rapeseed replaces part of the canopy by yellow petals, lowering NDVI as observed.

    ``ndvi``: ``(H, W)`` target NDVI (default :func:`landcover_ndvi` drawn from ``rng``);
    ``soil_moisture``: volumetric fraction, scalar or ``(H, W)`` (default 0.15).
    Nodata land cover, and NaN in ``ndvi``, give NaN in every band.
    Raises ValidationError on shapes or values it cannot use.
    """
    shape = _check_planes(land_cover=land_cover, crop_type=crop_type, parcel_ids=parcel_ids)
    state = crop_state_maps(land_cover, crop_type, parcel_ids, parcels, doy, region=region)
    if ndvi is None:
        ndvi = np.clip(state.ndvi + ndvi_texture(land_cover, rng), -1.0, 1.0)
    else:
        _check_planes(land_cover=land_cover, ndvi=ndvi)
    moisture = _SOIL_MOISTURE_DEFAULT if soil_moisture is None else soil_moisture
    moisture = np.asarray(moisture, dtype=np.float32)
    if moisture.ndim not in (0, 2) or (moisture.ndim == 2 and moisture.shape != shape):
        raise ValidationError(f"soil_moisture must be a scalar or an array of shape {shape}")
    if not np.all((moisture >= 0.0) & (moisture <= 0.6)):
        raise ValidationError("soil_moisture must be a volumetric fraction between 0 and 0.6")

    lc = np.asarray(land_cover, dtype=np.intp)
    _, pid, ids = _crop_codes(crop_type, parcel_ids)
    *_, brightness = _parcel_tables(parcels, ids)
    bg_table, amp_table, soil_table = _class_tables()
    soil_like = soil_table[lc]
    # Brightness texture is log-normal so reflectance stays positive.
    texture = np.exp(smooth_noise(shape, rng, 1.5) * amp_table[lc])
    soil_scale = np.asarray(brightness, dtype=np.float32)[pid] * np.exp(
        np.float32(-_MOISTURE_DARKENING) * moisture
    )
    scale = texture * (1.0 + soil_like * (soil_scale - 1.0))
    forest = lc == LandCover.FOREST
    residue_scale = np.where(forest, np.float32(0.55), np.float32(1.0)) * texture
    dry = state.dry * soil_like
    standing = state.standing_water if state.standing_water.any() else None
    flowering = state.flowering if state.flowering.any() else None

    def background(band: int) -> NDArray[np.float32]:
        bg = bg_table[band][lc] * scale
        bg += dry * (_spectrum("residue")[band] * residue_scale - bg)
        if standing is not None:
            bg[standing] = _spectrum("paddy")[band]
        return bg

    def canopy(band: int) -> NDArray[np.float32]:
        leaf, wood = _spectrum("canopy")[band], _spectrum("forest")[band]
        return np.where(forest, wood, leaf)

    red_bg, nir_bg = background(2), background(3)
    cover = _green_fraction(
        np.asarray(ndvi, dtype=np.float32), canopy(2), canopy(3), red_bg, nir_bg
    )
    image = np.empty((4, *shape), dtype=np.float32)
    nodata = lc == LandCover.NODATA
    for band in range(4):
        bg = {2: red_bg, 3: nir_bg}.get(band)
        bg = background(band) if bg is None else bg
        leaf = canopy(band)
        if flowering is not None:
            leaf = leaf + flowering * (_spectrum("flower")[band] - leaf)
        plane = bg + cover * (leaf - bg)
        np.clip(plane, 0.0, 1.0, out=plane)
        plane[nodata] = np.nan
        image[band] = plane
    return image


def _green_fraction(
    ndvi: NDArray[np.float32],
    rv: NDArray[np.float32],
    nv: NDArray[np.float32],
    rb: NDArray[np.float32],
    nb: NDArray[np.float32],
) -> NDArray[np.float32]:
    """Canopy fraction f whose mixture of canopy (rv, nv) and background (rb, nb) red and
    NIR reflectance has NDVI ``ndvi``: (N - R) / (N + R) = y is linear in f,
    (1 - y) N(f) = (1 + y) R(f).
    """
    one_plus, one_minus = 1.0 + ndvi, 1.0 - ndvi
    num = one_plus * rb - one_minus * nb
    den = one_minus * (nv - nb) - one_plus * (rv - rb)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = num / den
    f[den <= 1e-6] = 1.0  # requested NDVI at or above the canopy's own
    return np.clip(f, 0.0, 1.0, out=f)


def _check_image(image: NDArray, name: str = "image") -> NDArray[np.float32]:
    arr = np.asarray(image)
    if arr.ndim != 3 or arr.shape[1] < 1 or arr.shape[2] < 1:
        raise ValidationError(f"{name} must be a (C, H, W) array, got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.floating):
        raise ValidationError(f"{name} must hold floating-point reflectance, got {arr.dtype}")
    return arr.astype(np.float32, copy=False)


def _psf_matrix(n_hi: int, factor: int, shift: float, sigma: float) -> sparse.csr_matrix:
    """Weights (n_lo, n_hi) of high-res pixels in each low-res pixel, one axis.

    The system PSF is the detector's box of ``factor`` pixels convolved with a Gaussian
    optical PSF (Schowengerdt 2007, "Remote Sensing: Models and Methods for Image
    Processing", ch. 3). Each weight is the exact integral of that kernel over one
    high-res pixel, using the integral of the normal CDF, so sub-pixel shifts need no
    resampling. Footprints cut by the image edge are renormalised.
    """
    n_lo = n_hi // factor
    s = sigma * factor
    half = factor / 2.0
    centres = (np.arange(n_lo) + 0.5 + shift) * factor
    reach = half + 4.0 * s + 1.0
    taps = int(np.ceil(2 * reach)) + 1
    cols = np.floor(centres - reach).astype(np.int64)[:, None] + np.arange(taps)[None, :]

    def psi(u: NDArray[np.float64]) -> NDArray[np.float64]:
        return u * ndtr(u) + np.exp(-0.5 * u * u) / np.sqrt(2.0 * np.pi)

    a = cols - centres[:, None]
    if sigma == 0:  # the bare detector: overlap of each fine pixel with the box
        w = np.clip(np.minimum(a + 1, half) - np.maximum(a, -half), 0.0, None) / factor
    else:
        w = (s / factor) * (
            psi((a + 1 + half) / s)
            - psi((a + half) / s)
            - psi((a + 1 - half) / s)
            + psi((a - half) / s)
        )
    inside = (cols >= 0) & (cols < n_hi) & (w > 1e-7)
    w = np.where(inside, w, 0.0)
    w /= np.maximum(w.sum(axis=1, keepdims=True), 1e-12)
    rows = np.broadcast_to(np.arange(n_lo)[:, None], cols.shape)
    return sparse.csr_matrix(
        (w[inside].astype(np.float32), (rows[inside], cols[inside])), shape=(n_lo, n_hi)
    )


def degrade(
    hires: NDArray,
    factor: int = 4,
    *,
    shift_px: tuple[float, float] = (0.0, 0.0),
    psf_sigma_px: float = 0.5,
) -> NDArray[np.float32]:
    """Capture a fine scene with a coarser sensor: ``(C, H, W)`` -> ``(C, H//f, W//f)``.

    Output pixel (i, j) integrates the scene over its detector footprint centred at
    ``((i + 0.5 + dy) f, (j + 0.5 + dx) f)`` fine-pixel units, with ``(dy, dx) =
    shift_px`` in output pixels (so scene content moves up/left by the shift), blurred
    by a Gaussian optical PSF of ``psf_sigma_px`` output pixels (0.5 with the detector
    box gives an MTF of about 0.19 at Nyquist, near the 0.15-0.3 of Sentinel-2's 10 m
    bands). NaN pixels are left out
    of the average; an output pixel is NaN where nodata covers half its footprint or
    more, so a footprint that is all NaN stays NaN. Raises ValidationError.
    """
    image = _check_image(hires, "hires")
    if not isinstance(factor, int | np.integer) or factor < 1:
        raise ValidationError(f"factor must be a positive integer, got {factor!r}")
    c, h, w = image.shape
    if h < factor or w < factor:
        raise ValidationError(f"hires of shape {image.shape} is smaller than one {factor}x pixel")
    if psf_sigma_px < 0 or not np.isfinite(psf_sigma_px):
        raise ValidationError(f"psf_sigma_px must be >= 0, got {psf_sigma_px}")
    if len(shift_px) != 2 or not np.all(np.isfinite(shift_px)):
        raise ValidationError(f"shift_px must be two finite numbers (dy, dx), got {shift_px!r}")
    dy_m = _psf_matrix(h, factor, float(shift_px[0]), psf_sigma_px)
    dx_m = _psf_matrix(w, factor, float(shift_px[1]), psf_sigma_px)

    def blur(plane: NDArray[np.float32]) -> NDArray[np.float32]:
        return np.asarray((dx_m @ (dy_m @ plane).T).T, dtype=np.float32)

    out = np.empty((c, h // factor, w // factor), dtype=np.float32)
    for k in range(c):
        valid = ~np.isnan(image[k])
        if valid.all():
            out[k] = blur(image[k])
            continue
        total = blur(np.where(valid, image[k], 0.0).astype(np.float32))
        weight = blur(valid.astype(np.float32))
        with np.errstate(divide="ignore", invalid="ignore"):
            out[k] = np.where(weight >= 0.5, total / weight, np.nan)
    return out


def add_sensor_noise(
    image: NDArray,
    rng: np.random.Generator,
    *,
    snr: float | Sequence[float] = SENTINEL2_SNR,
    reference: float = 0.1,
) -> NDArray[np.float32]:
    """Add radiometric noise to a ``(C, H, W)`` reflectance image; NaN stays NaN.

    The noise is photon shot noise, growing as the square root of the signal, plus a
    signal-independent read-out floor (the photon transfer model, Janesick 2007,
    "Photon Transfer"): sigma^2 = (reference / snr)^2 (0.3 + 0.7 rho / reference).
    ``snr`` (one per band, or one for all) holds at reflectance ``reference``.
    Raises ValidationError for a non-positive snr or a count that does not match C.
    """
    arr = _check_image(image)
    snr_arr = np.atleast_1d(np.asarray(snr, dtype=np.float32))
    if snr_arr.size not in (1, arr.shape[0]) or snr_arr.ndim != 1:
        raise ValidationError(f"snr needs one value or one per band ({arr.shape[0]})")
    if np.any(snr_arr <= 0) or reference <= 0:
        raise ValidationError("snr and reference must be > 0")
    sigma_ref = (np.float32(reference) / snr_arr)[:, None, None]
    signal = np.maximum(np.nan_to_num(arr, nan=0.0), 0.0)
    sigma = sigma_ref * np.sqrt(0.3 + 0.7 * signal / np.float32(reference))
    noisy = arr + sigma * rng.standard_normal(arr.shape, dtype=np.float32)
    return noisy.astype(np.float32, copy=False)


def render_landscape(
    land, doy: float, rng: np.random.Generator, *, region: str | None = None
) -> NDArray[np.float32]:
    """BGRN ``(4, H, W)`` float32 surface reflectance of a whole landscape on ``doy``.

    ``land`` has land_cover, crop_type, fine_parcels and parcels (a
    :class:`paii_core.demo.landscape.Landscape`). Draws the season's NDVI from the crop
    calendars, then renders it; one call shared by the world builder and training scenes.
    """
    args = (land.land_cover, land.crop_type, land.fine_parcels, land.parcels, doy, rng)
    ndvi = landcover_ndvi(*args, region=region)
    return render_bgrn(*args, ndvi=ndvi, region=region)
