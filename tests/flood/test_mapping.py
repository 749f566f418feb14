"""map_flood on a small generated scene: beats global Otsu with little water; errors."""

import numpy as np
import pytest

from paii_core.demo import flood, landscape, phenology, sar, terrain
from paii_core.errors import ValidationError
from paii_core.flood import flood_depth, map_flood
from paii_core.flood.water import despeckle_db, otsu_threshold, tile_histograms, tiled_threshold


@pytest.fixture(scope="module")
def scene():
    rng = np.random.default_rng(31)
    ter = terrain.make_terrain((256, 256), 10.0, rng, hills=0.4)
    land = landscape.make_landscape((256, 256), 10.0, rng, crops=("maize",), terrain=ter)
    truth = flood.simulate_flood(
        ter.dem, ter.river_mask, 10.0, 1, rng, peak_index=0,
        peak_stage_m=ter.bankfull_depth_m * 0.7,
    )  # fmt: skip
    ndvi = phenology.landcover_ndvi(
        land.land_cover, land.crop_type, land.fine_parcels, land.parcels, 200, rng
    )
    post = sar.simulate_sar(
        land.land_cover, land.crop_type, ndvi, ter.dem, 10.0, rng, flooded=truth.flooded[0]
    )
    return post, ter, truth.flooded[0]


def _iou(a, b):
    return (a & b).sum() / max(1, (a | b).sum())


def test_flood_found_and_better_than_one_otsu_threshold(scene):
    post, ter, truth = scene
    fm = map_flood(post, ter.dem, pixel_size_m=10.0, permanent_water=ter.river_mask)
    vv = despeckle_db(post[0])
    t = otsu_threshold(tile_histograms(vv, tile_px=256).counts.sum(0))
    baseline = _iou((vv < t) & ~ter.river_mask, truth)
    assert _iou(fm.flooded, truth) > 0.7
    assert _iou(fm.flooded, truth) > baseline
    assert np.isnan(fm.depth_m[~fm.flooded]).all()
    assert (fm.depth_m[fm.flooded] >= 0).all()


def test_windows_give_the_same_map_as_one_pass(scene):
    post, ter, _ = scene
    one = map_flood(post, ter.dem, pixel_size_m=10.0, permanent_water=ter.river_mask)
    tiled = map_flood(
        post, ter.dem, pixel_size_m=10.0, permanent_water=ter.river_mask, window_px=128
    )
    assert _iou(one.flooded, tiled.flooded) > 0.9


def test_no_water_contrast_gives_no_flood():
    rng = np.random.default_rng(1)
    post = rng.normal(-9.0, 0.3, (2, 64, 64)).astype(np.float32)
    fm = map_flood(post, np.zeros((64, 64)), pixel_size_m=10.0)
    assert fm.threshold_db is None and not fm.flooded.any()
    assert tiled_threshold([tile_histograms(post[0], tile_px=32)]) is None


def test_depth_follows_the_shoreline():
    z = np.tile(np.abs(np.arange(21, dtype=np.float32) - 10), (8, 1))
    flooded = z <= 3
    d = flood_depth(flooded, z, smooth_px=1)
    assert d[4, 10] == pytest.approx(3.0)
    assert np.isnan(d[4, 0])


@pytest.mark.parametrize(
    ("post", "dem", "kwargs", "match"),
    [
        (np.zeros((3, 32, 32)), np.zeros((32, 32)), {}, "post_sar should be"),
        (np.zeros((2, 32, 32)), np.zeros((30, 32)), {}, "reproject"),
        (np.full((2, 32, 32), np.nan), np.zeros((32, 32)), {}, "post_sar holds no data"),
        (np.zeros((2, 32, 32)), np.full((32, 32), np.nan), {}, "dem holds no data"),
        (np.zeros((2, 8, 8)), np.zeros((8, 8)), {}, "too small"),
        (np.zeros((2, 32, 32)), np.zeros((32, 32)), {"pre_sar": np.zeros((2, 8, 8))}, "pre_sar"),
        (
            np.zeros((2, 32, 32)),
            np.zeros((32, 32)),
            {"permanent_water": np.zeros((8, 8))},
            "permanent_water",
        ),
        (np.zeros((2, 32, 32)), np.zeros((32, 32)), {"pixel_size_m": 0}, "pixel_size_m"),
    ],
)
def test_map_flood_rejects_bad_input(post, dem, kwargs, match):
    args = {"pixel_size_m": 10.0, **kwargs}
    with pytest.raises(ValidationError, match=match):
        map_flood(post, dem, **args)


def test_depth_rejects_mismatched_shapes():
    with pytest.raises(ValidationError, match="one shape"):
        flood_depth(np.zeros((4, 4), bool), np.zeros((5, 5)))
