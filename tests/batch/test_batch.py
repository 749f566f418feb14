"""paii batch on a shared local cluster: equality with the file commands, windows,
resume, a worker killed mid-run, mosaics, rollups."""

from __future__ import annotations

import os
import signal

import duckdb
import geopandas as gpd
import numpy as np
import pytest
import rasterio
from shapely.geometry import box

from paii_core.batch import run_batch
from paii_core.batch.manifest import Manifest
from paii_core.enhance import api
from paii_core.enhance.files import dehaze_geotiff, read_bgrn
from paii_core.io import read_geotiff


def _read(path):
    return read_geotiff(path).data


def test_whole_files_equal_paii_dehaze(cluster, bgrn_files, tmp_path):
    res = run_batch("dehaze", bgrn_files, tmp_path / "out", scheduler=cluster.scheduler_address)
    assert sorted(res.computed) == [f"scene_{i}/whole" for i in range(3)] and not res.failed
    for i, src in enumerate(bgrn_files):
        ref = dehaze_geotiff(src, tmp_path / f"ref_{i}.tif")
        got = _read(tmp_path / "out" / "tiles" / f"scene_{i}" / "whole.tif")
        np.testing.assert_allclose(got, _read(ref), atol=1e-5)
        assert np.isnan(got[:, :10, :10]).all() if i == 2 else np.isfinite(got).all()
    records = Manifest(tmp_path / "out").latest()
    assert {r["status"] for r in records.values()} == {"done"}
    assert all(len(r["model_version"]) == 12 and r["input_hash"] for r in records.values())
    (mosaic,) = res.mosaics
    with rasterio.open(mosaic) as src:
        assert src.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        assert src.overviews(1) and src.width == 64 * 3
        np.testing.assert_allclose(
            src.read(window=((0, 64), (0, 64))), _read(ref.parent / "ref_0.tif"), atol=1e-5
        )


def test_sr_windows_join_like_one_pass(cluster, big_bgrn, tmp_path):
    res = run_batch("sr", [big_bgrn], tmp_path, scheduler=cluster.scheduler_address, tile=64)
    assert len(res.computed) == 4  # 112 x 96 in 64 px windows
    whole = api.super_resolve(read_bgrn(big_bgrn).data)
    with rasterio.open(res.mosaics[0]) as src:
        assert (src.height, src.width) == (448, 384) and src.res == (2.5, 2.5)
        np.testing.assert_allclose(src.read(), whole, atol=1e-5)


def test_cropland_windows_equal_one_pass_and_county_rollups(cluster, l2a_season, tmp_path):
    from paii_core.crops import cropland_probability
    from paii_core.io import read_sentinel2_l2a

    paths, scene = l2a_season
    with rasterio.open(paths[0]) as src:
        left, bottom, right, top = src.bounds
    mid = (left + right) / 2
    counties = gpd.GeoDataFrame(
        {"county_id": ["41001", "41002"]},
        geometry=[box(left, bottom, mid, top), box(mid, bottom, right, top)],
        crs="EPSG:32650",
    ).to_crs("EPSG:4326")
    res = run_batch(
        "cropland", paths, tmp_path, scheduler=cluster.scheduler_address, tile=32, counties=counties
    )
    assert len(res.computed) == 4
    series = np.stack([read_sentinel2_l2a(p).data for p in paths])
    whole = cropland_probability(series, scene.dates)
    mosaic = _read(res.mosaics[0])[0]
    np.testing.assert_allclose(mosaic, whole, atol=1e-5)
    totals = duckdb.sql(
        "SELECT county_id, sum(cropland_ha) AS ha FROM read_parquet("
        f"'{tmp_path}/rollups/*/*.parquet', hive_partitioning = true) "
        "WHERE job = 'cropland' GROUP BY 1 ORDER BY 1"
    ).df()
    expected = [(whole[:, :32] > 0.5).sum() * 0.01, (whole[:, 32:] > 0.5).sum() * 0.01]
    np.testing.assert_allclose(totals["ha"], expected, atol=0.02)  # reprojected edges
    assert res.totals is not None and res.totals.is_file()


def test_rerun_skips_finished_tiles(cluster, big_bgrn, tmp_path):
    seen = []

    def stop_after_two(client, record):
        seen.append(record["tile"])
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(
            "dehaze",
            [big_bgrn],
            tmp_path,
            scheduler=cluster.scheduler_address,
            tile=64,
            method="dcp",
            on_result=stop_after_two,
        )
    stamps = {k: (tmp_path / "tiles" / f"{k}.tif").stat().st_mtime_ns for k in seen}
    res = run_batch(
        "dehaze", [big_bgrn], tmp_path, scheduler=cluster.scheduler_address, tile=64, method="dcp"
    )
    assert sorted(res.skipped) == sorted(seen) and len(res.computed) == 2
    assert stamps == {k: (tmp_path / "tiles" / f"{k}.tif").stat().st_mtime_ns for k in seen}
    # Another method is another product: nothing is skipped.
    other = run_batch(
        "dehaze",
        [big_bgrn],
        tmp_path / "m",
        scheduler=cluster.scheduler_address,
        tile=64,
        method="model",
    )
    assert not other.skipped and len(other.computed) == 4


def test_a_killed_worker_loses_and_corrupts_nothing(cluster, big_bgrn, tmp_path):
    killed = []

    def kill_a_busy_worker(client, record):
        if killed:
            return
        busy = [w for w, keys in client.processing().items() if keys]
        if busy:
            pid = client.run(os.getpid, workers=busy[:1])[busy[0]]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    res = run_batch(
        "dehaze",
        [big_bgrn],
        tmp_path / "k",
        scheduler=cluster.scheduler_address,
        tile=48,
        on_result=kill_a_busy_worker,
    )
    assert killed, "no worker was busy when the first tile finished"
    assert len(res.computed) == 6 and not res.failed
    ref = run_batch(
        "dehaze", [big_bgrn], tmp_path / "r", scheduler=cluster.scheduler_address, tile=48
    )
    np.testing.assert_array_equal(_read(res.mosaics[0]), _read(ref.mosaics[0]))
    assert not list((tmp_path / "k").rglob("*.tmp"))


def test_sr_windows_share_one_sensor_estimate_per_raster(cluster, tmp_path):
    """A raster blurred (sigma 0.7) but for a sharp corner (box capture): the raster
    reads sigma 0.34, its windows alone 0.19 to 0.69; every window uses the raster's
    estimate, so the mosaic equals `paii sr` and every tile names that model."""
    from paii_core import io
    from paii_core.batch.jobs import raster_sensor
    from paii_core.enhance.files import sr_geotiff
    from paii_core.enhance.sensor import SensorModel

    from .conftest import CRS, transform

    fine = np.random.default_rng(5).uniform(0.02, 0.4, (4, 448, 384)).astype(np.float32)
    data = SensorModel(0.7).capture(fine)
    data[:, :32, :32] = SensorModel(0.0).capture(fine)[:, :32, :32]
    src = tmp_path / "mixed.tif"
    io.write_geotiff(src, data, crs=CRS, transform=transform(), band_names=("B2", "B3", "B4", "B8"))
    whole = api.estimate_sensor(data)
    assert api.estimate_sensor(data[:, 32:, 32:]).sigma > whole.sigma + 0.3  # windows differ
    assert api.estimate_sensor(data[:, :96, :96]).sigma < whole.sigma - 0.1
    assert raster_sensor(src, 96, 112) == whole
    res = run_batch("sr", [src], tmp_path / "out", scheduler=cluster.scheduler_address, tile=64)
    assert len(res.computed) == 4 and not res.failed
    ref = sr_geotiff(src, tmp_path / "ref.tif")
    with rasterio.open(ref) as r:
        want_tag = r.tags()["PAII_SENSOR_MODEL"]
    for key in res.computed:
        with rasterio.open(tmp_path / "out" / "tiles" / f"{key}.tif") as t:
            assert t.tags()["PAII_SENSOR_MODEL"] == want_tag
    with rasterio.open(res.mosaics[0]) as got:
        np.testing.assert_allclose(got.read(), _read(ref), atol=1e-5)
