"""The crops of the demo's county panels: each crop's growth and yield model, and its
season features (degree days, heat, drought, NDVI curve) from the simulated weather.

Split out of :mod:`paii_core.demo.panels`; the code and its random draws are unchanged,
so the same seed gives the same panels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from paii_core.demo.weather import DOY0, N_DAYS, cumulative

__all__ = [
    "ASOF_DATES",
    "COMPOSITE",
    "DROUGHT_SOIL_FRACTION",
    "REFERENCE_YEAR",
    "CropModel",
    "crop_features",
    "trend",
]

ASOF_DATES: tuple[str, ...] = ("06-01", "07-01", "08-01", "09-01")
"""Month-day cut-offs of the in-season (as-of) features; data up to the day before."""

COMPOSITE = 8  # MODIS-like 8-day maximum-value composites (Holben, 1986)
REFERENCE_YEAR = 2019
DROUGHT_SOIL_FRACTION = 0.3


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


def trend(model: CropModel, years: np.ndarray) -> np.ndarray:
    """Linear technology trend through ``model.level`` in 2019, floored at 30% of it."""
    return model.level * np.maximum(1.0 + model.trend * (years - REFERENCE_YEAR), 0.3)


def cuts(model: CropModel) -> list[tuple[str, int]]:
    """(label, exclusive end index) of the as-of cut-offs and of the whole season."""
    a, b = model.season[0] - DOY0, model.season[1] - DOY0 + 1
    doys = [int(pd.Timestamp(f"2019-{m}").day_of_year) for m in ASOF_DATES]
    return [(lab, min(max(q - DOY0, a), b)) for lab, q in zip(ASOF_DATES, doys, strict=True)] + [
        ("season", b)
    ]


def crossing(cum_from_sow: np.ndarray, target: np.ndarray) -> np.ndarray:
    """First day index (Y, C) where degree days reach ``target``; the last day if never."""
    reached = cum_from_sow >= target[:, None, :]
    first = reached.argmax(axis=1).astype(float)
    return np.where(reached.any(axis=1), first, N_DAYS - 1.0)


def crop_features(
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
        "drought_days": (soil < DROUGHT_SOIL_FRACTION).astype(float),
        "tmax_sum": tmax,
    }
    cums = {k: cumulative(v) for k, v in daily.items()}
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
    log_yield = np.log(trend(model, years.astype(float)))[:, None] + county_eff + response + noise

    # Phenology: sowing delayed by a wet spell before it; a degree-day clock from sowing;
    # drought and heat bring senescence forward.
    if model.plants:
        before = rain[:, max(a - 20, 0) : a].sum(axis=1)
        delay = np.clip(
            3.0 * rng.standard_normal((ny, nc)) + 6.0 * (before / before.mean() - 1.0), -5, 20
        )
    else:
        delay = np.zeros((ny, nc))
    sow = np.clip(np.round(a + delay), 0, N_DAYS - 1).astype(int)
    phen = cumulative(np.maximum(tmean - model.phen_base, 0.0))[:, 1:]
    from_sow = phen - np.take_along_axis(phen, sow[:, None, :], axis=1)
    from_sow[np.arange(N_DAYS)[None, :, None] < sow[:, None, :]] = -1.0
    green = crossing(from_sow, np.full((ny, nc), model.greenup_gdd))
    # The canopy only knows the weather up to its peak (about 25 days after mid green-up)
    # and its senescence only the stress up to then: no later weather leaks into NDVI.
    peak = np.clip(green + 25, a, b - 1).astype(int)[:, None, :]
    heat_cum, dry_cum = cumulative(np.maximum(tmax - model.damage_tmax, 0.0)), cums["drought_days"]
    so_far = (
        -model.edd_coef * (np.take_along_axis(heat_cum, peak, 1)[:, 0] - heat_cum[:, a])
        - model.drought_coef
        * ((np.take_along_axis(dry_cum, peak, 1)[:, 0] - dry_cum[:, a]) / 30.0) ** 1.5
    )
    nominal = np.clip(crossing(from_sow, np.full((ny, nc), model.senesce_gdd)), a, b - 1)
    nominal = nominal.astype(int)[:, None, :]
    stress = np.clip(
        1.0
        - 0.004 * (np.take_along_axis(dry_cum, nominal, 1)[:, 0] - dry_cum[:, a])
        - 0.003
        * (np.take_along_axis(cums["heat_days"], nominal, 1)[:, 0] - cums["heat_days"][:, a]),
        0.75,
        1.0,
    )
    senesce = np.maximum(crossing(from_sow, model.senesce_gdd * stress), green + 20)
    vigour = county_eff + so_far - so_far.mean() + 0.5 * noise
    vmax = np.clip(
        model.ndvi_max + 0.5 * vigour + 0.012 * rng.standard_normal((ny, nc)), 0.35, 0.93
    )
    t = np.arange(N_DAYS)[None, :, None]
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
    n_comp = (N_DAYS - 1) // COMPOSITE
    comp = observed[:, 1 : 1 + n_comp * COMPOSITE].reshape(ny, n_comp, COMPOSITE, nc).max(axis=2)
    comp_first = 1 + COMPOSITE * np.arange(n_comp)  # day index of each composite's first day
    comp_mid = comp_first + (COMPOSITE - 1) / 2.0
    in_season = (comp_mid >= a) & (comp_mid < b)
    greenup_doy = np.round(DOY0 + green + 2.0 * rng.standard_normal((ny, nc)))

    out = {}
    for label, end in cuts(model):
        n_days = end - a
        row = {k: c[:, end] - c[:, a] for k, c in cums.items()}
        row["tmax_mean"] = row.pop("tmax_sum") / n_days if n_days > 0 else np.full((ny, nc), np.nan)
        seen = in_season & (comp_first + COMPOSITE <= end)
        if seen.any():
            row["ndvi_peak"] = comp[:, seen].max(axis=1)
            row["ndvi_integral"] = comp[:, seen].sum(axis=1) * COMPOSITE
        else:
            row["ndvi_peak"] = np.full((ny, nc), np.nan)
            row["ndvi_integral"] = np.zeros((ny, nc))
        # A green-up is only known once a composite after it shows the rise.
        row["greenup_doy"] = np.where(greenup_doy + COMPOSITE < DOY0 + end, greenup_doy, np.nan)
        out[label] = row
    return out, log_yield


# ---------------------------------------------------------------- the panel
