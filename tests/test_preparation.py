"""The first run's background preparation: its status file, and the dashboard's gate."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

from paii_core import preparation
from paii_core.preparation import STATUS_FILE, Status
from tests.conftest import REPO


def _status(data, stage: str, pid: int, message: str = "a step") -> None:
    status = Status(stage, message, 3, pid, "2026-01-01 00:00:00 UTC", "now")
    preparation._write(data, status)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_status_round_trip_and_liveness(tmp_path):
    assert preparation.read_status(tmp_path) is None
    _status(tmp_path, "prepare", os.getpid())
    status = preparation.read_status(tmp_path)
    assert status is not None and status.stage == "prepare" and status.running
    assert 0.33 < status.fraction < 1.0
    _status(tmp_path, "build", _dead_pid())
    assert not preparation.read_status(tmp_path).running  # killed: not "running" forever
    _status(tmp_path, "done", os.getpid())
    assert not preparation.read_status(tmp_path).running
    (tmp_path / STATUS_FILE).write_text("{half a fi")
    assert preparation.read_status(tmp_path) is None


def test_failed_preparation_is_recorded_with_a_fix(tmp_path):
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "MANIFEST.json").write_text("{}")
    (tmp_path / "paii.duckdb").write_bytes(b"not a database at all" * 100)
    final = preparation.run(tmp_path)
    assert final.stage == "failed" and "make world" in final.message
    assert json.loads((tmp_path / STATUS_FILE).read_text())["stage"] == "failed"
    assert not preparation.is_prepared(tmp_path)


def test_background_does_nothing_for_a_prepared_world_or_a_users_own_store(tmp_path):
    (tmp_path / "demo").mkdir()
    (tmp_path / preparation.PREPARED).touch()
    assert preparation.start_background(tmp_path) is None
    assert preparation.wait(tmp_path).stage == "done"
    own = tmp_path / "own"
    own.mkdir()
    (own / "paii.duckdb").touch()  # regions added with `paii region add`, no demo world
    assert preparation.is_prepared(own) and preparation.start_background(own) is None


@pytest.fixture()
def data_dir(tiny_world, monkeypatch):
    yield tiny_world
    (tiny_world / STATUS_FILE).unlink(missing_ok=True)


def test_dashboard_shows_progress_instead_of_pages_while_preparing(data_dir):
    _status(data_dir, "prepare", os.getpid(), "yield forecasts for henan")
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120).run()
    assert not at.exception
    assert at.title[0].value == "PAII is preparing its data"
    assert "yield forecasts for henan" in at.caption[0].value
    assert not at.text_input, "no sign-in form while the store is held"


def test_dashboard_says_a_preparation_stopped_and_goes_on(data_dir):
    _status(data_dir, "prepare", _dead_pid(), "carbon XCO2")
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120).run()
    assert not at.exception
    assert "stopped unfinished" in at.error[0].value and "make world" in at.error[0].value
    assert [t.label for t in at.text_input] == ["User", "Password"]
