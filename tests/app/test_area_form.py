"""AppTest of the Data page's "Add an area" form: a user's real Sentinel-2 L1C files
(data/real/slovenia_s2_l1c_13band) become an area through the dashboard's own store."""

from __future__ import annotations

import json
import threading
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from streamlit.testing.v1 import AppTest

from paii_core import workspace
from paii_core.areas import grid as area_grid
from paii_core.workspace.layout import WORKSPACE_DIR
from tests.app.regions import SLOVENIA_L1C, real_area_with_dates
from tests.conftest import REPO, data_page_app, finish_jobs
from ui import common
from ui.area_form import AREA_FORM_TITLE, UPLOADS_DIR

BANDS13 = [*(f"B{i:02d}" for i in range(1, 13)), "B8A"]  # sorted as the source lists them


def _tif(day: str, kind: str = "S2_L1C", suffix: str = "13band") -> tuple[str, bytes, str]:
    path = SLOVENIA_L1C / f"{kind}_{day}_{suffix}.tif"
    return (path.name, path.read_bytes(), "image/tiff")


@pytest.fixture()
def si_region(tmp_path, monkeypatch):
    """Region 'si' (the real Slovenian patch) with no area, and region 'al' (five real
    Alabama counties) beside it, in a fresh data folder."""
    folder = real_area_with_dates(tmp_path, monkeypatch, [])
    from paii_core import store

    counties = gpd.read_parquet(REPO / "data" / "boundaries" / "us_counties_all.parquet")
    counties[counties["county_id"].str.startswith("01")].iloc[:5].to_file(tmp_path / "al.geojson")
    con = store.connect(folder / "paii.duckdb")
    try:
        workspace.add_region(con, "al", tmp_path / "al.geojson", country="US",
                             yield_unit="bu/acre", name="AL five")  # fmt: skip
    finally:
        con.close()
    return folder


def _data_app(role: str = "underwriter") -> AppTest:
    return data_page_app("si", role)


def _add(
    at: AppTest, files: list, aoi: str, *, region: str | None = None, n: int = 0, **fields
) -> AppTest:
    """Fill the form (``n``: how many areas it has added in the session) and press Add."""
    at.file_uploader(key=f"area_s2_{n}").set_value(files)
    at.text_input(key=f"area_new_id_{n}").set_value(aoi)
    if region:
        at.selectbox(key="area_new_region").set_value(region)
    if "bbox" in fields:
        at.text_input(key=f"area_new_bbox_{n}").set_value(fields["bbox"])
    if fields.get("replace"):
        at.checkbox(key=f"area_new_replace_{n}").check()
    at.run()
    at.button(key="area_add").click()
    return finish_jobs(at)


def _nothing_left(folder) -> None:
    """No upload copy, no half-made area folder."""
    uploads = folder / WORKSPACE_DIR / UPLOADS_DIR
    assert not uploads.exists() or not any(uploads.iterdir())
    assert not [p for p in (folder / WORKSPACE_DIR).glob(".*") if p.name != UPLOADS_DIR]


def test_an_underwriter_adds_an_area_from_real_l1c_files(si_region):
    at = _data_app()
    assert not at.exception, at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "or from your Sentinel-2 or Sentinel-1 files below" in text
    assert (
        at.expander[-1].label
        == AREA_FORM_TITLE
        == ("Add an area from your Sentinel-2 or Sentinel-1 files")
    )
    at = _add(at, [_tif("20150711"), _tif("20150830")], "si-two")
    assert not at.exception and not at.error, [e.value for e in at.error]
    done = at.success[0].value
    assert done.startswith("Area si-two added to region si (county 00001): 99 x 100 px"), done
    assert "2 Sentinel-2 dates 2015-07-11 .. 2015-08-30" in done
    assert "from S2_L1C_20150711_13band.tif, S2_L1C_20150830_13band.tif" in done
    # listed without a restart: the sidebar's areas, the Areas table, the season notice
    listed = next(c.value for c in at.sidebar.caption if c.value.startswith("Areas:"))
    assert "- si-two (S2, 2 dates)" in listed
    areas = next(d.value for d in at.dataframe if "area" in d.value.columns)
    assert areas["area"].tolist() == ["si-two"] and areas["provenance"].tolist() == ["observed"]
    assert areas["source"].tolist() == ["Data page upload by underwriter"]
    assert any(w.value.startswith("area si-two has 2 Sentinel-2 dates;") for w in at.warning)
    # the records name the uploaded files, whose temporary copies are gone
    con = common.connection()
    rows = con.execute(
        "SELECT details FROM products WHERE aoi_id = 'si-two' ORDER BY acquired"
    ).fetchall()
    details = [json.loads(d) for (d,) in rows]
    assert [d["sources"] for d in details] == [
        ["S2_L1C_20150711_13band.tif"],
        ["S2_L1C_20150830_13band.tif"],
    ]
    assert sorted(p.name for p in (si_region / WORKSPACE_DIR / "si-two" / "s2").iterdir()) == [
        "S2_si-two_20150711_L1C.tif", "S2_si-two_20150711_SCL.tif",
        "S2_si-two_20150830_L1C.tif", "S2_si-two_20150830_SCL.tif",
    ]  # fmt: skip
    _nothing_left(si_region)
    # the form is empty again: the next area does not start with these two files
    assert not at.file_uploader(key="area_s2_1").value
    assert at.text_input(key="area_new_id_1").value == ""


def _band_files(day: str, tmp_path) -> list[tuple[str, bytes, str]]:
    """The real 13-band L1C stack of ``day`` as one GeoTIFF per band, named and tagged as
    a band-per-file download (``S2_L1C_20150711_B02.tif``: date and band in the name,
    level and offset in the tags)."""
    with rasterio.open(SLOVENIA_L1C / f"S2_L1C_{day}_13band.tif") as src:
        profile, tags = src.profile | {"count": 1}, src.tags()
        files = []
        for i, band in enumerate(src.descriptions, 1):
            path = tmp_path / f"S2_L1C_{day}_{band}.tif"
            with rasterio.open(path, "w", **profile) as dst:
                dst.write(src.read(i), 1)
                dst.update_tags(**tags)
            files.append((path.name, path.read_bytes(), "image/tiff"))
    return files


def test_band_per_file_uploads_make_the_same_area_as_stacks(si_region, tmp_path):
    """Two dates' 26 band files in one upload: grouped by date into the same two scenes,
    the same pixels as from the stacks, the records naming each date's files."""
    at = _add(
        _data_app(),
        [*_band_files("20150711", tmp_path), *_band_files("20150830", tmp_path)],
        "si-bands",
    )
    assert not at.exception and not at.error, [e.value for e in at.error]
    done = at.success[0].value
    assert "2 Sentinel-2 dates 2015-07-11 .. 2015-08-30" in done, done
    assert "from 26 files, S2_L1C_20150711_B01.tif .. S2_L1C_20150830_B12.tif." in done, done
    at = _add(at, [_tif("20150711"), _tif("20150830")], "si-stacks", n=1)
    assert not at.exception and not at.error, [e.value for e in at.error]
    con = common.connection()
    rows = con.execute(
        "SELECT details FROM products WHERE aoi_id = 'si-bands' ORDER BY acquired"
    ).fetchall()
    sources = [json.loads(d)["sources"] for (d,) in rows]
    assert sources[0] == [" + ".join(f"S2_L1C_20150711_{b}.tif" for b in BANDS13)], sources
    area = si_region / WORKSPACE_DIR
    for day in ("20150711", "20150830"):
        with rasterio.open(area / "si-bands" / "s2" / f"S2_si-bands_{day}_L1C.tif") as a:
            with rasterio.open(area / "si-stacks" / "s2" / f"S2_si-stacks_{day}_L1C.tif") as b:
                np.testing.assert_array_equal(a.read(), b.read())
                assert a.transform == b.transform
    _nothing_left(si_region)


def _zipped_safe(day: str, tmp_path) -> tuple[str, bytes, str]:
    """The real 13-band L1C stack of ``day`` as a zipped .SAFE, as Copernicus Data Space
    serves a product: MTD_MSIL1C.xml (baseline 02.04, no offset) and one lossless JPEG2000
    per band under GRANULE/*/IMG_DATA, the .SAFE folder at the zip's root."""
    from datetime import date

    from tests.io.make_s2_items import _mtd

    stamp = f"{day}T101006"
    name = f"S2A_MSIL1C_{stamp}_N0204_R022_T33TVM_{stamp}"
    safe = tmp_path / f"{name}.SAFE"
    img = safe / "GRANULE" / f"L1C_T33TVM_A000162_{stamp}" / "IMG_DATA"
    img.mkdir(parents=True)
    (safe / "MTD_MSIL1C.xml").write_text(_mtd("L1C", date.fromisoformat(day), "02.04", 0.0))
    with rasterio.open(SLOVENIA_L1C / f"S2_L1C_{day}_13band.tif") as src:
        profile = {k: src.profile[k] for k in ("dtype", "width", "height", "crs", "transform")}
        profile |= {"driver": "JP2OpenJPEG", "count": 1, "QUALITY": 100, "REVERSIBLE": "YES"}
        for i, band in enumerate(src.descriptions, 1):
            with rasterio.open(img / f"T33TVM_{stamp}_{band}.jp2", "w", **profile) as dst:
                dst.write(src.read(i), 1)
    bundle = tmp_path / f"{name}.zip"
    with zipfile.ZipFile(bundle, "w") as z:
        for part in sorted(safe.rglob("*")):
            z.write(part, part.relative_to(tmp_path).as_posix())
    return (bundle.name, bundle.read_bytes(), "application/zip")


def test_a_products_zip_as_downloaded_makes_the_same_area_as_its_stack(si_region, tmp_path):
    """A zipped .SAFE uploaded as it was downloaded: read in place (nothing unpacked),
    the same pixels as from the stack, the records naming the zip's granule."""
    at = _add(_data_app(), [_zipped_safe("20150711", tmp_path)], "si-zip")
    assert not at.exception and not at.error, [e.value for e in at.error]
    done = at.success[0].value
    assert "1 Sentinel-2 date 2015-07-11" in done and "from S2A_MSIL1C_20150711T101006_" in done
    at = _add(at, [_tif("20150711")], "si-stack", n=1)
    assert not at.exception and not at.error, [e.value for e in at.error]
    (details,) = (
        common.connection()
        .execute("SELECT details FROM products WHERE aoi_id = 'si-zip'")
        .fetchone()
    )
    (source,) = json.loads(details)["sources"]
    assert source.startswith("S2A_MSIL1C_20150711T101006_N0204_R022_T33TVM_20150711T101006.zip/")
    assert source.endswith(".SAFE/GRANULE/L1C_T33TVM_A000162_20150711T101006"), source
    area = si_region / WORKSPACE_DIR
    with rasterio.open(area / "si-zip" / "s2" / "S2_si-zip_20150711_L1C.tif") as a:
        with rasterio.open(area / "si-stack" / "s2" / "S2_si-stack_20150711_L1C.tif") as b:
            np.testing.assert_array_equal(a.read(), b.read())
            assert a.transform == b.transform
    _nothing_left(si_region)


def test_bad_input_gets_the_engines_error_and_leaves_nothing(si_region, monkeypatch):
    at = _data_app()
    # a cloud mask is not a Sentinel-2 item
    at = _add(at, [_tif("20150711", "CLM", "eolearn")], "si-mask")
    assert not at.exception, at.exception
    message = at.error[0].value
    assert message.startswith("Area not added. CLM_20150711_eolearn.tif: has 1 band without"), (
        message
    )
    assert "/tmp" not in message and str(si_region) not in message
    # the region's one county is in Slovenia: Alabama's are nowhere near these files
    at = _add(at, [_tif("20150711")], "si-far", region="al")
    message = at.error[0].value
    assert "lies in no county of region 'al'; check Bounding box and Region" in message, message
    # a bounding box that is not four numbers
    at = _add(at, [_tif("20150711")], "si-box", region="si", bbox="14.0 46.3")
    assert "Bounding box '14.0 46.3' should be four numbers in degrees" in at.error[0].value
    # larger than an area may be
    monkeypatch.setattr(area_grid, "MAX_SIDE_PX", 50)
    at = _add(at, [_tif("20150711")], "si-big", bbox="")
    message = at.error[0].value
    assert "the area would be 99 x 100 px at 10 m, more than 50 px a side" in message, message
    assert "pass a Bounding box (WEST SOUTH EAST NORTH, degrees) of at most 20 km" in message
    assert "--" not in message  # options are named as the form's fields
    assert not workspace.list_areas(common.connection())
    _nothing_left(si_region)
    assert not (si_region / WORKSPACE_DIR / "si-big").exists()


def test_a_taken_name_is_refused_until_replace_is_ticked(si_region):
    at = _add(_data_app(), [_tif("20150731")], "si-patch")
    assert not at.error, [e.value for e in at.error]
    at = _add(at, [_tif("20150711"), _tif("20150820")], "si-patch", n=1)
    message = at.error[0].value
    assert message == (
        "Area not added. area 'si-patch' already exists; tick \"Replace the area if it "
        'exists", or choose another id'
    )
    assert workspace.get_area(common.connection(), "si-patch").n_dates == 1
    at = _add(at, [_tif("20150711"), _tif("20150820")], "si-patch", n=1, replace=True)
    assert not at.error, [e.value for e in at.error]
    assert workspace.get_area(common.connection(), "si-patch").n_dates == 2
    # the notice says the count as it is now, not the one-date notice of the first add
    gaps = [w.value for w in at.warning if w.value.startswith("area si-patch has")]
    assert len(gaps) == 1 and gaps[0].startswith("area si-patch has 2 Sentinel-2 dates;"), gaps
    _nothing_left(si_region)


@pytest.mark.parametrize("role", ["esg_analyst"])
def test_a_role_that_may_not_add_areas_sees_no_form(si_region, role):
    at = _data_app(role)
    assert not at.exception, at.exception
    assert not [u for u in at.get("file_uploader") if u.proto.id.find("area_s2") >= 0]
    assert AREA_FORM_TITLE not in [e.label for e in at.expander]
    text = " ".join(m.value for m in at.markdown)
    assert "No area yet: add one with `paii area add AOI --region si --s2 ...`." in text
    assert "files below" not in text


def test_the_add_runs_on_while_the_user_opens_other_pages(si_region, monkeypatch):
    """The add is a job of the dashboard process: while it runs the form shows its
    progress instead of "Add area"; the user opens Home and comes back to the outcome."""
    from ui import area_form, jobs

    gate = threading.Event()
    real_add = area_form.add_area_from_items

    def held(*args, progress, **kwargs):
        progress(0.05, "waiting for the test")
        assert gate.wait(120)
        return real_add(*args, progress=progress, **kwargs)

    monkeypatch.setattr(area_form, "add_area_from_items", held)
    at = _data_app()
    at.file_uploader(key="area_s2_0").set_value([_tif("20150711")])
    at.text_input(key="area_new_id_0").set_value("si-later")
    at.run()
    at.button(key="area_add").click()
    at.run()
    job = jobs.find(at.session_state["job:area_add"])
    while job.state()[1] != "waiting for the test":
        time.sleep(0.1)
    at.run()
    bars = at.get("progress")
    assert bars and bars[0].proto.text == "Adding area si-later: waiting for the test"
    assert not [b for b in at.button if b.key == "area_add"]
    at.switch_page("views/home.py").run()
    assert not at.exception, at.exception
    told = [c.value for c in at.sidebar.caption if c.value.startswith("Under way:")]
    assert told == ["Under way:\n- Adding area si-later: 5 %"], told
    gate.set()
    while not job.state()[2]:
        time.sleep(0.1)
    assert job.error is None, job.error
    at.switch_page("views/data_page.py")
    at = finish_jobs(at)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.success[0].value.startswith("Area si-later added to region si"), at.success
    assert workspace.get_area(common.connection(), "si-later").n_dates == 1
    _nothing_left(si_region)


def test_the_insurers_plots_come_with_the_area(si_region, tmp_path):
    """The real Slovenian register parcels (data/real/slovenia_lulc_parcels) numbered as
    plots and uploaded as a zipped shapefile become the area's plot registry; a file
    without plot ids is refused with the form's field named."""
    lulc = gpd.read_file(REPO / "data" / "real" / "slovenia_lulc_parcels" / "LULC.gpkg")
    lulc["plot_id"] = range(1, len(lulc) + 1)
    shp = tmp_path / "shp"
    shp.mkdir()
    lulc[["plot_id", "RABA_ID", "geometry"]].to_file(shp / "parcels.shp")
    bundle = tmp_path / "parcels.zip"
    with zipfile.ZipFile(bundle, "w") as z:
        for part in sorted(shp.iterdir()):
            z.write(part, part.name)
    lulc[["RABA_ID", "geometry"]].to_file(tmp_path / "no_ids.gpkg")

    def add(plots: Path, aoi: str, n: int) -> AppTest:
        at.file_uploader(key=f"area_plots_{n}").set_value(
            (plots.name, plots.read_bytes(), "application/octet-stream")
        )
        return _add(at, [_tif("20150711")], aoi, n=n)

    at = _data_app()
    at = add(tmp_path / "no_ids.gpkg", "si-plots", 0)
    message = at.error[0].value
    assert message.startswith("Area not added. no_ids.gpkg: has no plot_id column"), message
    at = add(bundle, "si-plots", 0)
    assert not at.exception and not at.error, [e.value for e in at.error]
    row = (
        common.connection()
        .execute("SELECT details FROM products WHERE aoi_id = 'si-plots' AND kind = 'plots'")
        .fetchone()
    )
    details = json.loads(row[0])
    assert details["source"] == "parcels.zip" and 70 <= details["n_plots"] <= len(
        lulc
    )  # 78: a few lie off the patch
    with rasterio.open(
        si_region / WORKSPACE_DIR / "si-plots" / "plots" / "si-plots_plots.tif"
    ) as r:
        assert r.descriptions == ("plot_id", "block_id") and r.read(1).max() <= len(lulc)
    _nothing_left(si_region)


def test_the_forms_region_follows_the_sidebar(si_region):
    """The Data page opened on one region, then the sidebar moved to the user's new region:
    the page said "Data: AL five" but the form's Region still offered the first one, and
    Add put the area there (or refused it as outside that region's counties)."""
    at = _data_app()
    assert at.selectbox(key="area_new_region").value == "si"
    at.session_state["region_id"] = "al"  # the sidebar's key
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="area_new_region").value == "al"
    # a region chosen in the form itself stays while the sidebar does not move
    at.selectbox(key="area_new_region").set_value("si").run()
    assert at.selectbox(key="area_new_region").value == "si"
