"""paii batch against a scheduler it did not start (--scheduler): wrong addresses, a
scheduler without workers, workers that do not see the client's files, relative paths,
finished tiles not recomputed after a worker is lost, mosaics named after the input."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import dask
import numpy as np
import pytest

from paii_core import io
from paii_core.batch import cluster as cluster_mod
from paii_core.batch import run_batch
from paii_core.batch.mosaic import build_mosaics
from paii_core.batch.remote import check_workers_see, worker_view
from paii_core.batch.tiles import Scene, Tile
from paii_core.errors import InputNotFoundError, ValidationError
from tests.batch.conftest import CRS, HandStarted, free_port, transform


@pytest.fixture
def http_port():
    """A local port where a web server answers (as a scheduler's dashboard would)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    stop = threading.Event()

    def serve():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            with conn:
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n" * 4)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield srv.getsockname()[1]
    stop.set()
    t.join(2)
    srv.close()


@pytest.mark.parametrize(
    "address, match",
    [
        ("tcp://127.0.0.1:{free}", r"cannot reach it \(nothing listens there\).*--port"),
        ("127.0.0.1:87x", r"--scheduler 127.0.0.1:87x: expected HOST:PORT"),
        ("nonsense", r"--scheduler nonsense: expected HOST:PORT"),
        ("http://127.0.0.1:8787", r"protocol 'http' is not a dask scheduler's \(a web address"),
        ("tcp://no-such-host.invalid:8786", r"host 'no-such-host.invalid' is unknown"),
        ("tcp://127.0.0.1:{http}", r"something answers there, but not a dask scheduler.*8786"),
    ],
)  # fmt: skip
def test_a_wrong_scheduler_address_is_refused_fast_naming_the_option(
    address, match, http_port, bgrn_files, tmp_path
):
    address = address.format(free=free_port(), http=http_port)
    t0 = time.perf_counter()
    with pytest.raises(ValidationError, match=match):
        run_batch("dehaze", bgrn_files[:1], tmp_path / "out", scheduler=address, method="dcp")
    assert time.perf_counter() - t0 < 6  # dask alone retried a refused port for 10 s
    assert not (tmp_path / "out").exists()


_NO_WORKERS = """
import sys
from paii_core.batch import cluster, run_batch
from paii_core.errors import ValidationError
cluster.WORKER_TIMEOUT = 1.0
try:
    run_batch("dehaze", [sys.argv[1]], sys.argv[2], scheduler=sys.argv[3])
except ValidationError as e:
    print(e)
"""


def test_a_scheduler_without_workers_is_refused_instead_of_waiting(bgrn_files, tmp_path):
    """Run in a fresh interpreter, as `paii batch` runs: a dask client made in this test
    process after the other tests' clients once failed to connect (AssertionError)."""
    import subprocess
    import sys

    with HandStarted(tmp_path) as empty:
        run = subprocess.run(
            [sys.executable, "-c", _NO_WORKERS, str(bgrn_files[0]), str(tmp_path / "out"),
             empty.address], env=empty.env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert "no worker has joined it within 1 s" in run.stdout, (run.stdout, run.stderr[-2000:])
    assert "dask worker tcp://" in run.stdout


class _Workers:
    """A client whose workers see the file system with ``hidden`` paths missing."""

    def __init__(self, hidden: set[str]) -> None:
        self.hidden = hidden

    def run(self, fn, paths, probe):
        assert fn is worker_view
        seen = worker_view([p for p in paths if p not in self.hidden], probe)
        seen["missing"] += [p for p in paths if p in self.hidden]
        if probe in self.hidden or str(Path(probe).parent) in self.hidden:
            seen["out"] = False
        return {"tcp://10.0.0.7:40000": seen}


def test_an_input_or_out_folder_workers_cannot_see_is_named_with_the_fix(tmp_path, bgrn_files):
    files = [str(f) for f in bgrn_files]
    out = tmp_path / "out"
    seen_here = (
        r"scene_1.tif \(and 1 more\): this machine reads it, but worker tcp://10.0.0.7:40000"
    )
    with pytest.raises(InputNotFoundError, match=rf"--inputs .*{seen_here} .*shared disk"):
        check_workers_see(_Workers(set(files[1:])), "tcp://s:8786", files, out)
    not_there = r"--out .*out: worker tcp://10.0.0.7:40000 .* does not see this folder"
    with pytest.raises(ValidationError, match=rf"{not_there}.*same path"):
        check_workers_see(_Workers({str(out)}), "tcp://s:8786", files, out)
    check_workers_see(_Workers(set()), "tcp://s:8786", files, out)
    assert not list(out.iterdir())  # the probe file is gone


def test_a_worker_running_other_paii_code_is_refused(tmp_path, bgrn_files, monkeypatch):
    """A worker started before a `git pull` (or from another install) keeps the code it
    imported: its tiles could differ from this version's. Found: a `dask worker`
    started without PYTHONPATH ran /work/main's editable install, not the client's."""
    from paii_core.batch import remote

    class Stale(_Workers):
        def run(self, fn, paths, probe):
            answers = super().run(fn, paths, probe)
            return {
                a: {**v, "code": ("0123456789ab", "/old/paii_core")} for a, v in answers.items()
            }

    other = r"runs other PAII code \(version 0123456789ab from /old/paii_core\)"
    with pytest.raises(
        ValidationError, match=rf"--scheduler tcp://s:8786: worker tcp://10.0.0.7:40000 .* {other}"
    ):
        check_workers_see(Stale(set()), "tcp://s:8786", [str(bgrn_files[0])], tmp_path)
    version, root = remote.code_version()
    assert len(version) == 12 and root.endswith("paii_core")
    assert remote.code_version() is remote.code_version()  # taken once per process
    with pytest.raises(ValidationError, match=r"restart the workers from the same PAII"):
        check_workers_see(Stale(set()), "tcp://s:8786", [str(bgrn_files[0])], tmp_path)


def test_relative_paths_reach_workers_that_run_in_another_folder(
    cluster, bgrn_files, tmp_path, monkeypatch
):
    """The shared cluster's workers started in the test's folder; the client now runs
    elsewhere and names its input and output relative to it. Before, every tile failed
    with "GeoTIFF not found" (the workers looked in their own folder)."""
    monkeypatch.chdir(bgrn_files[0].parent)
    res = run_batch(
        "dehaze", [bgrn_files[0].name], "rel_out", scheduler=cluster.scheduler_address,
        method="dcp",
    )  # fmt: skip
    assert not res.failed and len(res.computed) == 1
    assert res.mosaics == [bgrn_files[0].parent / "rel_out" / "mosaic" / "scene_0_dehaze.tif"]


def test_finished_tiles_are_released_so_a_lost_worker_does_not_redo_them(
    cluster, big_bgrn, tmp_path
):
    """Each tile's future is released once its record is in the manifest: a future kept
    until the end kept its result on its worker, and when that worker died the
    scheduler computed every tile it had finished again (seen on real files: a tile
    redone a minute after its record)."""
    held, schedulers = [], set()

    def check(client, record):
        schedulers.add(dask.config.get("scheduler", None))
        key = f"paii-{record['job']}-{record['input_hash']}"
        deadline = time.monotonic() + 5
        while client.refcount.get(key, 0) and time.monotonic() < deadline:
            time.sleep(0.05)  # the release reaches the client's loop asynchronously
        held.append(client.refcount.get(key, 0))

    res = run_batch(
        "dehaze", [big_bgrn], tmp_path, scheduler=cluster.scheduler_address, tile=64,
        method="dcp", on_result=check,
    )  # fmt: skip
    assert len(res.computed) == 4 and held == [0, 0, 0, 0]
    # The run's client is not dask's default: the process's own dask work (xarray reads)
    # stays local, and a client closed badly cannot leave it pointing at a cluster.
    assert schedulers == {None}


def test_mosaics_are_named_after_their_input_and_job(tmp_path):
    """`big_dehaze.tif` for one input, `a_and_1_more_sr.tif` for a grid of two (was
    `dehaze_1.tif` whatever the input); a killed writer's intermediate is hidden."""
    data = np.ones((1, 16, 16), np.float32)
    tiles, records = [], {}
    for name, x0 in (("a", 300_000.0), ("b", 300_160.0)):
        rel = f"tiles/{name}/whole.tif"
        io.write_geotiff(tmp_path / rel, data, crs=CRS, transform=transform(x0))
        tiles.append(Tile(f"{name}/whole", Scene(name, (f"{name}.tif",), 16, 16), None, None, name))
        records[f"{name}/whole"] = {"output": rel}
    (one,) = build_mosaics(tmp_path, "dehaze", tiles[:1], records)
    (two,) = build_mosaics(tmp_path, "sr", tiles, records)
    assert (one.name, two.name) == ("a_dehaze.tif", "a_and_1_more_sr.tif")
    assert sorted(p.name for p in (tmp_path / "mosaic").iterdir()) == sorted([one.name, two.name])


_FAULTS = """
import resource, sys
import numpy as np
if sys.argv[1] == "tuned":
    from paii_core.batch.cluster import tune_malloc
    assert tune_malloc()
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
a = np.ones(17 << 18, np.float32)  # 17 MiB, a torch activation of a 256 px patch
del a
before = faults()
for _ in range(40):
    a = np.ones(17 << 18, np.float32)
    del a
print(faults() - before)
"""


def test_a_hand_started_worker_gets_the_malloc_settings_of_a_local_one(tmp_path):
    """`dask worker` starts each worker with its nanny's MALLOC_TRIM_THRESHOLD_=65536:
    every large buffer is then mapped and unmapped, page by page faulted in (1.7x a
    dehaze tile's CPU, see worker_config). tune_malloc(), run by every tile, puts PAII's
    settings in force at run time: 40 buffers of 17 MiB then cost no page faults."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "MALLOC_TRIM_THRESHOLD_": "65536", "PYTHONPATH": os.getcwd()}
    env.pop("MALLOC_MMAP_THRESHOLD_", None)

    def faults(mode: str) -> int:
        out = subprocess.run(
            [sys.executable, "-c", _FAULTS, mode], env=env, capture_output=True, text=True,
            timeout=60, check=True,
        )  # fmt: skip
        return int(out.stdout.split()[-1])

    plain, tuned = faults("plain"), faults("tuned")
    assert plain > 4000  # faulted in again every time (fewer with transparent huge pages)
    assert tuned < plain / 20, (plain, tuned)


def test_a_run_whose_workers_all_leave_fails_and_says_how_to_resume(
    monkeypatch, big_bgrn, tmp_path
):
    """Both hand-started workers killed: the tasks waited at the scheduler for ever.
    Now the run fails once no worker has been there for WORKER_TIMEOUT, naming the
    scheduler, the tiles left and the rerun that resumes."""
    from distributed import Client

    from paii_core.errors import ClusterError

    with HandStarted(tmp_path) as cluster:
        worker = cluster.worker("--no-nanny")  # a nanny would start it again
        with Client(cluster.address, timeout=30) as watch:
            watch.wait_for_workers(1, timeout=120)  # it imports PAII before it joins

            def workers_leave(done, total, skipped):  # called once planned, before submitting
                worker.kill()
                worker.wait(20)
                deadline = time.monotonic() + 20
                while watch.scheduler_info(n_workers=-1)["workers"]:
                    assert time.monotonic() < deadline, "the scheduler still lists the worker"
                    time.sleep(0.1)

            monkeypatch.setattr(cluster_mod, "WORKER_TIMEOUT", 1.0)
            with pytest.raises(ClusterError) as err:
                run_batch(
                    "dehaze", [big_bgrn], tmp_path / "out", scheduler=cluster.address, tile=64,
                    method="dcp", progress=workers_leave,
                )  # fmt: skip
    message = str(err.value)
    assert "every worker has left" in message and "(4 of 4 tiles not done)" in message
    assert "rerun the same command" in message


def test_progress_goes_to_a_log_as_whole_lines_and_to_a_terminal_as_one_bar():
    """A run's standard error in a log file (nohup, a job scheduler) was one line of
    carriage returns; it is now a line per 5 % of the tiles, and the last."""
    import io as stdio

    from paii_core.batch.cli import progress_bar

    log = stdio.StringIO()
    report = progress_bar(log)
    for done in range(41):
        report(done, 40, 0)
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue() and len(lines) == 21
    assert lines[-1].startswith("[" + "#" * 30 + "] 40/40 tiles (0 already done)")

    class Terminal(stdio.StringIO):
        def isatty(self) -> bool:
            return True

    term = Terminal()
    report = progress_bar(term)
    for done in range(3):
        report(done, 2, 0)
    assert term.getvalue().count("\r") == 3 and term.getvalue().count("\n") == 1
