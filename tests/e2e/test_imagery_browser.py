"""The Imagery page in a real browser: enhance a demo scene, reject a bad upload."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine

from paii_core.io import write_geotiff
from tests.e2e.conftest import ARTIFACTS, sign_in

pytestmark = pytest.mark.e2e


def test_enhance_demo_scene_and_reject_bad_upload(page, streamlit_server, tmp_path):
    sign_in(page, streamlit_server)
    page.get_by_text("county overview").first.wait_for(timeout=60_000)
    page.get_by_role("link", name="Imagery", exact=True).click()
    page.get_by_role("button", name="Enhance").wait_for(timeout=60_000)
    page.get_by_role("button", name="Enhance").click()
    page.get_by_text("NDVI Input").first.wait_for(timeout=120_000)
    page.wait_for_timeout(1000)
    page.screenshot(path=str(ARTIFACTS / "imagery.png"), full_page=True)
    assert page.locator("img").count() >= 6

    bad = write_geotiff(
        tmp_path / "rgb_only.tif",
        np.full((3, 16, 16), 0.1, np.float32),
        crs="EPSG:32650",
        transform=Affine(10, 0, 0, 0, -10, 0),
    )
    page.get_by_text("Upload a GeoTIFF").click()
    page.locator("input[type=file]").set_input_files(str(bad))
    page.get_by_text("has 3 bands, expected 4").wait_for(timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "imagery_bad_upload.png"), full_page=True)
