"""AppTest of the Flood page: the demo event mapped on a button, its map, counties, policies,
SAR before/after, exports, and uploads that fail with a clear error."""

from __future__ import annotations

import json
from datetime import date

import pytest
from affine import Affine
from streamlit.testing.v1 import AppTest

from paii_core import io, store
from paii_core.flood.water import METHOD_TEXT
from paii_core.store import flood as flood_store
from tests.app.charts import county_maps
from tests.conftest import REPO, finish_jobs, sign_in_app

PAGE = str(REPO / "views" / "flood_page.py")


def _page(region: str, role: str = "underwriter") -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    sign_in_app(at, role)
    at.session_state["region_id"] = region
    at.session_state["asof"] = date(2020, 10, 31)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture(scope="module")
def mapped(tiny_world):
    """The Hubei page after its button mapped and stored the demo flood."""
    con = store.connect(tiny_world / "paii.duckdb")
    try:
        con.execute("DELETE FROM flood_events")
    finally:
        con.close()
    at = _page("hubei")
    assert at.button(key="flood_run").label == "Map the demo flood"
    at.button(key="flood_run").click()
    finish_jobs(at)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def _decks(at: AppTest) -> dict[str, dict]:
    specs = [json.loads(d.proto.json) for d in at.get("deck_gl_json_chart")]
    return {layer["id"]: layer for spec in specs for layer in spec["layers"]}


def test_button_stores_the_event_and_the_page_draws_it(mapped, tiny_world):
    con = store.connect(tiny_world / "paii.duckdb")
    try:
        events = flood_store.events(con, "hubei")
    finally:
        con.close()
    assert len(events) == 1 and bool(events["simulated"].iloc[0])
    assert mapped.title[0].value == "Flood"
    assert any("simulated" in i.value for i in mapped.info)
    layers = _decks(mapped)
    assert layers["flood"]["@@type"] == "BitmapLayer"
    assert layers["flood"]["image"].startswith("data:image/png;base64,")
    west, south, east, north = layers["flood"]["bounds"]
    assert 111 < west < east < 115 and 28 < south < north < 31  # Jianli, Hubei
    counties = county_maps(mapped)[0]
    assert counties["counties"]  # the flooded county has a value
    assert counties["counties-missing"]  # the rest are grey
    assert float(mapped.metric[0].value.split()[0].replace(",", "")) > 0


def test_policies_table_sar_date_slider_and_exports(mapped, tiny_world):
    frame = mapped.dataframe[0].value
    assert list(frame.columns) == [
        "policy_id",
        "insured",
        "declared_crop",
        "peak_flooded_share",
        "days_flooded",
    ]
    assert len(frame) > 0 and frame["peak_flooded_share"].between(0, 100).all()
    assert frame["days_flooded"].max() > 0 and frame["insured"].notna().all()
    captions = [c for img in mapped.get("image") for c in img.captions]
    assert captions == ["Before: VV (dB)", "After: VV (dB)"]
    labels = [b.proto.label for b in mapped.get("download_button")]
    assert labels[0].startswith("Flood polygons GeoJSON") and labels[1] == "Mask + depth GeoTIFF"
    manifest = json.loads((tiny_world / "demo" / "MANIFEST.json").read_text())
    aoi = next(a for a in manifest["aois"] if a["aoi_id"] == "hubei-jianli")
    first = next(date.fromisoformat(s["date"]) for s in aoi["s1"] if s["flood_event"])
    slider = mapped.select_slider(key="flood_date")
    assert slider.value != first  # the page opens on the date of widest flooding
    first_image = _decks(mapped)["flood"]["image"]
    slider.set_value(first).run()
    assert not mapped.exception, mapped.exception
    assert _decks(mapped)["flood"]["image"] != first_image


def test_the_simulated_notice_names_policies_only_to_a_role_that_sees_them(mapped):
    underwriter = " ".join(i.value for i in mapped.info).lower()
    assert "policies" in underwriter and "flood events" in underwriter
    analyst = " ".join(i.value for i in _page("hubei", "esg_analyst").info)
    assert "Flood events of this region are simulated" in analyst
    assert "polic" not in analyst.lower()


def test_other_region_without_flood_says_so_and_offers_the_flooded_one(tiny_world):
    at = _page("iowa")
    (note,) = [i.value for i in at.info if "No flood event" in i.value]
    assert "**Upload files** above" in note and "or open another region's flood below" in note
    go = at.button(key="flood_goto_hubei")
    assert go.label == "Show the flood in Hubei (CN)"
    go.click().run()
    assert not at.exception, at.exception
    assert at.session_state["region_id"] == "hubei"
    assert not any("No flood event" in i.value for i in at.info)


def test_bad_uploads_show_an_error(tiny_world, tmp_path):
    at = _page("hubei")
    at.radio(key="flood_src").set_value("Upload files").run()
    assert at.button(key="flood_upload_run").disabled
    manifest = json.loads((tiny_world / "demo" / "MANIFEST.json").read_text())
    aoi = next(a for a in manifest["aois"] if a["aoi_id"] == "hubei-jianli")
    day = next(s["date"] for s in aoi["s1"] if s["flood_event"]).replace("-", "")
    post = tiny_world / "demo/hubei-jianli/s1" / f"S1_hubei-jianli_{day}_sigma0.tif"
    dem = io.read_dem(tiny_world / "demo/hubei-jianli/dem/DEM_hubei-jianli.tif")
    far = tmp_path / "far.tif"
    io.write_dem(
        far, dem.data[0], crs=dem.crs, transform=Affine.translation(5e5, 0) @ dem.transform
    )
    at.file_uploader(key="flood_post").set_value(("post.tif", post.read_bytes(), "image/tiff"))
    at.file_uploader(key="flood_dem").set_value(("far.tif", far.read_bytes(), "image/tiff"))
    at.run()
    at.button(key="flood_upload_run").click().run()
    assert not at.exception, at.exception
    assert any("does not overlap" in e.value for e in at.error)
    assert not _decks(at)
    junk = b"not a GeoTIFF at all"
    at.file_uploader(key="flood_dem").set_value(("junk.tif", junk, "image/tiff"))
    at.run()
    at.button(key="flood_upload_run").click().run()
    assert not at.exception, at.exception
    (error,) = [e.value for e in at.error]
    assert error.startswith("junk.tif (dem): ") and "paii_flood_upload_" not in error


def test_good_upload_maps_the_flood(tiny_world):
    at = _page("hubei")
    at.radio(key="flood_src").set_value("Upload files").run()
    manifest = json.loads((tiny_world / "demo" / "MANIFEST.json").read_text())
    aoi = next(a for a in manifest["aois"] if a["aoi_id"] == "hubei-jianli")
    day = [s["date"] for s in aoi["s1"] if s["flood_event"]][2].replace("-", "")
    post = tiny_world / "demo/hubei-jianli/s1" / f"S1_hubei-jianli_{day}_sigma0.tif"
    dem = tiny_world / "demo/hubei-jianli/dem/DEM_hubei-jianli.tif"
    at.file_uploader(key="flood_post").set_value(("post.tif", post.read_bytes(), "image/tiff"))
    at.file_uploader(key="flood_dem").set_value(("dem.tif", dem.read_bytes(), "image/tiff"))
    at.run()
    at.button(key="flood_upload_run").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert _decks(at)["flood"]["@@type"] == "BitmapLayer"
    assert float(at.metric[0].value.split()[0].replace(",", "")) > 0
    # the threshold and what its method means are on the page, not in a hidden tooltip
    rule = next(c.value for c in at.caption if c.value.startswith("Water threshold"))
    assert any(f"{m} ({text})" in rule for m, text in METHOD_TEXT.items()), rule


def test_upload_without_dem_maps_water_and_says_there_was_no_terrain(tiny_world):
    at = _page("hubei")
    at.radio(key="flood_src").set_value("Upload files").run()
    manifest = json.loads((tiny_world / "demo" / "MANIFEST.json").read_text())
    aoi = next(a for a in manifest["aois"] if a["aoi_id"] == "hubei-jianli")
    day = [s["date"] for s in aoi["s1"] if s["flood_event"]][2].replace("-", "")
    post = tiny_world / "demo/hubei-jianli/s1" / f"S1_hubei-jianli_{day}_sigma0.tif"
    at.file_uploader(key="flood_post").set_value(("post.tif", post.read_bytes(), "image/tiff"))
    at.run()
    assert not at.button(key="flood_upload_run").disabled
    at.button(key="flood_upload_run").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert any("No DEM" in w.value for w in at.warning)
    # no depth legend (0..3 m) over water whose depth nobody knows
    assert not any("Water depth" in m.value for m in at.markdown)
    assert any(c.value == "Blue: water. No depth scale: depth needs a DEM." for c in at.caption)
    assert _decks(at)["flood"]["@@type"] == "BitmapLayer"


def test_upload_of_a_real_chip_in_degrees_reports_its_area_in_km2(tiny_world):
    """The real Sen1Floods11 USA_905409 chip (EPSG:4326, Kansas, 16 % water by its hand
    label): the page said 'Flooded 0.00 km²' (degrees times degrees)."""
    chip = REPO / "data/real/sen1floods11_handlabeled/USA_905409_S1Hand.tif"
    at = _page("hubei")
    at.radio(key="flood_src").set_value("Upload files").run()
    at.file_uploader(key="flood_post").set_value((chip.name, chip.read_bytes(), "image/tiff"))
    at.run()
    at.button(key="flood_upload_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    km2 = float(at.metric[0].value.split()[0].replace(",", ""))
    assert 1.0 < km2 < 8.0, at.metric[0].value  # of a 20.4 km² chip
    assert any(c.value == f"{chip.name} was read as dB (decibels)." for c in at.caption)


def test_upload_says_a_linear_chip_was_read_as_linear_power(tiny_world, tmp_path):
    """The same real chip in linear power: mapped alike, and the page says how it read it."""
    import rasterio

    chip = REPO / "data/real/sen1floods11_handlabeled/USA_905409_S1Hand.tif"
    linear = tmp_path / "USA_905409_linear.tif"
    with rasterio.open(chip) as src:
        profile, db, names = src.profile, src.read(), src.descriptions
    with rasterio.open(linear, "w", **profile) as dst:
        dst.write((10 ** (db / 10)).astype("float32"))
        dst.descriptions = names
    at = _page("hubei")
    at.radio(key="flood_src").set_value("Upload files").run()
    at.file_uploader(key="flood_post").set_value((linear.name, linear.read_bytes(), "image/tiff"))
    at.run()
    at.button(key="flood_upload_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    expected = f"{linear.name} was read as linear power, converted to dB."
    assert any(c.value == expected for c in at.caption), [c.value for c in at.caption]
    # The same scene as downloaded from ASF (HyP3 RTC): a zip of one GeoTIFF per
    # polarisation, read in place; the same flooded area.
    import zipfile

    rtc = tmp_path / "S1A_IW_20190531T000000_DVP_RTC10_G_gpuned_0A1B.zip"
    with zipfile.ZipFile(rtc, "w") as z:
        for i, pol in enumerate(("VV", "VH"), 1):
            part = tmp_path / f"{rtc.stem}_{pol}.tif"
            with rasterio.open(part, "w", **profile | {"count": 1}) as dst:
                dst.write((10 ** (db[i - 1] / 10)).astype("float32"), 1)
            z.write(part, f"{rtc.stem}/{part.name}")
    flooded = at.metric[0].value
    at.file_uploader(key="flood_post").set_value((rtc.name, rtc.read_bytes(), "application/zip"))
    at.run()
    at.button(key="flood_upload_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.metric[0].value == flooded


def test_viewing_the_policies_hit_is_audited_for_an_underwriter_only(mapped, tiny_world):
    """The Flood page lists insured names; before, only the Insurance page's evidence
    views were in the audit trail."""
    analyst = _page("hubei", "esg_analyst")
    assert not any(s.value == "Policies hit" for s in analyst.subheader)
    con = store.connect(tiny_world / "paii.duckdb")
    try:
        rows = con.execute(
            "SELECT actor, entity_id, detail FROM audit WHERE action = 'view flood policy hits'"
        ).fetchall()
        event_id = flood_store.events(con, "hubei")["event_id"].iloc[0]
    finally:
        con.close()
    assert any(s.value == "Policies hit" for s in mapped.subheader)
    # Once per session (each AppTest here is a session), never for the analyst.
    assert rows and {r[:2] for r in rows} == {("underwriter", event_id)}
    assert all('"policies": ' in r[2] for r in rows)


def test_upload_tells_open_water_from_flood_and_says_when_there_is_no_pre_image(tiny_world):
    """A real Sen1Floods11 chip (Nigeria_812045, a river about half the chip): without a
    pre-event image the page said "Flooded 12.96 km²" with no word that the river counts;
    with the same chip as its own pre-event image (no change at all) it said "Flooded
    0.45 km²" and no more. Now open water and flood are both shown, and a missing
    pre-event image is named with what it means."""
    chip = REPO / "data/real/sen1floods11_dev/Nigeria_812045_S1Hand.tif"
    at = _page("hubei")
    at.radio(key="flood_src").set_value("Upload files").run()
    at.file_uploader(key="flood_post").set_value((chip.name, chip.read_bytes(), "image/tiff"))
    at.run()
    at.button(key="flood_upload_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    metrics = {m.label: float(m.value.split()[0]) for m in at.metric}
    assert metrics["Open water"] == metrics["Flooded"] > 10
    assert any(c.value.startswith("No pre-event image: all open water") for c in at.caption)
    at.file_uploader(key="flood_pre").set_value((chip.name, chip.read_bytes(), "image/tiff"))
    at.run()
    at.button(key="flood_upload_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    metrics = {m.label: float(m.value.split()[0]) for m in at.metric}
    assert metrics["Flooded"] < 0.1 * metrics["Open water"]
    assert not any(c.value.startswith("No pre-event image") for c in at.caption)
