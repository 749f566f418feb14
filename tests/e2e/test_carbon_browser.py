"""The Carbon page in a real browser: compute from the sounding files, then the map draws."""

from __future__ import annotations

import numpy as np
import pytest

from tests.e2e.conftest import map_pixels, sign_in

pytestmark = pytest.mark.e2e


def test_carbon_compute_then_map_renders(page, streamlit_server):
    sign_in(page, streamlit_server, path="carbon")
    page.get_by_text("column CO2").first.wait_for()
    compute = page.get_by_role("button", name="Compute XCO2 from the sounding files")
    empty = page.get_by_text("No XCO2 results stored yet")
    ranking = page.get_by_text("Ranking by anomaly")
    # Wait until the page has said which it is (checking at once raced the page's render).
    empty.or_(ranking).first.wait_for(timeout=60_000)
    if empty.count():
        compute.click()
    ranking.wait_for(timeout=180_000)
    pixels = map_pixels(page, "carbon")
    assert len(np.unique(pixels // 8, axis=0)) > 20, "the map canvas is blank"
    assert np.mean(np.ptp(pixels.astype(int), axis=1) > 40) > 0.05, "no coloured counties"
    assert page.get_by_text("simulated").first.is_visible()
    assert page.get_by_role("button", name="Build PDF report").is_visible()
