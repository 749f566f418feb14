"""Flood rendering: depth PNG, grey SAR, polygons in lon/lat with the demo note, the deck."""

from __future__ import annotations

import base64
import io as _io

import numpy as np
import pytest
from affine import Affine
from PIL import Image
from rasterio.crs import CRS

from paii_core import io
from paii_core.errors import ValidationError
from paii_core.flood import render
from paii_core.flood.area import mask_area_km2
from paii_core.flood.mapping import FloodMap

# 40 x 60 cells of 10 m in UTM 49N near Jianli (Hubei).
GRID = io.Raster(
    data=np.zeros((2, 40, 60), np.float32),
    crs=CRS.from_epsg(32649),
    transform=Affine(10, 0, 700_000, 0, -10, 3_300_000),
    band_names=("VV", "VH"),
    tags={},
)


def _flood() -> tuple[np.ndarray, np.ndarray]:
    flooded = np.zeros((40, 60), bool)
    flooded[5:15, 5:25] = True  # 200 cells = 2 ha
    flooded[25:35, 40:50] = True
    flooded[28:31, 43:46] = False  # a dry island: a hole in the polygon
    depth = np.where(flooded, np.linspace(0, 4, 60)[None, :], np.nan).astype(np.float32)
    return flooded, depth


def test_depth_png_is_blue_by_depth_and_transparent_where_dry():
    flooded, depth = _flood()
    url = render.depth_png_url(flooded, depth, max_depth_m=3.0)
    png = Image.open(_io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    rgba = np.asarray(png)
    assert rgba.shape == (40, 60, 4)
    assert (rgba[..., 3] > 0).sum() == flooded.sum()
    shallow, deep = rgba[10, 5].astype(int), rgba[30, 49].astype(int)
    assert shallow[2] > shallow[0] and deep[2] > deep[0]  # blue
    assert deep[:3].sum() < shallow[:3].sum()  # deeper is darker
    with pytest.raises(ValidationError, match="one shape"):
        render.depth_png_url(flooded, depth[:-1], max_depth_m=3.0)
    with pytest.raises(ValidationError, match="max_depth_m should be above 0"):
        render.depth_png_url(flooded, depth, max_depth_m=0.0)


def test_sar_grey_maps_db_to_grey_and_shrinks():
    vv = np.array([[-30.0, -25.0, -12.5, 0.0, 5.0, np.nan]], np.float32)
    assert render.sar_grey(vv).tolist() == [[0, 0, 127, 255, 255, 0]]
    assert max(render.sar_grey(np.zeros((900, 300)), max_px=600).shape) == 600
    with pytest.raises(ValidationError, match=r"\(H, W\)"):
        render.sar_grey(np.zeros((2, 3, 3)))


def test_polygons_in_lonlat_with_note_area_and_holes():
    flooded, _ = _flood()
    fc = render.flood_geojson(flooded, GRID, properties={"data_note": "SIMULATED demo data"})
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 2
    areas = sorted(f["properties"]["area_ha"] for f in fc["features"])
    assert areas == pytest.approx([0.91, 2.0])  # 100 - 9 cells; 200 cells of 100 m2
    for f in fc["features"]:
        assert f["properties"]["data_note"] == "SIMULATED demo data"
        lon, lat = np.asarray(f["geometry"]["coordinates"][0]).T
        assert (111 < lon).all() and (lon < 116).all() and (29 < lat).all() and (lat < 31).all()
    holes = [len(f["geometry"]["coordinates"]) for f in fc["features"]]
    assert sorted(holes) == [1, 2]
    with pytest.raises(ValidationError, match="should be on the grid"):
        render.flood_geojson(flooded[:-1], GRID)


def test_deck_has_bitmap_in_lonlat_bounds_and_geotiff_bytes(tmp_path):
    flooded, depth = _flood()
    deck = render.flood_deck(flooded, depth, GRID, max_depth_m=3.0)
    layer = next(layer for layer in deck.layers if layer.type == "BitmapLayer")
    west, south, east, north = layer.bounds
    assert (west, south, east, north) == pytest.approx(render.lonlat_bounds(GRID))
    assert 0 < east - west < 0.01 and 0 < north - south < 0.01
    blob = render.flood_geotiff_bytes(FloodMap(flooded, depth, -18.0), GRID)
    (tmp_path / "f.tif").write_bytes(blob)
    back = io.read_geotiff(tmp_path / "f.tif")
    assert back.band_names == ("water", "flooded", "depth_m", "likelihood")
    assert np.array_equal(back.data[1] == 1, flooded)
    assert "INPUT_POST" not in back.tags


def test_geotiff_download_names_the_files_it_was_mapped_from(tmp_path):
    """The Flood page's download of an upload said only SOURCE=paii flood: passed on, the
    file no longer said which scene, pre-event image or DEM it came from."""
    flooded, depth = _flood()
    inputs = {"post": "Nigeria_812045_S1Hand.tif", "pre": None, "dem": "dem.tif"}
    blob = render.flood_geotiff_bytes(FloodMap(flooded, depth, -18.0), GRID, inputs=inputs)
    (tmp_path / "f.tif").write_bytes(blob)
    tags = io.read_geotiff(tmp_path / "f.tif").tags
    assert tags["INPUT_POST"] == "Nigeria_812045_S1Hand.tif"
    assert tags["INPUT_PRE"] == "none" and tags["INPUT_DEM"] == "dem.tif"


def test_polygon_areas_on_a_degree_grid_are_ground_areas():
    # A Sen1Floods11 chip's grid: EPSG:4326, 512 px of 1/11132 degree (about 10 m) at 9 N.
    # The shoelace on degrees gave every polygon 0.0 ha.
    step = 8.983152841195215e-05
    grid = io.Raster(
        data=np.zeros((2, 40, 60), np.float32),
        crs=CRS.from_epsg(4326),
        transform=Affine(step, 0, 5.795, 0, -step, 9.107),
        band_names=("VV", "VH"),
        tags={},
    )
    flooded, _ = _flood()
    fc = render.flood_geojson(flooded, grid)
    areas = sorted(f["properties"]["area_ha"] for f in fc["features"])
    # 91 and 200 cells of 9.86 x 9.99 m (a degree of longitude shrinks by cos 9.1 deg)
    assert areas == pytest.approx([0.8964, 1.9704], abs=2e-4)
    assert sum(areas) == pytest.approx(
        100 * mask_area_km2(flooded, grid.transform, grid.crs), abs=1e-3
    )
