"""The insurer's plot registry raster: ids, nodata and errors."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine

from paii_core.errors import FormatError, InputNotFoundError
from paii_core.io import write_geotiff
from paii_core.io.plots import read_plot_registry


def test_registry_ids_with_nodata_as_zero(tmp_path):
    ids = np.array([[[1, 2], [-1, 3]], [[7, 7], [-1, 8]]], np.int32)
    path = tmp_path / "plots.tif"
    write_geotiff(
        path,
        ids,
        crs="EPSG:32650",
        transform=Affine(10, 0, 0, 0, -10, 0),
        dtype="int32",
        nodata=-1,
        band_names=("plot_id", "block_id"),
    )
    plots, blocks, raster = read_plot_registry(path)
    assert plots.tolist() == [[1, 2], [0, 3]] and blocks.tolist() == [[7, 7], [0, 8]]
    assert raster.crs.to_epsg() == 32650


def test_registry_errors(tmp_path):
    with pytest.raises(InputNotFoundError, match="plot registry not found"):
        read_plot_registry(tmp_path / "none.tif")
    path = tmp_path / "one.tif"
    write_geotiff(path, np.ones((1, 2, 2)), crs="EPSG:32650", transform=Affine(10, 0, 0, 0, -10, 0))
    with pytest.raises(FormatError, match="has 1 bands, expected 2"):
        read_plot_registry(path)
