"""The Flood page in a real browser: the Hubei demo flood drawn as a depth map on deck.gl."""

from __future__ import annotations

import numpy as np
import pytest

from tests.e2e.conftest import ARTIFACTS, map_pixels, open_page

pytestmark = pytest.mark.e2e


def test_flood_map_renders_water(page, streamlit_server):
    failed = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    open_page(page, streamlit_server, "Flood", region="Hubei (CN)")
    page.get_by_text("Open water from Sentinel-1").first.wait_for()
    run = page.get_by_role("button", name="Map the demo flood")
    page.get_by_text("Policies hit").or_(run).first.wait_for(timeout=60_000)
    if run.count():
        run.click()
    page.get_by_text("Policies hit").first.wait_for(timeout=180_000)
    pixels = map_pixels(page, "flood")
    assert len(np.unique(pixels // 8, axis=0)) > 10, "the flood map canvas is blank"
    blue = (pixels[:, 2] > pixels[:, 0] + 40) & (pixels[:, 2] > pixels[:, 1])
    assert blue.mean() > 0.005, "no flood water drawn on the map"
    assert page.get_by_text("simulated").first.is_visible()
    page.get_by_text("Sentinel-1 before and after").first.scroll_into_view_if_needed()
    page.wait_for_timeout(2000)
    page.screenshot(path=str(ARTIFACTS / "flood_lower.png"))
    assert page.get_by_text("Before: VV (dB)").first.is_visible()
    external = [u for u in failed if not u.startswith(streamlit_server)]
    assert not external, f"requests left the machine: {external[:3]}"
