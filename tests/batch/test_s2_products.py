"""`paii batch` over Sentinel-2 products as downloaded: a zipped L2A .SAFE and an L1C .SAFE
folder, read in place through a BGRN stack per granule."""

from __future__ import annotations

import zipfile
from datetime import date

import numpy as np
import pytest
import rasterio

from paii_core.batch.runner import run_batch
from paii_core.batch.stac import expand_inputs
from paii_core.batch.windows import window_files
from paii_core.enhance.files import read_bgrn
from paii_core.errors import FormatError
from paii_core.io.s2_items import open_s2_item
from paii_core.io.s2_load import load_scene
from paii_core.io.s2_scene import Grid
from tests.io import make_s2_items as items


@pytest.fixture(scope="module")
def products(tmp_path_factory):
    """A zipped L2A product (baseline 04.00: DN offset -1000) and an L1C product's folder."""
    root = tmp_path_factory.mktemp("s2-products")
    l2a = items.zip_safe(items.write_safe(root, date(2020, 6, 1), level="L2A"))
    l1c = items.write_safe(root, date(2020, 7, 1), level="L1C")
    return l2a, l1c


def test_each_granule_becomes_a_stack_that_reads_as_the_product(products, tmp_path):
    stacks = expand_inputs([*products], stacks=tmp_path / "inputs")
    assert [p.parent for p in stacks] == [tmp_path / "inputs"] * 2
    assert "20200601" in stacks[0].name and stacks[1].name.startswith("L1C_")
    for product, stack in zip(products, stacks, strict=True):
        (scene,) = open_s2_item(product)
        with rasterio.open(stack) as src:
            grid = Grid(src.crs, src.transform, src.width, src.height)
            assert src.descriptions == ("B2", "B3", "B4", "B8")
        expected = load_scene(scene, grid).reflectance  # how an area reads the product
        with window_files((str(stack),), (0, 0, grid.width, grid.height)) as (copy,):
            got = read_bgrn(copy)  # what a batch worker reads: a window's GeoTIFF copy
        np.testing.assert_allclose(got.data, expected, atol=1e-6)
        assert got.tags["DATE"] == scene.day.isoformat()


def test_paii_batch_dehazes_products_by_their_level_and_a_rerun_redoes_nothing(
    cluster, products, tmp_path
):
    out = tmp_path / "out"
    inputs = expand_inputs([*products], stacks=out / "inputs")
    res = run_batch("dehaze", inputs, out, scheduler=cluster.scheduler_address)
    assert not res.failed and len(res.computed) == 2
    levels = {}
    for tile in sorted((out / "tiles").rglob("*.tif")):
        with rasterio.open(tile) as src:
            levels[tile.parent.name[:3]] = src.tags()["PAII_REFLECTANCE_LEVEL"]
    assert levels == {"L1C": "TOA", "L2A": "L2A"}  # the L1C by its haze path, as paii dehaze
    # one mosaic of the two dates (one grid) names neither date; each tile names its own
    (mosaic,) = (out / "mosaic").glob("*.tif")
    with rasterio.open(mosaic) as src:
        assert "DATE" not in src.tags() and "PRODUCT_TYPE" not in src.tags()
        assert src.tags()["PAII_PRODUCT"] == "dehazed reflectance"  # as `paii dehaze` tags it
    dates = set()
    for tile in (out / "tiles").rglob("*.tif"):
        with rasterio.open(tile) as src:
            dates.add(src.tags()["DATE"])
    assert dates == {"2020-06-01", "2020-07-01"}
    again = run_batch(
        "dehaze", expand_inputs([*products], stacks=out / "inputs"), out,
        scheduler=cluster.scheduler_address,
    )  # fmt: skip
    assert not again.computed and len(again.skipped) == 2


def test_a_zip_named_as_a_product_without_one_is_refused(tmp_path):
    fake = tmp_path / "S2A_MSIL2A_20200601T000000_N0400_R001_T33TWM_20200601T000000.zip"
    with zipfile.ZipFile(fake, "w") as z:
        z.writestr("readme.txt", "not a product")
    with pytest.raises(FormatError, match="holds no Sentinel-2 product"):
        expand_inputs([fake], stacks=tmp_path / "inputs")
