"""The first run's preparation of the data folder, in the background of the dashboard.

`make run` on a fresh clone must answer within minutes, but the demo world takes about a
minute to build and more to prepare (`paii demo build`, `paii demo prepare`). So
``python -m paii_core.preparation --background`` starts both in a detached process and
returns at once; the dashboard starts beside it, and its pages show this module's status
instead of opening the store, which the preparation holds (DuckDB allows one writing
process) until it ends. ``--wait`` (make world, make test, make bench) waits for a running
preparation, or runs it in the foreground when none runs.

The status is one JSON file, ``<data>/.preparation.json``: stage, message, step counts,
the process id, times, and an error. It is written whole (a temporary file renamed over
it), so a reader never sees half of one.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from paii_core.config import make_private_folder, paths

__all__ = ["Status", "is_prepared", "read_status", "run", "start_background", "wait"]

STATUS_FILE = ".preparation.json"
PREPARED = Path("demo") / ".prepared"
"""The stamp `make` and this module leave once the demo world is built and prepared."""
STAGES = ("build", "prepare")
PREPARE_STEPS = 12
"""About how many lines `paii demo prepare` prints for the full demo world (one per step:
parcels and labels per area, yields per region, flood, carbon): only for a progress bar."""


@dataclass(frozen=True)
class Status:
    """Where the preparation of a data folder stands."""

    stage: str
    """"build", "prepare", "done" or "failed"."""
    message: str
    """The last line the current command printed (or the error)."""
    step: int
    """Lines printed in this stage so far."""
    pid: int
    started: str
    updated: str

    @property
    def fraction(self) -> float:
        """Rough share done: build is the first third, prepare the rest."""
        if self.stage == "done":
            return 1.0
        if self.stage == "build":  # `paii demo build` prints its own percentage
            shown = re.search(r"(\d+(?:\.\d+)?)%", self.message)
            return 0.33 * min(1.0, float(shown.group(1)) / 100) if shown else 0.0
        return 0.33 + 0.67 * min(1.0, self.step / PREPARE_STEPS)

    @property
    def running(self) -> bool:
        """Whether the preparing process is still alive (False once done or failed)."""
        if self.stage in ("done", "failed"):
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _write(data: Path, status: Status) -> None:
    path = data / STATUS_FILE
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(asdict(status)))
    os.replace(tmp, path)


def read_status(data: Path | None = None) -> Status | None:
    """The data folder's preparation status, or None when none was ever started here."""
    path = (data or paths().data) / STATUS_FILE
    try:
        return Status(**json.loads(path.read_text()))
    except (FileNotFoundError, json.JSONDecodeError, TypeError):
        return None


def is_prepared(data: Path | None = None) -> bool:
    """Whether the data folder needs no preparation: its demo world is built and prepared,
    or it holds a store without a demo world (a user's own regions)."""
    data = data or paths().data
    if (data / PREPARED).exists():
        return True
    # A store of the user's own regions without a demo world: nothing to prepare here.
    return (data / "paii.duckdb").exists() and not (data / "demo" / "MANIFEST.json").exists()


def _stage(data: Path, stage: str, command: list[str], started: str) -> None:
    """Run one `paii` command, its output lines becoming the status message."""
    step = 0
    _write(
        data, Status(stage, f"starting `paii {' '.join(command)}`", 0, os.getpid(), started, _now())
    )
    env = {**os.environ, "PAII_DATA_DIR": str(data), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "paii_core.cli", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    tail: list[str] = []
    for line in proc.stdout:
        line = line.strip().split("\r")[-1].strip()
        if not line:
            continue
        print(line, flush=True)
        tail = [*tail, line][-20:]
        step += 1
        _write(data, Status(stage, line[:300], step, os.getpid(), started, _now()))
    if proc.wait() != 0:
        raise RuntimeError(
            f"`paii {' '.join(command)}` failed (exit {proc.returncode}): "
            + " | ".join(tail[-3:])
            + ". Fix: run `make world` in a terminal to see the whole output"
        )


def run(data: Path | None = None) -> Status:
    """Build (when the store is missing) and prepare the demo world in ``data`` in this
    process, keeping the status file current; returns the final status."""
    data = data or paths().data
    make_private_folder(data)
    started = _now()
    try:
        if not (data / "paii.duckdb").exists() or not (data / "demo" / "MANIFEST.json").exists():
            _stage(data, "build", ["demo", "build"], started)
        _stage(data, "prepare", ["demo", "prepare"], started)
        (data / PREPARED).touch()
        final = Status(
            "done", "the demo world is built and prepared", 0, os.getpid(), started, _now()
        )
    except (RuntimeError, OSError) as e:
        final = Status("failed", str(e)[:1000], 0, os.getpid(), started, _now())
    _write(data, final)
    return final


def start_background(data: Path | None = None) -> Status | None:
    """Start :func:`run` in a detached process unless the world is prepared or a
    preparation is already running; its output goes to ``<data>/.preparation.log``.
    Returns the status it wrote (None when nothing needed doing)."""
    data = data or paths().data
    current = read_status(data)
    if current is not None and current.running:
        return current
    if is_prepared(data):
        return None
    make_private_folder(data)
    log = open(data / ".preparation.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "paii_core.preparation", "--foreground"],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "PAII_DATA_DIR": str(data)},
        start_new_session=True,
    )
    # Written here, before the dashboard starts, so no page opens the store meanwhile
    # (unless the child has already written its own).
    current = read_status(data)
    if current is not None and current.pid == proc.pid:
        return current
    status = Status("build", "starting", 0, proc.pid, _now(), _now())
    _write(data, status)
    return status


def wait(data: Path | None = None, *, poll_s: float = 2.0) -> Status:
    """Wait for a running preparation, or run one here when none runs and the world is
    not prepared; return the final status."""
    data = data or paths().data
    last = ""
    while (current := read_status(data)) is not None and current.running:
        line = f"{current.stage}: {current.message}"
        if line != last:
            print(f"waiting for the background preparation: {line}", flush=True)
            last = line
        time.sleep(poll_s)
    if is_prepared(data):
        return read_status(data) or Status("done", "prepared", 0, 0, "", _now())
    return run(data)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Build and prepare the demo world of a data folder")
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--background", action="store_true", help="start it detached and return")
    mode.add_argument("--wait", action="store_true", help="wait for it (or run it here)")
    mode.add_argument("--foreground", action="store_true", help="run it here")
    args = ap.parse_args(argv)
    if args.background:
        status = start_background()
        print(
            "PAII: the demo world is prepared"
            if status is None
            else f"PAII: preparing the demo world in the background (pid {status.pid}); "
            "the dashboard shows its progress"
        )
        return 0
    final = wait() if args.wait else run()
    if final.stage == "failed":
        print(f"PAII: preparation failed: {final.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
