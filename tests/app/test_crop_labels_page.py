"""AppTest of the Crop labels page: map on a button, parcels layer, add / undo, errors, save."""

from __future__ import annotations

import json
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from paii_core import store
from tests.app.regions import world_with_new_region
from tests.conftest import REPO, finish_jobs, sign_in_app

KEY = "crop_labels_henan-huaxian"


def _rerun(at: AppTest) -> AppTest:
    at.session_state["region_id"] = "henan"
    at.session_state["asof"] = date(2020, 10, 31)
    return at.run()


@pytest.fixture(scope="module")
def crops_app(tiny_world):
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=240)
    sign_in_app(at)
    at.run()
    at.switch_page("views/crop_labels_page.py")
    _rerun(at)
    assert not at.exception, at.exception
    if at.warning:  # not mapped yet: press the button, as a user would
        at.button[0].click()
        finish_jobs(at)
        _rerun(at)
    assert not at.exception, at.exception
    return at


def _parcels(at: AppTest) -> list:
    deck = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    layers = {layer["id"]: layer for layer in deck["layers"]}
    assert "rgb" in layers
    return layers["parcels"]["data"]["features"]


def test_page_draws_parcels_with_simulated_starter_labels(crops_app):
    assert crops_app.title[0].value == "Crop labels"
    assert any("simulated field-survey points" in c.value for c in crops_app.caption)
    features = _parcels(crops_app)
    assert features and {"parcel_id", "crop", "row", "col"} <= set(features[0]["properties"])
    assert any(f["properties"]["crop"] != "unknown" for f in features)
    scores = crops_app.dataframe[0].value
    assert list(scores.columns) == ["crop", "labels", "precision", "recall"]
    assert len(crops_app.session_state[KEY]) == scores["labels"].sum()


def test_add_and_undo_change_the_label_count(crops_app):
    n = len(crops_app.session_state[KEY])
    crops_app.selectbox(key="crop_parcel").set_value(1)
    _rerun(crops_app)
    add = next(b for b in crops_app.button if b.label == "Add label")
    add.click()
    _rerun(crops_app)
    assert len(crops_app.session_state[KEY]) == n + 1
    assert not crops_app.error
    undo = next(b for b in crops_app.button if b.label == "Undo last label")
    undo.click()
    _rerun(crops_app)
    assert len(crops_app.session_state[KEY]) == n


def test_one_class_labels_show_error_and_keep_the_previous_map(crops_app):
    before = _parcels(crops_app)
    saved = list(crops_app.session_state[KEY])
    crops_app.session_state[KEY] = [p for p in saved if p[2] == saved[0][2]]
    _rerun(crops_app)
    assert any("fewer than two crops" in e.value for e in crops_app.error)
    assert _parcels(crops_app) == before
    crops_app.session_state[KEY] = saved
    _rerun(crops_app)
    assert not crops_app.error


def test_save_writes_label_set_with_who_and_rollups(crops_app, tiny_world):
    """The label set is saved under the signed-in user: no name box anyone could fill."""
    next(b for b in crops_app.button if b.label == "Save label set").click()
    _rerun(crops_app)
    assert not crops_app.exception and not crops_app.error
    assert crops_app.success
    con = store.connect(tiny_world / "paii.duckdb")
    who, n = con.execute(
        "SELECT who, n_labels FROM crop_label_sets WHERE aoi_id = 'henan-huaxian'"
    ).fetchone()
    assert who == "underwriter" and n == len(crops_app.session_state[KEY])
    areas = con.execute(
        "SELECT metric, count(*) FROM county_metrics WHERE source = 'PAII crop map' GROUP BY 1"
    ).fetchall()
    assert dict(areas)["cropland_area_km2"] == 1 and dict(areas)["crop_area_km2"] >= 2


def test_a_new_crop_name_becomes_a_class(crops_app):
    n = len(crops_app.session_state[KEY])
    crops_app.selectbox(key="crop_parcel").set_value(2)
    crops_app.selectbox(key="crop_choice").set_value("another crop...")
    _rerun(crops_app)
    crops_app.text_input(key="crop_new").input("sorghum")
    _rerun(crops_app)
    next(b for b in crops_app.button if b.label == "Add label").click()
    _rerun(crops_app)
    assert not crops_app.exception and not crops_app.error
    assert crops_app.session_state[KEY][-1][2] == "sorghum"
    assert "sorghum" in set(crops_app.dataframe[0].value["crop"])
    next(b for b in crops_app.button if b.label == "Undo last label").click()
    _rerun(crops_app)
    assert len(crops_app.session_state[KEY]) == n


def test_a_region_without_areas_says_the_areas_shown_are_other_regions(
    tiny_world, tmp_path, monkeypatch
):
    """A user's new region without imagery: the page showed the demo's Henan area as if it
    were the region's (found by the QA pass with real North Carolina counties)."""
    world_with_new_region(tiny_world, tmp_path, monkeypatch, "nc-two", ["37183", "37101"])
    at = AppTest.from_file(str(REPO / "views" / "crop_labels_page.py"), default_timeout=240)
    sign_in_app(at)
    at.session_state["region_id"] = "nc-two"
    at.session_state["asof"] = date(2020, 10, 31)
    at.run()
    assert not at.exception, at.exception
    assert at.info[0].value.startswith(
        "Region nc-two has no area yet: the areas below are other regions'. Add one with "
        'the Data page\'s form "Add an area from your Sentinel-2 or Sentinel-1 files", or '
        "`paii area add AOI --region nc-two --s2 ...` on the server."
    )
