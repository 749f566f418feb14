"""The demo terrain: determinism, a draining river valley, hills, argument checks."""

from __future__ import annotations

import numpy as np
import pytest

from paii_core.demo.terrain import Terrain, downsample_terrain, make_terrain
from paii_core.errors import ValidationError


def _terrain(seed: int = 0, shape=(96, 128), px: float = 5.0, **kwargs) -> Terrain:
    return make_terrain(shape, px, np.random.default_rng(seed), **kwargs)


def _slope_deg(terrain: Terrain) -> np.ndarray:
    gy, gx = np.gradient(terrain.dem.astype(np.float64), terrain.pixel_size_m)
    return np.degrees(np.arctan(np.hypot(gx, gy)))


def test_same_seed_same_terrain_other_seed_other_terrain():
    a, b, c = _terrain(1), _terrain(1), _terrain(2)
    np.testing.assert_array_equal(a.dem, b.dem)
    np.testing.assert_array_equal(a.river_mask, b.river_mask)
    np.testing.assert_array_equal(a.flow_path, b.flow_path)
    assert a.river_width_m == b.river_width_m
    assert not np.array_equal(a.dem, c.dem)


@pytest.mark.parametrize("px", [2.5, 10.0, 30.0])
def test_shapes_and_dtypes_at_any_pixel_size(px):
    t = _terrain(3, shape=(40, 72), px=px)
    assert t.shape == (40, 72) and t.pixel_size_m == px
    assert t.dem.dtype == np.float32 and np.isfinite(t.dem).all()
    assert t.river_mask.dtype == bool and t.river_mask.any()
    assert t.flow_path.dtype == np.int32 and t.flow_path.shape[1] == 2
    assert t.river_width_m > 0 and t.bankfull_depth_m > 0


def test_river_crosses_the_scene_as_a_four_connected_path():
    for seed in range(5):
        t = _terrain(seed)
        path = t.flow_path
        assert np.all(np.abs(np.diff(path, axis=0)).sum(axis=1) == 1)
        assert len({tuple(c) for c in path.tolist()}) == len(path)
        assert t.river_mask[path[:, 0], path[:, 1]].all()
        h, w = t.shape
        for end in (path[0], path[-1]):
            assert end[0] in (0, h - 1) or end[1] in (0, w - 1)


def test_river_drains_downstream_and_lies_below_its_valley():
    for seed in range(5):
        t = _terrain(seed, base_elevation_m=120.0)
        on_path = t.dem[t.flow_path[:, 0], t.flow_path[:, 1]]
        assert np.all(np.diff(on_path) <= 0)
        assert on_path[-1] < on_path[0]
        assert on_path[-1] == pytest.approx(120.0, abs=0.05)
        assert t.dem[t.river_mask].mean() < t.dem[~t.river_mask].mean() - 5.0
        assert t.dem.min() >= 120.0 - 1e-3


def test_hills_bring_steep_slopes():
    flat = _slope_deg(_terrain(4, shape=(128, 128), px=5.0, hills=0.0))
    hilly = _slope_deg(_terrain(4, shape=(128, 128), px=5.0, hills=1.0))
    assert np.percentile(flat, 99) < 25.0
    assert np.percentile(hilly, 99) > 40.0


def test_given_river_width_is_kept():
    t = _terrain(5, river_width_m=20.0)
    assert t.river_width_m == 20.0
    assert 10.0 < t.river_mask.sum() * 25.0 / (len(t.flow_path) * 5.0) < 40.0


def test_downsample_keeps_a_draining_connected_river():
    fine = _terrain(6, shape=(96, 128), px=2.5)
    coarse = downsample_terrain(fine, 4)
    assert coarse.shape == (24, 32) and coarse.pixel_size_m == 10.0
    assert coarse.dem.dtype == np.float32
    path = coarse.flow_path
    assert np.all(np.abs(np.diff(path, axis=0)).sum(axis=1) == 1)
    assert np.all(np.diff(coarse.dem[path[:, 0], path[:, 1]]) <= 0)
    assert coarse.river_mask[path[:, 0], path[:, 1]].all()
    block = fine.dem[:4, :4]
    if not fine.river_mask[:4, :4].any():
        assert coarse.dem[0, 0] == pytest.approx(block.mean())
    assert downsample_terrain(fine, 1) is fine


@pytest.mark.parametrize(("factor", "match"), [(0, "positive integer"), (3, "does not divide")])
def test_downsample_bad_factor(factor, match):
    with pytest.raises(ValidationError, match=match):
        downsample_terrain(_terrain(0, shape=(16, 16)), factor)


@pytest.mark.parametrize(
    ("shape", "px", "kwargs", "match"),
    [
        ((0, 10), 2.5, {}, "shape should be two positive integers"),
        ((10,), 2.5, {}, "shape should be two positive integers"),
        ((10.0, 10), 2.5, {}, "shape should be two positive integers"),
        ((6, 40), 2.5, {}, "too small for a river valley"),
        ((20, 20), -1.0, {}, "pixel_size_m should be a finite number > 0"),
        ((20, 20), float("nan"), {}, "pixel_size_m should be a finite number > 0"),
        ((20, 20), 2.5, {"hills": 1.5}, r"hills should be a finite number >= 0 and <= 1"),
        ((20, 20), 2.5, {"relief_m": -1}, "relief_m should be a finite number >= 0"),
        ((20, 20), 2.5, {"river_width_m": 0}, "river_width_m should be a finite number > 0"),
    ],
)
def test_bad_arguments_raise(shape, px, kwargs, match):
    with pytest.raises(ValidationError, match=match):
        make_terrain(shape, px, np.random.default_rng(0), **kwargs)


def test_rng_must_be_a_generator():
    with pytest.raises(ValidationError, match=r"rng should be a numpy\.random\.Generator"):
        make_terrain((20, 20), 2.5, 42)  # type: ignore[arg-type]
