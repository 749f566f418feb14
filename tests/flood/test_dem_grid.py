"""dem_on_grid: a DEM that cannot be placed on the SAR grid is refused, naming the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from affine import Affine
from rasterio.crs import CRS

from paii_core import io
from paii_core.errors import InputFileError
from paii_core.flood.files import dem_on_grid

SAR = io.Raster(
    np.zeros((2, 4, 4), np.float32), CRS.from_epsg(32650), Affine(10, 0, 500_000, 0, -10, 3e6),
    ("VV", "VH"), {},
)  # fmt: skip


def _dem(crs: CRS, transform: Affine) -> io.Raster:
    return io.Raster(np.ones((1, 4, 4), np.float32), crs, transform, ("elevation",), {})


def test_a_local_crs_is_refused():
    local = _dem(CRS.from_wkt('LOCAL_CS["local",UNIT["metre",1]]'), SAR.transform)
    with pytest.raises(InputFileError, match=r"dem\.tif: has a CRS that cannot be placed"):
        dem_on_grid(local, SAR, dem_path=Path("dem.tif"))


def test_a_dem_elsewhere_is_refused():
    far = _dem(CRS.from_epsg(32650), Affine(10, 0, 900_000, 0, -10, 3e6))
    with pytest.raises(InputFileError, match=r"dem\.tif: does not overlap the SAR scene"):
        dem_on_grid(far, SAR, dem_path=Path("dem.tif"))


def test_a_dem_flipped_on_one_axis_is_refused():
    flipped = _dem(CRS.from_epsg(32650), Affine(10, 0, 500_000, 0, 10, 3e6 - 40))
    with pytest.raises(InputFileError, match=r"dem\.tif: has unusable bounds"):
        dem_on_grid(flipped, SAR, dem_path=Path("dem.tif"))
