"""The page benchmark's timing in a real browser (bench/pages/latency.py): the WebSocket hook
sees each run's script_finished message, and a load's three times are in order."""

from __future__ import annotations

import asyncio

import pytest

from bench.pages import latency
from tests.e2e.conftest import CHROMIUM_ARGS

pytestmark = pytest.mark.e2e


async def _loads(server: str, chromium: str) -> tuple[list, int, int]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context, page = await latency._new_session(browser, server)
        loads = [await latency._sign_in(page, "uw", 120)]  # lands on Home, a county map
        loads.append(await latency._open(page, "Data", 120))
        loads.append(await latency._open(page, "Home", 120))
        finished = await page.evaluate("window.__paii_finished.length")
        titles = await page.get_by_text("county overview").count()
        await context.close()
        await browser.close()
    return loads, finished, titles


def test_loads_end_at_script_finished_before_the_page_is_drawn(chromium_path, streamlit_server):
    loads, finished, titles = asyncio.run(_loads(streamlit_server, chromium_path))
    assert finished >= 3, "the hook saw no script_finished message"
    assert titles >= 1  # the page the last click led to is shown
    for load in loads:
        assert 0 < load.script_s <= load.shown_s <= load.painted_s < 120, load
