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

from paii_core.demo.crop_season import ASOF_DATES, CropModel
from paii_core.demo.crop_season import crop_features as _crop_features
from paii_core.demo.crop_season import trend as _trend
from paii_core.demo.regions import DemoRegion, demo_region
from paii_core.demo.weather import Climate as _Climate
from paii_core.demo.weather import chol as _chol
from paii_core.demo.weather import field as _field
from paii_core.demo.weather import simulate_weather as _simulate_weather
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


# ---------------------------------------------------------------- crops


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
