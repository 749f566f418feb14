"""AppTests of a user's area of one real Sentinel-2 capture: Imagery works on it, Crop
labels and the Data page say plainly what its crop maps lack."""

from __future__ import annotations

import json
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.regions import SLOVENIA_DAYS, real_area_with_dates, world_with_new_region
from tests.conftest import REPO, data_page_app, finish_jobs, sign_in_app

GAP = "area si-patch has 1 Sentinel-2 date; cropland, parcels and crop maps need at least 4"


@pytest.fixture()
def one_date(tmp_path, monkeypatch):
    """A data folder holding only region 'si' and its area of the real hazy L1C capture of
    2015-07-31."""
    return real_area_with_dates(tmp_path, monkeypatch, ["20150731"])


def _page(name: str) -> AppTest:
    at = AppTest.from_file(str(REPO / "views" / name), default_timeout=120)
    sign_in_app(at)
    at.session_state["region_id"] = "si"
    at.session_state["asof"] = date(2020, 10, 31)
    at.run()
    assert not at.exception, at.exception
    return at


def test_imagery_dehazes_the_one_real_date(one_date):
    at = _page("imagery_page.py")
    assert not at.error and not any("simulated" in i.value for i in at.info)
    assert at.selectbox(key="img_aoi").value == "si-patch"
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["data"][0]["x"] == ["2015-07-31"]
    # one bar per date, not one date stretched over a millisecond-wide time axis
    assert spec["layout"]["xaxis"]["type"] == "category"
    at.button(key="img_run").click().run()
    assert not at.exception, at.exception
    assert not at.error and len(at.get("image")) >= 6
    files = [c.value for c in at.caption if c.value.startswith("File: ")]
    assert files and files[0].startswith("File: si-patch_20150731_dehaze_")


def test_crop_labels_say_how_many_more_dates(one_date):
    at = _page("crop_labels_page.py")
    assert not at.error
    said = [i.value for i in at.info if i.value.startswith("No crop labels here yet: ")]
    assert said and GAP in said[0] and "Add 3 more Sentinel-2 dates of the same season" in said[0]
    assert "Imagery (dehaze, super-resolution) works on it as it is" in said[0]
    assert not [b for b in at.button if b.label == "Map cropland and parcels"]


def test_data_page_lists_the_area_and_what_it_lacks(one_date):
    at = data_page_app("si")
    assert not at.exception, at.exception
    areas = next(d.value for d in at.dataframe if "area" in d.value.columns)
    assert areas["area"].tolist() == ["si-patch"] and areas["dates"].tolist() == [1]
    assert any(w.value.startswith(GAP) for w in at.warning)  # not "si-patch: area si-patch"
    assert "- si-patch (S2, 1 date)" in at.sidebar.caption[0].value  # not "1 dates"


def test_home_of_a_region_without_county_data_says_not_known(tiny_world, tmp_path, monkeypatch):
    """Home of a user's new region in a store the demo built: it said 'Cropland 0 km²' when
    no county share is known, labelled 'yield' without a crop and gave the demo world's
    build time under the region's map."""
    world_with_new_region(tiny_world, tmp_path, monkeypatch, "ks", ["20079", "20155"])
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    sign_in_app(at)
    at.session_state["region_id"] = "ks"
    at.run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Cropland"] == "n/a" and metrics["Yield"] == "n/a"
    caption = next(c.value for c in at.caption if "counties have a value" in c.value)
    assert "Demo world" not in caption


def test_an_area_without_starter_labels_can_be_labelled(tmp_path, monkeypatch):
    """A user's area of four real dates and no reference crop map: once its parcels were
    mapped the page said 'labels name fewer than two crops' and stopped, with no map to
    click, so its first label could never be added."""
    real_area_with_dates(tmp_path, monkeypatch, list(SLOVENIA_DAYS[:4]))
    at = _page("crop_labels_page.py")
    mapping = [b for b in at.button if b.label == "Map cropland and parcels"]
    assert mapping and not at.info  # four dates: no season gap
    mapping[0].click()
    finish_jobs(at)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert any(i.value.startswith("No crop map yet (0 labels): label parcels of at least two")
               for i in at.info)  # fmt: skip
    assert at.get("deck_gl_json_chart") and not at.get("download_button")
    assert any(c.value.startswith("Parcels drawn in ") and c.value.endswith("· 0 labels")
               for c in at.caption)  # fmt: skip
    assert not any(c.value.startswith("Recognised") for c in at.caption)  # nothing recognised
    for parcel, crop in ((1, "grassland"), (2, "forest")):
        at.selectbox(key="crop_parcel").set_value(parcel)
        at.selectbox(key="crop_choice").set_value("another crop...").run()
        at.text_input(key="crop_new").set_value(crop).run()
        next(b for b in at.button if b.label == "Add label").click().run()
        assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert not any(i.value.startswith("No crop map yet") for i in at.info)
    assert any(c.value.startswith("Recognised and drawn in ") and c.value.endswith("· 2 labels")
               for c in at.caption)  # fmt: skip
    scores = next(d.value for d in at.dataframe if "recall" in d.value.columns)
    assert {"grassland", "forest"} <= set(scores.iloc[:, 0]) and at.get("download_button")
