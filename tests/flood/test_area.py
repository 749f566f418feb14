"""Tests of paii_core.flood.area: mask areas on UTM and longitude/latitude grids."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine
from pyproj import Geod

from paii_core.errors import ValidationError
from paii_core.flood.area import mask_area_km2


def test_projected_pixels_are_their_square_metres():
    mask = np.zeros((10, 10), bool)
    mask[:4, :5] = True
    assert mask_area_km2(mask, Affine(10, 0, 5e5, 0, -10, 4.3e6), "EPSG:32615") == pytest.approx(
        20 * 100 / 1e6
    )


def test_degree_pixels_match_the_ellipsoid_area():
    """A whole 512 x 512 chip of 8.98e-5 degree pixels at 38.7 N (the real Sen1Floods11
    USA_905409 grid, 4.0 x 5.1 km): about 20.4 km², within 0.5 % of the WGS84 ellipsoid's area. The
    page used to multiply degrees by degrees and said 0.00 km²."""
    d = 8.983152841195215e-05
    transform = Affine(d, 0, -94.931, 0, -d, 38.727)
    got = mask_area_km2(np.ones((512, 512), bool), transform, "EPSG:4326")
    west, north = -94.931, 38.727
    east, south = west + 512 * d, north - 512 * d
    ellipsoid, _ = Geod(ellps="WGS84").polygon_area_perimeter(
        [west, east, east, west], [north, north, south, south]
    )
    assert got == pytest.approx(abs(ellipsoid) / 1e6, rel=5e-3)
    assert 20 < got < 21


def test_rotated_degree_grid_refused():
    with pytest.raises(ValidationError, match="rotated in degrees; warp the raster"):
        mask_area_km2(np.ones((2, 2), bool), Affine(1e-4, 1e-5, 0, 1e-5, -1e-4, 0), "EPSG:4326")
