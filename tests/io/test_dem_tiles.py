"""A DEM given as the tiles an area or scene lies across: one mosaic, voids see-through."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio

from paii_core.config import REPO_ROOT
from paii_core.errors import FormatError
from paii_core.io import read_dem
from paii_core.io.dem_tiles import dem_mosaic

REAL = REPO_ROOT / "data" / "real" / "pysheds_dem_90m" / "dem_3arcsec_epsg4326.tif"
"""Real SRTM 3" elevations around Fort Worth (int16, voids -32768)."""


def _tiles(tmp_path, *, void_overlap: bool = False):
    """The real DEM cut into a west and an east tile that overlap by 30 columns (the east
    one's overlap all voids when ``void_overlap``)."""
    with rasterio.open(REAL) as src:
        z, profile = src.read(1), src.profile
    paths = []
    for name, start, stop in (("west", 0, 200), ("east", 170, z.shape[1])):
        part = z[:, start:stop].copy()
        if void_overlap and name == "east":
            part[:, :30] = -32768
        t = profile["transform"] * rasterio.Affine.translation(start, 0)
        path = tmp_path / f"{name}.tif"
        with rasterio.open(path, "w", **profile | {"width": part.shape[1], "transform": t}) as d:
            d.write(part, 1)
        paths.append(path)
    return z, paths


@pytest.mark.parametrize("void_overlap", [False, True])
def test_two_tiles_read_as_the_whole_dem(tmp_path, void_overlap):
    _, tiles = _tiles(tmp_path, void_overlap=void_overlap)
    with dem_mosaic(tiles) as one:
        r = read_dem(one)
        assert one.suffix == ".vrt" and one.name == "west+east.vrt"
    assert not one.exists()
    whole = read_dem(REAL)
    assert r.data.shape == whole.data.shape and r.crs == whole.crs
    assert r.transform.almost_equals(whole.transform)
    np.testing.assert_array_equal(r.data, whole.data)  # a void never hides the other tile


def test_one_dem_is_passed_as_it_is(tmp_path):
    with dem_mosaic(REAL) as one:
        assert one == REAL
    with dem_mosaic([str(REAL)]) as one:
        assert one == REAL


def test_tiles_of_other_crs_or_units_are_refused_naming_both(tmp_path):
    _, tiles = _tiles(tmp_path)
    with rasterio.open(tiles[1], "r+") as dst:
        dst.crs = "EPSG:4269"
    with pytest.raises(FormatError, match=r"east\.tif: is in EPSG:4269, west\.tif in EPSG:4326"):
        with dem_mosaic(tiles):
            pass
    with rasterio.open(tiles[1], "r+") as dst:
        dst.crs = "EPSG:4326"
        dst.units = ("ft",)
    with pytest.raises(FormatError, match=r"east\.tif: has elevations in 'ft', west\.tif in "):
        with dem_mosaic(tiles):
            pass


def test_errors_in_the_block_name_the_tiles_not_the_mosaic(tmp_path):
    _, tiles = _tiles(tmp_path)
    with pytest.raises(FormatError) as caught:
        with dem_mosaic(tiles) as one:
            raise FormatError(one, "does not overlap the SAR scene", "pass a DEM that covers it")
    assert str(caught.value).startswith(f"{tiles[0]} + {tiles[1]}: does not overlap")
