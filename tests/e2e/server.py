"""A real `streamlit run` server and the browser sign-in, shared by the browser tests
(tests/e2e) and the page-latency benchmark (bench/pages/latency.py): no pytest here."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from paii_core.config import REPO_ROOT
from tests.conftest import TEST_PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = REPO_ROOT / "test-artifacts"
USERS = {"uw": "underwriter", "esg": "esg_analyst", "root": "admin"}
"""Accounts in the browser tests' store; each signs in with TEST_PASSWORD."""


class ServerStartError(RuntimeError):
    """`streamlit run` did not answer its health check in time."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def add_users(data_dir: Path, users: dict[str, str] = USERS) -> None:
    """``users`` (name -> role; USERS by default), password TEST_PASSWORD, in ``data_dir``'s
    store, created once."""
    from paii_core import store
    from paii_core.access import add_user
    from paii_core.store import access as acc_store

    con = store.connect(data_dir / "paii.duckdb")
    try:
        for user, role in users.items():
            if acc_store.user_row(con, user) is None:
                add_user(con, user, role, TEST_PASSWORD, created_by="tests")
    finally:
        con.close()


@contextmanager
def serve(data_dir: Path, log_name: str, *, timeout_s: float = 60) -> Iterator[str]:
    """`streamlit run app.py` on a free loopback port over ``data_dir``; yields its URL and
    stops it afterwards (its log goes to test-artifacts/``log_name``). Raises
    ServerStartError when it does not answer within ``timeout_s``."""
    port = free_port()
    env = {**os.environ, "PAII_DATA_DIR": str(data_dir), "PAII_PAGE_TIMES": "1"}
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / log_name, "w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(REPO_ROOT / "app.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--server.enableStaticServing",
            "true",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise ServerStartError(
                        f"streamlit did not start on {url}; see {ARTIFACTS / log_name}"
                    ) from None
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def sign_in(page, server: str, user: str = "uw", *, path: str = "") -> None:
    """Open ``server/path`` and sign in through the form as ``user`` (see USERS)."""
    page.goto(f"{server}/{path}")
    page.get_by_label("User", exact=True).fill(user)
    page.get_by_label("Password", exact=True).fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text(f"Signed in as {user}").first.wait_for()
