"""Tests of paii_core.io.dem: metres round trip, feet conversion, rejections."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from numpy.testing import assert_array_equal

from paii_core.errors import FormatError, PaiiWarning, ValidationError
from paii_core.io import read_dem, write_dem, write_geotiff

from .conftest import ORIGIN, UTM50


def _dem() -> np.ndarray:
    dem = np.arange(12, dtype=np.float32).reshape(3, 4) * 2.5 + 20.0
    dem[2, 3] = np.nan
    return dem


def test_round_trip_metres(tmp_path, grid):
    path = write_dem(tmp_path / "dem.tif", _dem(), **grid)
    r = read_dem(path)
    assert r.data.shape == (1, 3, 4)
    assert_array_equal(r.data[0], _dem())
    assert r.band_names == ("elevation",)
    assert r.tags["UNITTYPE"] == "m"
    with rasterio.open(path) as src:
        assert src.units == ("m",) and src.count == 1


@pytest.mark.parametrize(
    ("band_units", "tags", "factor"),
    [
        (("ft",), None, 0.3048),
        (None, {"UNITTYPE": "foot"}, 0.3048),
        (None, {"units": "US-FT"}, 1200 / 3937),
    ],
)
def test_feet_converted_with_warning(tmp_path, band_units, tags, factor):
    feet = np.array([[100.0, 250.0]], dtype=np.float32)
    path = write_geotiff(tmp_path / "ft.tif", feet, crs=UTM50, transform=ORIGIN,
                         band_units=band_units, tags=tags)  # fmt: skip
    with pytest.warns(PaiiWarning, match=r"ft\.tif: elevations are in .*converted to metres"):
        r = read_dem(path)
    assert_array_equal(r.data[0], (feet.astype(np.float64) * factor).astype(np.float32))
    assert r.tags["UNITTYPE"] == "m"


def test_unknown_unit(tmp_path):
    path = write_geotiff(tmp_path / "fur.tif", np.ones((2, 2)), crs=UTM50, transform=ORIGIN,
                         band_units=("furlong",))  # fmt: skip
    with pytest.raises(FormatError, match="elevation unit 'furlong' is neither metres nor feet"):
        read_dem(path)


def test_two_bands_rejected(tmp_path):
    path = write_geotiff(tmp_path / "two.tif", np.ones((2, 2, 2)), crs=UTM50, transform=ORIGIN)
    with pytest.raises(FormatError, match=r"two\.tif: has 2 bands; a DEM has one"):
        read_dem(path)


def test_writer_rejects_3d(tmp_path, grid):
    with pytest.raises(ValidationError, match=r"dem should be \(H, W\) metres"):
        write_dem(tmp_path / "x.tif", np.ones((1, 2, 2)), **grid)


def test_undecodable_unit_names_the_file(tmp_path):
    path = write_geotiff(tmp_path / "odd.tif", np.ones((2, 2)), crs=UTM50, transform=ORIGIN,
                         band_units=("metre",))  # fmt: skip
    path.write_bytes(path.read_bytes().replace(b"metre", b"m\x8ctre"))  # same length
    with pytest.raises(FormatError, match=r"odd\.tif: has a band unit that is not valid UTF-8"):
        read_dem(path)


def test_srtm_tiles_as_downloaded(tmp_path):
    """The real Fort Worth SRTM 3" subset (data/real/pysheds_dem_90m) inside its 1-degree
    tile N32W098 (1201 x 1201 px, voids -32768 around it), as an .hgt and as NASA's
    zipped .hgt.zip: read in place, voids NaN, the real elevations where they are."""
    import zipfile

    from rasterio.shutil import copy as gdal_copy

    from paii_core.config import REPO_ROOT

    real = REPO_ROOT / "data" / "real" / "pysheds_dem_90m" / "dem_3arcsec_epsg4326.tif"
    with rasterio.open(real) as src:
        sub = src.read(1)
    tile = np.full((1201, 1201), -32768, np.int16)
    tile[214 : 214 + sub.shape[0], 618 : 618 + sub.shape[1]] = sub
    half = 0.5 / 1200  # .hgt pixels are centred on whole 3" points
    tif = tmp_path / "tile.tif"
    with rasterio.open(tif, "w", driver="GTiff", width=1201, height=1201, count=1,
                       dtype="int16", crs="EPSG:4326", nodata=-32768,
                       transform=rasterio.Affine(1 / 1200, 0, -98 - half, 0, -1 / 1200, 33 + half),
                       ) as dst:  # fmt: skip
        dst.write(tile, 1)
    hgt = tmp_path / "N32W098.hgt"
    gdal_copy(tif, hgt, driver="SRTMHGT")
    archive = tmp_path / "N32W098.SRTMGL3.hgt.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.write(hgt, hgt.name)
    for path in (hgt, archive):
        r = read_dem(path)
        assert r.data.shape == (1, 1201, 1201) and r.crs.to_epsg() == 4326
        inner = r.data[0, 214 : 214 + sub.shape[0], 618 : 618 + sub.shape[1]]
        assert_array_equal(inner, np.where(sub == -32768, np.nan, sub).astype(np.float32))
        assert np.isnan(r.data[0, :200]).all()  # voids are no data, not -32768 m
    grid = tmp_path / "dem.asc"
    gdal_copy(tif, grid, driver="AAIGrid")
    with pytest.raises(FormatError, match=r"dem\.asc: is a AAIGrid raster, not a GeoTIFF or SRTM "):
        read_dem(grid)
