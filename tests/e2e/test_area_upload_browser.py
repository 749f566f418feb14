"""The Data page's "Add an area" in a real browser: a user's real Sentinel-2 band files
uploaded, the add run in the background with its progress, the area listed when done.

AppTest runs a page's script on demand only; here the progress fragment reruns itself
every second (st.fragment(run_every=...)) as it does for a user, and its end reruns the
whole page.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import rasterio

from tests.app.regions import SLOVENIA_L1C, real_area_with_dates
from tests.e2e.conftest import ARTIFACTS, CHROMIUM_ARGS, serve, sign_in
from tests.e2e.server import add_users

pytestmark = pytest.mark.e2e

DAYS = ("20150711", "20150830")  # two dates: 26 files (the form groups them by date)


def _band_files(folder: Path) -> list[str]:
    """The real L1C dates of the Slovenian patch as one GeoTIFF per band, as a
    band-per-file download (date and band in each name, level and offset in the tags)."""
    files = []
    for day in DAYS:
        with rasterio.open(SLOVENIA_L1C / f"S2_L1C_{day}_13band.tif") as src:
            profile, tags = src.profile | {"count": 1}, src.tags()
            for i, band in enumerate(src.descriptions, 1):
                path = folder / f"S2_L1C_{day}_{band}.tif"
                with rasterio.open(path, "w", **profile) as dst:
                    dst.write(src.read(i), 1)
                    dst.update_tags(**tags)
                files.append(str(path))
    return files


def test_an_area_added_from_band_files_in_the_background(chromium_path, tmp_path, monkeypatch):
    from playwright.sync_api import sync_playwright

    data = real_area_with_dates(tmp_path, monkeypatch, [])
    add_users(data)
    (tmp_path / "bands").mkdir()
    files = _band_files(tmp_path / "bands")
    with serve(data, "area_upload.log") as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1400})
        page.set_default_timeout(60_000)
        try:
            sign_in(page, url)
            page.get_by_test_id("stSidebar").get_by_role("link", name="Data").click()
            form = page.get_by_test_id("stFileUploader").filter(has_text="Sentinel-2 files")
            form.first.locator("input[type=file]").set_input_files(files)
            form.first.get_by_text("B01.tif").first.wait_for()  # names shown shortened
            page.get_by_label("Area id").fill("si-bands")
            page.get_by_label("Area id").press("Tab")
            page.get_by_role("button", name="Add area").click()
            done = page.get_by_text("Area si-bands added to region si")
            done.wait_for(timeout=180_000)  # no reload: the fragment noticed the end
            text = done.first.inner_text()
            assert "2 Sentinel-2 dates 2015-07-11 .. 2015-08-30" in text, text
            assert f"from 26 files, S2_L1C_{DAYS[0]}_B01.tif .. " in text, text
            sidebar = page.get_by_test_id("stSidebar")
            sidebar.get_by_text("si-bands (S2, 2 dates)").wait_for()
            assert sidebar.get_by_text("Under way:").count() == 0
            assert page.get_by_test_id("stException").count() == 0
        finally:
            page.screenshot(path=str(ARTIFACTS / "area_upload.png"), full_page=True)
            browser.close()
