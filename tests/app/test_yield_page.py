"""AppTest of the Yield page over a stored forecast of the tiny world (Hubei rice)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from paii_core.store import yields as ystore
from paii_core.yields.run import run_region
from tests.app.charts import county_maps
from tests.conftest import REPO, sign_in_app
from ui import common


def _rerun(at: AppTest, region: str = "hubei") -> AppTest:
    at.session_state["region_id"] = region
    at.session_state["asof"] = date(2020, 10, 31)
    return at.run()


@pytest.fixture(scope="module")
def page(tiny_world):
    # The dashboard's own connection: DuckDB allows one configuration per file and process.
    run_region(common.connection(), tiny_world, "hubei", asofs=("09-01",), actor="test")
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    sign_in_app(at)
    at.run()
    at.switch_page("views/yield_page.py")
    _rerun(at)
    assert not at.exception, at.exception
    return at


def test_stored_forecasts_per_county_crop_year_asof(page, tiny_world):
    con = common.connection()
    runs = ystore.yield_runs(con, "hubei")
    assert list(runs["as_of"]) == ["09-01"] and set(runs["crop"]) == {"rice"}
    assert (runs["model_version"] == "yield-lgbm-1").all()
    n = con.execute("SELECT count(*) FROM counties WHERE region_id = 'hubei'").fetchone()[0]
    frame = ystore.yield_forecast_frame(con, "hubei", "rice", int(runs["year"].max()), "09-01")
    assert len(frame) == n and frame["p50"].notna().sum() > 0.8 * n


def test_page_draws_maps_charts_backtest_and_export(page):
    assert page.title[0].value == "Yield"
    assert any("simulated" in i.value for i in page.info)
    maps = county_maps(page)
    assert len(maps) == 2  # forecast map and backtest accuracy map
    assert maps[0]["counties"][0]["properties"]["value_text"].endswith("t/ha")
    charts = page.get("plotly_chart")
    assert len(charts) == 2
    history = json.loads(charts[0].proto.spec)
    assert {t["name"] for t in history["data"]} >= {"observed", "forecast P50 (P10..P90)"}
    labels = {m.label: m.value for m in page.metric}
    acc = float(labels["Mean county accuracy"].rstrip("%"))
    assert 80.0 < acc < 100.0
    dl = page.get("download_button")[0]
    assert "simulated" in dl.proto.label


def test_unit_switch_converts_to_kg_per_mu(page):
    before = {m.label: m.value for m in page.metric}
    page.selectbox(key="yield_unit").set_value("kg/mu")
    _rerun(page)
    assert not page.exception
    text = county_maps(page)[0]["counties"][0]["properties"]["value_text"]
    assert text.endswith("kg/mu") and float(text.split()[0].replace(",", "")) > 300
    assert {m.label: m.value for m in page.metric} == before  # accuracy has no unit
    page.radio(key="yield_map_kind").set_value("Anomaly vs 5-year mean")
    _rerun(page)
    assert county_maps(page)[0]["counties"][0]["properties"]["value_text"].endswith("%")


def test_region_without_forecasts_says_how_to_make_them(page):
    _rerun(page, "iowa")
    assert not page.exception
    assert any("paii yield forecast --region iowa" in w.value for w in page.warning)
