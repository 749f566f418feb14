"""Simulated county panels: season weather, NDVI and yields over many years, NASS-shaped.

The weather is a stochastic daily generator (temperature, rain, a soil-water bucket) whose
anomalies are shared by neighbouring counties; NDVI curves and yields respond to it, so a
model trained on the features can learn the yields, while noise keeps it from being trivial.
Everything is simulated; the levels are set to look like official statistics.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Geod
from scipy.signal import lfilter
from scipy.special import ndtr

from paii_core.demo.regions import DemoRegion, demo_region
from paii_core.errors import ValidationError

__all__ = [
    "ASOF_DATES",
    "CROP_MODELS",
    "NASS_COMMODITY",
    "CountyPanel",
    "CropModel",
    "nass_frame",
    "simulate_county_panel",
    "trend_yield",
]

ASOF_DATES: tuple[str, ...] = ("06-01", "07-01", "08-01", "09-01")
"""Month-day cut-offs of the in-season (as-of) features; data up to the day before."""

DOY0, DOY1 = 32, 288  # simulated window: 1 February .. 15 October, 365-day calendar
_N_DAYS = DOY1 - DOY0 + 1
_COMPOSITE = 8  # MODIS-like 8-day maximum-value composites (Holben, 1986)
_REFERENCE_YEAR = 2019
_DROUGHT_SOIL_FRACTION = 0.3


@dataclass(frozen=True)
class _Climate:
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


@dataclass(frozen=True)
class CropModel:
    """How one crop of one region grows and yields.

    Yield (log scale) = trend + county effect + weather response + noise, with the weather
    response built from extreme heat (degree days of Tmax above ``damage_tmax``; the steep
    loss above a threshold found by Schlenker & Roberts, 2009, PNAS 106:15594, who put it at
    29 C for corn on the within-day temperature distribution; applied here to Tmax, hence the
    higher thresholds), convex drought damage, a GDD optimum at the county's normal and
    waterlogging.
    """

    crop: str
    level: float  # yield at the reference year (2019), region unit
    trend: float  # technology trend, fraction of ``level`` per year
    season: tuple[int, int]  # first and last day of year of the crop's weather window
    heat_tmax: float  # Tmax threshold of the ``heat_days`` feature, deg C
    damage_tmax: float
    edd_coef: float  # log-yield loss per degree day of Tmax above ``damage_tmax``
    drought_coef: float  # log-yield loss at 30 drought days (grows with power 1.5)
    gdd_coef: float  # log-yield loss at a 10% departure of GDD from the county normal
    wet_coef: float  # log-yield loss per season-rain ratio above 1.5 x normal
    phen_base: float  # base temperature of the phenology clock, deg C
    greenup_gdd: float  # degree days from sowing to mid green-up
    senesce_gdd: float  # degree days from sowing to mid senescence
    ndvi_max: float
    sown_share: float  # sown area as a share of cropland (double cropping allows sums > 1)
    plants: bool = True  # False for winter wheat, already in the field at the window start


@dataclass(frozen=True)
class _World:
    climate: _Climate
    cropland_share: float


# fmt: off
_WORLDS: dict[str, _World] = {
    "henan": _World(_Climate(
        t_mean=14.5, t_amp=13.2, lat_ref=34.7, lapse_per_deg=-0.6, dtr=10.0,
        rain_mm=(9, 13, 27, 37, 60, 71, 155, 117, 73, 42, 27, 9),
        wet_days=(3, 4, 5, 6, 7, 7, 11, 10, 8, 6, 4, 3), soil_mm=180.0), cropland_share=0.62),
    "hubei": _World(_Climate(
        t_mean=17.0, t_amp=12.8, lat_ref=30.6, lapse_per_deg=-0.6, dtr=8.0,
        rain_mm=(50, 65, 95, 130, 165, 225, 190, 120, 75, 80, 60, 30),
        wet_days=(8, 9, 12, 12, 12, 13, 11, 10, 8, 9, 7, 6), soil_mm=120.0), cropland_share=0.38),
    "iowa": _World(_Climate(
        t_mean=10.4, t_amp=15.2, lat_ref=41.6, lapse_per_deg=-0.7, dtr=11.0,
        rain_mm=(25, 30, 55, 95, 130, 125, 110, 105, 85, 65, 50, 35),
        wet_days=(5, 5, 7, 9, 11, 10, 8, 8, 7, 7, 5, 5), soil_mm=220.0), cropland_share=0.75),
}

# Levels near official 2019 statistics: Henan wheat ~6.5 t/ha (~435 kg/mu) and maize
# ~6.3 t/ha (~420 kg/mu), Hubei mid-season rice ~8.5 t/ha (NBS China Statistical Yearbook
# 2020, provincial tables); Iowa corn ~190-200 and soybeans ~55-57 bu/acre (USDA NASS
# Quick Stats, Iowa 2016-2020). Trends from the same series over 2000-2019.
CROP_MODELS: dict[tuple[str, str], CropModel] = {
    ("henan", "wheat"): CropModel(
        "wheat", level=430.0, trend=0.017, season=(60, 151), heat_tmax=32.0, damage_tmax=30.0,
        edd_coef=0.008, drought_coef=0.06, gdd_coef=0.01, wet_coef=0.05, phen_base=0.0,
        greenup_gdd=150.0, senesce_gdd=1150.0, ndvi_max=0.80, sown_share=0.62, plants=False),
    ("henan", "maize"): CropModel(
        "maize", level=415.0, trend=0.012, season=(161, 268), heat_tmax=35.0, damage_tmax=33.0,
        edd_coef=0.0018, drought_coef=0.06, gdd_coef=0.02, wet_coef=0.08, phen_base=10.0,
        greenup_gdd=430.0, senesce_gdd=1450.0, ndvi_max=0.84, sown_share=0.48),
    ("hubei", "rice"): CropModel(
        "rice", level=8.6, trend=0.008, season=(140, 258), heat_tmax=35.0, damage_tmax=34.0,
        edd_coef=0.003, drought_coef=0.04, gdd_coef=0.02, wet_coef=0.12, phen_base=10.0,
        greenup_gdd=560.0, senesce_gdd=1750.0, ndvi_max=0.82, sown_share=0.50),
    ("iowa", "corn"): CropModel(
        "corn", level=192.0, trend=0.015, season=(121, 273), heat_tmax=32.0, damage_tmax=31.0,
        edd_coef=0.0027, drought_coef=0.08, gdd_coef=0.02, wet_coef=0.08, phen_base=10.0,
        greenup_gdd=480.0, senesce_gdd=1450.0, ndvi_max=0.88, sown_share=0.55),
    ("iowa", "soybean"): CropModel(
        "soybean", level=56.0, trend=0.012, season=(130, 273), heat_tmax=32.0, damage_tmax=32.0,
        edd_coef=0.0035, drought_coef=0.07, gdd_coef=0.015, wet_coef=0.06, phen_base=10.0,
        greenup_gdd=560.0, senesce_gdd=1500.0, ndvi_max=0.86, sown_share=0.38),
}
# fmt: on
"""Crop models by (region_id, crop) for every crop in each region's ``yield_crops``."""

NASS_COMMODITY: dict[str, tuple[str, str]] = {
    "corn": ("CORN", "CORN, GRAIN"),
    "maize": ("CORN", "CORN, GRAIN"),
    "soybean": ("SOYBEANS", "SOYBEANS"),
    "wheat": ("WHEAT", "WHEAT"),
    "rice": ("RICE", "RICE"),
}
"""PAII crop -> (Quick Stats commodity, the start of its data item)."""

_UNIT_ITEM = {"bu/acre": ("BU / ACRE", 1), "kg/mu": ("KG / MU", 1), "t/ha": ("T / HA", 2)}
_WITHHELD_FRACTION = 0.04
_MIN_DISCLOSED_HA = 300.0


@dataclass(frozen=True)
class CountyPanel:
    """A simulated county panel of one region.

    - ``features``: one row per (county_id, year, crop) over the crop's whole season:
      gdd (base 10 C, Tmax capped at 30 C), rain_mm, heat_days (Tmax above the crop's
      threshold, 32 or 35 C), drought_days (root-zone water below 30% of capacity),
      tmax_mean, ndvi_peak, ndvi_integral (NDVI x days), greenup_doy.
    - ``features_asof``: the same plus asof ("MM-DD") and asof_date, one row per
      (county_id, year, crop, asof), holding only what was observed before the cut-off.
    - ``yields``: county_id, year, crop, yield, unit, harvested_ha, withheld (bool). The
      true yield is kept even where it is withheld from the NASS file.
    - ``county_stats``: county_id, name, area_km2, cropland_share, share_<crop> (sown
      share of cropland), harvested_ha_<crop>.
    """

    region_id: str
    features: pd.DataFrame
    features_asof: pd.DataFrame
    yields: pd.DataFrame
    county_stats: pd.DataFrame


def trend_yield(region_id: str, crop: str, year: int | np.ndarray) -> float | np.ndarray:
    """Technology-trend yield of a crop in a region and year, in the region's unit."""
    key = (demo_region(region_id).region_id, crop)
    if key not in CROP_MODELS:
        crops = ", ".join(c for r, c in CROP_MODELS if r == region_id)
        raise ValidationError(
            f"crop {crop!r} has no yield model in {region_id}; use one of: {crops}"
        )
    return _trend(CROP_MODELS[key], np.asarray(year, dtype=float))


def _trend(model: CropModel, years: np.ndarray) -> np.ndarray:
    """Linear technology trend through ``model.level`` in 2019, floored at 30% of it."""
    return model.level * np.maximum(1.0 + model.trend * (years - _REFERENCE_YEAR), 0.3)


# ---------------------------------------------------------------- validation


def _check_counties(counties: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if not isinstance(counties, gpd.GeoDataFrame):
        raise ValidationError(f"counties should be a GeoDataFrame, not {type(counties).__name__}")
    if counties.empty:
        raise ValidationError("counties is empty; pass at least one county polygon")
    missing = {"county_id", "name"} - set(counties.columns)
    if missing:
        raise ValidationError(f"counties lacks column(s) {', '.join(sorted(missing))}")
    if counties.crs is None:
        raise ValidationError("counties has no CRS; set it, e.g. counties.set_crs(4326)")
    out = counties.to_crs(4326)[["county_id", "name", "geometry"]].copy()
    out["county_id"] = out["county_id"].astype(str)
    if out["county_id"].duplicated().any():
        dup = out.loc[out["county_id"].duplicated(), "county_id"].iloc[0]
        raise ValidationError(f"counties has duplicate county_id {dup!r}; ids must be unique")
    if out.geometry.is_empty.any() or out.geometry.isna().any():
        raise ValidationError("counties has empty geometries; drop them first")
    return out.reset_index(drop=True)


def _check_years(years: Iterable[int]) -> np.ndarray:
    arr = np.array(sorted({int(y) for y in years}), dtype=int)
    if arr.size == 0:
        raise ValidationError("years is empty; pass e.g. range(2001, 2021)")
    if arr[0] < 1980 or arr[-1] > 2035:
        raise ValidationError(
            f"years {arr[0]}..{arr[-1]} are outside 1980..2035, where the trends hold"
        )
    return arr


def _check_rng(rng: np.random.Generator) -> None:
    if not isinstance(rng, np.random.Generator):
        raise ValidationError("rng should be a numpy Generator, e.g. np.random.default_rng(0)")


# ---------------------------------------------------------------- weather


def _chol(xy_km: np.ndarray, length_km: float) -> np.ndarray:
    """Cholesky factor of an exponential spatial correlation exp(-d / length)."""
    d = np.hypot(*(xy_km[:, None, :] - xy_km[None, :, :]).transpose(2, 0, 1))
    return np.linalg.cholesky(np.exp(-d / length_km) + 1e-6 * np.eye(len(xy_km)))


def _field(rng: np.random.Generator, shape: tuple[int, ...], chol: np.ndarray) -> np.ndarray:
    """Unit-variance Gaussian fields (..., C) correlated across counties."""
    return rng.standard_normal((*shape, chol.shape[0])) @ chol.T


def _ar1(x: np.ndarray, phi: float) -> np.ndarray:
    """Stationary unit-variance AR(1) along axis 1 driven by unit-variance noise ``x``."""
    b = np.sqrt(1.0 - phi * phi)
    zi = x[:, 0:1, :] * (1.0 - b)  # so that the first value is x[:, 0], already stationary
    return lfilter([b], [1.0, -phi], x, axis=1, zi=zi)[0]


def _daily_normals(monthly: tuple[float, ...], doy: np.ndarray) -> np.ndarray:
    """Month values at mid-month, linearly interpolated (periodically) to days of year."""
    mid = (
        np.cumsum([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
        - np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]) / 2.0
    )
    return np.interp(doy, mid, np.asarray(monthly, float), period=365)


def _extraterrestrial_mm(lat_deg: np.ndarray, doy: np.ndarray) -> np.ndarray:
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


def _simulate_weather(
    clim: _Climate, lat: np.ndarray, xy: np.ndarray, n_years: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Daily weather (Y, D, C): tmax, tmin, tmean, rain, wet, soil (fraction of capacity).

    Anomalies = a regional year term + smooth spatial fields + local noise, so that nearby
    counties share a year's weather; dry spells run warm. Rain occurrence and amount come
    from one correlated latent Gaussian (a Wilks, 1998, style multi-site generator)."""
    ny, nc = n_years, len(lat)
    doy = DOY0 + np.arange(_N_DAYS)
    big, mid, small = _chol(xy, 500.0), _chol(xy, 250.0), _chol(xy, 120.0)

    def season_term(sd_region: float, sd_field: float, sd_local: float) -> np.ndarray:
        return (
            sd_region * rng.standard_normal((ny, 1))
            + sd_field * _field(rng, (ny,), mid)
            + sd_local * rng.standard_normal((ny, nc))
        )[:, None, :]

    w_season = season_term(0.10, 0.08, 0.05)
    t_season = season_term(0.5, 0.3, 0.15) - 1.5 * w_season
    w_slow = 0.18 * _ar1(_field(rng, (ny, _N_DAYS), mid), 0.96)
    t_slow = 0.9 * _ar1(_field(rng, (ny, _N_DAYS), big), 0.95) - 1.5 * w_slow
    t_fast = 2.0 * _ar1(_field(rng, (ny, _N_DAYS), big), 0.6)
    occ = ndtr(_ar1(_field(rng, (ny, _N_DAYS), small), 0.3))

    month_len = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], float)
    p_clim = _daily_normals(tuple(np.array(clim.wet_days) / month_len), doy)[None, :, None]
    mean_clim = _daily_normals(tuple(np.array(clim.rain_mm) / month_len), doy)[None, :, None]
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
        + 0.4 * rng.standard_normal((ny, _N_DAYS, nc))
        - np.where(wet, 0.8, -0.3)
    )
    dtr = clim.dtr + np.where(wet, -3.0, 1.0)
    tmax, tmin = tmean + dtr / 2, tmean - dtr / 2

    # Soil-water bucket with Hargreaves ET0 (Hargreaves & Samani, 1985; FAO-56 eq. 52),
    # actual ET reduced linearly below half the capacity (FAO-56 water-stress coefficient).
    ra = _extraterrestrial_mm(lat, doy)[None]
    et0 = 0.0023 * (tmean + 17.8) * np.sqrt(np.maximum(tmax - tmin, 0.0)) * ra
    cap = clim.soil_mm
    sw = cap * np.clip(0.8 + 0.1 * rng.standard_normal((ny, nc)), 0.4, 1.0)
    soil = np.empty_like(rain)
    for d in range(_N_DAYS):
        aet = 0.8 * np.maximum(et0[:, d], 0.0) * np.minimum(1.0, sw / (0.5 * cap))
        sw = np.clip(sw + rain[:, d] - aet, 0.0, cap)
        soil[:, d] = sw / cap
    return {"tmax": tmax, "tmin": tmin, "tmean": tmean, "rain": rain, "wet": wet, "soil": soil}


# ---------------------------------------------------------------- crops


def _cum(daily: np.ndarray) -> np.ndarray:
    """Cumulative sums (Y, D + 1, C) with a leading zero, for window sums."""
    out = np.zeros((daily.shape[0], daily.shape[1] + 1, daily.shape[2]))
    np.cumsum(daily, axis=1, out=out[:, 1:])
    return out


def _cuts(model: CropModel) -> list[tuple[str, int]]:
    """(label, exclusive end index) of the as-of cut-offs and of the whole season."""
    a, b = model.season[0] - DOY0, model.season[1] - DOY0 + 1
    doys = [int(pd.Timestamp(f"2019-{m}").day_of_year) for m in ASOF_DATES]
    return [(lab, min(max(q - DOY0, a), b)) for lab, q in zip(ASOF_DATES, doys, strict=True)] + [
        ("season", b)
    ]


def _crossing(cum_from_sow: np.ndarray, target: np.ndarray) -> np.ndarray:
    """First day index (Y, C) where degree days reach ``target``; the last day if never."""
    reached = cum_from_sow >= target[:, None, :]
    first = reached.argmax(axis=1).astype(float)
    return np.where(reached.any(axis=1), first, _N_DAYS - 1.0)


def _crop_features(
    model: CropModel,
    wx: dict[str, np.ndarray],
    county_eff: np.ndarray,
    years: np.ndarray,
    rng: np.random.Generator,
) -> tuple[dict, np.ndarray]:
    """Features at each cut-off and the simulated log yield (Y, C) of one crop."""
    ny, nc = len(years), wx["tmax"].shape[2]
    tmax, tmean, rain, soil = wx["tmax"], wx["tmean"], wx["rain"], wx["soil"]
    a, b = model.season[0] - DOY0, model.season[1] - DOY0 + 1
    # Growing degree days, 86/50 F method: Tmax capped at 30 C, Tmin floored at 10 C.
    gdd = np.maximum((np.minimum(tmax, 30.0) + np.maximum(wx["tmin"], 10.0)) / 2 - 10.0, 0.0)
    daily = {
        "gdd": gdd,
        "rain_mm": rain,
        "heat_days": (tmax > model.heat_tmax).astype(float),
        "drought_days": (soil < _DROUGHT_SOIL_FRACTION).astype(float),
        "tmax_sum": tmax,
    }
    cums = {k: _cum(v) for k, v in daily.items()}
    season = {k: c[:, b] - c[:, a] for k, c in cums.items()}
    edd = np.maximum(tmax[:, a:b] - model.damage_tmax, 0.0).sum(axis=1)

    # Weather response (log yield), against each county's own normal GDD and rain.
    gdd_dev = season["gdd"] / season["gdd"].mean(axis=0) - 1.0
    wet_ratio = season["rain_mm"] / season["rain_mm"].mean(axis=0)
    response = (
        -model.edd_coef * edd
        - model.drought_coef * (season["drought_days"] / 30.0) ** 1.5
        - model.gdd_coef * (gdd_dev / 0.1) ** 2
        - model.wet_coef * np.maximum(wet_ratio - 1.5, 0.0)
    )
    response -= np.median(response)  # a typical year sits on the trend; bad years fall below
    noise = 0.04 * rng.standard_normal((ny, nc)) + 0.012 * rng.standard_normal((ny, 1))
    log_yield = np.log(_trend(model, years.astype(float)))[:, None] + county_eff + response + noise

    # Phenology: sowing delayed by a wet spell before it; a degree-day clock from sowing;
    # drought and heat bring senescence forward.
    if model.plants:
        before = rain[:, max(a - 20, 0) : a].sum(axis=1)
        delay = np.clip(
            3.0 * rng.standard_normal((ny, nc)) + 6.0 * (before / before.mean() - 1.0), -5, 20
        )
    else:
        delay = np.zeros((ny, nc))
    sow = np.clip(np.round(a + delay), 0, _N_DAYS - 1).astype(int)
    phen = _cum(np.maximum(tmean - model.phen_base, 0.0))[:, 1:]
    from_sow = phen - np.take_along_axis(phen, sow[:, None, :], axis=1)
    from_sow[np.arange(_N_DAYS)[None, :, None] < sow[:, None, :]] = -1.0
    green = _crossing(from_sow, np.full((ny, nc), model.greenup_gdd))
    # The canopy only knows the weather up to its peak (about 25 days after mid green-up)
    # and its senescence only the stress up to then: no later weather leaks into NDVI.
    peak = np.clip(green + 25, a, b - 1).astype(int)[:, None, :]
    heat_cum, dry_cum = _cum(np.maximum(tmax - model.damage_tmax, 0.0)), cums["drought_days"]
    so_far = (
        -model.edd_coef * (np.take_along_axis(heat_cum, peak, 1)[:, 0] - heat_cum[:, a])
        - model.drought_coef
        * ((np.take_along_axis(dry_cum, peak, 1)[:, 0] - dry_cum[:, a]) / 30.0) ** 1.5
    )
    nominal = np.clip(_crossing(from_sow, np.full((ny, nc), model.senesce_gdd)), a, b - 1)
    nominal = nominal.astype(int)[:, None, :]
    stress = np.clip(
        1.0
        - 0.004 * (np.take_along_axis(dry_cum, nominal, 1)[:, 0] - dry_cum[:, a])
        - 0.003
        * (np.take_along_axis(cums["heat_days"], nominal, 1)[:, 0] - cums["heat_days"][:, a]),
        0.75,
        1.0,
    )
    senesce = np.maximum(_crossing(from_sow, model.senesce_gdd * stress), green + 20)
    vigour = county_eff + so_far - so_far.mean() + 0.5 * noise
    vmax = np.clip(
        model.ndvi_max + 0.5 * vigour + 0.012 * rng.standard_normal((ny, nc)), 0.35, 0.93
    )
    t = np.arange(_N_DAYS)[None, :, None]
    curve = 0.18 + (vmax[:, None, :] - 0.18) * (
        1.0 / (1.0 + np.exp(-0.15 * (t - green[:, None, :])))
        - 1.0 / (1.0 + np.exp(-0.12 * (t - senesce[:, None, :])))
    )
    # Clouds on wet days depress NDVI; maximum-value compositing mostly removes them.
    observed = (
        curve
        + 0.015 * rng.standard_normal(curve.shape)
        - wx["wet"] * rng.uniform(0.1, 0.4, curve.shape)
    )
    n_comp = (_N_DAYS - 1) // _COMPOSITE
    comp = observed[:, 1 : 1 + n_comp * _COMPOSITE].reshape(ny, n_comp, _COMPOSITE, nc).max(axis=2)
    comp_first = 1 + _COMPOSITE * np.arange(n_comp)  # day index of each composite's first day
    comp_mid = comp_first + (_COMPOSITE - 1) / 2.0
    in_season = (comp_mid >= a) & (comp_mid < b)
    greenup_doy = np.round(DOY0 + green + 2.0 * rng.standard_normal((ny, nc)))

    out = {}
    for label, end in _cuts(model):
        n_days = end - a
        row = {k: c[:, end] - c[:, a] for k, c in cums.items()}
        row["tmax_mean"] = row.pop("tmax_sum") / n_days if n_days > 0 else np.full((ny, nc), np.nan)
        seen = in_season & (comp_first + _COMPOSITE <= end)
        if seen.any():
            row["ndvi_peak"] = comp[:, seen].max(axis=1)
            row["ndvi_integral"] = comp[:, seen].sum(axis=1) * _COMPOSITE
        else:
            row["ndvi_peak"] = np.full((ny, nc), np.nan)
            row["ndvi_integral"] = np.zeros((ny, nc))
        # A green-up is only known once a composite after it shows the rise.
        row["greenup_doy"] = np.where(greenup_doy + _COMPOSITE < DOY0 + end, greenup_doy, np.nan)
        out[label] = row
    return out, log_yield


# ---------------------------------------------------------------- the panel


def _county_geometry(counties: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lon, lat, area_km2) of each county: a point inside it and its geodesic area."""
    geod = Geod(ellps="WGS84")
    area = np.array([abs(geod.geometry_area_perimeter(g)[0]) / 1e6 for g in counties.geometry])
    pts = counties.geometry.representative_point()
    return pts.x.to_numpy(), pts.y.to_numpy(), area


def simulate_county_panel(
    counties: gpd.GeoDataFrame, region_id: str, years: Iterable[int], rng: np.random.Generator
) -> CountyPanel:
    """Simulate a county panel of weather, NDVI features and yields for ``region_id``.

    ``counties`` is a GeoDataFrame with county_id, name and polygons (any CRS, converted to
    EPSG:4326); ``years`` the seasons to simulate; ``rng`` a numpy Generator (the same seed
    gives the same panel). Raises ValidationError for an unknown region, empty or malformed
    counties, empty years or a non-Generator rng. See :class:`CountyPanel` for the frames.
    """
    region = demo_region(region_id)
    gdf = _check_counties(counties)
    yrs = _check_years(years)
    _check_rng(rng)
    world = _WORLDS[region.region_id]
    lon, lat, area_km2 = _county_geometry(gdf)
    xy = np.column_stack(
        [(lon - lon.mean()) * 111.32 * np.cos(np.deg2rad(lat.mean())), (lat - lat.mean()) * 110.57]
    )
    nc = len(gdf)
    mid = _chol(xy, 150.0)

    # County statistics: cropland is scarcer in Chinese municipal districts ("区").
    z = 0.6 * _field(rng, (), mid) + 0.25 * rng.standard_normal(nc)
    base = np.log(world.cropland_share / (1 - world.cropland_share))
    cropland = 1.0 / (1.0 + np.exp(-(base + z)))
    if region.country == "CN":
        cropland = np.where(gdf["name"].astype(str).str.endswith("区"), 0.3 * cropland, cropland)
    stats = {
        "county_id": gdf["county_id"].to_numpy(),
        "name": gdf["name"].astype(str).to_numpy(),
        "area_km2": area_km2,
        "cropland_share": cropland,
    }
    soil = 0.05 * _field(rng, (), mid)
    mgmt = 0.04 * rng.standard_normal(nc)
    wx = _simulate_weather(world.climate, lat, xy, len(yrs), rng)

    feats, yields = [], []
    shares, harvested = {}, {}
    for crop in region.yield_crops:
        model = CROP_MODELS[(region.region_id, crop)]
        share = np.clip(model.sown_share * np.exp(0.12 * _field(rng, (), mid)), 0.02, 0.95)
        shares[f"share_{crop}"] = share
        ha = area_km2 * 100.0 * cropland * share
        harvested[f"harvested_ha_{crop}"] = ha
        county_eff = (
            soil
            + 0.8 * mgmt
            + 0.025 * rng.standard_normal(nc)
            + 0.15 * (cropland - cropland.mean())
        )[None, :]
        cut_rows, log_yield = _crop_features(model, wx, county_eff, yrs, rng)
        for label, row in cut_rows.items():
            frame = pd.DataFrame({k: v.ravel() for k, v in row.items()})
            frame.insert(0, "crop", crop)
            frame.insert(0, "year", np.repeat(yrs, nc))
            frame.insert(0, "county_id", np.tile(gdf["county_id"].to_numpy(), len(yrs)))
            frame["asof"] = label
            feats.append(frame)
        yearly_ha = ha[None, :] * np.exp(0.03 * rng.standard_normal((len(yrs), nc)))
        withheld = (rng.random((len(yrs), nc)) < _WITHHELD_FRACTION) | (
            yearly_ha < _MIN_DISCLOSED_HA
        )
        yields.append(
            pd.DataFrame(
                {
                    "county_id": np.tile(gdf["county_id"].to_numpy(), len(yrs)),
                    "year": np.repeat(yrs, nc),
                    "crop": crop,
                    "yield": np.exp(log_yield).ravel(),
                    "unit": region.yield_unit,
                    "harvested_ha": yearly_ha.ravel(),
                    "withheld": withheld.ravel(),
                }
            )
        )

    allf = pd.concat(feats, ignore_index=True)
    cols = [
        "county_id",
        "year",
        "crop",
        "gdd",
        "rain_mm",
        "heat_days",
        "drought_days",
        "tmax_mean",
        "ndvi_peak",
        "ndvi_integral",
        "greenup_doy",
    ]
    season = allf[allf["asof"] == "season"][cols].sort_values(["county_id", "year", "crop"])
    asof = allf[allf["asof"] != "season"].copy()
    asof["asof_date"] = pd.to_datetime(asof["year"].astype(str) + "-" + asof["asof"])
    asof = asof[[*cols, "asof", "asof_date"]].sort_values(["county_id", "year", "crop", "asof"])
    ytab = pd.concat(yields, ignore_index=True).sort_values(["county_id", "year", "crop"])
    return CountyPanel(
        region_id=region.region_id,
        features=season.reset_index(drop=True),
        features_asof=asof.reset_index(drop=True),
        yields=ytab.reset_index(drop=True),
        county_stats=pd.DataFrame({**stats, **shares, **harvested}),
    )


def nass_frame(panel: CountyPanel, region: DemoRegion | str) -> pd.DataFrame:
    """The panel's yields shaped for a USDA NASS Quick Stats CSV writer.

    Columns: county_id, year, commodity (CORN, SOYBEANS, WHEAT, RICE; maize is CORN as in
    Quick Stats), data_item (e.g. "CORN, GRAIN - YIELD, MEASURED IN BU / ACRE" or
    "WHEAT - YIELD, MEASURED IN KG / MU"), value (rounded as published; NaN where withheld),
    withheld ("(D)" or None), state (upper case) and county (names; upper case for the US).
    """
    reg = region if isinstance(region, DemoRegion) else demo_region(region)
    if reg.region_id != panel.region_id:
        raise ValidationError(
            f"region {reg.region_id!r} does not match the panel's region {panel.region_id!r}"
        )
    unit_text, decimals = _UNIT_ITEM[reg.yield_unit]
    y = panel.yields
    names = dict(zip(panel.county_stats["county_id"], panel.county_stats["name"], strict=True))
    commodity = y["crop"].map(lambda c: NASS_COMMODITY[c][0])
    item = y["crop"].map(lambda c: f"{NASS_COMMODITY[c][1]} - YIELD, MEASURED IN {unit_text}")
    county = y["county_id"].map(names)
    if reg.country == "US":
        county = county.str.upper()
    withheld = y["withheld"].to_numpy()
    return pd.DataFrame(
        {
            "county_id": y["county_id"].to_numpy(),
            "year": y["year"].to_numpy(),
            "commodity": commodity.to_numpy(),
            "data_item": item.to_numpy(),
            "value": np.where(withheld, np.nan, y["yield"].round(decimals).to_numpy()),
            "withheld": np.where(withheld, "(D)", None),
            "state": reg.name.split(" (")[0].upper(),
            "county": county.to_numpy(),
        }
    )
