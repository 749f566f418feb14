"""AppTests of a claims analyst's area made from one real Sentinel-1 scene alone (a
Sen1Floods11 development chip in EPSG:4326; no Sentinel-2, no DEM, no plots): the Data
page's form adds it, the Flood page maps its flood and says what it lacks, the pages that
need Sentinel-2 say so plainly."""

from __future__ import annotations

from datetime import date

import numpy as np
import rasterio
from streamlit.testing.v1 import AppTest

from tests.app.regions import NIGERIA_CHIP, NIGERIA_DAY, nigeria_chip, real_sar_area
from tests.conftest import REPO, data_page_app, finish_jobs, sign_in_app

SAR_ONLY = "area ng-chip has Sentinel-1 only: it maps floods (Flood page, `paii flood`)"


def _page(name: str, role: str = "underwriter") -> AppTest:
    at = AppTest.from_file(str(REPO / "views" / name), default_timeout=180)
    sign_in_app(at, role)
    at.session_state["region_id"] = "ng"
    at.session_state["asof"] = date(2020, 10, 31)
    at.run()
    assert not at.exception, at.exception
    return at


def _labelled_water_km2() -> float:
    """The chip's hand-labelled water (Sen1Floods11 LabelHand: 1 water), in km2."""
    label = NIGERIA_CHIP.with_name(NIGERIA_CHIP.name.replace("S1Hand", "LabelHand"))
    with rasterio.open(label) as src:
        water = int((src.read(1) == 1).sum())
        lat = (src.bounds.top + src.bounds.bottom) / 2
        dx, dy = src.res
    return water * (dx * 111.32 * np.cos(np.deg2rad(lat))) * (dy * 110.57)


def test_the_flood_page_maps_a_sentinel1_only_area(tmp_path, monkeypatch):
    real_sar_area(tmp_path, monkeypatch)
    at = _page("flood_page.py")
    assert at.button(key="flood_run").label == "Map the flood"  # not "the demo flood"
    at.button(key="flood_run").click()
    finish_jobs(at)
    assert not at.exception and not at.error, (at.exception, at.error)
    metrics = {m.label: m.value for m in at.metric}
    flooded = float(metrics["Flooded"].split()[0].replace(",", ""))
    labelled = _labelled_water_km2()
    # the water the radar alone finds, against the hand-labelled water (12.9 vs 13.2 km2
    # when written; unlabelled pixels are a few % of the chip)
    assert abs(flooded - labelled) < 0.15 * labelled, (flooded, labelled)
    assert metrics["Mean depth"] == "no DEM"
    # No plot registry: no policy can be placed, so "0 policies hit" would be a false all
    # clear; and one date is said, not drawn as a slider of one date.
    assert metrics["Policies hit"] == "n/a"
    assert "Policies hit" not in [s.value for s in at.subheader]
    assert not at.select_slider
    assert any(m.value.startswith("**Date**: ") for m in at.markdown)
    assert any("Area ng-chip has no DEM: water was mapped from the radar alone" in w.value
               for w in at.warning)  # fmt: skip
    assert "Flooded land by county" in [s.value for s in at.subheader]
    captions = [c.value for c in at.caption]
    assert any(c.startswith("Area ng-chip has no plot registry") for c in captions)
    assert "1 of 1 counties have a figure; grey ones have none." in captions
    assert "No pre-event image." in captions

    # A DEM added to the area since: the event says it is out of date and maps again with it.
    replace_with_dem(tmp_path)
    at.run()
    assert not at.exception, at.exception
    assert any("Area ng-chip's inputs changed since this flood was mapped" in w.value
               for w in at.warning)  # fmt: skip
    at.button(key="flood_remap").click()
    finish_jobs(at)
    assert not at.exception and not at.error, (at.exception, at.error)
    assert not [w for w in at.warning if "inputs changed" in w.value or "no DEM" in w.value]
    assert {m.label: m.value for m in at.metric}["Mean depth"].endswith(" m")

    # A second flood area added since: the page still offers to map it.
    from paii_core import store
    from paii_core.areas import add_area_from_items
    from paii_core.config import paths

    con = store.connect(paths().database)
    try:
        add_area_from_items(con, "ng-second", region_id="ng", s2=[], s1=[nigeria_chip(tmp_path)],
                            flood_dates=[date.fromisoformat(NIGERIA_DAY)])  # fmt: skip
    finally:
        con.close()
    at.run()
    assert not at.exception, at.exception
    assert [e.label for e in at.expander] == ["Not mapped yet: the flood of ng-second"]
    at.button(key="flood_run").click()
    finish_jobs(at)
    assert not at.exception and not at.error, (at.exception, at.error)
    assert not at.expander  # both mapped
    assert len(at.selectbox(key="flood_event").options) == 2


def replace_with_dem(folder) -> None:
    """Rebuild area ng-chip with a DEM: a plain sloping up to the east over the chip's
    ground (EPSG:4326, metres), as a user adding the terrain later would."""
    from affine import Affine

    from paii_core import io, store
    from paii_core.areas import add_area_from_items
    from paii_core.config import paths

    with rasterio.open(NIGERIA_CHIP) as src:
        left, top, (dx, dy) = src.bounds.left, src.bounds.top, src.res
    _, xx = np.mgrid[:200, :200]
    dem = io.write_dem(folder / "dem.tif", 120.0 + 0.05 * xx, crs="EPSG:4326",
                       transform=Affine(dx * 2.6, 0, left, 0, -dy * 2.6, top))  # fmt: skip
    con = store.connect(paths().database)
    try:
        add_area_from_items(con, "ng-chip", region_id="ng", s2=[], s1=[nigeria_chip(folder)],
                            dem=dem, flood_dates=[date.fromisoformat(NIGERIA_DAY)],
                            replace=True)  # fmt: skip
    finally:
        con.close()


def test_pages_that_need_sentinel2_say_so(tmp_path, monkeypatch):
    real_sar_area(tmp_path, monkeypatch)
    crops = _page("crop_labels_page.py")
    said = [i.value for i in crops.info if i.value.startswith("No crop labels here yet: ")]
    assert said and SAR_ONLY in said[0] and "Add 4 more" not in said[0], said
    # The Data page's form is named beside the command, and the sentence does not end in
    # "ITEM....": the page's full stop after the command's "ITEM..." (QA session 18).
    assert said[0].endswith('"Add an area" with the same id, its Sentinel-1 files too, and '
                            "Replace ticked.") and "...." not in said[0], said  # fmt: skip
    imagery = _page("imagery_page.py")
    note = next(i.value for i in imagery.info if "ng-chip has no Sentinel-2 date" in i.value)
    assert note == (
        "Area ng-chip has no Sentinel-2 date: add its dates with the Data page's form "
        '"Add an area from your Sentinel-2 or Sentinel-1 files" with the same id and '
        '"Replace the area if it exists" ticked, or `paii area add ng-chip --replace --s2 '
        "ITEM...` on the server."
    )
    esg = _page("imagery_page.py", "esg_analyst")  # a role without the area form
    note = next(i.value for i in esg.info if "ng-chip has no Sentinel-2 date" in i.value)
    assert note.endswith(
        "on the server (an account that may add areas can use the Data page's form "
        '"Add an area from your Sentinel-2 or Sentinel-1 files" with the same id and '
        '"Replace the area if it exists" ticked).'
    )
    data = data_page_app("ng")
    assert not data.exception, data.exception
    areas = next(d.value for d in data.dataframe if "area" in d.value.columns)
    assert areas["sensors"].tolist() == ["S1"] and areas["dates"].tolist() == [0]
    assert any(w.value.startswith(SAR_ONLY) for w in data.warning)
    assert "- ng-chip (S1, flood)" in data.sidebar.caption[0].value  # not "0 dates"


def test_the_form_adds_a_sentinel1_only_area(tmp_path, monkeypatch):
    real_sar_area(tmp_path, monkeypatch, add=False)
    (tmp_path / "upload").mkdir()
    chip = nigeria_chip(tmp_path / "upload")
    at = data_page_app("ng")
    at.file_uploader(key="area_s1_0").set_value([(chip.name, chip.read_bytes(), "image/tiff")])
    at.text_input(key="area_new_id_0").set_value("ng-upload")
    at.text_input(key="area_new_floods_0").set_value("2018-09-22")  # a wrong date first
    at.run()
    at.button(key="area_add").click()
    finish_jobs(at)
    assert not at.exception, at.exception
    wrong = [e.value for e in at.error]
    assert wrong and wrong[0].startswith("Area not added. Flood date 2018-09-22 is no "
                                         f"Sentinel-1 date of the area (its Sentinel-1 dates: "
                                         f"{NIGERIA_DAY})"), wrong  # fmt: skip
    at.text_input(key="area_new_floods_0").set_value(NIGERIA_DAY)
    at.run()
    at.button(key="area_add").click()
    finish_jobs(at)
    assert not at.exception and not at.error, (at.exception, at.error)
    done = [s.value for s in at.success]
    assert done and done[0].startswith("Area ng-upload added to region ng"), done
    assert "no Sentinel-2, 1 Sentinel-1 date" in done[0] and "open it on Flood" in done[0]
