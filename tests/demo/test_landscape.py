"""The demo landscape: parcels, land cover, the parcel table, downsampling, checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from skimage.measure import label

from paii_core.demo.classes import CROPS, LandCover
from paii_core.demo.landscape import Landscape, downsample_labels, make_landscape
from paii_core.demo.terrain import make_terrain
from paii_core.errors import ValidationError

SHAPE, PX = (160, 200), 2.5
CROPS_HERE = ("wheat", "maize", "peanut")


def _landscape(seed: int = 0, **kwargs) -> Landscape:
    rng = np.random.default_rng(seed)
    terrain = make_terrain(SHAPE, PX, rng, hills=0.5)
    options = {"crops": CROPS_HERE, "terrain": terrain, "mean_field_ha": 0.3, "village_count": 2}
    return make_landscape(SHAPE, PX, rng, **(options | kwargs))


@pytest.fixture(scope="module")
def land() -> Landscape:
    return _landscape(7)


def _check_consistent(land: Landscape) -> None:
    fine, coarse, cover = land.fine_parcels, land.coarse_parcels, land.land_cover
    is_field = fine > 0
    np.testing.assert_array_equal(is_field, cover == LandCover.CROPLAND)
    np.testing.assert_array_equal(is_field, land.crop_type >= 0)
    np.testing.assert_array_equal(is_field, coarse > 0)
    # Every fine parcel lies in exactly one coarse parcel.
    pairs = np.unique(np.stack([fine[is_field], coarse[is_field]]), axis=1)
    assert np.unique(pairs[0]).size == pairs.shape[1]
    table = land.parcels.set_index("parcel_id")
    ids = np.unique(fine[is_field])
    np.testing.assert_array_equal(np.sort(table.index.to_numpy()), ids)
    np.testing.assert_array_equal(table.loc[pairs[0], "coarse_id"].to_numpy(), pairs[1])
    area = np.bincount(fine.ravel())[ids] * land.pixel_size_m**2 / 1e4
    np.testing.assert_allclose(table.loc[ids, "area_ha"].to_numpy(), area)
    rows, cols = np.nonzero(fine == ids[0])
    assert table.loc[ids[0], "centroid_row"] == pytest.approx(rows.mean())
    assert table.loc[ids[0], "centroid_col"] == pytest.approx(cols.mean())
    crop_of = {CROPS.index(c) for c in table["crop"]}
    assert set(np.unique(land.crop_type[is_field]).tolist()) <= crop_of
    first = table.loc[ids[0], "crop"]
    assert (land.crop_type[fine == ids[0]] == CROPS.index(first)).all()


def test_same_seed_same_landscape_other_seed_other_landscape(land):
    again, other = _landscape(7), _landscape(8)
    for name in ("land_cover", "fine_parcels", "coarse_parcels", "crop_type"):
        np.testing.assert_array_equal(getattr(land, name), getattr(again, name))
    assert land.parcels.equals(again.parcels)
    assert not np.array_equal(land.fine_parcels, other.fine_parcels)


def test_shapes_and_dtypes(land):
    assert land.shape == SHAPE and land.pixel_size_m == PX and land.crops == CROPS_HERE
    assert land.land_cover.dtype == np.uint8
    assert land.fine_parcels.dtype == np.int32 and land.coarse_parcels.dtype == np.int32
    assert land.crop_type.dtype == np.int16
    assert set(np.unique(land.land_cover).tolist()) <= {c.value for c in LandCover if c}
    assert list(land.parcels.columns) == [
        "parcel_id",
        "coarse_id",
        "crop",
        "area_ha",
        "centroid_row",
        "centroid_col",
        "sowing_shift_days",
        "soil_brightness",
        "management",
    ]


def test_rasters_and_table_agree(land):
    _check_consistent(land)


def test_parcels_are_connected_and_keep_off_water_roads_and_villages(land):
    fine = land.fine_parcels
    assert label(fine, background=0, connectivity=1).max() == fine.max() == len(land.parcels)
    for cover in (LandCover.WATER, LandCover.ROAD, LandCover.BUILT, LandCover.FOREST):
        assert not (fine[land.land_cover == cover]).any()


def test_every_cover_appears_and_the_river_is_water():
    land = _landscape(3, village_count=3)
    rng = np.random.default_rng(3)
    terrain = make_terrain(SHAPE, PX, rng, hills=0.5)
    assert (land.land_cover[terrain.river_mask] == LandCover.WATER).all()
    present = set(np.unique(land.land_cover).tolist())
    assert {LandCover.CROPLAND, LandCover.WATER, LandCover.ROAD, LandCover.BUILT} <= present


@pytest.mark.parametrize("fraction", [0.4, 0.7])
def test_cropland_fraction_is_roughly_as_asked(fraction):
    land = _landscape(11, cropland_fraction=fraction)
    assert np.mean(land.land_cover == LandCover.CROPLAND) == pytest.approx(fraction, abs=0.06)


def test_field_sizes_follow_the_region():
    small = make_landscape(
        (240, 240), 2.5, np.random.default_rng(1), crops=("rice",), mean_field_ha=0.4
    )
    large = make_landscape(
        (300, 300),
        10.0,
        np.random.default_rng(1),
        crops=("corn", "soybean"),
        mean_field_ha=15.0,
        village_count=0,
    )
    assert 0.25 < small.parcels["area_ha"].mean() < 0.6
    assert 9.0 < large.parcels["area_ha"].mean() < 22.0
    assert (large.land_cover != LandCover.BUILT).all()


def test_parcel_attributes_stay_in_range(land):
    table = land.parcels
    assert table["parcel_id"].tolist() == list(range(1, len(table) + 1))
    assert table["sowing_shift_days"].dtype.kind == "i"
    assert table["sowing_shift_days"].abs().max() <= 21
    assert table["soil_brightness"].between(0.8, 1.2).all()
    assert table["management"].between(0.85, 1.1).all()
    assert set(table["crop"]) <= set(CROPS_HERE)


def test_crop_weights_set_the_mix():
    land = make_landscape(
        (300, 300),
        2.5,
        np.random.default_rng(2),
        crops=("rice", "rapeseed"),
        crop_weights=(0.0, 1.0),
        mean_field_ha=0.2,
    )
    assert set(land.parcels["crop"]) == {"rapeseed"}
    assert set(np.unique(land.crop_type).tolist()) == {-1, CROPS.index("rapeseed")}


def test_downsample_keeps_the_landscape_consistent(land):
    coarse = downsample_labels(land, 4)
    assert coarse.shape == (SHAPE[0] // 4, SHAPE[1] // 4)
    assert coarse.pixel_size_m == PX * 4
    assert coarse.land_cover.dtype == np.uint8 and coarse.crop_type.dtype == np.int16
    _check_consistent(coarse)
    assert set(coarse.parcels["parcel_id"]) <= set(land.parcels["parcel_id"])
    assert abs(coarse.parcels["area_ha"].sum() - land.parcels["area_ha"].sum()) < (
        0.15 * land.parcels["area_ha"].sum()
    )
    assert downsample_labels(land, 1) is land


def test_downsample_takes_the_mode():
    cover = np.full((4, 4), LandCover.CROPLAND, dtype=np.uint8)
    cover[0, :3] = LandCover.ROAD
    fine = np.where(cover == LandCover.CROPLAND, 1, 0).astype(np.int32)
    fine[2:, 2:] = 2
    table = pd.DataFrame(
        {
            "parcel_id": [1, 2],
            "coarse_id": [1, 1],
            "crop": ["wheat", "maize"],
            "area_ha": [0.0, 0.0],
        }
    )
    crop = np.where(fine == 1, CROPS.index("wheat"), np.where(fine == 2, CROPS.index("maize"), -1))
    tiny = Landscape(
        cover,
        fine,
        np.where(fine > 0, 1, 0).astype(np.int32),
        crop.astype(np.int16),
        table,
        2.5,
        ("wheat", "maize"),
    )
    down = downsample_labels(tiny, 4)
    assert down.land_cover.tolist() == [[LandCover.CROPLAND]]
    assert down.fine_parcels.tolist() == [[1]]
    assert down.coarse_parcels.tolist() == [[1]]
    assert down.crop_type.tolist() == [[CROPS.index("wheat")]]
    assert down.parcels["parcel_id"].tolist() == [1]
    assert down.parcels["area_ha"].tolist() == [pytest.approx(0.01)]


@pytest.mark.parametrize(
    ("factor", "match"),
    [(0, "positive integer"), (2.0, "positive integer"), (3, "does not divide the grid 160 x 200")],
)
def test_downsample_bad_factor(land, factor, match):
    with pytest.raises(ValidationError, match=match):
        downsample_labels(land, factor)


def test_works_without_terrain_or_cropland():
    land = make_landscape(
        (64, 64),
        10.0,
        np.random.default_rng(0),
        crops=("hay",),
        cropland_fraction=0.0,
        mean_field_ha=1.0,
    )
    assert not land.fine_parcels.any() and len(land.parcels) == 0
    assert (land.crop_type == -1).all() and not land.coarse_parcels.any()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"crops": ("wheat", "banana")}, "crop 'banana' is unknown; use one of: wheat"),
        ({"crops": ()}, "crops should be a non-empty tuple"),
        ({"crops": "wheat"}, "crops should be a non-empty tuple"),
        ({"crops": ("wheat", "wheat")}, "should not repeat"),
        ({"crop_weights": (1.0, 2.0)}, r"crop_weights should be 3 finite numbers"),
        ({"crop_weights": (0.0, 0.0, 0.0)}, "positive sum"),
        ({"cropland_fraction": 1.5}, "cropland_fraction should be a finite number >= 0 and <= 1"),
        ({"mean_field_ha": 0.0}, "mean_field_ha should be a finite number > 0"),
        ({"mean_field_ha": 0.001}, "under 4 pixels of 2.5 m"),
        ({"village_count": -1}, "village_count should be an integer >= 0"),
        ({"terrain": "dem.tif"}, "terrain should be a Terrain"),
    ],
)
def test_bad_arguments_raise(kwargs, match):
    options = {"crops": CROPS_HERE} | kwargs
    with pytest.raises(ValidationError, match=match):
        make_landscape(SHAPE, PX, np.random.default_rng(0), **options)


def test_terrain_of_another_grid_is_refused():
    terrain = make_terrain((32, 32), 10.0, np.random.default_rng(0))
    with pytest.raises(ValidationError, match=r"terrain grid \(32, 32\) at 10 m does not match"):
        make_landscape((32, 32), 2.5, np.random.default_rng(0), crops=CROPS_HERE, terrain=terrain)


@pytest.mark.parametrize(
    ("shape", "px", "match"),
    [((0, 5), 2.5, "shape should be"), ((5, 5), -2.5, "pixel_size_m should be")],
)
def test_bad_grid_raises(shape, px, match):
    with pytest.raises(ValidationError, match=match):
        make_landscape(shape, px, np.random.default_rng(0), crops=CROPS_HERE)
