"""A local dask cluster shared by the batch tests, and tiny real-format inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from affine import Affine

from paii_core import io

CRS = "EPSG:32650"


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
