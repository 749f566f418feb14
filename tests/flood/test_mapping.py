"""map_flood on a small generated scene: beats global Otsu with little water; errors."""

import numpy as np
import pytest

from paii_core.demo import flood, landscape, phenology, sar, terrain
from paii_core.errors import ValidationError
from paii_core.flood import flood_depth, map_flood
from paii_core.flood.water import (
    CROSS_POL_OFFSET_DB,
    despeckle_db,
    otsu_threshold,
    tile_histograms,
    tiled_threshold,
    water_feature_db,
)


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


def test_without_dem_water_and_likelihood_but_no_terrain_or_depth(scene):
    post, ter, truth = scene
    fm = map_flood(post, None, pixel_size_m=10.0, permanent_water=ter.river_mask)
    assert fm.terrain == "none: no DEM" and np.isnan(fm.depth_m).all()
    assert (fm.water >= fm.flooded).all() and not (fm.flooded & ter.river_mask).any()
    assert _iou(fm.flooded, truth) > 0.3  # hill shadows stay in without terrain
    assert np.nanmin(fm.likelihood) >= 0 and np.nanmax(fm.likelihood) <= 100
    assert fm.likelihood[fm.water].mean() > 50 and fm.likelihood[~fm.water].mean() < 20
    vv_only = post.copy()
    vv_only[1] = np.nan
    only = map_flood(vv_only, None, pixel_size_m=10.0, permanent_water=ter.river_mask)
    assert _iou(only.water, fm.water) > 0.8  # VV alone where VH is missing


def test_water_feature_is_the_mean_of_vv_and_lifted_vh_or_vv_alone():
    sar_db = np.array([[[-20.0, -8.0]], [[-30.0, np.nan]]], dtype=np.float32)
    feature = water_feature_db(sar_db)
    assert feature[0, 0] == pytest.approx(0.5 * (-20.0 - 30.0 + CROSS_POL_OFFSET_DB))
    assert feature[0, 1] == -8.0


def test_dark_patches_without_a_core_of_clear_water_are_not_water():
    rng = np.random.default_rng(3)
    vv = rng.normal(-9.0, 1.0, (200, 200)).astype(np.float32)
    vv[20:80, 20:80] = rng.normal(-20.0, 1.0, (60, 60))  # a lake
    vv[120:180, 120:180] = rng.normal(-14.0, 0.5, (60, 60))  # wet paddies, no clear water
    post = np.stack([vv, vv - 7.0])
    fm = map_flood(post, None, pixel_size_m=10.0)
    assert fm.water[30:70, 30:70].all()
    assert fm.water[130:170, 130:170].mean() < 0.05


def test_pre_event_image_never_changes_water_and_only_removes_old_water(scene):
    post, ter, truth = scene
    without = map_flood(post, ter.dem, pixel_size_m=10.0)
    pre = post.copy()  # the same scene before: all of today's water was already there
    same = map_flood(post, ter.dem, pre_sar=pre, pixel_size_m=10.0)
    assert np.array_equal(same.water, without.water)
    assert not same.flooded.any()
    dry = post.copy()
    dry[0][truth] = -9.0  # before the event the flooded land was dry
    helped = map_flood(post, ter.dem, pre_sar=dry, pixel_size_m=10.0)
    assert _iou(helped.flooded, truth) >= _iou(without.flooded, truth)


def test_hand_exclusion_keeps_a_deep_valley_flood_and_drops_a_perched_patch():
    from paii_core.flood.mapping import _terrain_filter

    height = np.tile(np.abs(np.arange(60, dtype=np.float32) - 30), (40, 1))  # 1 m per px
    wet = height <= 14  # a flood 14 m deep over the channel: shore HAND 14 > 10
    wet[5:10, 50:56] = True  # a dark patch 20..25 m up the hillside (radar shadow)
    steep = np.zeros_like(wet)
    kept = _terrain_filter(wet, height, steep, hand_max_m=10.0, margin_m=3.0)
    assert kept[:, 16:45].all()
    assert not kept[5:10, 50:56].any()
    unknown = np.full(height.shape, np.nan, dtype=np.float32)
    assert np.array_equal(_terrain_filter(wet, unknown, steep, 10.0, 3.0), wet)


def test_global_fallback_warns_and_flat_scene_has_no_water():
    from paii_core.errors import PaiiWarning
    from paii_core.flood.water import BINS, fit_water

    centres = 0.5 * (BINS[1:] + BINS[:-1])
    counts = 1000 * np.exp(-0.5 * ((centres + 9) / 1.5) ** 2)
    counts += 60 * np.exp(-0.5 * ((centres + 21) / 1.0) ** 2)
    with pytest.warns(PaiiWarning, match="no tile of the scene is clearly bimodal"):
        fit = fit_water([], counts)
    assert fit.method == "global" and -19 < fit.threshold_db < -13
    flat = 1000 * np.exp(-0.5 * ((centres + 9) / 1.5) ** 2)
    assert fit_water([], flat).method == "none"


def test_pooled_split_leaves_no_sliver_of_the_dark_tail():
    # A real Sentinel-1 chip (Sen1Floods11, Bolivia): the minimum-error criterion on its
    # pooled bimodal tiles also dips where it splits off a sliver of noise-floor pixels
    # (-24.25 dB, a "water" class 0.5 dB wide) instead of water from land.
    from paii_core import io
    from paii_core.config import paths
    from paii_core.flood.files import _to_working_grid
    from paii_core.flood.mapping import TILE_SIZES_PX
    from paii_core.flood.water import fit_water

    chip = paths().root / "data/real/sen1floods11_handlabeled/Bolivia_312675_S1Hand.tif"
    vv = despeckle_db(_to_working_grid(io.read_sentinel1(chip)).data[0])
    fit = fit_water([tile_histograms(vv, tile_px=t) for t in TILE_SIZES_PX], np.zeros(200))
    assert fit.method == "tiles" and fit.threshold_db > -22.0 and fit.water[1] > 0.6
