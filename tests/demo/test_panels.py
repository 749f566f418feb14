"""County panels: weather, NDVI and yields that a model can learn, in NASS shape."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from paii_core.demo import panels
from paii_core.errors import ValidationError

YEARS = range(2005, 2021)
CUMULATIVE = ["gdd", "rain_mm", "heat_days", "drought_days", "ndvi_integral"]


def square_counties(lon0: float, lat0: float, n: int, size: float = 0.3) -> gpd.GeoDataFrame:
    """n x n square counties of ``size`` degrees from (lon0, lat0)."""
    cells = [(i, j) for j in range(n) for i in range(n)]
    return gpd.GeoDataFrame(
        {
            "county_id": [f"{99000 + k:05d}" for k in range(len(cells))],
            "name": [f"County {k}" for k in range(len(cells))],
        },
        geometry=[
            box(lon0 + i * size, lat0 + j * size, lon0 + (i + 1) * size, lat0 + (j + 1) * size)
            for i, j in cells
        ],
        crs=4326,
    )


@pytest.fixture(scope="module")
def iowa() -> panels.CountyPanel:
    return panels.simulate_county_panel(
        square_counties(-95.0, 41.0, 6), "iowa", YEARS, np.random.default_rng(3)
    )


def test_same_seed_same_panel_other_seed_other_panel(iowa):
    counties = square_counties(-95.0, 41.0, 6)
    again = panels.simulate_county_panel(counties, "iowa", YEARS, np.random.default_rng(3))
    for name in ("features", "features_asof", "yields", "county_stats"):
        pd.testing.assert_frame_equal(getattr(again, name), getattr(iowa, name))
    other = panels.simulate_county_panel(counties, "iowa", YEARS, np.random.default_rng(4))
    assert not np.allclose(other.yields["yield"], iowa.yields["yield"])


def test_frames_have_one_row_per_county_year_crop(iowa):
    n = 36 * len(YEARS) * 2
    assert len(iowa.features) == n and len(iowa.yields) == n
    assert len(iowa.features_asof) == 4 * n
    assert not iowa.features.duplicated(["county_id", "year", "crop"]).any()
    assert set(iowa.features_asof["asof"]) == set(panels.ASOF_DATES)
    assert set(iowa.yields["unit"]) == {"bu/acre"}
    stats = iowa.county_stats
    assert len(stats) == 36 and stats["cropland_share"].between(0, 1).all()
    assert {"share_corn", "share_soybean", "harvested_ha_corn", "harvested_ha_soybean"} <= set(
        stats.columns
    )
    assert 0.01 < iowa.yields["withheld"].mean() < 0.1


@pytest.mark.parametrize(
    ("region", "lon0", "lat0", "levels"),
    [
        ("iowa", -95.0, 41.0, {"corn": (150, 200), "soybean": (45, 60)}),
        ("henan", 113.0, 33.5, {"wheat": (330, 460), "maize": (330, 460)}),
        ("hubei", 112.5, 30.0, {"rice": (7.3, 9.5)}),
    ],
)
def test_yields_are_plausible_in_the_region_unit(region, lon0, lat0, levels):
    panel = panels.simulate_county_panel(
        square_counties(lon0, lat0, 3), region, range(2012, 2021), np.random.default_rng(0)
    )
    unit = {"iowa": "bu/acre", "henan": "kg/mu", "hubei": "t/ha"}[region]
    assert set(panel.yields["unit"]) == {unit}
    for crop, (lo, hi) in levels.items():
        y = panel.yields.loc[panel.yields["crop"] == crop, "yield"]
        assert lo <= y.median() <= hi, (crop, y.median())
        assert y.min() > 0.3 * lo and y.max() < 1.6 * hi


def _detrended(panel: panels.CountyPanel, crop: str) -> pd.DataFrame:
    """Log yields minus a trend-only fit (county means + one linear year trend)."""
    df = panel.yields[panel.yields["crop"] == crop].merge(
        panel.features, on=["county_id", "year", "crop"]
    )
    logy = np.log(df["yield"])
    x = np.column_stack([pd.get_dummies(df["county_id"]).to_numpy(float), df["year"]])
    df["resid"] = logy - x @ np.linalg.lstsq(x, logy, rcond=None)[0]
    return df


def test_weather_and_ndvi_explain_most_of_the_detrended_yield(iowa):
    df = _detrended(iowa, "corn")
    cols = [
        "gdd",
        "rain_mm",
        "heat_days",
        "drought_days",
        "tmax_mean",
        "ndvi_peak",
        "ndvi_integral",
    ]
    x = df[cols].to_numpy(float)
    x = np.column_stack([np.ones(len(df)), x, x**2])
    train, test = df["year"] % 2 == 0, df["year"] % 2 == 1
    coef = np.linalg.lstsq(x[train], df.loc[train, "resid"], rcond=None)[0]
    pred = x[test] @ coef
    resid = df.loc[test, "resid"].to_numpy()
    r2 = 1 - np.mean((resid - pred) ** 2) / np.var(resid)
    assert r2 > 0.6, r2
    # Mean accuracy (100 x (1 - |pred - obs| / obs)) with and without the features.
    acc_model = 100 * (1 - np.mean(np.abs(np.expm1(pred - resid))))
    acc_trend = 100 * (1 - np.mean(np.abs(np.expm1(-resid))))
    assert acc_model > 93 and acc_model > acc_trend + 3, (acc_model, acc_trend)


def test_noise_keeps_the_yields_from_being_trivial(iowa):
    df = _detrended(iowa, "corn")
    assert 0.07 < df["resid"].std() < 0.25


def test_asof_features_only_accumulate(iowa):
    a = iowa.features_asof.sort_values(["county_id", "year", "crop", "asof"])
    grouped = a.groupby(["county_id", "year", "crop"])
    for col in CUMULATIVE:
        assert (grouped[col].diff().dropna() >= -1e-9).all(), col
    peak = a.dropna(subset=["ndvi_peak"]).groupby(["county_id", "year", "crop"])["ndvi_peak"]
    assert (peak.diff().dropna() >= 0).all()
    last = a[a["asof"] == "09-01"].set_index(["county_id", "year", "crop"])
    full = iowa.features.set_index(["county_id", "year", "crop"]).loc[last.index]
    for col in CUMULATIVE:
        assert (last[col] <= full[col] + 1e-9).all(), col
    june = a[a["asof"] == "06-01"]
    assert (june["gdd"] < 0.3 * full["gdd"].mean()).all()
    assert june["greenup_doy"].isna().all()
    assert (a["asof_date"].dt.strftime("%m-%d") == a["asof"]).all()


def test_winter_wheat_is_complete_by_june():
    panel = panels.simulate_county_panel(
        square_counties(113.0, 33.5, 2), "henan", range(2018, 2021), np.random.default_rng(1)
    )
    wheat = panel.features_asof[panel.features_asof["crop"] == "wheat"]
    june = wheat[wheat["asof"] == "06-01"].set_index(["county_id", "year"])
    full = panel.features[panel.features["crop"] == "wheat"].set_index(["county_id", "year"])
    pd.testing.assert_series_equal(june["gdd"], full.loc[june.index, "gdd"])


def test_nass_frame_is_quick_stats_shaped(iowa):
    nass = panels.nass_frame(iowa, "iowa")
    assert list(nass.columns) == [
        "county_id",
        "year",
        "commodity",
        "data_item",
        "value",
        "withheld",
        "state",
        "county",
    ]
    assert set(nass["commodity"]) == {"CORN", "SOYBEANS"}
    assert "CORN, GRAIN - YIELD, MEASURED IN BU / ACRE" in set(nass["data_item"])
    assert (nass["state"] == "IOWA").all() and (nass["county"] == nass["county"].str.upper()).all()
    withheld = nass["withheld"] == "(D)"
    assert withheld.any()
    assert nass.loc[withheld, "value"].isna().all() and nass.loc[~withheld, "value"].notna().all()
    assert nass.loc[~withheld, "withheld"].isna().all()


def test_nass_frame_units_of_chinese_regions():
    henan = panels.simulate_county_panel(
        square_counties(113.0, 33.5, 2), "henan", range(2019, 2021), np.random.default_rng(1)
    )
    items = set(panels.nass_frame(henan, "henan")["data_item"])
    assert items == {
        "WHEAT - YIELD, MEASURED IN KG / MU",
        "CORN, GRAIN - YIELD, MEASURED IN KG / MU",
    }
    hubei = panels.simulate_county_panel(
        square_counties(112.5, 30.0, 2), "hubei", range(2019, 2021), np.random.default_rng(1)
    )
    nass = panels.nass_frame(hubei, "hubei")
    assert set(nass["data_item"]) == {"RICE - YIELD, MEASURED IN T / HA"}
    assert set(nass["state"]) == {"HUBEI"}


def test_trend_yield_follows_the_technology_trend():
    assert panels.trend_yield("iowa", "corn", 2019) == pytest.approx(192.0)
    assert panels.trend_yield("iowa", "corn", 2009) < panels.trend_yield("iowa", "corn", 2019)


def test_bad_arguments_are_refused(iowa):
    counties = square_counties(-95.0, 41.0, 2)
    rng = np.random.default_rng(0)
    with pytest.raises(ValidationError, match="region 'mars' is unknown; use one of"):
        panels.simulate_county_panel(counties, "mars", YEARS, rng)
    with pytest.raises(ValidationError, match="counties is empty"):
        panels.simulate_county_panel(counties.iloc[:0], "iowa", YEARS, rng)
    with pytest.raises(ValidationError, match="counties has no CRS"):
        panels.simulate_county_panel(
            counties.set_crs(None, allow_override=True), "iowa", YEARS, rng
        )
    with pytest.raises(ValidationError, match="counties lacks column"):
        panels.simulate_county_panel(counties.drop(columns="name"), "iowa", YEARS, rng)
    with pytest.raises(ValidationError, match="duplicate county_id"):
        panels.simulate_county_panel(counties.assign(county_id="19001"), "iowa", YEARS, rng)
    with pytest.raises(ValidationError, match="should be a GeoDataFrame"):
        panels.simulate_county_panel(pd.DataFrame(counties), "iowa", YEARS, rng)
    with pytest.raises(ValidationError, match="years is empty"):
        panels.simulate_county_panel(counties, "iowa", [], rng)
    with pytest.raises(ValidationError, match=r"outside 1980\.\.2035"):
        panels.simulate_county_panel(counties, "iowa", [1900], rng)
    with pytest.raises(ValidationError, match="numpy Generator"):
        panels.simulate_county_panel(counties, "iowa", YEARS, 42)
    with pytest.raises(ValidationError, match="does not match the panel's region 'iowa'"):
        panels.nass_frame(iowa, "henan")
    with pytest.raises(ValidationError, match="crop 'rice' has no yield model in iowa"):
        panels.trend_yield("iowa", "rice", 2019)
