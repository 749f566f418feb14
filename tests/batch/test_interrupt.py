"""Ctrl-C during `paii batch`, as a terminal sends it: SIGINT to the whole process group."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.batch.conftest import REPO


def _done_lines(manifest: Path) -> int:
    if not manifest.is_file():
        return 0
    return sum('"done"' in line for line in manifest.read_text().splitlines())


def test_ctrl_c_ends_with_one_message_saying_how_to_resume_and_the_rerun_resumes(
    big_bgrn, tmp_path
):
    out = tmp_path / "out"
    command = [sys.executable, "-m", "paii_core.cli", "batch", "dehaze", "--inputs",
               str(big_bgrn), "--out", str(out), "--tile", "16", "--quiet"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO), "PAII_DATA_DIR": str(tmp_path / "data")}
    # Its own session: the signal goes to the run, its fork server and its workers alike.
    proc = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while _done_lines(out / "manifest.jsonl") < 3 and proc.poll() is None:
        assert time.monotonic() < deadline, "no tile finished within 300 s"
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)

    assert proc.returncode == 130, stderr[-3000:]
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr[-3000:]
    message = stderr.strip().splitlines()
    assert len(message) == 1, stderr
    kept = _done_lines(out / "manifest.jsonl")
    assert message[0].startswith(f"paii batch: interrupted after {kept} of 42 tiles; the {kept} ")
    assert f"kept in {out} (manifest.jsonl)" in message[0]
    assert f"rerun the same command (same --out): it skips the done tiles and computes " \
           f"the other {42 - kept}" in message[0]  # fmt: skip

    rerun = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert f"{42 - kept} tiles computed, {kept} already done, 0 failed" in rerun.stdout
    done = [json.loads(x) for x in (out / "manifest.jsonl").read_text().splitlines()]
    assert len({r["tile"] for r in done if r["status"] == "done"}) == 42  # no tile done twice
    assert rerun.stdout.rstrip().splitlines()[-1].startswith("mosaic ")


def test_the_message_before_planning_and_after_the_last_tile(tmp_path):
    from paii_core.batch.cli import interrupted_message

    missing = tmp_path / "never"
    assert interrupted_message(missing, {}) == (
        "paii batch: interrupted before its tiles were planned (no tile had run); rerun the "
        "same command (same --out) to resume"
    )
    assert interrupted_message(tmp_path, {"done": 0, "total": 5, "skipped": 0}) == (
        "paii batch: interrupted after 0 of 5 tiles, before any was finished; rerun the "
        "same command (same --out) to run them"
    )
    assert "before every mosaic was written" in interrupted_message(
        tmp_path, {"done": 5, "total": 5, "skipped": 0}
    )
