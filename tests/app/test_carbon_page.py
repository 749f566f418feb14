"""AppTest of the Carbon page: compute on a button, map layers, series, ranking, downloads."""

from __future__ import annotations

import json
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from paii_core import store
from tests.app.charts import county_maps
from tests.conftest import REPO, finish_jobs, sign_in_app


def _carbon_app() -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=240)
    sign_in_app(at)
    at.run()
    at.switch_page("views/carbon_page.py")
    return _rerun(at)


def _rerun(at: AppTest) -> AppTest:
    # After switch_page AppTest runs the page alone, so the sidebar's keys are set here.
    at.session_state["region_id"] = "henan"
    at.session_state["asof"] = date(2020, 10, 31)
    return at.run()


@pytest.fixture(scope="module")
def carbon(tiny_world):
    at = _carbon_app()
    assert not at.exception, at.exception
    if at.warning:  # nothing stored yet: compute, as a user would
        at.button[0].click()
        finish_jobs(at)
    assert not at.exception, at.exception
    return at


def test_page_computes_and_draws_measured_and_interpolated(carbon, tiny_world):
    assert carbon.title[0].value == "Carbon"
    assert any(
        i.value.startswith("XCO2 county months of this region are simulated") for i in carbon.info
    )
    layers = county_maps(carbon)[0]
    measured = layers["counties"]
    interpolated = layers["counties-interpolated"]
    assert measured and interpolated
    con = store.connect(tiny_world / "paii.duckdb")
    n = con.execute("SELECT count(*) FROM counties WHERE region_id = 'henan'").fetchone()[0]
    drawn = len(measured) + len(interpolated) + len(layers["counties-missing"])
    assert drawn == n
    srcs = dict(con.execute("SELECT source, count(*) FROM xco2_county GROUP BY source").fetchall())
    assert srcs.get("measured", 0) > 0 and srcs.get("interpolated", 0) > 0


def test_series_ranking_and_downloads(carbon):
    spec = json.loads(carbon.get("plotly_chart")[0].proto.spec)
    assert {t["name"] for t in spec["data"]} == {"county XCO2", "background"}
    table = carbon.dataframe[0].value
    assert table["xco2_anomaly"].is_monotonic_decreasing
    assert (table["data_note"] == "SIMULATED demo data").all()
    # The PDF is drawn only on demand: before the button, only the CSV is offered.
    assert len(carbon.get("download_button")) == 1
    carbon.button(key="carbon_build_pdf").click()
    _rerun(carbon)
    assert not carbon.exception, carbon.exception
    assert len(carbon.get("download_button")) == 2
    pdf = carbon.session_state["carbon_pdf"][1]
    assert pdf[:5] == b"%PDF-" and len(pdf) > 20_000


def test_portfolio_pick_gives_exposure(carbon):
    first = carbon.dataframe[0].value["county_id"].iloc[0]
    carbon.multiselect(key="carbon_pick").set_value([first])
    _rerun(carbon)
    assert not carbon.exception
    labels = {m.label: m.value for m in carbon.metric}
    assert labels["Interpolated share"].endswith("%")
    assert "ppm" in labels["Weighted XCO2"]


def test_a_region_the_soundings_do_not_cover_is_told_so_after_the_button(
    tiny_world, tmp_path, monkeypatch
):
    """Real Kansas counties beside the demo's (simulated) soundings: the run crashed, and
    the page then still said 'No XCO2 results stored yet: press the button above'."""
    import shutil

    import geopandas as gpd

    from paii_core import workspace

    for name in ("paii.duckdb", "paii.duckdb.wal"):
        if (tiny_world / name).exists():
            shutil.copy(tiny_world / name, tmp_path / name)
    (tmp_path / "demo").symlink_to(tiny_world / "demo")  # the stored sounding files
    counties = gpd.read_parquet(REPO / "data" / "boundaries" / "us_counties_all.parquet")
    path = tmp_path / "ks.geojson"
    counties[counties["county_id"].isin(["20045", "20059", "20121"])].to_file(path)
    con = store.connect(tmp_path / "paii.duckdb")
    workspace.add_region(con, "kc", path, country="US", yield_unit="bu/acre", name="Kansas")
    con.close()
    monkeypatch.setenv("PAII_DATA_DIR", str(tmp_path))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=240)
    sign_in_app(at)
    at.run()
    at.switch_page("views/carbon_page.py")
    at.session_state["region_id"] = "kc"
    at.run()
    at.button[0].click()
    finish_jobs(at)
    assert not at.exception, at.exception
    text = " ".join(w.value for w in at.warning)
    assert "(simulated, from the demo): none of their soundings falls in or near Kansas's" in text
    assert "paii carbon run --region kc --soundings DIR" in text
    assert "press the button above" not in text
    # the audit trail names who pressed the button (it said 'dashboard')
    from ui import common

    sql = "SELECT actor FROM audit WHERE action = 'carbon run' ORDER BY event_id DESC LIMIT 1"
    assert common.connection().execute(sql).fetchone()[0] == "underwriter"
