"""Shared fixtures for the I/O tests: a small UTM grid."""

from __future__ import annotations

import pytest
from affine import Affine
from rasterio.crs import CRS

UTM50 = CRS.from_epsg(32650)
ORIGIN = Affine(10.0, 0.0, 500000.0, 0.0, -10.0, 3_900_000.0)


@pytest.fixture
def grid() -> dict[str, object]:
    """Georeferencing keywords of a 10 m grid in UTM zone 50N."""
    return {"crs": UTM50, "transform": ORIGIN}
