"""The Home page in a real browser: the county map's canvas renders counties, not a blank."""

from __future__ import annotations

import numpy as np
import pytest

from tests.e2e.conftest import map_pixels, sign_in

pytestmark = pytest.mark.e2e


def test_home_map_renders_counties(page, streamlit_server):
    failed = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    sign_in(page, streamlit_server)
    page.get_by_text("county overview").first.wait_for()
    pixels = map_pixels(page, "home")
    distinct = len(np.unique(pixels // 8, axis=0))
    assert distinct > 20, "the map canvas is blank"
    # The choropleth ramp is green-blue: a fair share of the canvas must be coloured.
    coloured = np.mean(np.ptp(pixels.astype(int), axis=1) > 40)
    assert coloured > 0.05
    assert page.get_by_text("simulated").first.is_visible()
    external = [u for u in failed if not u.startswith(streamlit_server)]
    assert not external, f"requests left the machine: {external[:3]}"
