"""`paii batch` as a data engineer runs it on a cluster of their own: `dask scheduler` and
`dask worker` started as separate commands, a real Sentinel-2 L2A crop, the CLI with
--scheduler. Every process started here is stopped, whatever happens."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.windows import Window

from paii_core.enhance.files import sr_geotiff
from tests.batch.conftest import REPO, HandStarted

REAL = REPO / "data" / "real" / "italy_s2_l2a_openeo" / "S2_L2A_sample.tif"

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


def test_paii_batch_sr_on_a_hand_started_scheduler_equals_paii_sr(tmp_path):
    src = _crop(tmp_path / "S2_L2A_crop.tif")
    with HandStarted(tmp_path) as cluster:
        cluster.worker(cwd=tmp_path.parent)
        cmd = [sys.executable, "-m", "paii_core.cli", "batch", "sr", "--inputs", src.name,
               "--out", "out", "--tile", "64", "--scheduler", cluster.address]  # fmt: skip
        env = cluster.env
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
