"""The demo flood: hydrograph, connected bathtub extent, depth, argument checks."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from paii_core.demo.flood import FloodTruth, height_above_river, simulate_flood
from paii_core.demo.terrain import Terrain, make_terrain
from paii_core.errors import ValidationError


@pytest.fixture(scope="module")
def terrain() -> Terrain:
    return make_terrain((96, 120), 5.0, np.random.default_rng(5), hills=0.2)


def _flood(terrain: Terrain, seed: int = 0, **kwargs) -> FloodTruth:
    options = {"peak_index": 3, "peak_stage_m": terrain.bankfull_depth_m + 1.5} | kwargs
    return simulate_flood(
        terrain.dem,
        terrain.river_mask,
        terrain.pixel_size_m,
        8,
        np.random.default_rng(seed),
        **options,
    )


def _valley() -> tuple[np.ndarray, np.ndarray]:
    """A 5 x 7 plain at 10 m, a river in column 0 at 9 m, a 12 m ridge in column 4
    and a 9.5 m hollow behind it in column 5."""
    dem = np.full((5, 7), 10.0, dtype=np.float32)
    dem[:, 0] = 9.0
    dem[:, 4] = 12.0
    dem[2, 5] = 9.5
    river = np.zeros(dem.shape, dtype=bool)
    river[:, 0] = True
    return dem, river


def test_same_seed_same_flood_other_seed_other_hydrograph(terrain):
    a, b, c = _flood(terrain, 1), _flood(terrain, 1), _flood(terrain, 2)
    np.testing.assert_array_equal(a.flooded, b.flooded)
    np.testing.assert_array_equal(a.depth_m, b.depth_m)
    np.testing.assert_array_equal(a.water_level_m, b.water_level_m)
    assert not np.array_equal(a.water_level_m, c.water_level_m)


def test_shapes_and_dtypes(terrain):
    f = _flood(terrain)
    assert f.flooded.shape == f.depth_m.shape == (8, 96, 120)
    assert f.flooded.dtype == bool and f.depth_m.dtype == np.float32
    assert f.water_level_m.shape == (8,) and f.water_level_m.dtype == np.float32
    assert f.permanent_water.dtype == bool and f.peak_index == 3 and f.pixel_size_m == 5.0


def test_extent_grows_to_the_peak_then_recedes(terrain):
    f = _flood(terrain)
    area = f.flooded_area_km2
    level = f.water_level_m
    assert level.argmax() == 3 and level[3] == pytest.approx(terrain.bankfull_depth_m + 1.5)
    assert np.all(np.diff(level[:4]) >= 0) and np.all(np.diff(level[3:]) < 0)
    assert np.all(np.diff(area[:4]) >= 0) and np.all(np.diff(area[3:]) <= 0)
    assert area[3] > 0 and area[3] > area[0]
    assert (f.flooded[:3] <= f.flooded[3]).all() and (f.flooded[4:] <= f.flooded[3]).all()


def test_depth_is_positive_where_flooded_and_nan_where_dry(terrain):
    f = _flood(terrain)
    assert (f.depth_m[f.flooded] > 0).all()
    assert np.isnan(f.depth_m[~f.flooded]).all()
    height = height_above_river(terrain.dem, terrain.river_mask)
    t = f.peak_index
    np.testing.assert_allclose(
        f.depth_m[t][f.flooded[t]], (f.water_level_m[t] - height)[f.flooded[t]], rtol=1e-6
    )


def test_flooded_cells_connect_to_the_river(terrain):
    f = _flood(terrain)
    four = ndimage.generate_binary_structure(2, 1)
    for t in range(f.flooded.shape[0]):
        labels, _ = ndimage.label(f.flooded[t] | terrain.river_mask, structure=four)
        reached = np.unique(labels[terrain.river_mask])
        assert np.isin(labels[f.flooded[t]], reached).all()
    assert not (f.flooded & f.permanent_water).any()
    np.testing.assert_array_equal(f.permanent_water, terrain.river_mask)


def test_hollow_behind_a_ridge_stays_dry():
    dem, river = _valley()
    f = simulate_flood(
        dem, river, 10.0, 1, np.random.default_rng(0), peak_index=0, peak_stage_m=1.5
    )
    expected = np.zeros(dem.shape, dtype=bool)
    expected[:, 1:4] = True
    np.testing.assert_array_equal(f.flooded[0], expected)
    np.testing.assert_allclose(f.depth_m[0][expected], 0.5)
    assert np.isnan(f.depth_m[0, 2, 5])


def test_permanent_water_is_never_flooded():
    dem, river = _valley()
    pond = np.zeros(dem.shape, dtype=bool)
    pond[1, 2] = True
    f = simulate_flood(
        dem,
        river,
        10.0,
        2,
        np.random.default_rng(0),
        peak_index=1,
        peak_stage_m=1.5,
        permanent_water=pond,
    )
    assert not f.flooded[1, 1, 2] and f.permanent_water[1, 2] and f.permanent_water[:, 0].all()
    assert f.water[1, 1, 2] and f.water[1, 1, 1]


def test_height_above_river_follows_the_nearest_river_cell():
    dem, river = _valley()
    dem[:, 0] = [9.0, 8.8, 8.6, 8.4, 8.2]  # the river falls downstream
    height = height_above_river(dem, river)
    assert height.dtype == np.float32
    np.testing.assert_allclose(height[:, 0], 0.0)
    np.testing.assert_allclose(height[:, 1], 10.0 - dem[:, 0])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_dates": 0}, "n_dates should be a positive integer"),
        ({"peak_index": 8}, r"peak_index should be an integer in 0..7 \(n_dates=8\)"),
        ({"peak_index": -1}, r"peak_index should be an integer in 0..7"),
        ({"peak_stage_m": -1.0}, "peak_stage_m should be a finite number > 0"),
        ({"pixel_size_m": 0.0}, "pixel_size_m should be a finite number > 0"),
        (
            {"permanent_water": np.zeros((2, 2), dtype=bool)},
            "permanent_water should be a bool array",
        ),
    ],
)
def test_bad_arguments_raise(kwargs, match):
    dem, river = _valley()
    options = {"pixel_size_m": 10.0, "n_dates": 8, "peak_index": 2, "peak_stage_m": 1.0} | kwargs
    px, n = options.pop("pixel_size_m"), options.pop("n_dates")
    with pytest.raises(ValidationError, match=match):
        simulate_flood(dem, river, px, n, np.random.default_rng(0), **options)


@pytest.mark.parametrize(
    ("dem", "river", "match"),
    [
        (
            np.zeros((3, 3, 1)),
            np.ones((3, 3), bool),
            r"dem should be a non-empty \(H, W\) numeric array",
        ),
        (np.full((3, 3), np.nan), np.ones((3, 3), bool), "dem should be finite everywhere"),
        (
            np.zeros((3, 3)),
            np.ones((3, 4), bool),
            "river_mask should be a bool array of the DEM's shape",
        ),
        (np.zeros((3, 3)), np.zeros((3, 3), bool), "river_mask has no river cell"),
    ],
)
def test_bad_rasters_raise(dem, river, match):
    with pytest.raises(ValidationError, match=match):
        simulate_flood(
            dem, river, 10.0, 2, np.random.default_rng(0), peak_index=1, peak_stage_m=1.0
        )
    with pytest.raises(ValidationError, match=match):
        height_above_river(dem, river)
