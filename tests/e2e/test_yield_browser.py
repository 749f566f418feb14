"""The Yield page in a real browser: fit Hubei's forecasts, then the county map, the
P10..P90 chart and track record, and the forecasts CSV a user downloads."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from tests.e2e.conftest import ARTIFACTS, open_page
from ui.common import SIMULATED_NOTE

pytestmark = pytest.mark.e2e

TRACK_RECORD = "Track record: leave-one-year-out backtest"


def _screenshot_whole_page(page, path: Path) -> None:
    """Streamlit scrolls inside its main pane, so `full_page=True` alone captures one
    screen: grow the window to the pane's height first."""
    height = page.get_by_test_id("stMain").evaluate("e => e.scrollHeight")
    page.mouse.move(0, 0)  # no button tooltip left over the page
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 40, 12_000)})
    page.wait_for_timeout(2000)  # the charts re-lay out and redraw
    page.screenshot(path=str(path), full_page=True)


def test_yield_forecast_map_range_and_export(page, streamlit_server):
    failed = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    # Hubei: the tiny world's smallest panel, so the fit stays well inside the time limit.
    open_page(page, streamlit_server, "Yield", region="Hubei (CN)")
    page.get_by_text("county yield forecasts in season").first.wait_for()
    main = page.get_by_test_id("stMain")
    fit = page.get_by_role("button", name="Fit and forecast (with backtests)")
    stored = page.get_by_text(TRACK_RECORD)
    empty = page.get_by_text("No yield forecasts stored yet")
    stored.or_(empty).first.wait_for(timeout=60_000)
    if not stored.count():  # a fresh tiny world has no forecasts: fit them as a user would
        fit.click()
    stored.first.wait_for(timeout=180_000)
    page.get_by_text("Mean county accuracy").first.wait_for()

    canvas = page.get_by_test_id("stVegaLiteChart").first.locator("canvas").first
    canvas.wait_for(state="visible")
    page.wait_for_timeout(3000)  # Vega draws after it has compiled the spec
    shot = canvas.screenshot()
    _screenshot_whole_page(page, ARTIFACTS / "yield.png")
    pixels = np.asarray(Image.open(io.BytesIO(shot)).convert("RGB")).reshape(-1, 3).astype(int)
    assert len(np.unique(pixels // 8, axis=0)) > 10, "the county map canvas is blank"
    coloured = pixels.max(axis=1) - pixels.min(axis=1) > 40
    assert coloured.mean() > 0.02, "no county filled with a forecast colour"

    history = page.get_by_test_id("stPlotlyChart").first
    assert history.get_by_text("forecast P50 (P10..P90)").first.is_visible()
    assert history.locator("g.errorbar path").count() > 0, "no P10..P90 bar drawn"
    coverage = page.get_by_test_id("stMetric").filter(has_text="P10..P90 coverage")
    assert coverage.get_by_test_id("stMetricValue").inner_text().rstrip("%").isdigit()

    with page.expect_download() as download:
        page.get_by_role("button", name="Download forecasts CSV (simulated)").click()
    csv = pd.read_csv(download.value.path())
    assert len(csv) > 0 and (csv["data_note"] == "SIMULATED demo data").all()
    assert (csv["p10"] <= csv["p50"]).all() and (csv["p50"] <= csv["p90"]).all()
    assert (csv["p90"] > csv["p10"]).any(), "every P10..P90 range is empty"
    assert csv["unit"].eq("t/ha").all() and csv["p50"].between(1, 20).all()

    tail = SIMULATED_NOTE.format(what="").strip()  # the notice, whichever kinds it names
    assert main.get_by_text(tail[: tail.index(":")]).first.is_visible()
    assert page.get_by_test_id("stException").count() == 0
    assert page.get_by_test_id("stAlertContentError").count() == 0
    external = [u for u in failed if not u.startswith(streamlit_server)]
    assert not external, f"requests left the machine: {external[:3]}"
