"""How `paii batch` starts: a torch-free client, workers forked from one server that
imported the engine, one network per worker, and where the wall time went."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from paii_core.batch import spec
from paii_core.batch.jobs import JobOptions, run_tile
from paii_core.batch.runner import plan
from paii_core.enhance import api
from paii_core.enhance.files import dehaze_geotiff
from paii_core.enhance.weights import model_version as weights_version
from paii_core.io import read_geotiff

REPO = Path(__file__).resolve().parents[2]


def test_the_client_side_lists_and_versions_match_the_engine():
    assert spec.METHODS == {"dehaze": api.DEHAZE_METHODS, "sr": api.SR_METHODS}
    assert spec.model_version("dehaze") == weights_version(api.model_dir("dehaze"))
    assert spec.BOX_SPECIALIST == api.BOX_SPECIALIST
    assert spec.model_version("sr") == api.load_model("sr").version  # with a box specialist


def test_a_worker_loads_its_network_once_and_refuses_other_weights(
    bgrn_files, tmp_path, monkeypatch
):
    from paii_core.batch import jobs

    loads = []
    real = api.load_model
    monkeypatch.setattr(api, "load_model", lambda name: loads.append(name) or real(name))
    monkeypatch.setattr(jobs, "_NETS", {})
    version = spec.model_version("dehaze")
    tiles = plan("dehaze", bgrn_files, tile=2048, options={"model_version": version})
    opts = JobOptions("dehaze", str(tmp_path), model_version=version, device="cpu")
    records = [run_tile(t, opts) for t in tiles]
    assert [r["status"] for r in records] == ["done"] * 3 and loads == ["dehaze"]
    stale = JobOptions("dehaze", str(tmp_path / "b"), model_version="0123456789ab", device="cpu")
    record = run_tile(tiles[0], stale)
    assert record["status"] == "failed"
    assert "the run was planned with 0123456789ab (retrained during the run?)" in record["error"]


_CLIENT = """
import json, sys
from paii_core.batch import run_batch
r = run_batch("dehaze", sys.argv[1:-1], sys.argv[-1], workers=2)
print(json.dumps({"torch": "torch" in sys.modules, "timings": r.timings,
                  "computed": sorted(r.computed), "mosaics": [str(m) for m in r.mosaics]}))
"""


def test_a_local_run_keeps_torch_out_of_the_client_and_times_its_steps(bgrn_files, tmp_path):
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-c", _CLIENT, *map(str, bgrn_files), str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["torch"] is False  # the workers import it (from their fork server)
    assert got["computed"] == [f"scene_{i}/whole" for i in range(3)]
    steps = ["connected", "planned", "computed", "mosaicked", "closed", "done"]
    assert list(got["timings"]) == steps
    times = [got["timings"][k] for k in steps]
    assert times == sorted(times) and times[0] > 0
    for i, src in enumerate(bgrn_files):
        want = read_geotiff(dehaze_geotiff(src, tmp_path / f"ref_{i}.tif")).data
        have = read_geotiff(out / "tiles" / f"scene_{i}" / "whole.tif").data
        np.testing.assert_allclose(have, want, atol=1e-5)
    assert len(got["mosaics"]) == 1 and Path(got["mosaics"][0]).is_file()


@pytest.mark.parametrize("job", spec.JOBS)
def test_every_job_preloads_importable_modules(job):
    import importlib

    from paii_core.batch.cluster import PRELOAD

    for module in PRELOAD[job]:
        importlib.import_module(module)


def test_cuda_on_workers_without_a_gpu_fails_each_tile_clearly(cluster, bgrn_files, tmp_path):
    """A remote scheduler's workers check the device themselves (the client may have no
    GPU while they do): here none has one, so every tile fails with the reason, none is
    retried or written, and the run says so."""
    from paii_core.batch import run_batch

    res = run_batch(
        "dehaze", bgrn_files, tmp_path, scheduler=cluster.scheduler_address, device="cuda"
    )
    assert not res.computed and len(res.failed) == 3
    assert all("--device cuda: this machine sees no CUDA GPU" in e for e in res.failed.values())
    assert not (tmp_path / "tiles").exists() and not res.mosaics


def test_the_device_context_sets_the_engine_device_and_autocasts_only_on_cuda(monkeypatch):
    import os

    import torch

    from paii_core.batch.jobs import _on_device

    monkeypatch.setenv("PAII_DEVICE", "before")
    with _on_device("cpu"):
        assert os.environ["PAII_DEVICE"] == "cpu"
        assert not torch.is_autocast_enabled("cuda") and not torch.is_autocast_enabled("cpu")
    assert os.environ["PAII_DEVICE"] == "before"
    seen = []
    monkeypatch.setattr(torch, "autocast", lambda *a, **k: seen.append((a, k)) or _Null())
    with _on_device("cuda"):
        assert os.environ["PAII_DEVICE"] == "cuda"
    assert seen == [(("cuda",), {"dtype": torch.float16, "enabled": True})]


class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _page_faults_per_round() -> int:
    """Minor page faults of allocating, touching and freeing three 20 MB arrays."""
    import resource

    def round_() -> None:
        arrays = [np.ones(5 << 20, np.float32) for _ in range(3)]
        del arrays

    round_()
    round_()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(5):
        round_()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) // 5


def test_forked_workers_see_the_clients_paii_variables_of_each_run(monkeypatch):
    """Workers fork from a server that keeps the environment it started with; the
    client's PAII_* variables (data, model folders) of the moment go with each run."""
    import os
    from contextlib import ExitStack

    import dask

    from paii_core.batch import cluster

    seen = []
    for value in ("first", "second"):
        monkeypatch.setenv("PAII_TEST_MARK", value)
        with ExitStack() as stack:
            client, _ = cluster.connect(None, 1, 1, stack, "dehaze")
            seen.append(
                client.submit(os.environ.get, "PAII_TEST_MARK", pure=False).result(timeout=120)
            )
            seen.append(
                client.submit(os.environ.get, "OMP_NUM_THREADS", pure=False).result(timeout=120)
            )
            # PAII's dask settings (worker_config) reach the workers too.
            tick = client.submit(dask.config.get, "distributed.admin.tick.interval", pure=False)
            seen.append(tick.result(timeout=120))
            # Freed buffers are taken again without faulting their pages back in (a few
            # faults for other allocations; glibc's defaults: ~1500 a round).
            seen.append(client.submit(_page_faults_per_round, pure=False).result(timeout=120) < 50)
    assert seen == ["first", "1", "1s", True, "second", "1", "1s", True]
    # A variable the server has but the client no longer has: spawn, not fork.
    monkeypatch.setattr(cluster, "_SERVER_PAII_ENV", {"PAII_TEST_GONE": "x"})
    assert cluster._fork_server("dehaze", {}) is False


def test_a_worker_killed_on_the_default_local_cluster_is_forked_again(cluster, big_bgrn, tmp_path):
    """`paii batch` without --scheduler: a LocalCluster whose workers are forked from the
    fork server. One is SIGKILLed mid-run; its nanny forks a new one, every tile is done
    once, nothing partial is left, and the mosaic equals an undisturbed run's."""
    import os
    import signal

    from paii_core.batch import run_batch

    killed = []

    def kill_a_busy_worker(client, record):
        busy = [w for w, keys in client.processing().items() if keys]
        if not killed and busy:
            pid = client.run(os.getpid, workers=busy[:1])[busy[0]]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    res = run_batch("dehaze", [big_bgrn], tmp_path / "k", tile=48, on_result=kill_a_busy_worker)
    assert killed and len(res.computed) == 6 and not res.failed
    ref = run_batch(
        "dehaze", [big_bgrn], tmp_path / "r", scheduler=cluster.scheduler_address, tile=48
    )
    np.testing.assert_array_equal(
        read_geotiff(res.mosaics[0]).data, read_geotiff(ref.mosaics[0]).data
    )
    assert not list((tmp_path / "k").rglob("*.tmp"))


def test_stopping_the_fork_server_ends_it_and_a_later_run_starts_another():
    import os
    from contextlib import ExitStack
    from multiprocessing import forkserver

    from paii_core.batch import cluster

    cluster.stop_fork_server()  # a server of an earlier test may hold other PAII_* values
    with ExitStack() as stack:
        client, _ = cluster.connect(None, 1, 1, stack, "dehaze")
        first = client.submit(os.getppid, pure=False).result(timeout=120)  # forked by the server
    assert cluster.stop_fork_server() is True
    with ExitStack() as stack:
        client, _ = cluster.connect(None, 1, 1, stack, "dehaze")
        second = client.submit(os.getppid, pure=False).result(timeout=120)
    assert second != first and second == forkserver._forkserver._forkserver_pid


def test_windows_of_a_toa_raster_are_dehazed_by_its_path_as_paii_dehaze_does(tmp_path):
    """`paii dehaze` runs the haze path, not the surface-trained network, on top-of-
    atmosphere input (method "model" becomes "path"); a batch window does the same."""
    from paii_core import io
    from paii_core.enhance.files import read_bgrn
    from tests.batch.conftest import CRS, transform

    rng = np.random.default_rng(8)
    toa = 0.08 + rng.uniform(0.0, 0.3, (4, 80, 80)).astype(np.float32)
    toa[:, 10:30, 10:30] = 0.55  # an opaque patch: flagged THICK_HAZE, not invented
    src = io.write_geotiff(
        tmp_path / "toa.tif",
        toa,
        crs=CRS,
        transform=transform(),
        band_names=("B2", "B3", "B4", "B8"),
        tags={"REFLECTANCE": "TOA"},
    )
    version = spec.model_version("dehaze")
    tile = plan("dehaze", [src], tile=48, options={"model_version": version})[0]
    opts = JobOptions("dehaze", str(tmp_path / "out"), model_version=version, device="cpu")
    record = run_tile(tile, opts)
    assert record["status"] == "done", record
    c, r, w, h = tile.read
    window = read_bgrn(src).data[:, r : r + h, c : c + w]
    want = api.dehaze(window, method="path", toa=True)
    cc, cr, cw, ch = tile.core
    want = want[:, cr - r : cr - r + ch, cc - c : cc - c + cw]
    got = read_geotiff(tmp_path / "out" / record["output"])
    assert got.band_names[-1] == "THICK_HAZE"  # the fifth band `paii dehaze` writes too
    # the tags say what ran, as `paii dehaze` writes them (was the requested "model")
    assert got.tags["PAII_METHOD"] == "path" and got.tags["PAII_MODEL_VERSION"] == "path"
    assert got.tags["PAII_REFLECTANCE_LEVEL"] == "TOA"
    assert got.tags["PAII_BANDS"].startswith("B2 blue, B3 green, B4 red, B8 NIR")
    np.testing.assert_allclose(got.data[:4], want, atol=1e-6)
    flagged = np.isnan(want).any(axis=0)
    assert flagged.any() and (got.data[4] == flagged).all()


def test_windows_of_a_toa_raster_record_what_ran_and_their_mosaic_its_thick_haze_share(
    tmp_path,
):
    """A tiled `paii batch dehaze` mosaic said `PAII_PRODUCT=dehaze reflectance` with no
    `PAII_THICK_HAZE_SHARE` (a one-window input's says "dehazed reflectance" with the
    share), and the manifest recorded the network's version for tiles the haze path
    dehazed."""
    from paii_core import io
    from paii_core.batch.manifest import Manifest
    from paii_core.batch.mosaic import build_mosaics
    from tests.batch.conftest import CRS, transform

    rng = np.random.default_rng(9)
    toa = 0.08 + rng.uniform(0.0, 0.3, (4, 80, 80)).astype(np.float32)
    toa[:, 10:30, 10:30] = 0.55  # opaque: flagged THICK_HAZE
    bands, tags = ("B2", "B3", "B4", "B8"), {"REFLECTANCE": "TOA"}
    src = io.write_geotiff(
        tmp_path / "toa.tif", toa, crs=CRS, transform=transform(), band_names=bands, tags=tags
    )
    version = spec.model_version("dehaze")
    out = tmp_path / "out"
    opts = JobOptions("dehaze", str(out), model_version=version, device="cpu")
    tiles = plan("dehaze", [src], tile=48, options={"model_version": version})
    assert len(tiles) == 4
    manifest = Manifest(out)
    for tile in tiles:
        record = run_tile(tile, opts)
        assert record["status"] == "done", record
        assert (record["method"], record["model_version"]) == ("path", "path")
        assert record["planned_version"] == version  # what a rerun compares
        manifest.append(record)
    (mosaic,) = build_mosaics(out, "dehaze", tiles, manifest.finished(out))
    got = read_geotiff(mosaic)
    assert got.tags["PAII_PRODUCT"] == "dehazed reflectance"
    flags = got.data[4]
    share = float(np.nansum(flags)) / np.isfinite(flags).sum()
    assert share > 0.01 and got.tags["PAII_THICK_HAZE_SHARE"] == f"{share:.4f}"


def test_paii_batch_ends_its_process_at_once_only_as_the_process_command(monkeypatch, tmp_path):
    from paii_core import cli

    ended = []
    monkeypatch.setattr(cli, "_exit_now", ended.append)
    argv = ["batch", "dehaze", "--inputs", str(tmp_path / "missing.tif"), "--out", str(tmp_path)]
    assert cli.main(argv) == 2 and ended == []  # called with arguments (tests, scripts)
    monkeypatch.setattr(sys, "argv", ["paii", *argv])
    assert cli.main() == 2 and ended == [2]


def test_paii_batch_prints_its_summary_through_a_pipe_before_ending(bgrn_files, tmp_path):
    """The process ends without Python's teardown: its output is flushed first (here
    block-buffered, as through any pipe without PYTHONUNBUFFERED)."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    done = subprocess.run(
        [sys.executable, "-m", "paii_core.cli", "batch", "dehaze", "--inputs",
         *map(str, bgrn_files), "--out", str(tmp_path / "o"), "--workers", "1", "--quiet"],
        cwd=REPO, capture_output=True, text=True, timeout=600, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "3 tiles computed, 0 already done, 0 failed" in done.stdout
    assert done.stdout.rstrip().splitlines()[-1].startswith("mosaic ")
