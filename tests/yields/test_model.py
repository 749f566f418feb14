"""The yield model: forecasts with a range, contributions, errors and no leakage."""

from __future__ import annotations

import numpy as np
import pytest

from paii_core.errors import ValidationError
from paii_core.yields import backtest, build_panel, fit_yield_model, summarize_backtest
from paii_core.yields.run import forecast_files


def _panel(small_panel, asof="09-01"):
    return build_panel(
        small_panel.features_asof, small_panel.yields[~small_panel.yields["withheld"]], asof=asof
    )


@pytest.fixture(scope="module")
def fitted(small_panel):
    p = _panel(small_panel)
    return p, fit_yield_model(p[p["year"] < 2020])


def test_predict_gives_ordered_range_and_ignores_target(fitted):
    p, model = fitted
    season = p[p["year"] == 2020]
    pred = model.predict(season)
    assert list(pred.columns) == ["county_id", "year", "crop", "trend", "p10", "p50", "p90"]
    assert len(pred) == len(season)
    assert (pred["p10"] <= pred["p50"]).all() and (pred["p50"] <= pred["p90"]).all()
    blind = model.predict(season.assign(**{"yield": np.nan}))
    np.testing.assert_array_equal(blind["p50"], pred["p50"])
    crop_less = model.predict(season.drop(columns="crop").assign(crop="rice"))
    np.testing.assert_allclose(crop_less["p50"], pred["p50"])


def test_contributions_explain_the_forecast(fitted):
    p, model = fitted
    season = p[p["year"] == 2020]
    pred = model.predict(season)
    contrib = model.contributions(season)
    assert set(contrib["driver"]) == {*model.features, "baseline"}
    total = contrib.groupby("county_id")["contribution"].sum()
    expected = np.log(pred.set_index("county_id")["p50"] / pred.set_index("county_id")["trend"])
    np.testing.assert_allclose(total.loc[expected.index], expected, atol=1e-9)


def test_model_errors(fitted, small_panel):
    p, model = fitted
    with pytest.raises(ValidationError, match="no fit for crop"):
        model.predict(p.assign(crop="wheat"))
    with pytest.raises(ValidationError, match="lacks the model's feature"):
        model.predict(p.drop(columns="ndvi_peak"))
    with pytest.raises(ValidationError, match="needs at least 10"):
        fit_yield_model(p.iloc[:5])
    with pytest.raises(ValidationError, match="no observed yield"):
        fit_yield_model(p.assign(**{"yield": np.nan}))


def test_backtest_beats_trend_with_calibrated_range(small_panel):
    bt = backtest(_panel(small_panel))
    assert {"accuracy", "trend_accuracy", "covered", "p10", "p90"} <= set(bt.columns)
    np.testing.assert_allclose(bt["accuracy"], 100 * (1 - abs(bt["p50"] - bt["obs"]) / bt["obs"]))
    s = summarize_backtest(bt).iloc[0]
    assert s["years"] == 12 and s["counties"] == 25
    assert s["accuracy"] > s["trend_accuracy"] + 2.0
    assert s["rmse"] < s["trend_rmse"]
    assert 0.6 <= s["coverage"] <= 0.95
    with pytest.raises(ValidationError, match="at least 3 years"):
        backtest(_panel(small_panel).query("year < 2011"))


def _write(small_panel, tmp_path, features, yields):
    from paii_core.demo.panels import nass_frame
    from paii_core.io import write_nass_quickstats

    tmp_path.mkdir()
    fp = tmp_path / "features.parquet"
    features.to_parquet(fp)
    panel = type(small_panel)(
        small_panel.region_id, small_panel.features, features, yields, small_panel.county_stats
    )
    qs = write_nass_quickstats(tmp_path / "qs.csv", nass_frame(panel, "hubei"))
    return fp, qs


def test_no_leakage_from_after_the_asof_date(small_panel, tmp_path):
    """A forecast as of 07-01 2019 is the same whatever happens later: later cut-offs'
    features, the season's outcome and every later year."""
    feats, ylds = small_panel.features_asof, small_panel.yields
    a = forecast_files(
        *_write(small_panel, tmp_path / "a", feats, ylds),
        year=2019,
        asofs=("07-01",),
        with_backtest=False,
    )
    later = feats.copy()
    after = (later["asof"] != "07-01") | (later["year"] > 2019)
    num = ["gdd", "rain_mm", "heat_days", "drought_days", "ndvi_peak", "ndvi_integral"]
    later.loc[after, num] = later.loc[after, num] * 3.0 + 7.0
    changed = ylds.copy()
    changed.loc[changed["year"] >= 2019, "yield"] *= 0.5
    b = forecast_files(
        *_write(small_panel, tmp_path / "b", later, changed),
        year=2019,
        asofs=("07-01",),
        with_backtest=False,
    )
    assert len(a.forecasts) == 25
    np.testing.assert_array_equal(
        a.forecasts[["p10", "p50", "p90"]], b.forecasts[["p10", "p50", "p90"]]
    )
    # ...while the 07-01 features of the season itself do move it.
    moved = feats.copy()
    now = (moved["asof"] == "07-01") & (moved["year"] == 2019)
    moved.loc[now, "drought_days"] += 40
    moved.loc[now, "ndvi_peak"] -= 0.2
    c = forecast_files(
        *_write(small_panel, tmp_path / "c", moved, ylds),
        year=2019,
        asofs=("07-01",),
        with_backtest=False,
    )
    assert not np.allclose(a.forecasts["p50"], c.forecasts["p50"])


def test_a_feature_not_yet_observed_in_the_forecast_year_is_kept(fitted):
    p, model = fitted
    season = p[p["year"] == 2020].assign(greenup_doy=np.nan)
    pred = model.predict(season)
    assert pred["p50"].notna().all() and len(pred) == len(season)
