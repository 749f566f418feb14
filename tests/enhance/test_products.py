"""Enhanced products are cached by input hash, method and model version."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from affine import Affine

from paii_core.enhance.products import enhance_cached, input_hash
from paii_core.errors import ValidationError
from paii_core.io import Raster


def test_input_hash_tells_inputs_apart():
    a = np.zeros((4, 3, 3), np.float32)
    assert input_hash(a) == input_hash(a.copy())
    assert input_hash(a) != input_hash(a + 1) != input_hash(a, None)


def test_second_request_is_read_from_cache(tiny_world, scene):
    raster = Raster(scene.clear[0], "EPSG:32650", Affine(10, 0, 0, 0, -10, 0))
    first = enhance_cached("sr", raster, method="bicubic", simulated=True)
    again = enhance_cached("sr", raster, method="bicubic", simulated=True)
    assert not first.cached and again.cached
    assert first.path.name.startswith("simulated_sr_bicubic_")
    assert first.path.is_relative_to(tiny_world)
    np.testing.assert_array_equal(first.data, again.data)
    with pytest.raises(ValidationError, match="method for dehaze"):
        enhance_cached("dehaze", raster, method="bicubic", simulated=True)
    with pytest.raises(ValidationError, match="kind must be one of"):
        enhance_cached("deblur", raster, method="model", simulated=True)


def test_dehazed_product_keeps_the_thick_haze_band(tmp_path, monkeypatch, scene):
    import rasterio

    from paii_core.demo import haze

    monkeypatch.setenv("PAII_DATA_DIR", str(tmp_path))
    clear = scene.clear[0].copy()
    tau = np.full(clear.shape[1:], 4.0, np.float32)  # haze too thick to see through
    hazy = haze.apply_haze(clear, tau)
    hazy[:, :3, :3] = np.nan
    raster = Raster(hazy, "EPSG:32650", Affine(10, 0, 0, 0, -10, 0), tags={"REFLECTANCE": "TOA"})
    first = enhance_cached("dehaze", raster, method="dcp", simulated=False)
    again = enhance_cached("dehaze", raster, method="dcp", simulated=False)
    assert first.path.name.startswith("dehaze_dcp_dcp_toa_") and again.cached
    assert first.path.is_relative_to(tmp_path)
    assert first.data.shape == again.data.shape == clear.shape
    np.testing.assert_array_equal(first.data, again.data)
    with rasterio.open(first.path) as ds:
        assert ds.count == 5 and ds.descriptions[4] == "THICK_HAZE"
        assert ds.tags()["PAII_REFLECTANCE_LEVEL"] == "TOA"
        share, flags = float(ds.tags()["PAII_THICK_HAZE_SHARE"]), ds.read(5)
    assert np.isnan(flags[:3, :3]).all() and np.isnan(first.data[:, :3, :3]).all()
    assert np.nanmean(flags) > 0.5 and share == pytest.approx(np.nanmean(flags), abs=1e-4)
    assert np.isnan(first.data[:, flags == 1]).all()
    assert not np.isnan(first.data[:, flags == 0]).any()
    l2a = enhance_cached("dehaze", replace(raster, tags={}), method="dcp", simulated=False)
    assert l2a.path.name.startswith("dehaze_dcp_dcp_l2a_") and not l2a.cached


def test_download_names_the_input_it_came_from(tmp_path, monkeypatch, scene):
    """The downloaded GeoTIFF says its input (an uploaded file's name) and date; the
    cached file, keyed by pixels alone, is left as it was."""
    import rasterio
    from rasterio.io import MemoryFile

    from paii_core.enhance.products import download_bytes

    monkeypatch.setenv("PAII_DATA_DIR", str(tmp_path))
    raster = Raster(scene.clear[0], "EPSG:32650", Affine(10, 0, 0, 0, -10, 0))
    product = enhance_cached("sr", raster, method="bicubic", simulated=False)
    data = download_bytes(product, source="T33UUU_20170216.tif", acquired="2017-02-16")
    with MemoryFile(data) as mem, mem.open() as got, rasterio.open(product.path) as kept:
        tags = got.tags()
        assert (tags["PAII_SOURCE"], tags["DATE"]) == ("T33UUU_20170216.tif", "2017-02-16")
        assert tags["PAII_METHOD"] == "bicubic" and "PAII_SOURCE" not in kept.tags()
        assert got.descriptions == kept.descriptions and got.transform == kept.transform
        np.testing.assert_array_equal(got.read(), kept.read())


def test_download_of_a_landsat_input_keeps_its_sensor_and_band_names(tmp_path, monkeypatch, scene):
    """A Landsat-5 TM reflectance file (`paii reflectance` of data/real/rstoolbox_landsat5_tm)
    dehazed on the Imagery page came back with Sentinel-2's band names B2, B3, B4, B8 and
    without SPACECRAFT_NAME, SENSOR or the product id."""
    from rasterio.io import MemoryFile

    from paii_core.enhance.products import download_bytes

    monkeypatch.setenv("PAII_DATA_DIR", str(tmp_path))
    tags = {"DATE": "1988-08-14", "SPACECRAFT_NAME": "Landsat-5", "SENSOR": "TM",
            "LANDSAT_PRODUCT_ID": "LT52240631988227CUB02", "REFLECTANCE": "TOA"}  # fmt: skip
    raster = Raster(scene.clear[0], "EPSG:32722", Affine(30, 0, 0, 0, -30, 0),
                    band_names=("blue", "green", "red", "nir"), tags=tags)  # fmt: skip
    product = enhance_cached("dehaze", raster, method="dcp", simulated=False)
    data = download_bytes(product, source="LT05_refl.tif", acquired="1988-08-14", like=raster)
    with MemoryFile(data) as mem, mem.open() as got:
        assert got.descriptions == ("blue", "green", "red", "nir", "THICK_HAZE")
        got_tags = got.tags()
        assert got_tags["SPACECRAFT_NAME"] == "Landsat-5" and got_tags["SENSOR"] == "TM"
        assert got_tags["LANDSAT_PRODUCT_ID"] == "LT52240631988227CUB02"
