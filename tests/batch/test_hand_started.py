"""`paii batch` as a data engineer runs it on a cluster of their own: `dask scheduler` and
`dask worker` started as separate commands, a real Sentinel-2 L2A crop, the CLI with
--scheduler. Every process started here is stopped, whatever happens."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.windows import Window

from paii_core.enhance.files import sr_geotiff

REPO = Path(__file__).resolve().parents[2]
REAL = REPO / "data" / "real" / "italy_s2_l2a_openeo" / "S2_L2A_sample.tif"
DASK = Path(sys.executable).with_name("dask")

pytestmark = pytest.mark.slow


def _crop(dst: Path) -> Path:
    """A 120 x 96 px window of the real scene, tagged as its PROVENANCE says (harmonised
    DN: BOA_ADD_OFFSET=0), with a nodata corner."""
    with rasterio.open(REAL) as src:
        win = Window(300, 100, 120, 96)
        profile = {**src.profile, "width": 120, "height": 96}
        profile["transform"] = src.window_transform(win)
        data = src.read(window=win)
        data[:, :6, :5] = 0  # nodata (0) in every band
        with rasterio.open(dst, "w", **profile) as out:
            out.write(data)
            out.update_tags(**src.tags(), BOA_ADD_OFFSET="0")
            for b in range(1, src.count + 1):
                out.update_tags(b, **src.tags(b))
    return dst


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_listening(port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_paii_batch_sr_on_a_hand_started_scheduler_equals_paii_sr(tmp_path):
    src = _crop(tmp_path / "S2_L2A_crop.tif")
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs: list[subprocess.Popen] = []
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    try:
        procs.append(
            subprocess.Popen(
                [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                 "--no-dashboard"], cwd=tmp_path, **quiet,
            )
        )  # fmt: skip
        _wait_listening(port, 60)
        procs.append(
            subprocess.Popen(
                [str(DASK), "worker", address, "--nthreads", "1", "--no-dashboard",
                 "--local-directory", str(tmp_path / "w")], cwd=tmp_path.parent, **quiet,
            )
        )  # fmt: skip
        cmd = [sys.executable, "-m", "paii_core.cli", "batch", "sr", "--inputs", src.name,
               "--out", "out", "--tile", "64", "--scheduler", address]  # fmt: skip
        deadline = time.monotonic() + 120
        while True:  # the worker imports torch before it joins; paii batch waits 30 s
            run = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True,
                                 timeout=240)  # fmt: skip
            if "no worker has joined" not in run.stderr or time.monotonic() > deadline:
                break
        assert run.returncode == 0, run.stderr[-2000:]
        assert "4 tiles computed, 0 already done, 0 failed" in run.stdout
        again = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True,
                               timeout=240)  # fmt: skip
        assert "0 tiles computed, 4 already done" in again.stdout, again.stderr[-2000:]
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
    mosaic = tmp_path / "out" / "mosaic" / "S2_L2A_crop_sr.tif"
    # The log of a run is whole lines, not a bar redrawn with carriage returns.
    assert "\r" not in run.stderr and "4/4 tiles" in run.stderr
    sr_geotiff(src, tmp_path / "one.tif")
    with rasterio.open(mosaic) as got, rasterio.open(tmp_path / "one.tif") as want:
        assert (got.crs, got.transform, got.shape) == (want.crs, want.transform, want.shape)
        assert got.res == (2.5, 2.5) and got.bounds == rasterio.open(src).bounds
        a, b = got.read(), want.read()
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    assert np.isnan(a[:, :24, :20]).all()  # the nodata corner, 4x
    diff = np.abs(a - b)
    assert np.nanpercentile(diff, 99) < 1e-5  # windows join as one pass...
    assert np.nanmax(diff) < 0.05  # ...but near nodata (BENCHMARKS, session 9)
