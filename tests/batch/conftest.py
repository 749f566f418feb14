"""A local dask cluster shared by the batch tests, hand-started `dask scheduler` /
`dask worker` processes, and tiny real-format inputs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from affine import Affine

from paii_core import io

CRS = "EPSG:32650"
REPO = Path(__file__).resolve().parents[2]
DASK = Path(sys.executable).with_name("dask")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HandStarted:
    """`dask scheduler` and `dask worker` started as separate commands, as a data engineer
    starts them, in ``folder``; every process is stopped on exit, whatever happened (a
    scheduler run inside the test process, in a thread, once hung a CI run for an hour)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.procs: list[subprocess.Popen] = []

    def _start(self, *args: str, cwd: Path | None = None) -> subprocess.Popen:
        proc = subprocess.Popen(
            [str(DASK), *args, "--no-dashboard"], cwd=cwd or self.folder, env=self.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.procs.append(proc)
        return proc

    def __enter__(self) -> HandStarted:
        self._start("scheduler", "--host", "127.0.0.1", "--port", str(self.port))
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    self.__exit__()
                    raise
                time.sleep(0.2)

    def worker(self, *args: str, cwd: Path | None = None) -> subprocess.Popen:
        """A `dask worker` of this scheduler with one task thread (and ``args``), run in
        ``cwd`` (this folder by default)."""
        local = self.folder / f"w{len(self.procs)}"
        return self._start("worker", self.address, "--nthreads", "1",
                           "--local-directory", str(local), *args, cwd=cwd)  # fmt: skip

    def __exit__(self, *exc) -> None:
        for p in reversed(self.procs):
            p.terminate()
        for p in self.procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)


@pytest.fixture(scope="session")
def cluster():
    """Two worker processes under nannies (a killed one is restarted), one thread each."""
    from distributed import LocalCluster

    c = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=40,
        env={"OMP_NUM_THREADS": "1"},
    )
    yield c
    c.close()


def transform(x0: float = 300_000.0, y0: float = 3_900_000.0, px: float = 10.0) -> Affine:
    return Affine(px, 0, x0, 0, -px, y0)


@pytest.fixture(scope="session")
def bgrn_files(tmp_path_factory) -> list[Path]:
    """Three 64 x 64 hazy-looking BGRN float GeoTIFFs, the last with a NaN corner."""
    folder = tmp_path_factory.mktemp("bgrn")
    rng = np.random.default_rng(3)
    paths = []
    for i in range(3):
        base = rng.uniform(0.02, 0.35, (4, 64, 64)).astype(np.float32)
        hazy = 0.7 * base + 0.3 * np.array([0.3, 0.28, 0.26, 0.2], np.float32)[:, None, None]
        if i == 2:
            hazy[:, :10, :10] = np.nan
        paths.append(
            io.write_geotiff(
                folder / f"scene_{i}.tif",
                hazy,
                crs=CRS,
                transform=transform(300_000 + 640 * i),
                band_names=("B2", "B3", "B4", "B8"),
            )
        )
    return paths


@pytest.fixture(scope="session")
def big_bgrn(tmp_path_factory) -> Path:
    """One 112 x 96 BGRN raster, cut into windows by the tests."""
    rng = np.random.default_rng(4)
    data = rng.uniform(0.02, 0.4, (4, 112, 96)).astype(np.float32)
    return io.write_geotiff(
        tmp_path_factory.mktemp("big") / "big.tif",
        data,
        crs=CRS,
        transform=transform(),
        band_names=("B2", "B3", "B4", "B8"),
    )


@pytest.fixture(scope="session")
def l2a_season(tmp_path_factory) -> tuple[list[Path], object]:
    """A generated 64 x 64 season (crops.scenes, seed 302) as Sentinel-2 L2A files."""
    from paii_core.crops.scenes import make_scene

    scene = make_scene("henan", 302, size_px=64, n_dates=12, hires_factor=2)
    folder = tmp_path_factory.mktemp("season")
    paths = [
        io.write_sentinel2_l2a(
            folder / f"S2_t_{d:%Y%m%d}_L2A.tif",
            scene.series[k],
            crs=CRS,
            transform=transform(),
            date=d.isoformat(),
        )
        for k, d in enumerate(scene.dates)
    ]
    return paths, scene
