"""`paii batch` over Landsat products as USGS delivers them (the .tar, the folder, the MTL
or its band files), read in place through one reflectance stack per product."""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

import numpy as np
import pytest
import rasterio

from paii_core.batch.runner import run_batch
from paii_core.batch.stac import expand_inputs
from paii_core.batch.windows import window_files
from paii_core.config import paths
from paii_core.enhance.files import is_toa, read_bgrn
from paii_core.errors import FormatError, InputNotFoundError
from paii_core.io.landsat import read_landsat

L5 = paths().root / "data" / "real" / "rstoolbox_landsat5_tm"
L5_ID = "LT52240631988227CUB02"


@pytest.fixture(scope="module")
def product(tmp_path_factory):
    """The real Landsat-5 TM product with a fill corner (DN 0 in every band, as the edge
    of a scene is), as a folder and as the .tar EarthExplorer delivers."""
    root = tmp_path_factory.mktemp("landsat")
    folder = root / L5_ID
    shutil.copytree(L5, folder)
    for band in (1, 2, 3, 4):
        with rasterio.open(folder / f"{L5_ID}_B{band}.TIF", "r+") as dst:
            dn = dst.read(1)
            dn[:40, :60] = 0
            dst.write(dn, 1)
    tar = root / f"{L5_ID}.tar"
    with tarfile.open(tar, "w") as t:
        for part in sorted(folder.iterdir()):
            t.add(part, f"./{part.name}")
    return folder, tar


def test_the_stack_reads_as_the_product(product, tmp_path):
    folder, tar = product
    (stack,) = expand_inputs([tar], stacks=tmp_path / "inputs")
    assert stack == tmp_path / "inputs" / f"{L5_ID}.vrt"
    expected = read_landsat(folder)
    with rasterio.open(stack) as src:
        assert src.descriptions == ("blue", "green", "red", "nir")
        assert "/vsitar/" in src.files[1]  # the bands are read inside the archive
        win = (0, 0, src.width, src.height)
    with window_files((str(stack),), win) as (copy,):
        got = read_bgrn(copy)  # what a batch worker reads: a window's GeoTIFF copy
    np.testing.assert_allclose(got.data, expected.data, rtol=1e-6, equal_nan=True)
    assert np.isnan(got.data[:, :40, :60]).all() and not np.isnan(got.data[:, 40:, 60:]).any()
    assert is_toa(got) and got.tags["DATE"] == expected.tags["DATE"] == "1988-08-14"
    assert got.transform == expected.transform and got.crs == expected.crs


def test_a_product_passed_as_its_files_is_one_stack(product, tmp_path):
    folder, _ = product  # and as its archive: the same stack
    files = [*sorted(folder.glob("*.TIF")), folder / f"{L5_ID}_MTL.txt"]
    other = tmp_path / "other.tif"
    shutil.copy(paths().root / "data" / "real" / "olinda_landsat7_stars" / "L7_ETMs.tif", other)
    _, tar = product
    stacks = expand_inputs([*files, folder, other, tar], stacks=tmp_path / "inputs")
    assert stacks == [tmp_path / "inputs" / f"{L5_ID}.vrt", other]


def test_paii_batch_dehazes_a_level1_archive_by_its_toa_path(cluster, product, tmp_path):
    _, tar = product
    out = tmp_path / "out"
    res = run_batch(
        "dehaze", expand_inputs([tar], stacks=out / "inputs"), out, tile=128,
        scheduler=cluster.scheduler_address,
    )  # fmt: skip
    assert not res.failed and len(res.computed) == 9  # 287 x 310 px in 128 px windows
    (mosaic,) = (out / "mosaic").glob("*.tif")
    with rasterio.open(mosaic) as src:
        assert src.tags()["PAII_REFLECTANCE_LEVEL"] == "TOA"
        assert src.tags()["PAII_METHOD"] == "path"
        # the capture's date, sensor and level still hold, as `paii dehaze` keeps them
        assert src.tags()["DATE"] == "1988-08-14"
        assert src.tags()["SPACECRAFT_NAME"] == "Landsat-5" and src.tags()["REFLECTANCE"] == "TOA"
        values = src.read(masked=False)
    assert values.shape == (5, 310, 287)
    assert np.isnan(values[:4, :40, :60]).all()  # the fill corner stays no data
    land = values[:4, 40:, 60:]
    assert np.isfinite(land).mean() > 0.99 and np.nanmin(land) >= 0.0


def test_a_product_without_a_band_file_is_refused_by_name(product, tmp_path):
    folder, _ = product
    broken = tmp_path / L5_ID
    shutil.copytree(folder, broken)
    (broken / f"{L5_ID}_B3.TIF").unlink()
    with pytest.raises(InputNotFoundError, match=rf"{L5_ID}_B3\.TIF: band 3 file .* missing"):
        expand_inputs([broken], stacks=tmp_path / "inputs")
    assert not (tmp_path / "inputs").exists() or not any((tmp_path / "inputs").iterdir())


def test_band_files_on_different_grids_are_refused(product, tmp_path):
    folder, _ = product
    odd = tmp_path / L5_ID
    shutil.copytree(folder, odd)
    band = odd / f"{L5_ID}_B4.TIF"
    with rasterio.open(band) as src:
        profile, dn = src.profile, src.read(1)
    profile.update(width=profile["width"] - 10)
    narrow = tmp_path / "narrow.tif"  # GDAL's create deletes the MTL that a band path is part of
    with rasterio.open(narrow, "w", **profile) as dst:
        dst.write(dn[:, :-10], 1)
    narrow.replace(band)
    with pytest.raises(FormatError, match="on different grids"):
        expand_inputs([odd], stacks=tmp_path / "inputs")


def test_cropland_and_parcels_refuse_a_landsat_season_by_its_pixel_size(product, tmp_path):
    """A Landsat stack is 30 m: the crop models learned 10 m fields, so a season of it is
    refused, naming the file and what to pass instead."""
    _, tar = product
    (stack,) = expand_inputs([tar], stacks=tmp_path / "inputs")
    for job in ("cropland", "parcels"):
        with pytest.raises(FormatError, match=r"has 30 x 30 m pixels; cropland and parcels"):
            run_batch(job, [stack], tmp_path / job)


@pytest.mark.parametrize("level2", [True, False])
def test_a_collection2_product_stacks_as_read_landsat_reads_it(tmp_path, level2):
    """Collection 2 (MTL in JSON): Level-2 surface reflectance (DN * 2.75e-5 - 0.2) and
    Level-1 TOA from its REFLECTANCE_MULT/ADD over sin(sun elevation), fill as NaN."""
    from tests.io.test_landsat import _c2

    (tmp_path / "product").mkdir()
    _c2(tmp_path / "product", level2=level2, as_json=True)
    (stack,) = expand_inputs([tmp_path / "product"], stacks=tmp_path / "inputs")
    expected = read_landsat(tmp_path / "product")
    with rasterio.open(stack) as src:
        win = (0, 0, src.width, src.height)
    with window_files((str(stack),), win) as (copy,):
        got = read_bgrn(copy)
    # GDAL scales in double, read_landsat in float32: equal within float32's step
    np.testing.assert_allclose(got.data, expected.data, atol=1e-7, equal_nan=True)
    assert np.isnan(got.data[:, 0, 0]).all()  # DN 0: fill
    assert is_toa(got) is (not level2) and got.tags["REFLECTANCE"] == expected.tags["REFLECTANCE"]


def test_plain_geotiffs_are_not_searched_for_a_landsat_mtl(tmp_path, monkeypatch):
    """Each Landsat check globs the input's folder for MTLs: done for every one of 2,000
    tiles in one folder it took 21 s (quadratic in the folder's size); only folders, MTLs
    and files named as Landsat names them are checked."""
    import paii_core.batch.stac as stac

    looked: list[str] = []
    monkeypatch.setattr(stac, "is_landsat", lambda p: looked.append(Path(p).name) or False)
    tiles = [tmp_path / f"tile_{i:03d}.tif" for i in range(20)]
    named = tmp_path / f"{L5_ID}_B1.TIF"
    assert expand_inputs([*tiles, named], stacks=tmp_path / "inputs") == [*tiles, named]
    assert looked == [named.name]
