"""Sentinel-1 C-band VV/VH backscatter of the demo world, with terrain and speckle.

Output is ``(2, H, W)`` float32 sigma0 in dB (VV, VH) on the map grid of the inputs,
like a geocoded but not radiometrically terrain-flattened GRD (a GTC product in the
terms of Small 2011, "Flattening gamma: radiometric terrain correction for SAR
imagery", IEEE TGRS 49): slopes facing the radar are bright, slopes facing away dark,
and radar shadow holds only thermal noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from paii_core.demo.classes import CROPS, LandCover
from paii_core.demo.phenology import _check_planes, smooth_noise
from paii_core.errors import ValidationError

__all__ = [
    "NESZ_DB",
    "WAVELENGTH_CM",
    "RadarGeometry",
    "from_db",
    "radar_geometry",
    "simulate_sar",
    "to_db",
]

WAVELENGTH_CM = 29.9792458 / 5.405
"""Sentinel-1 C band: 5.405 GHz, 5.55 cm."""
NESZ_DB = -25.0
"""Noise-equivalent sigma0 of Sentinel-1 IW (specified <= -22 dB, typically -23..-28 dB;
Torres et al. 2012, "GMES Sentinel-1 mission", Remote Sens. Environ. 120)."""

# Water Cloud Model parameters (A_vv, B_vv, A_vh, B_vh) with NDVI as the vegetation
# descriptor, set so that mid-season levels match those Veloso et al. (2017,
# "Understanding the temporal behavior of crops using Sentinel-1 and Sentinel-2-like
# data for agricultural applications", Remote Sens. Environ. 199) report: VV about -8 to
# -11 dB, VH about -14 to -18 dB, VH 5-8 dB below VV. Stems of cereals attenuate VV
# strongly (large B_vv); branchy broadleaf canopies scatter more VH.
_WCM_CROP: dict[str, tuple[float, float, float, float]] = {
    "wheat": (0.25, 0.45, 0.08, 0.20),
    "maize": (0.35, 0.40, 0.10, 0.25),
    "corn": (0.35, 0.40, 0.10, 0.25),
    "rice": (0.30, 0.30, 0.09, 0.25),
    "rapeseed": (0.30, 0.20, 0.12, 0.20),
    "peanut": (0.30, 0.20, 0.10, 0.20),
    "soybean": (0.30, 0.20, 0.10, 0.20),
    "hay": (0.20, 0.20, 0.05, 0.20),
}
_WCM_GRASS = (0.20, 0.20, 0.05, 0.20)
_WCM_FOREST = (0.40, 0.35, 0.12, 0.30)
_DOUBLE_BOUNCE = (0.25, 0.02)
"""Stem-water double bounce of flooded rice, VV and VH (Le Toan et al. 1997, "Rice crop
mapping and monitoring using ERS-1 data based on experiment and modeling results",
IEEE TGRS 35): it grows with stem density (NDVI squared here), once attenuated."""


@dataclass(frozen=True)
class RadarGeometry:
    """Viewing geometry of each pixel, all ``(H, W)``."""

    local_incidence_deg: NDArray[np.float32]
    """Angle between the terrain normal and the direction to the radar."""
    area_factor: NDArray[np.float32]
    """Brightness from the ground area per range pixel, sin(theta) / sin(theta_range)."""
    shadow: NDArray[np.bool_]
    """Radar shadow: the radar cannot see these pixels; only thermal noise is measured."""
    layover: NDArray[np.bool_]
    """Slopes facing the radar steeper than the incidence angle."""


def to_db(power: ArrayLike) -> NDArray[np.float32]:
    """Linear power to decibels, 10 log10(x); zero and negative power clip to -100 dB."""
    x = np.maximum(np.asarray(power, dtype=np.float32), np.float32(1e-10))
    return np.log(x) * np.float32(10.0 / np.log(10.0))  # ln is faster than log10


def from_db(db: ArrayLike) -> NDArray[np.float32]:
    """Decibels to linear power, 10^(x / 10)."""
    return np.exp(np.asarray(db, dtype=np.float32) * np.float32(np.log(10.0) / 10.0))


def radar_geometry(
    dem: NDArray,
    pixel_size_m: float,
    *,
    incidence_deg: float = 38.0,
    look_azimuth_deg: float = 78.0,
) -> RadarGeometry:
    """Local incidence, area brightening, shadow and layover from a north-up DEM.

    ``look_azimuth_deg``: direction from the radar to the ground, clockwise from north
    (Sentinel-1 ascending looks east, about 78 deg; descending west, about 282 deg).
    The local incidence is the angle between the terrain normal and the line of sight
    (Ulaby, Moore & Fung 1986, "Microwave Remote Sensing" vol. III, ch. 12). Shadow is
    where the slope facing away is steeper than 90 deg - incidence, plus points hidden
    behind higher terrain, found by a running maximum along the image row or column
    closest to the look direction (Sentinel-1 looks within ~12 deg of east or west).
    """
    z = np.asarray(dem, dtype=np.float32)
    if z.ndim != 2 or min(z.shape) < 2:
        raise ValidationError(f"dem must be a 2-D (H, W) array of at least 2x2, got {z.shape}")
    if not pixel_size_m > 0:
        raise ValidationError(f"pixel_size_m must be > 0, got {pixel_size_m}")
    if not 5.0 < incidence_deg < 85.0:
        raise ValidationError(f"incidence_deg must be between 5 and 85, got {incidence_deg}")
    theta = np.deg2rad(incidence_deg)
    sin_i, cos_i = np.float32(np.sin(theta)), np.float32(np.cos(theta))
    phi = np.deg2rad(look_azimuth_deg)
    u_e, u_n = np.float32(np.sin(phi)), np.float32(np.cos(phi))
    z_row, z_col = np.gradient(np.nan_to_num(z, nan=float(np.nanmean(z))), pixel_size_m)
    slope_e, slope_n = z_col, -z_row  # rows run south
    along = slope_e * u_e + slope_n * u_n  # terrain rising away from the radar: fore-slope
    norm = np.sqrt(1.0 + slope_e * slope_e + slope_n * slope_n)
    cos_loc = (sin_i * along + cos_i) / norm
    local = np.rad2deg(np.arccos(np.clip(cos_loc, -1.0, 1.0)))
    # In the range plane the incidence is theta - atan(along): its sine and cosine follow
    # without trigonometry, (sin_i - along cos_i) and (cos_i + along sin_i) over the norm.
    range_norm = np.sqrt(1.0 + along * along)
    sin_range = (sin_i - along * cos_i) / range_norm
    layover = sin_range <= 0.0
    shadow = (cos_i + along * sin_i <= 0.0) | (cos_loc <= 0.0)
    shadow |= _hidden(z, pixel_size_m, theta, u_e, u_n)
    area = np.where(layover, np.float32(10.0), sin_i / np.maximum(sin_range, sin_i / 10.0))
    return RadarGeometry(
        local.astype(np.float32), area.astype(np.float32), shadow, layover & ~shadow
    )


def _hidden(z: NDArray, pixel_size_m: float, theta: float, u_e: float, u_n: float):
    """Pixels below the grazing ray over the terrain nearer the radar (running maximum)."""
    along_cols = abs(u_e) >= abs(u_n)
    grid = z if along_cols else z.T
    toward_far = (u_e > 0) if along_cols else (u_n < 0)  # rows run south
    if not toward_far:
        grid = grid[:, ::-1]
    # The ray descends cot(theta) metres per metre along the look direction.
    drop = pixel_size_m * abs(u_e if along_cols else u_n) / np.tan(theta)
    if not np.any(np.diff(grid, axis=1) < -drop):
        return np.zeros(z.shape, dtype=bool)  # no step falls faster than the ray: no shadow
    steps = np.arange(grid.shape[1], dtype=np.float32)
    lifted = np.nan_to_num(grid, nan=-1e6) + np.float32(drop) * steps
    horizon = np.maximum.accumulate(lifted, axis=1)
    hidden = np.zeros(grid.shape, dtype=bool)
    hidden[:, 1:] = horizon[:, :-1] > lifted[:, 1:] + np.float32(1e-3)
    if not toward_far:
        hidden = hidden[:, ::-1]
    return hidden if along_cols else hidden.T


def _topp_permittivity(mv: NDArray) -> NDArray[np.float32]:
    """Real soil permittivity from volumetric moisture (Topp, Davis & Annan 1980,
    "Electromagnetic determination of soil water content", Water Resour. Res. 16)."""
    return 3.03 + mv * (9.3 + mv * (146.0 - 76.7 * mv))


def _oh_soil(mv: NDArray, ks: NDArray, theta: NDArray, cos_t: NDArray) -> tuple[NDArray, NDArray]:
    """Bare-soil sigma0 VV and VH, linear (Oh, Sarabandi & Ulaby 1992, "An empirical model
    and an inversion technique for radar scattering from bare soil surfaces", IEEE TGRS 30).
    """
    eps = _topp_permittivity(mv)
    root = np.sqrt(eps)
    gamma0 = (1.0 - root) / (1.0 + root)
    gamma0 *= gamma0
    inner = np.sqrt(eps - 1.0 + cos_t * cos_t)  # sqrt(eps - sin^2 theta)
    r_h = (cos_t - inner) / (cos_t + inner)
    r_v = (eps * cos_t - inner) / (eps * cos_t + inner)
    fresnel = r_h * r_h + r_v * r_v
    e_ks = np.exp(-ks)
    sqrt_p = 1.0 - (2.0 * theta / np.pi) ** (1.0 / (3.0 * gamma0)) * e_ks
    g = 0.7 * (1.0 - np.exp(-0.65 * ks**1.8))
    vv = g * cos_t * cos_t * cos_t * fresnel / sqrt_p
    q = 0.23 * np.sqrt(gamma0) * (1.0 - e_ks)
    return vv, q * vv


def _water_cloud(params, veg, soil_vv, soil_vh, cos_t):
    """Water Cloud Model (Attema & Ulaby 1978, "Vegetation modeled as a water cloud",
    Radio Sci. 13): sigma0 = A V cos(theta) (1 - g2) + g2 sigma0_soil with two-way
    attenuation g2 = exp(-2 B V / cos(theta)); ``params`` (A_vv, B_vv, A_vh, B_vh)
    per pixel, shape (4, H, W)."""
    a_vv, b_vv, a_vh, b_vh = params
    g2_vv = np.exp(-2.0 * b_vv * veg / cos_t)
    g2_vh = np.exp(-2.0 * b_vh * veg / cos_t)
    vv = a_vv * veg * cos_t * (1.0 - g2_vv) + g2_vv * soil_vv
    vh = a_vh * veg * cos_t * (1.0 - g2_vh) + g2_vh * soil_vh
    return vv, vh, g2_vv, g2_vh


def simulate_sar(
    land_cover: NDArray,
    crop_type: NDArray,
    ndvi: NDArray,
    dem: NDArray,
    pixel_size_m: float,
    rng: np.random.Generator,
    *,
    flooded: NDArray | None = None,
    paddy_flooded: NDArray | None = None,
    soil_moisture: ArrayLike = 0.25,
    incidence_deg: float = 38.0,
    looks: float = 4.4,
    look_azimuth_deg: float = 78.0,
) -> NDArray[np.float32]:
    """Sentinel-1 sigma0 ``(2, H, W)`` float32 in dB (VV, VH); NaN on nodata.

    Bare soil by Oh et al. (1992) from moisture (``soil_moisture``, volumetric, scalar
    or ``(H, W)``) and a varying roughness; vegetation by the Water Cloud Model with
    ``ndvi`` as the vegetation descriptor (forests keep a woody floor); open water
    specular and dark (about -20 dB VV); villages bright from double bounce; roads
    smooth. ``flooded`` (open flood water) turns fields, grass and roads into water and
    brightens flooded forest by double bounce; ``paddy_flooded`` paddies add the
    stem-water double bounce that rises as young rice grows. Terrain from ``dem``
    (metres, ``pixel_size_m`` spacing) brightens fore-slopes, darkens back-slopes and
    leaves radar shadow at the noise floor (as dark as water, but not water). Thermal
    noise (:data:`NESZ_DB`) is added and multiplicative speckle drawn from
    Gamma(L, 1/L) for ``looks`` L (Goodman 1976, "Some fundamental properties of
    speckle", J. Opt. Soc. Am. 66). Simulate on the output grid: averaging speckled
    pixels afterwards raises the number of looks.
    Raises ValidationError for mismatched shapes or values out of range.
    """
    planes = {"land_cover": land_cover, "crop_type": crop_type, "ndvi": ndvi, "dem": dem}
    for name, mask in (("flooded", flooded), ("paddy_flooded", paddy_flooded)):
        if mask is not None:
            planes[name] = mask
    shape = _check_planes(**planes)
    if not looks > 0:
        raise ValidationError(f"looks must be > 0 (Sentinel-1 IW GRD: about 4.4), got {looks}")
    mv = np.asarray(soil_moisture, dtype=np.float32)
    if mv.ndim not in (0, 2) or (mv.ndim == 2 and mv.shape != shape):
        raise ValidationError(f"soil_moisture must be a scalar or an array of shape {shape}")
    if not np.all((mv >= 0.0) & (mv <= 0.6)):
        raise ValidationError("soil_moisture must be a volumetric fraction between 0 and 0.6")
    ct = np.asarray(crop_type)
    if ct.size and (ct.min() < -1 or ct.max() >= len(CROPS)):
        raise ValidationError(f"crop_type values must be -1 (no crop) or 0..{len(CROPS) - 1}")
    geo = radar_geometry(
        dem, pixel_size_m, incidence_deg=incidence_deg, look_azimuth_deg=look_azimuth_deg
    )
    lc = np.asarray(land_cover, dtype=np.intp)
    theta = np.deg2rad(np.clip(geo.local_incidence_deg, 1.0, 89.0))
    cos_t = np.cos(theta)

    # Soil moisture and roughness vary smoothly across the scene.
    moisture = np.clip(mv + np.float32(0.03) * smooth_noise(shape, rng, 12.0), 0.02, 0.55)
    rms_height_cm = np.float32(0.8) * np.exp(np.float32(0.3) * smooth_noise(shape, rng, 4.0))
    ks = np.float32(2.0 * np.pi / WAVELENGTH_CM) * rms_height_cm
    soil_vv, soil_vh = _oh_soil(moisture, ks, theta, cos_t)

    forest = lc == LandCover.FOREST
    params = _wcm_table()[:, np.where(forest, len(CROPS) + 1, np.where(ct >= 0, ct, len(CROPS)))]
    veg = np.clip(np.nan_to_num(np.asarray(ndvi, dtype=np.float32), nan=0.0), 0.0, 1.0)
    np.copyto(veg, 0.5 + 0.5 * veg, where=forest)  # stems and branches stay after leaf fall
    vv, vh, g2_vv, g2_vh = _water_cloud(params, veg, soil_vv, soil_vh, cos_t)

    # Open water: specular, darker at steeper incidence, roughened a little by wind.
    water_db = np.float32(-21.0 + 0.3 * incidence_deg) - np.float32(0.3) * geo.local_incidence_deg
    water_vv = from_db(water_db + smooth_noise(shape, rng, 16.0))
    water_vh = water_vv * np.float32(0.12)
    if paddy_flooded is not None and np.any(paddy_flooded):
        paddy = np.asarray(paddy_flooded, dtype=bool)
        d_vv, d_vh = _DOUBLE_BOUNCE
        stems = veg * veg
        rice_vv = vv + g2_vv * (water_vv - soil_vv) + d_vv * stems * np.sqrt(g2_vv)
        rice_vh = vh + g2_vh * (water_vh - soil_vh) + d_vh * stems * np.sqrt(g2_vh)
        np.copyto(vv, rice_vv, where=paddy)
        np.copyto(vh, rice_vh, where=paddy)

    # Villages: double bounce between walls and ground, orientation dependent.
    is_built = lc == LandCover.BUILT
    if is_built.any():
        built_vv = from_db(np.float32(-1.0) + np.float32(3.0) * smooth_noise(shape, rng, 2.0))
        np.copyto(vv, built_vv, where=is_built)
        np.copyto(vh, built_vv * np.float32(0.18), where=is_built)
    road = lc == LandCover.ROAD
    np.copyto(vv, from_db(-16.0), where=road)
    np.copyto(vh, from_db(-24.0), where=road)

    water = lc == LandCover.WATER
    if flooded is not None:
        flood = np.asarray(flooded, dtype=bool)
        water |= flood & ~(forest | is_built)
        # Trunks and walls standing in water: a stronger double bounce (+4 dB, +1.8 dB).
        np.copyto(vv, vv * np.float32(2.5), where=flood & forest)
        np.copyto(vh, vh * np.float32(1.25), where=flood & forest)
        np.copyto(vv, vv * np.float32(1.5), where=flood & is_built)
    np.copyto(vv, water_vv, where=water)
    np.copyto(vh, water_vh, where=water)

    gain = geo.area_factor * ~geo.shadow
    noise = from_db(NESZ_DB)
    sigma = np.stack([vv * gain + noise, vh * gain + noise])
    sigma *= rng.standard_gamma(looks, size=sigma.shape, dtype=np.float32)
    sigma *= np.float32(1.0 / looks)
    out = to_db(sigma)
    nodata = (lc == LandCover.NODATA) | np.isnan(np.asarray(dem, dtype=np.float32))
    out[:, nodata] = np.nan
    return out


def _wcm_table() -> NDArray[np.float32]:
    """(4, len(CROPS) + 2) Water Cloud parameters per crop index, then grass and forest."""
    table = [_WCM_CROP.get(crop, _WCM_GRASS) for crop in CROPS] + [_WCM_GRASS, _WCM_FOREST]
    return np.asarray(table, dtype=np.float32).T.copy()
