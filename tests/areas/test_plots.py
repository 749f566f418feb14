"""The insurer's plots burnt onto an area's grid: multi-part plots, contradictions, overlaps."""

import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine
from rasterio.crs import CRS

from paii_core.areas.plots import plots_on_grid
from paii_core.errors import FormatError, PaiiWarning
from paii_core.io.plots import read_plot_registry
from paii_core.io.s2_scene import Grid

UTM = CRS.from_epsg(32614)
GRID = Grid(UTM, Affine(10.0, 0.0, 600_000.0, 0.0, -10.0, 4_200_000.0), 100, 100)


def _box(col: int, row: int, size: int = 20) -> shapely.Polygon:
    """A square ``size`` pixels wide whose top-left pixel is (row, col)."""
    x0, y0 = 600_000.0 + col * 10, 4_200_000.0 - row * 10
    return shapely.box(x0, y0 - size * 10, x0 + size * 10, y0)


def _write(tmp_path, plot_ids, block_ids, boxes):
    path = tmp_path / "plots.gpkg"
    gpd.GeoDataFrame({"plot_id": plot_ids, "block_id": block_ids}, geometry=boxes, crs=UTM).to_file(
        path
    )
    return path


def test_a_plot_in_two_polygons_is_one_plot(tmp_path):
    path = _write(tmp_path, [7, 7, 8], [1, 1, 1], [_box(0, 0), _box(50, 50), _box(0, 50)])
    with warnings.catch_warnings():
        warnings.simplefilter("error", PaiiWarning)  # apart, so no overlap warning
        out, n = plots_on_grid(path, GRID, tmp_path / "registry.tif")
    assert n == 2
    plot, block, _ = read_plot_registry(out)
    assert (plot == 7).sum() == 2 * 20 * 20 and (plot == 8).sum() == 20 * 20
    assert set(np.unique(block[plot > 0])) == {1}


def test_a_plot_id_in_two_blocks_is_refused(tmp_path):
    path = _write(tmp_path, [7, 7, 8], [1, 2, 3], [_box(0, 0), _box(50, 50), _box(0, 50)])
    out = tmp_path / "registry.tif"
    with pytest.raises(
        FormatError,
        match=r"plots\.gpkg: gives 1 plot id\(s\) more than one "
        r"block_id \(plot_id 7\)",
    ):
        plots_on_grid(path, GRID, out)
    assert not out.exists()


def test_overlapping_plots_are_warned_about_with_their_area(tmp_path):
    # Plot 2 covers the right half of plot 1: 10 x 20 pixels of 100 m2 = 2 ha shared.
    path = _write(tmp_path, [1, 2], [1, 1], [_box(0, 0), _box(10, 0)])
    with pytest.warns(PaiiWarning, match=r"plots overlap each other on 2\.0 ha \(33\.3% of"):
        plots_on_grid(path, GRID, tmp_path / "registry.tif")
