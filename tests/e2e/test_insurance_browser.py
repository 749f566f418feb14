"""The Insurance page in a real browser: portfolio table, a policy's plot on its imagery,
a decision recorded through the form."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from tests.e2e.conftest import ARTIFACTS, open_page

pytestmark = pytest.mark.e2e


def test_insurance_review_and_decision(page, streamlit_server):
    failed = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    open_page(page, streamlit_server, "Insurance")
    page.get_by_text("Portfolio review CSV").first.wait_for(timeout=120_000)
    page.get_by_text("Evidence").first.wait_for()
    assert page.get_by_text("simulated").first.is_visible()
    page.screenshot(path=str(ARTIFACTS / "insurance.png"))
    canvas = page.get_by_test_id("stDeckGlJsonChart").locator("canvas").first
    canvas.scroll_into_view_if_needed()
    canvas.wait_for(state="visible")
    page.wait_for_timeout(3000)  # deck.gl draws after the images are decoded
    shot = canvas.screenshot()
    page.screenshot(path=str(ARTIFACTS / "insurance_evidence.png"))
    pixels = np.asarray(Image.open(io.BytesIO(shot)).convert("RGB")).reshape(-1, 3).astype(int)
    assert len(np.unique(pixels // 8, axis=0)) > 10, "the plot map canvas is blank"
    red = (pixels[:, 0] > 180) & (pixels[:, 1] < 80) & (pixels[:, 2] < 100)
    assert red.mean() > 0.001, "the insured plot's red outline is not drawn"

    page.get_by_text("refer", exact=True).click()
    page.get_by_label("Note").fill("send a loss adjuster")
    page.get_by_role("button", name="Record decision").click()
    page.get_by_text("Recorded decision").first.wait_for(timeout=60_000)
    page.get_by_text("1 decision(s) on").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "insurance_decision.png"))

    page.get_by_role("button", name="Build review report (PDF)").click()
    button = page.get_by_role("button", name="Download review report")
    button.wait_for(timeout=240_000)
    with page.expect_download(timeout=60_000) as download:
        button.click()
    pdf = download.value
    assert pdf.suggested_filename.endswith("_SIMULATED.pdf")
    with open(pdf.path(), "rb") as f:
        assert f.read(5) == b"%PDF-"
    external = [u for u in failed if not u.startswith(streamlit_server)]
    assert not external, f"requests left the machine: {external[:3]}"
