"""Forecasts from a region's stored yields: the trend alone, and with a feature table."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from paii_core import store
from paii_core.cli import main
from paii_core.errors import FormatError, InputNotFoundError, PaiiWarning, ValidationError
from paii_core.store import yields as ystore
from paii_core.yields.region import (
    backtest_region,
    forecast_region,
    read_feature_table,
    stored_region_yields,
)
from paii_core.yields.trend import TREND_VERSION, fit_trend_model, trend_backtest


@pytest.fixture()
def con(tiny_world, tmp_path):
    for name in ("paii.duckdb", "paii.duckdb.wal"):
        if (tiny_world / name).exists():
            shutil.copy(tiny_world / name, tmp_path / name)
    connection = store.connect(tmp_path / "paii.duckdb")
    yield connection
    connection.close()


def _panel(noise: float = 0.0, seed: int = 0) -> pd.DataFrame:
    """Five counties, 2005..2016, log yield = county level + 0.02 x year (+ noise)."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(5):
        for year in range(2005, 2017):
            log_y = 1.5 + 0.1 * c + 0.02 * (year - 2000) + noise * rng.standard_normal()
            rows.append(
                {"county_id": f"1900{c}", "crop": "oats", "year": year, "yield": np.exp(log_y)}
            )
    return pd.DataFrame(rows)


def test_trend_recovers_a_known_trend_and_orders_its_range():
    model = fit_trend_model(_panel())
    assert model.crops["oats"].slope == pytest.approx(0.02)
    future = pd.DataFrame({"county_id": ["19003"], "crop": ["oats"], "year": [2020]})
    pred = model.predict(future).iloc[0]
    # the county level is shrunk toward the region's by half a year's weight (as in the model)
    assert pred["p50"] == pytest.approx(np.exp(1.5 + 0.3 + 0.4), rel=0.01)
    noisy = fit_trend_model(_panel(noise=0.05)).predict(future).iloc[0]
    assert noisy["p10"] < noisy["p50"] < noisy["p90"]
    drivers = model.contributions(future)
    assert list(drivers["driver"]) == ["trend"] and drivers["contribution"].iloc[0] == 0.0


def test_trend_backtest_scores_each_held_out_year():
    bt = trend_backtest(_panel(noise=0.05))
    assert len(bt) == 5 * 12 and bt["accuracy"].between(80, 100).all()
    assert (bt["accuracy"] == bt["trend_accuracy"]).all()
    assert 0.5 < bt["covered"].mean() < 0.95


def test_a_sparse_crop_is_left_out_not_an_error():
    """A Quick Stats export's sparse crop (withheld counties) blocked every crop's
    forecast: 'crop rye has 3 observed county-years; the trend needs at least 10'."""
    panel = _panel()
    rye = panel.head(3).assign(crop="rye")
    with pytest.warns(PaiiWarning, match=r"no yield trend for rye \(3 observed county-years\)"):
        model = fit_trend_model(pd.concat([panel, rye], ignore_index=True))
    assert list(model.crops) == ["oats"]
    with pytest.warns(PaiiWarning, match="no yield trend for rye"):
        bt = trend_backtest(pd.concat([panel, rye], ignore_index=True))
    assert set(bt["crop"]) == {"oats"}


def test_trend_errors():
    with pytest.raises(ValidationError, match=r"no crop has 10 observed county-years to fit a "
                       r"trend on \(crop oats has 6\); import more years"):  # fmt: skip
        fit_trend_model(_panel().head(6))
    with pytest.raises(ValidationError, match="yields lack column"):
        fit_trend_model(_panel().drop(columns="year"))
    with pytest.raises(ValidationError, match="needs at least 3 years"):
        trend_backtest(_panel()[_panel()["year"] < 2007])


def test_a_region_with_yields_alone_gets_a_labelled_trend_forecast(con):
    run = forecast_region(con, "hubei", asofs=("08-01", "09-01"))
    assert run.model_version == TREND_VERSION and run.year == 2021
    assert any("trend model from yields alone" in n for n in run.notes)
    runs = ystore.yield_runs(con, "hubei")
    assert (
        set(runs["as_of"]) == {"08-01", "09-01"} and (runs["model_version"] == TREND_VERSION).all()
    )
    stored = con.execute(
        "SELECT unit, simulated, count(*) FROM yield_forecasts WHERE region_id = 'hubei' "
        "GROUP BY ALL"
    ).fetchall()
    assert stored == [("t/ha", True, 2 * run.forecasts["county_id"].nunique())]  # demo yields
    bt = ystore.yield_backtest_rows(con, "hubei", "rice")
    assert len(bt) and (bt["model_version"] == TREND_VERSION).all()


def test_a_feature_table_without_crop_applies_to_every_crop(con, tiny_world, tmp_path):
    features = pd.read_parquet(tiny_world / "demo" / "panels" / "iowa_features_asof.parquet")
    features = features[(features["asof"] == "09-01") & (features["crop"] == "corn")]
    path = tmp_path / "weather.csv"
    features.drop(columns=["crop", "asof", "asof_date"]).to_csv(path, index=False)
    table = read_feature_table(path)
    assert table["county_id"].str.len().eq(5).all()  # zero-padded ids kept as text
    run = forecast_region(con, "iowa", features=table, asofs=("09-01",), with_backtest=False)
    assert run.model_version == "yield-lgbm-1" and run.year == 2020
    assert set(run.forecasts["crop"]) == {"corn", "soybean"}
    assert set(run.forecasts["unit"]) == {"bu/acre"}


def test_backtests_of_stored_yields_with_and_without_features(con, tiny_world):
    panels = tiny_world / "demo" / "panels"
    features = pd.read_parquet(panels / "hubei_features_asof.parquet")
    bt = backtest_region(con, "hubei", features=features, asofs=("09-01",))
    trend = backtest_region(con, "hubei")
    assert set(bt["asof"]) == {"09-01"} and set(trend["asof"]) == {"trend"}
    assert len(bt) == len(trend) and set(trend["unit"]) == {"t/ha"}
    # the LightGBM model's own trend is the trend model's forecast
    merged = bt.merge(trend, on=["county_id", "crop", "year"], suffixes=("", "_t"))
    np.testing.assert_allclose(merged["trend"], merged["p50_t"], rtol=1e-9)


def test_feature_table_and_yield_errors(con, tmp_path):
    with pytest.raises(InputNotFoundError, match="feature table not found"):
        read_feature_table(tmp_path / "none.parquet")
    (tmp_path / "f.xlsx").write_bytes(b"x")
    with pytest.raises(FormatError, match=r"has the extension '\.xlsx'"):
        read_feature_table(tmp_path / "f.xlsx")
    pd.DataFrame({"county": ["1"], "gdd": [1.0]}).to_csv(tmp_path / "f.csv", index=False)
    with pytest.raises(FormatError, match="lacks column\\(s\\) county_id, year"):
        read_feature_table(tmp_path / "f.csv")
    con.execute("DELETE FROM county_metrics WHERE metric = 'yield'")
    with pytest.raises(ValidationError, match="region 'hubei' has no yields in the store"):
        stored_region_yields(con, "hubei")


def test_cli_backtest_of_stored_yields(con, tmp_path, capsys):
    con.close()
    db = str(tmp_path / "paii.duckdb")
    assert main(["yield", "backtest", "--region", "hubei", "--db", db, "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "hubei: leave-one-year-out backtest, trend from yields alone" in out
    assert "rice trend" in out
