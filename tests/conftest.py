"""Shared fixtures: one tiny demo world per test session, built through the real pipeline."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
_MAIN = sys.modules["__main__"]


@pytest.fixture(autouse=True)
def _restore_main():
    """AppTest runs page scripts as ``__main__`` and leaves the last one there; a process
    spawned afterwards (dask workers, the reader fuzzer's case runner) re-runs its
    parent's ``__main__`` file, so it would run app.py. Put pytest's back after each test."""
    yield
    sys.modules["__main__"] = _MAIN


@pytest.fixture(scope="session")
def tiny_world(tmp_path_factory) -> Path:
    """A tiny demo world and its database in a temporary data folder.

    Returns the data folder (holding demo/ and paii.duckdb). PAII_DATA_DIR points at it
    for the whole session, so pages and the CLI read it instead of the real data/.
    """
    from paii_core.demo import build_demo

    data = tmp_path_factory.mktemp("paii-data")
    os.environ["PAII_DATA_DIR"] = str(data)
    build_demo(data, size="tiny", seed=7)
    return data


TEST_PASSWORD = "test passphrase 1"


def sign_up(con, user: str, role: str):
    """An account of ``role`` in the store behind ``con`` (created once), signed in."""
    from paii_core.access import add_user, authenticate
    from paii_core.store import access as acc_store

    if acc_store.user_row(con, user) is None:
        add_user(con, user, role, TEST_PASSWORD, created_by="tests")
    return authenticate(con, user, TEST_PASSWORD)


def sign_in_app(at, role: str = "underwriter") -> None:
    """Sign an AppTest session in as a ``role`` account of the current data folder's
    store, as the sign-in form would (the principal in session state, seen just now)."""
    from datetime import UTC, datetime

    from paii_core import store
    from paii_core.config import paths

    con = store.connect(paths().database)
    try:
        # Not "admin": the dashboard's first start (any AppTest of app.py without a
        # principal) creates that account with a one-time password of its own.
        principal = sign_up(con, f"test-{role.replace('_', '-')}" if role == "admin" else
                            role.replace("_", "-"), role)  # fmt: skip
    finally:
        con.close()
    at.session_state["_paii_principal"] = principal
    now = datetime.now(UTC).replace(tzinfo=None)
    at.session_state["_paii_last_seen"] = at.session_state["_paii_signed_in_at"] = now


def finish_jobs(at, timeout_s: float = 300):
    """Run ``at`` (just after a click on a button that starts a background job: the Data
    page's "Add area", "Map the flood"...) until every job of its session has ended and the
    page has shown the outcome."""
    from ui import jobs

    def followed() -> list:
        ids = [at.session_state[k] for k in at.session_state.keys()
               if str(k).startswith(jobs.STATE_PREFIX)]  # fmt: skip
        return [j for j in map(jobs.find, ids) if j is not None]

    at.run()
    end = time.monotonic() + timeout_s
    while any(not j.state()[2] for j in followed()) and not at.exception:
        assert time.monotonic() < end, f"the page's job ran over {timeout_s} s"
        time.sleep(0.3)
    # a page that showed the job's outcome already showed it once; else it shows it now
    return at.run() if followed() else at


def data_page_app(region_id: str, role: str = "underwriter", timeout_s: int = 180):
    """The dashboard (app.py, with its sidebar) signed in as ``role``, on the Data page of
    region ``region_id``, run once."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=timeout_s)
    sign_in_app(at, role)
    at.run()
    at.switch_page("views/data_page.py")
    at.session_state["region_id"] = region_id
    return at.run()
