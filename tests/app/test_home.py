"""AppTest of the Home page: KPIs, the county choropleth and the simulated-data notice."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from paii_core import store
from tests.app.charts import county_maps
from tests.conftest import REPO, sign_in_app

APP = str(REPO / "app.py")


@pytest.fixture()
def home(tiny_world):
    at = AppTest.from_file(APP, default_timeout=60)
    sign_in_app(at)
    at.run()
    assert not at.exception, at.exception
    return at


def test_home_shows_region_kpis_and_simulated_note(home, tiny_world):
    assert "county overview" in home.title[0].value
    assert any("simulated" in i.value for i in home.info)
    labels = {m.label: m.value for m in home.metric}
    con = store.connect(tiny_world / "paii.duckdb")
    n = con.execute("SELECT count(*) FROM counties WHERE region_id = 'henan'").fetchone()[0]
    assert labels["Counties"] == str(n)
    assert n > 100  # real Henan boundaries, not a toy


def test_home_caption_names_the_demo_build_only_when_there_is_one(home):
    caption = next(c.value for c in home.caption if "counties have a value" in c.value)
    assert " Demo world built 2" in caption and "unknown" not in caption


def test_home_choropleth_has_every_county(home, tiny_world):
    maps = county_maps(home)
    assert len(maps) == 1 and not home.get("deck_gl_json_chart")  # no WebGL for counties
    layers = maps[0]
    con = store.connect(tiny_world / "paii.duckdb")
    n = con.execute("SELECT count(*) FROM counties WHERE region_id = 'henan'").fetchone()[0]
    assert len(layers["counties"]) + len(layers["counties-missing"]) == n
    assert len(layers["counties"]) > 0.9 * n
    first = layers["counties"][0]
    assert first["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert first["properties"]["colour"].startswith("rgba(")


def test_region_switch_redraws_iowa(home):
    home.sidebar.selectbox(key="region_id").set_value("iowa").run()
    assert not home.exception
    assert home.title[0].value.startswith("Iowa")
    layers = county_maps(home)[0]
    ids = {f["properties"]["county_id"] for f in layers["counties"]}
    assert len(ids) == 99 or len(ids) + len(layers["counties-missing"]) == 99
    assert all(i.startswith("19") and len(i) == 5 for i in ids)


def test_yield_anomaly_map_is_diverging_and_labelled(home):
    home.selectbox(key="home_metric").select_index(2).run()
    assert not home.exception
    feature = county_maps(home)[0]["counties"][0]
    assert "vs previous 5-year mean" in feature["properties"]["metric"]
    assert feature["properties"]["value_text"].endswith("%")


def test_missing_database_shows_how_to_build(tmp_path, monkeypatch):
    monkeypatch.setenv("PAII_DATA_DIR", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()  # no sign-in possible yet: the page says how to build the store first
    assert not at.exception
    assert any("paii demo build" in e.value for e in at.error)
