"""AppTest of the Imagery page: haze chart, enhancement on a button, cached results."""

from __future__ import annotations

import json
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.regions import world_with_new_region
from tests.conftest import REPO, sign_in_app

PAGE = str(REPO / "views" / "imagery_page.py")


@pytest.fixture()
def imagery(tiny_world):
    at = AppTest.from_file(PAGE, default_timeout=120)
    sign_in_app(at)
    at.session_state["region_id"] = "henan"
    at.session_state["asof"] = date(2020, 10, 31)
    at.run()
    assert not at.exception, at.exception
    return at


def test_haze_chart_and_simulated_note(imagery):
    assert imagery.title[0].value == "Imagery"
    assert any("simulated" in i.value for i in imagery.info)
    spec = json.loads(imagery.get("plotly_chart")[0].proto.spec)
    bars = spec["data"][0]
    assert len(bars["x"]) == 12 and max(bars["y"]) > 2 * min(bars["y"])
    # The haziest date is preselected.
    assert "haze" in imagery.selectbox(key="img_date").format_func(
        imagery.selectbox(key="img_date").value
    )


@pytest.mark.parametrize("task", ["Dehaze", "Super-resolve 4x"])
def test_enhance_shows_before_after_and_download(imagery, task):
    imagery.radio(key="img_task").set_value(task).run()
    assert not imagery.exception, imagery.exception
    imagery.button(key="img_run").click().run()
    assert not imagery.exception, imagery.exception
    assert not imagery.error
    images = imagery.get("image")
    assert len(images) >= 6  # input, baseline, model (+ truth), true colour and NDVI
    assert imagery.get("download_button")
    files = [c.value for c in imagery.caption if c.value.startswith("File: ")]
    assert files and files[0].startswith("File: simulated_") and ".tif" in files[0]
    imagery.button(key="img_run").click().run()
    assert any("cache" in c.value for c in imagery.caption)


@pytest.fixture()
def kansas_area(tmp_path, monkeypatch):
    """A user area ('kansas-harvey', observed, not demo) added from a generated STAC
    catalog to a fresh store holding only the Kansas region."""
    from paii_core import store
    from paii_core.areas import add_area_from_items
    from tests.areas.conftest import add_kansas, items

    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("PAII_DATA_DIR", str(data))
    catalog = items.write_stac(tmp_path / "items" / "stac", items.SEASON)
    con = store.connect(data / "paii.duckdb")
    try:
        add_kansas(con)
        add_area_from_items(con, "kansas-harvey", region_id="kansas", s2=[catalog])
    finally:
        con.close()
    return items


def test_user_area_lists_its_scenes(kansas_area):
    at = AppTest.from_file(PAGE, default_timeout=120)
    sign_in_app(at)
    at.session_state["region_id"] = "kansas"
    at.session_state["asof"] = date(2022, 10, 31)
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.selectbox(key="img_aoi").value == "kansas-harvey"
    dates = at.selectbox(key="img_date")
    assert len(dates.options) == len(kansas_area.SEASON)
    assert all(
        o.startswith(f"{d} (haze ") for o, d in zip(dates.options, kansas_area.SEASON, strict=True)
    )
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert len(spec["data"][0]["x"]) == len(kansas_area.SEASON)
    assert "τ550" not in at.get("plotly_chart")[0].proto.spec  # no demo truth here
    assert not any("simulated" in i.value for i in at.info)  # observed inputs
    at.button(key="img_run").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    files = [c.value for c in at.caption if c.value.startswith("File: ")]
    assert files and files[0].startswith("File: kansas-harvey_") and "simulated" not in files[0]


def test_thick_haze_layer_matches_the_downloaded_flag_band(imagery):
    import rasterio

    imagery.radio(key="img_task").set_value("Dehaze").run()
    imagery.button(key="img_run").click().run()
    assert not imagery.exception, imagery.exception
    layer = imagery.toggle(key="img_flags")
    layer.set_value(True).run()
    assert not imagery.exception, imagery.exception
    captions = [i.caption for el in imagery.get("image") for i in el.proto.imgs]
    note = [c for c in captions if c.startswith("Magenta: haze too thick")]
    assert len(note) == 1
    shown = float(note[0].split(", ")[1].split("%")[0]) / 100
    with rasterio.open(imagery.session_state["img_result"][1]["model"].path) as ds:
        assert ds.descriptions[4] == "THICK_HAZE"
        flags = ds.read(5)
    assert shown == pytest.approx(float((flags == 1).mean()), abs=6e-4)  # shown to 0.1 %
    images_on = len(imagery.get("image"))
    imagery.toggle(key="img_flags").set_value(False).run()
    assert len(imagery.get("image")) == images_on - 1


def test_a_landsat_stack_upload_says_how_to_make_a_bgrn_file(imagery):
    """The real Landsat 8 DN stack (bands described B2, B3, B4, B5): the page said only
    'stack bands B2, B3, B4, B8 or pass a mapping of per-band files', which a page user
    cannot do; it now names `paii reflectance` and the page stays usable."""
    stack = (
        REPO / "data/real/landsat8_oli_rio_tiler_sc/LC08_L1TP_016037_20170813_DN_B2_B3_B4_B5.tif"
    )
    imagery.radio(key="img_src").set_value("Upload a GeoTIFF").run()
    imagery.file_uploader(key="imagery_upload").set_value(
        (stack.name, stack.read_bytes(), "image/tiff")
    )
    imagery.run()
    assert not imagery.exception, imagery.exception
    assert imagery.error[0].value.startswith(f"{stack.name}: band descriptions")
    hint = " ".join(i.value for i in imagery.info)
    assert "paii reflectance LANDSAT_MTL.txt OUT.tif" in hint and "upload OUT.tif" in hint


def test_a_region_without_areas_says_the_areas_shown_are_other_regions(
    tiny_world, tmp_path, monkeypatch
):
    """A user's new region (real Kansas counties, no imagery yet): the page showed the
    demo's Henan area with no word that it belongs to another region."""
    world_with_new_region(tiny_world, tmp_path, monkeypatch, "ks-two", ["20045", "20059"])
    at = AppTest.from_file(PAGE, default_timeout=120)
    sign_in_app(at)
    at.session_state["region_id"] = "ks-two"
    at.run()
    assert not at.exception, at.exception
    note = at.info[0].value
    assert note.startswith("Region ks-two has no area yet: the areas below are other regions'")
    assert "paii area add AOI --region ks-two --s2" in note
    assert at.selectbox(key="img_aoi").value != ""  # the page still works on another area


def test_a_scene_smaller_than_the_window_is_super_resolved_whole(tmp_path, monkeypatch):
    """A real 99 x 100 px area (QA session 10): the page offered a "Window row" slider
    from 0 to 1, a square 99 px window being cut from the 100 px high scene."""
    from tests.app.regions import real_area_with_dates

    real_area_with_dates(tmp_path, monkeypatch, ["20150711", "20150830"])
    at = AppTest.from_file(PAGE, default_timeout=180)
    sign_in_app(at)
    at.session_state["region_id"] = "si"
    at.run()
    at.radio(key="img_task").set_value("Super-resolve 4x").run()
    assert not at.exception, at.exception
    assert not at.slider  # neither a row nor a column to choose
    assert not [m.value for m in at.markdown if "window SR runs on" in m.value]  # no stray text
    said = next(c.value for c in at.caption if c.value.startswith("SR runs on"))
    assert said.startswith("SR runs on the whole scene, 100 x 99 px (1.00 x 0.99 km)"), said
    at.button(key="img_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.get("download_button")
