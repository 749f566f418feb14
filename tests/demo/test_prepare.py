"""`paii demo prepare` on the tiny world: every page's product stored, a second run a no-op."""

from __future__ import annotations

import shutil

import pytest
from streamlit.testing.v1 import AppTest

from paii_core import store
from paii_core.access import local_operator
from paii_core.cli import main
from paii_core.demo.ingest import ingest_world
from paii_core.demo.prepare import (
    DEMO_ASOF,
    SURVEY_NOTE,
    SURVEY_PER_CROP,
    SURVEY_REVIEWER,
    prepare_demo,
)
from paii_core.errors import DemoWorldMissingError
from paii_core.insurance import review_portfolio
from paii_core.store import crops as crop_store
from paii_core.store import flood as flood_store
from paii_core.yields import ASOF_DATES
from tests.conftest import REPO, sign_in_app


@pytest.fixture(scope="module")
def prepared(tiny_world, tmp_path_factory):
    """The tiny world's files in a fresh database (other tests store products in the shared
    one), prepared once; the data folder and the first run's steps."""
    data = tmp_path_factory.mktemp("prepare") / "data"
    shutil.copytree(tiny_world / "demo", data / "demo")
    store.refresh_database(lambda con: ingest_world(con, data), data / "paii.duckdb")
    # Without the yield backtests (20 fits per cut-off): they are most of the time and
    # run_region's own tests cover them.
    return data, prepare_demo(data, with_backtest=False)


def test_first_run_stores_every_product(prepared):
    data, steps = prepared
    assert all(s.status == "done" for s in steps), [s.line() for s in steps]
    con = store.connect(data / "paii.duckdb")
    try:
        areas = crop_store.aois(con)
        for aoi_id in areas["aoi_id"]:
            parcels = con.execute(
                "SELECT count(*) FROM crop_products WHERE aoi_id = ? AND kind = 'parcels'",
                [aoi_id],
            ).fetchone()[0]
            assert parcels == 1, aoi_id
            sets = crop_store.label_sets(con, aoi_id)
            assert list(sets["who"]) == [SURVEY_REVIEWER]
            assert sets["note"].iloc[0] == SURVEY_NOTE and "SIMULATED" in SURVEY_NOTE
            # The tiny Iowa area holds only a handful of 16 ha fields.
            assert 2 <= sets["n_labels"].iloc[0] <= 3 * SURVEY_PER_CROP
        for region_id in set(areas["region_id"]):
            stored = con.execute(
                "SELECT DISTINCT as_of FROM yield_forecasts WHERE region_id = ?", [region_id]
            ).fetchall()
            assert {a for (a,) in stored} == set(ASOF_DATES), region_id
        events = flood_store.events(con)
        assert list(events["aoi_id"]) == ["hubei-jianli"]
        assert (
            len(
                flood_store.policy_hits(con, events["event_id"].iloc[0], principal=local_operator())
            )
            > 0
        )
        assert con.execute("SELECT count(*) FROM xco2_county").fetchone()[0] > 0
    finally:
        con.close()


def test_second_run_is_a_no_op(prepared, capsys):
    data, first = prepared
    assert main(["demo", "prepare", "--data-dir", str(data), "--no-backtest"]) == 0
    out = capsys.readouterr().out
    assert out.count(" skipped ") == len(first)
    assert "0 step(s) computed" in out
    con = store.connect(data / "paii.duckdb")
    try:
        n_sets = con.execute("SELECT count(*) FROM crop_label_sets").fetchone()[0]
    finally:
        con.close()
    assert n_sets == len({s.step.split()[-1] for s in first if s.step.startswith("survey")})


def test_insurance_review_sees_satellite_crops_forecasts_and_flood(prepared):
    data, _ = prepared
    con = store.connect(data / "paii.duckdb")
    try:
        hubei = review_portfolio(
            con, "hubei", asof=DEMO_ASOF, principal=local_operator(), data_dir=data
        ).table
        henan = review_portfolio(
            con, "henan", asof=DEMO_ASOF, principal=local_operator(), data_dir=data
        ).table
    finally:
        con.close()
    for table in (hubei, henan):
        assert table["satellite_crop"].notna().any()
        assert table["mapped_area_ha"].notna().any()
        assert table["forecast_p50"].notna().any()
    assert hubei["flooded_share"].notna().any()


def test_missing_world_says_to_build_it(tmp_path):
    with pytest.raises(DemoWorldMissingError, match=r"MANIFEST\.json.*paii demo build"):
        prepare_demo(tmp_path)
    assert not (tmp_path / "paii.duckdb").exists()


def test_missing_database_says_to_build_it(prepared, tmp_path):
    data, _ = prepared
    shutil.copytree(data / "demo", tmp_path / "demo")
    with pytest.raises(DemoWorldMissingError, match=r"paii\.duckdb.*paii demo build"):
        prepare_demo(tmp_path)


def test_cli_reports_a_missing_world(tmp_path, capsys):
    assert main(["demo", "prepare", "--data-dir", str(tmp_path)]) == 2
    assert "paii demo build" in capsys.readouterr().err


def test_prepared_as_of_is_the_sidebars_default(tiny_world):
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    sign_in_app(at)
    at.run()
    assert at.session_state["asof"] == DEMO_ASOF
