"""Tests of paii_core.io.geotiff: round trips, rejections and atomic writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
import rasterio.io
from affine import Affine
from numpy.testing import assert_array_equal
from rasterio.windows import Window

from paii_core.errors import FormatError, InputNotFoundError, ValidationError
from paii_core.io import Raster, read_geotiff, read_raster, read_window, write_geotiff

from .conftest import ORIGIN, UTM50


def _image(c: int = 3, h: int = 20, w: int = 30) -> np.ndarray:
    data = np.arange(c * h * w, dtype=np.float32).reshape(c, h, w) / 7.0
    data[0, 0, 0] = np.nan
    data[-1, 5, 7] = np.nan
    return data


def test_round_trip_float_exact(tmp_path, grid):
    data = _image()
    out = write_geotiff(
        tmp_path / "a.tif", data, band_names=("x", "y", "z"), tags={"DATE": "2020-07-10"}, **grid
    )
    r = read_geotiff(out)
    assert_array_equal(r.data, data)
    assert r.data.dtype == np.float32
    assert r.band_names == ("x", "y", "z")
    assert r.tags["DATE"] == "2020-07-10"
    assert r.crs == UTM50 and r.transform == ORIGIN
    assert (r.count, r.height, r.width) == (3, 20, 30)
    assert r.res == (10.0, 10.0)
    assert tuple(r.bounds) == (500000.0, 3_899_800.0, 500300.0, 3_900_000.0)


def test_written_file_is_plain_tiled_geotiff(tmp_path, grid):
    path = write_geotiff(tmp_path / "a.tif", _image(), **grid)
    with rasterio.open(path) as src:
        assert src.driver == "GTiff"
        assert src.block_shapes == [(256, 256)] * 3
        assert src.compression.value == "DEFLATE"
        assert np.isnan(src.nodata)
        assert np.isnan(src.read(1)[0, 0])
    assert [p.name for p in tmp_path.iterdir()] == ["a.tif"]


def test_two_d_input_and_default_band_names(tmp_path, grid):
    plane = np.ones((4, 5), dtype=np.float64)
    r = read_geotiff(write_geotiff(tmp_path / "p.tif", plane, **grid))
    assert r.data.shape == (1, 4, 5)
    assert r.band_names == ("band1",)


def test_integer_dtype_with_nodata(tmp_path, grid):
    data = np.array([[[1.0, np.nan], [65535.0, 2.4]]])
    path = write_geotiff(tmp_path / "u.tif", data, dtype="uint16", nodata=0, **grid)
    with rasterio.open(path) as src:
        assert src.dtypes[0] == "uint16" and src.nodata == 0
        assert_array_equal(src.read(1), [[1, 0], [65535, 2]])
    assert_array_equal(read_geotiff(path).data[0], [[1.0, np.nan], [65535.0, 2.0]])


def test_float_with_explicit_nodata(tmp_path, grid):
    data = np.array([[1.5, np.nan]], dtype=np.float32)
    path = write_geotiff(tmp_path / "f.tif", data, nodata=-9999.0, **grid)
    with rasterio.open(path) as src:
        assert src.read(1)[0, 1] == -9999.0
    assert_array_equal(read_geotiff(path).data[0], [[1.5, np.nan]])


def test_all_nodata_is_not_an_error(tmp_path, grid):
    path = write_geotiff(tmp_path / "n.tif", np.full((2, 3), np.nan), **grid)
    assert np.isnan(read_geotiff(path).data).all()


def test_missing_file(tmp_path):
    with pytest.raises(InputNotFoundError, match=r"nope\.tif: GeoTIFF not found"):
        read_geotiff(tmp_path / "nope.tif")


def test_not_a_raster(tmp_path):
    path = tmp_path / "text.tif"
    path.write_text("hello")
    with pytest.raises(FormatError, match=r"text\.tif: is not a readable GeoTIFF"):
        read_geotiff(path)


def test_truncated_geotiff(tmp_path, grid):
    rng = np.random.default_rng(0)
    path = write_geotiff(tmp_path / "t.tif", rng.random((2, 300, 300)), **grid)
    blob = path.read_bytes()
    path.write_bytes(blob[: len(blob) * 3 // 4])
    with pytest.raises(FormatError, match=r"t\.tif: could not be read to the end; it is truncated"):
        read_geotiff(path)


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_no_crs(tmp_path):
    path = tmp_path / "nocrs.tif"
    profile = {"driver": "GTiff", "height": 2, "width": 2, "count": 1, "dtype": "float32"}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.ones((1, 2, 2), dtype=np.float32))
    with pytest.raises(FormatError, match=r"nocrs\.tif: has no CRS.*Fix: assign the CRS of its "
                       r"coordinates, e\.g\. `gdal_edit\.py -a_srs EPSG:32650 FILE` "
                       r"\(and `-a_ullr`"):  # fmt: skip
        read_geotiff(path)


def test_wrong_band_count(tmp_path, grid):
    path = write_geotiff(tmp_path / "b.tif", _image(), **grid)
    with pytest.raises(FormatError, match=r"b\.tif: has 3 bands, expected 4"):
        read_geotiff(path, expected_bands=4)
    with pytest.raises(FormatError, match="has 3 bands, expected 2"):
        read_geotiff(path, band_names=("a", "b"))


def test_band_names_checked_against_descriptions(tmp_path, grid):
    path = write_geotiff(tmp_path / "d.tif", _image(2), band_names=("VV", "VH"), **grid)
    assert read_geotiff(path, band_names=("VV", "VH")).band_names == ("VV", "VH")
    with pytest.raises(FormatError, match=r"descriptions \('VV', 'VH'\) do not match"):
        read_geotiff(path, band_names=("VH", "VV"))
    with pytest.raises(ValidationError, match="has 1 names for 2 bands"):
        read_geotiff(path, expected_bands=2, band_names=("VV",))
    plain = write_geotiff(tmp_path / "e.tif", _image(2), **grid)
    assert read_geotiff(plain, band_names=("p", "q")).band_names == ("p", "q")


def test_other_driver_is_not_a_geotiff(tmp_path):
    path = tmp_path / "x.img"
    profile = {"driver": "ENVI", "height": 2, "width": 2, "count": 1, "dtype": "float32"}
    with rasterio.open(path, "w", crs="EPSG:32650", transform=ORIGIN, **profile) as dst:
        dst.write(np.ones((1, 2, 2), dtype=np.float32))
    with pytest.raises(FormatError, match=r"is a ENVI raster, not a GeoTIFF\. Fix: convert it to a "
                       r"GeoTIFF: `gdal_translate -of GTiff FILE OUT\.tif`$"):  # fmt: skip
        read_geotiff(path)
    assert read_raster(path).data.shape == (1, 2, 2)


def test_read_window(tmp_path, grid):
    data = _image()
    path = write_geotiff(tmp_path / "w.tif", data, **grid)
    r = read_window(path, Window(5, 4, 10, 6))
    assert_array_equal(r.data, data[:, 4:10, 5:15])
    assert r.transform == ORIGIN @ Affine.translation(5, 4)
    with pytest.raises(ValidationError, match=r"is not inside .*w\.tif \(20 rows x 30 cols\)"):
        read_window(path, Window(25, 0, 10, 5))
    with pytest.raises(ValidationError, match="is not inside"):
        read_window(path, Window(0, 0, 0, 5))


def test_raster_validates_itself():
    with pytest.raises(ValidationError, match=r"should be \(C, H, W\)"):
        Raster(np.zeros((2, 2), np.float32), UTM50, ORIGIN)
    with pytest.raises(ValidationError, match="has 1 bands but 2 band_names"):
        Raster(np.zeros((1, 2, 2), np.float32), UTM50, ORIGIN, ("a", "b"))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"data": np.zeros((2, 2, 2, 2))}, r"should be \(H, W\) or \(C, H, W\)"),
        ({"crs": "EPSG:nonsense"}, "is not a CRS"),
        ({"crs": None}, "crs is required"),
        ({"transform": (10, 0, 0, 0, -10, 0)}, "transform should be an affine.Affine"),
        ({"dtype": "not-a-dtype"}, "is not a numpy dtype"),
        ({"dtype": "complex64"}, "cannot be written"),
        ({"compress": "rar"}, "compress 'rar' is unknown"),
        ({"band_names": ("a",)}, "band_names has 1 entries for 2 bands"),
        ({"band_units": ("m", "m", "m")}, "band_units has 3 entries for 2 bands"),
        ({"dtype": "uint8"}, "needs an explicit nodata"),
        ({"dtype": "uint8", "nodata": 300}, "nodata 300 does not fit"),
        ({"dtype": "uint8", "nodata": 0, "data": np.full((2, 2), 999.0)}, "do not fit dtype"),
    ],
)
def test_write_rejects_bad_arguments(tmp_path, kwargs, match):
    args = {"data": np.ones((2, 3, 3)), "crs": UTM50, "transform": ORIGIN} | kwargs
    with pytest.raises(ValidationError, match=match):
        write_geotiff(tmp_path / "bad.tif", **args)
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_previous_file(tmp_path, grid, monkeypatch):
    path = write_geotiff(tmp_path / "keep.tif", np.ones((2, 2)), **grid)
    before = path.read_bytes()

    def disk_full(self, *args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(rasterio.io.DatasetWriter, "write", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_geotiff(path, np.zeros((2, 2)), **grid)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep.tif"]


def test_uncompressed_write(tmp_path, grid):
    path = write_geotiff(tmp_path / "raw.tif", np.ones((2, 2)), compress=None, **grid)
    with rasterio.open(path) as src:
        assert src.compression is None


def test_band_names_from_description_metadata(tmp_path, grid):
    """openEO names bands only in each band's DESCRIPTION metadata item, not in GDAL's
    band description: both are band names (the description wins where both exist)."""
    path = write_geotiff(tmp_path / "openeo.tif", _image(), **grid)
    with rasterio.open(path, "r+") as dst:
        dst.update_tags(1, DESCRIPTION="B04")
        dst.update_tags(2, DESCRIPTION="B03")
        dst.set_band_description(3, "B02")
        dst.update_tags(3, DESCRIPTION="ignored")
    assert read_geotiff(path).band_names == ("B04", "B03", "B02")


def test_real_openeo_file_band_names():
    """The real openEO L2A sample (data/real/italy_s2_l2a_openeo) was 'band1'..'band5'."""
    path = Path(__file__).resolve().parents[2] / "data/real/italy_s2_l2a_openeo/S2_L2A_sample.tif"
    assert read_geotiff(path).band_names == ("B04", "B03", "B02", "B08", "SCL")
