"""AppTest of the Insurance page: flagged portfolio, filters, evidence and map, decisions."""

from __future__ import annotations

import json
import os
from datetime import date

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from paii_core import store
from tests.conftest import REPO, sign_in_app
from tests.insurance import world

PAGE = str(REPO / "views" / "insurance_page.py")


@pytest.fixture(scope="module")
def insured(tiny_world, tmp_path_factory):
    """A copy of the tiny world with maps, forecast and flood; the page reads it."""
    data = world.prepare(tiny_world, tmp_path_factory.mktemp("ins-app") / "data")
    before = os.environ["PAII_DATA_DIR"]
    os.environ["PAII_DATA_DIR"] = str(data)
    yield data
    os.environ["PAII_DATA_DIR"] = before


@pytest.fixture(scope="module")
def app(insured):
    at = AppTest.from_file(PAGE, default_timeout=120)
    sign_in_app(at)
    at.session_state["region_id"] = "henan"
    at.session_state["asof"] = date(2020, 10, 31)
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def _truth(data) -> pd.DataFrame:
    truth = pd.read_csv(data / "demo" / "truth" / "insurance" / "policies_truth.csv")
    return truth[truth["policy_id"].str.startswith("PA-HA")]  # Henan's portfolio


def test_portfolio_flags_the_misdeclared_policies(app, insured):
    assert app.title[0].value == "Insurance"
    assert any("simulated" in i.value for i in app.info)
    table = app.dataframe[0].value.set_index("policy_id")
    truth = _truth(insured)
    for row in truth[truth["misdeclared"]].itertuples():
        word = "crop mismatch" if row.kind == "crop" else "area over-declared"
        assert word in table.at[row.policy_id, "flags"], row.policy_id
    assert "flooded" in table.at["PA-HA-0003", "flags"]
    assert table["priority"].is_monotonic_decreasing  # the review order is the priority
    assert table[["loss_p10", "loss_p50", "loss_p90", "ndvi_ratio"]].notna().any().all()
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Policies"] == str(len(truth))
    label = app.get("download_button")[0].proto.label
    assert label.startswith("Portfolio review CSV")


def test_filter_and_evidence_of_a_crop_mismatch(app, insured):
    truth = _truth(insured)
    wrong = truth[truth["kind"] == "crop"].iloc[0]
    app.multiselect(key="ins_flags").set_value(["crop mismatch"]).run()
    shown = app.dataframe[0].value
    assert set(shown["policy_id"]) == set(truth.loc[truth["kind"] == "crop", "policy_id"])
    app.selectbox(key="ins_policy").set_value(wrong.policy_id).run()
    assert not app.exception, app.exception
    assert any(":red-badge[crop mismatch]" in m.value for m in app.markdown)
    evidence = app.table[0].value
    assert evidence.loc["Satellite crop", "value"].startswith(wrong.true_crop)
    basis = evidence.loc["Satellite crop", "basis"]
    assert basis.startswith("declared ") and not basis.startswith(f"declared {wrong.true_crop}")
    assert "crop mismatch: the satellite sees" in evidence.loc["Review priority", "basis"]
    assert any(c.value.startswith("Priority: crop mismatch") for c in app.caption)
    deck = json.loads(app.get("deck_gl_json_chart")[0].proto.json)
    assert [layer["id"] for layer in deck["layers"]] == ["imagery", "crop-map", "plot"]
    app.multiselect(key="ins_flags").set_value([]).run()


def test_recording_a_decision_stores_a_row(app, insured):
    app.selectbox(key="ins_policy").set_value("PA-HA-0003").run()
    app.radio(key="ins_choice").set_value("refer")
    app.text_area(key="ins_note").input("flooded in May: send a loss adjuster")
    app.button[0].click().run()
    assert not app.exception, app.exception
    assert any("Recorded decision" in s.value for s in app.success)
    history = app.dataframe[1].value
    assert history[["reviewer", "decision"]].values.tolist() == [["underwriter", "refer"]]
    table = app.dataframe[0].value.set_index("policy_id")
    assert table.at["PA-HA-0003", "last_decision"] == "refer"
    con = store.connect(insured / "paii.duckdb")
    rows = con.execute(
        "SELECT reviewer, decision, note, evidence FROM review_decisions WHERE policy_id = ?",
        ["PA-HA-0003"],
    ).fetchall()
    assert rows[0][:3] == ("underwriter", "refer", "flooded in May: send a loss adjuster")
    assert "flooded" in json.loads(rows[0][3])["flags"]


def test_decision_without_a_choice_shows_an_error(app):
    app.button[0].click().run()
    assert not app.exception, app.exception
    # said 'decision None is unknown; use one of approve, refer, reject'
    assert [e.value for e in app.error] == [
        "No decision chosen: pick approve, refer or reject, then record it (nothing was "
        "recorded; the note is to be typed again)."
    ]


def test_viewing_evidence_and_exporting_are_audited(app, insured):
    app.selectbox(key="ins_policy").set_value("PA-HA-0001").run()
    app.get("download_button")[0]  # the export is audited by its on_click (browser test)
    con = store.connect(insured / "paii.duckdb")
    try:
        viewed = con.execute(
            "SELECT actor FROM audit WHERE action = 'view policy evidence' AND entity_id = ?",
            ["PA-HA-0001"],
        ).fetchall()
    finally:
        con.close()
    assert viewed == [("underwriter",)]


def test_review_report_pdf_is_built_and_offered(app):
    app.selectbox(key="ins_policy").set_value("PA-HA-0003").run()
    app.button(key="ins_build_pdf").click().run()
    assert not app.exception, app.exception
    key, pdf = app.session_state["ins_pdf"]
    assert key == ("PA-HA-0003", date(2020, 10, 31)) and pdf[:5] == b"%PDF-"
    labels = [b.proto.label for b in app.get("download_button")]
    assert "Download review report PA-HA-0003 (PDF)" in labels


def test_an_esg_analyst_gets_no_policy_data(insured):
    at = AppTest.from_file(PAGE, default_timeout=120)
    sign_in_app(at, "esg_analyst")
    at.session_state["region_id"] = "henan"
    at.session_state["asof"] = date(2020, 10, 31)
    at.run()
    assert not at.exception, at.exception
    assert any("may not see policy data" in e.value for e in at.error)
    assert not at.dataframe and not at.get("download_button")


def test_region_without_policies_says_how_to_import_them(insured):
    """No portfolio yet is a normal state: an information box with the import, no error."""
    con = store.connect(insured / "paii.duckdb")
    con.execute("DELETE FROM policies WHERE region_id = 'iowa'")
    at = AppTest.from_file(PAGE, default_timeout=120)
    sign_in_app(at)
    at.session_state["region_id"] = "iowa"
    at.session_state["asof"] = date(2020, 10, 31)
    at.run()
    assert not at.exception, at.exception
    assert not at.error
    assert any("No policies in iowa yet" in i.value for i in at.info)
    assert any("`paii policies import POLICIES.csv --region iowa`" in i.value for i in at.info)
    assert not at.dataframe


def test_implied_indemnity_is_not_zero_when_no_forecast_is_known(tmp_path, monkeypatch):
    """A real-boundary region with one policy and no yield forecast: the metric said
    'Implied indemnity 0 USD' (a sum of unknowns), the evidence 'n/a' (QA pass)."""
    import geopandas as gpd

    from paii_core import workspace
    from paii_core.insurance.imports import import_policies

    counties = gpd.read_parquet(REPO / "data" / "boundaries" / "us_counties_all.parquet")
    al = counties[counties["county_id"].str.startswith("01")].iloc[:3]
    al.to_file(tmp_path / "al.geojson")
    x, y = al.geometry.iloc[0].representative_point().coords[0]
    wkt = f"POLYGON (({x} {y}, {x + 0.004} {y}, {x + 0.004} {y + 0.004}, {x} {y + 0.004}, {x} {y}))"
    (tmp_path / "p.csv").write_text(
        "policy_id,insured,declared_crop,declared_area_ha,coverage_level,guaranteed_yield,"
        "price,premium_rate,start_date,end_date,geometry\n"
        f'AL-1,Ann Moore,cotton,13,75,800,0.7,0.05,2020-04-01,2020-11-30,"{wkt}"\n'
    )
    con = store.connect(tmp_path / "paii.duckdb")
    workspace.add_region(con, "al", tmp_path / "al.geojson", country="US", yield_unit="bu/acre")
    import_policies(con, tmp_path / "p.csv", "al")
    con.close()
    monkeypatch.setenv("PAII_DATA_DIR", str(tmp_path))
    at = AppTest.from_file(PAGE, default_timeout=120)
    sign_in_app(at)
    at.session_state["region_id"] = "al"
    at.session_state["asof"] = date(2020, 10, 31)
    at.run()
    assert not at.exception, at.exception
    metric = next(m for m in at.metric if m.label == "Implied indemnity")
    assert metric.value == "n/a"
    assert "Not counted: 1 policy without a stored county forecast" in metric.proto.help
