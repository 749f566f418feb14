"""A real `streamlit run` server and headless Chromium for the browser tests."""

from __future__ import annotations

import io
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import sign_up
from tests.e2e.server import (  # noqa: F401  (re-exported for the tests)
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    USERS,
    ServerStartError,
    free_port,
    sign_in,
)
from tests.e2e.server import serve as _serve


def _browser_required() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("PAII_REQUIRE_BROWSER"))


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        if _browser_required():
            pytest.fail(
                f"{CHROMIUM} is missing but CI must run the browser tests: apt-get install chromium"
            )
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="session")
def e2e_data(tiny_world, tmp_path_factory) -> Path:
    """A copy of the tiny world for the server: the server process holds its database
    file, which the test process (AppTest) may hold too, and DuckDB allows one writer."""
    data = tmp_path_factory.mktemp("paii-e2e") / "data"
    shutil.copytree(tiny_world, data)
    from paii_core import store

    con = store.connect(data / "paii.duckdb")
    try:
        for user, role in USERS.items():
            sign_up(con, user, role)
        # What no one but an underwriter may see, read before the server holds the file.
        ids = con.execute("SELECT policy_id, insured FROM policies").fetchall()
        (data.parent / "policy_identities.json").write_text(json.dumps(ids))
    finally:
        con.close()
    return data


@contextmanager
def serve(data_dir: Path, log_name: str) -> Iterator[str]:
    """`streamlit run app.py` on a free loopback port over ``data_dir`` (tests.e2e.server);
    a server that does not start fails the test."""
    try:
        with _serve(data_dir, log_name) as url:
            yield url
    except ServerStartError as e:
        pytest.fail(str(e))


@pytest.fixture(scope="session")
def streamlit_server(e2e_data):
    """The shared server, over a copy of the tiny world."""
    with serve(e2e_data, "streamlit.log") as url:
        yield url


@pytest.fixture()
def page(chromium_path, streamlit_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        pg = context.new_page()
        pg.set_default_timeout(60_000)
        yield pg
        browser.close()


def open_page(page, server: str, link: str, *, region: str | None = None, user: str = "uw") -> None:
    """Open a page as a user does: sign in at the root (a deep link would run the page
    without app.py's navigation and shared sidebar), pick ``region`` in the sidebar,
    follow the sidebar ``link``."""
    sign_in(page, server, user)
    page.get_by_text("county overview").first.wait_for()
    sidebar = page.get_by_test_id("stSidebar")
    if region is not None:
        sidebar.get_by_test_id("stSelectbox").first.click()
        page.get_by_role("option", name=region).click()
    sidebar.get_by_role("link", name=link).click()


def map_pixels(page, name: str):
    """The first map canvas's pixels ``(N, 3)`` int, once drawn (deck.gl, or Vega for
    the county maps); a full-page screenshot goes to test-artifacts/<name>.png."""
    maps = "[data-testid=stVegaLiteChart] canvas, [data-testid=stDeckGlJsonChart] canvas"
    canvas = page.locator(maps).first
    canvas.wait_for(state="visible")
    page.wait_for_timeout(4000)  # the map draws after its data (or image) is parsed
    shot = canvas.screenshot()
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    return np.asarray(Image.open(io.BytesIO(shot)).convert("RGB")).reshape(-1, 3).astype(int)


@pytest.fixture(scope="session")
def policy_identities(e2e_data) -> list[tuple[str, str]]:
    """(policy_id, insured) of every policy in the browser tests' store."""
    return [tuple(x) for x in json.loads((e2e_data.parent / "policy_identities.json").read_text())]
