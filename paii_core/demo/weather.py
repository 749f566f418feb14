"""Simulated daily season weather of the demo's county panels: a multi-site generator of
temperature and rain with a soil-water bucket, whose anomalies neighbouring counties share.

Split out of :mod:`paii_core.demo.panels` (which builds NDVI and yields on it); the code
and its random draws are unchanged, so the same seed gives the same panels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter
from scipy.special import ndtr

__all__ = [
    "DOY0",
    "DOY1",
    "N_DAYS",
    "Climate",
    "ar1",
    "chol",
    "cumulative",
    "field",
    "simulate_weather",
]

DOY0, DOY1 = 32, 288  # simulated window: 1 February .. 15 October, 365-day calendar
N_DAYS = DOY1 - DOY0 + 1


@dataclass(frozen=True)
class Climate:
    """Normals of one region at ``lat_ref`` (CMA 1981-2010 for Zhengzhou and Wuhan, NOAA
    1991-2020 for Des Moines; rounded)."""

    t_mean: float  # annual mean air temperature, deg C
    t_amp: float  # half the January-July range, deg C
    lat_ref: float
    lapse_per_deg: float  # change of temperature per degree of latitude northward
    dtr: float  # mean diurnal temperature range, deg C
    rain_mm: tuple[float, ...]  # monthly totals, January..December
    wet_days: tuple[float, ...]  # days with >= 1 mm, January..December
    soil_mm: float  # plant-available water of the root zone


def chol(xy_km: np.ndarray, length_km: float) -> np.ndarray:
    """Cholesky factor of an exponential spatial correlation exp(-d / length)."""
    d = np.hypot(*(xy_km[:, None, :] - xy_km[None, :, :]).transpose(2, 0, 1))
    return np.linalg.cholesky(np.exp(-d / length_km) + 1e-6 * np.eye(len(xy_km)))


def field(rng: np.random.Generator, shape: tuple[int, ...], chol: np.ndarray) -> np.ndarray:
    """Unit-variance Gaussian fields (..., C) correlated across counties."""
    return rng.standard_normal((*shape, chol.shape[0])) @ chol.T


def ar1(x: np.ndarray, phi: float) -> np.ndarray:
    """Stationary unit-variance AR(1) along axis 1 driven by unit-variance noise ``x``."""
    b = np.sqrt(1.0 - phi * phi)
    zi = x[:, 0:1, :] * (1.0 - b)  # so that the first value is x[:, 0], already stationary
    return lfilter([b], [1.0, -phi], x, axis=1, zi=zi)[0]


def daily_normals(monthly: tuple[float, ...], doy: np.ndarray) -> np.ndarray:
    """Month values at mid-month, linearly interpolated (periodically) to days of year."""
    mid = (
        np.cumsum([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
        - np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]) / 2.0
    )
    return np.interp(doy, mid, np.asarray(monthly, float), period=365)


def extraterrestrial_mm(lat_deg: np.ndarray, doy: np.ndarray) -> np.ndarray:
    """Extraterrestrial radiation (D, C) as mm/day of evaporation (FAO-56, Allen et al.
    1998, eqs. 21-25 and the 0.408 conversion)."""
    phi = np.deg2rad(lat_deg)[None, :]
    j = doy[:, None].astype(float)
    dr = 1 + 0.033 * np.cos(2 * np.pi * j / 365)
    delta = 0.409 * np.sin(2 * np.pi * j / 365 - 1.39)
    ws = np.arccos(np.clip(-np.tan(phi) * np.tan(delta), -1, 1))
    ra = (
        24
        * 60
        / np.pi
        * 0.0820
        * dr
        * (ws * np.sin(phi) * np.sin(delta) + np.cos(phi) * np.cos(delta) * np.sin(ws))
    )
    return 0.408 * ra


def simulate_weather(
    clim: Climate, lat: np.ndarray, xy: np.ndarray, n_years: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Daily weather (Y, D, C): tmax, tmin, tmean, rain, wet, soil (fraction of capacity).

    Anomalies = a regional year term + smooth spatial fields + local noise, so that nearby
    counties share a year's weather; dry spells run warm. Rain occurrence and amount come
    from one correlated latent Gaussian (a Wilks, 1998, style multi-site generator)."""
    ny, nc = n_years, len(lat)
    doy = DOY0 + np.arange(N_DAYS)
    big, mid, small = chol(xy, 500.0), chol(xy, 250.0), chol(xy, 120.0)

    def season_term(sd_region: float, sd_field: float, sd_local: float) -> np.ndarray:
        return (
            sd_region * rng.standard_normal((ny, 1))
            + sd_field * field(rng, (ny,), mid)
            + sd_local * rng.standard_normal((ny, nc))
        )[:, None, :]

    w_season = season_term(0.10, 0.08, 0.05)
    t_season = season_term(0.5, 0.3, 0.15) - 1.5 * w_season
    w_slow = 0.18 * ar1(field(rng, (ny, N_DAYS), mid), 0.96)
    t_slow = 0.9 * ar1(field(rng, (ny, N_DAYS), big), 0.95) - 1.5 * w_slow
    t_fast = 2.0 * ar1(field(rng, (ny, N_DAYS), big), 0.6)
    occ = ndtr(ar1(field(rng, (ny, N_DAYS), small), 0.3))

    month_len = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], float)
    p_clim = daily_normals(tuple(np.array(clim.wet_days) / month_len), doy)[None, :, None]
    mean_clim = daily_normals(tuple(np.array(clim.rain_mm) / month_len), doy)[None, :, None]
    wetness = np.exp(w_season + w_slow - 0.5 * (0.10**2 + 0.08**2 + 0.05**2 + 0.18**2))
    p = np.clip(p_clim * wetness**0.6, 0.01, 0.9)
    wet = occ > 1.0 - p
    depth = (mean_clim / p_clim) * wetness**0.4 * -np.log(np.clip((1.0 - occ) / p, 1e-9, 1.0))
    rain = np.where(wet, depth, 0.0)

    t_clim = (clim.t_mean + clim.lapse_per_deg * (lat - clim.lat_ref))[
        None, None, :
    ] + clim.t_amp * np.cos(2 * np.pi * (doy - 200) / 365.0)[None, :, None]
    tmean = (
        t_clim
        + t_season
        + t_slow
        + t_fast
        + 0.4 * rng.standard_normal((ny, N_DAYS, nc))
        - np.where(wet, 0.8, -0.3)
    )
    dtr = clim.dtr + np.where(wet, -3.0, 1.0)
    tmax, tmin = tmean + dtr / 2, tmean - dtr / 2

    # Soil-water bucket with Hargreaves ET0 (Hargreaves & Samani, 1985; FAO-56 eq. 52),
    # actual ET reduced linearly below half the capacity (FAO-56 water-stress coefficient).
    ra = extraterrestrial_mm(lat, doy)[None]
    et0 = 0.0023 * (tmean + 17.8) * np.sqrt(np.maximum(tmax - tmin, 0.0)) * ra
    cap = clim.soil_mm
    sw = cap * np.clip(0.8 + 0.1 * rng.standard_normal((ny, nc)), 0.4, 1.0)
    soil = np.empty_like(rain)
    for d in range(N_DAYS):
        aet = 0.8 * np.maximum(et0[:, d], 0.0) * np.minimum(1.0, sw / (0.5 * cap))
        sw = np.clip(sw + rain[:, d] - aet, 0.0, cap)
        soil[:, d] = sw / cap
    return {"tmax": tmax, "tmin": tmin, "tmean": tmean, "rain": rain, "wet": wet, "soil": soil}


def cumulative(daily: np.ndarray) -> np.ndarray:
    """Cumulative sums (Y, D + 1, C) with a leading zero, for window sums."""
    out = np.zeros((daily.shape[0], daily.shape[1] + 1, daily.shape[2]))
    np.cumsum(daily, axis=1, out=out[:, 1:])
    return out
