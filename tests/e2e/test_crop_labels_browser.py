"""The Crop labels page in a real browser: RGB picture and parcels drawn, not a blank canvas."""

from __future__ import annotations

import numpy as np
import pytest

from tests.e2e.conftest import ARTIFACTS, map_pixels, sign_in

pytestmark = pytest.mark.e2e


def test_crop_labels_map_renders(page, streamlit_server):
    sign_in(page, streamlit_server, path="crop-labels")
    button = page.get_by_role("button", name="Map cropland and parcels")
    title = page.get_by_text("Held-out precision and recall")
    try:
        button.or_(title).first.wait_for(timeout=120_000)
        if button.count():
            button.click()
        title.first.wait_for(timeout=180_000)
    finally:
        page.screenshot(path=str(ARTIFACTS / "crop_labels.png"), full_page=True)
    pixels = map_pixels(page, "crop_labels")
    assert len(np.unique(pixels // 8, axis=0)) > 20, "the map canvas is blank"
    assert page.get_by_text("simulated field-survey points").first.is_visible()
    # deck.gl reports a layer it cannot build as an error box in place of the map
    assert page.get_by_text("Error:").count() == 0, "the map reported an error"
    assert page.get_by_test_id("stException").count() == 0
