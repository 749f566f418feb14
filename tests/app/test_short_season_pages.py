"""AppTests of a user's area of one real Sentinel-2 capture: Imagery works on it, Crop
labels and the Data page say plainly what its crop maps lack."""

from __future__ import annotations

import json
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.regions import real_area_with_dates
from tests.conftest import REPO, sign_in_app

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
    bars = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]
    assert bars["x"] == ["2015-07-31"]
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
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    sign_in_app(at)
    at.run()
    at.switch_page("views/data_page.py")
    at.session_state["region_id"] = "si"
    at.run()
    assert not at.exception, at.exception
    areas = next(d.value for d in at.dataframe if "area" in d.value.columns)
    assert areas["area"].tolist() == ["si-patch"] and areas["dates"].tolist() == [1]
    assert any(GAP in w.value for w in at.warning)
