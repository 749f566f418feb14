"""Field layouts for training and testing the boundary model: the statistics they promise."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import measure

from paii_core.crops.train import boundary_jobs
from paii_core.demo import field_layouts as layouts
from paii_core.demo import field_layouts_heldout as layouts_heldout
from paii_core.demo import field_layouts_real as layouts_real
from paii_core.demo.classes import LandCover
from paii_core.demo.field_layouts import make_layout, paint_edges
from paii_core.errors import InputNotFoundError, ValidationError

PX = 2.5
CROPS = ("wheat", "maize", "peanut")


def _layout(name: str, seed: int = 3, side: int = 480):
    return make_layout(name, (side, side), PX, np.random.default_rng(seed), crops=CROPS)


def _areas_ha(fine: np.ndarray) -> np.ndarray:
    a = np.bincount(fine.ravel())[1:]
    return a[a > 0] * PX * PX / 1e4


def _inner(fine: np.ndarray):
    """Region properties of the fields that do not touch the scene edge."""
    edge = np.unique(np.r_[fine[0], fine[-1], fine[:, 0], fine[:, -1]])
    return [p for p in measure.regionprops(fine) if p.label not in edge]


@pytest.mark.parametrize("name", ["voronoi", "strips", "blocks", "bsp"])
def test_layouts_give_consistent_truth(name):
    land = _layout(name)
    fine, coarse = land.fine_parcels, land.coarse_parcels
    assert fine.max() > 3
    # Cropland exactly where there is a field, each field 4-connected and in one block.
    assert np.array_equal(land.land_cover == LandCover.CROPLAND, fine > 0)
    assert np.array_equal(measure.label(fine, connectivity=1) > 0, fine > 0)
    assert measure.label(fine, connectivity=1).max() == len(np.unique(fine[fine > 0]))
    pairs = np.unique(np.c_[fine[fine > 0], coarse[fine > 0]], axis=0)
    assert len(np.unique(pairs[:, 0])) == len(pairs)
    assert (land.crop_type[fine > 0] >= 0).all() and (land.crop_type[fine == 0] == -1).all()
    assert set(land.parcels["crop"]) <= set(CROPS)
    # Some land is not cropland: roads or tracks, pasture, woods.
    assert 0.4 < (fine > 0).mean() < 0.95


def test_voronoi_fields_are_irregular_and_of_many_sizes():
    medians = [np.median(_areas_ha(_layout("voronoi", seed=s).fine_parcels)) for s in (1, 2, 3)]
    assert 0.1 < min(medians) and max(medians) < 30
    assert max(medians) / min(medians) > 2  # the mean field size is drawn per scene
    props = _inner(_layout("voronoi", seed=5, side=640).fine_parcels)
    areas = np.array([p.area for p in props]) * PX * PX / 1e4
    assert areas.max() / areas.min() > 2.5
    # Voronoi cells are convex polygons, not rectangles: their bounding boxes hold air.
    extent = np.array([p.extent for p in props])
    assert np.median(extent) < 0.85
    assert np.median([p.solidity for p in props]) > 0.9


def test_strips_are_long_and_narrow():
    props = _inner(_layout("strips", seed=2, side=640).fine_parcels)
    widths = np.array([p.axis_minor_length for p in props if p.area > 40]) * PX
    ratio = np.array(
        [p.axis_major_length / max(p.axis_minor_length, 1) for p in props if p.area > 40]
    )
    assert np.median(ratio) > 3
    assert 8 < np.median(widths) < 90


def test_blocks_are_large_and_some_are_pivots():
    land = make_layout("blocks", (800, 800), 5.0, np.random.default_rng(1), crops=CROPS)
    areas = np.bincount(land.fine_parcels.ravel())[1:] * 25 / 1e4
    areas = areas[areas > 0]
    assert np.median(areas) > 8
    assert areas.max() < 70
    # A centre pivot fills pi/4 of its square.
    props = _inner(land.fine_parcels)
    assert any(abs(p.extent - np.pi / 4) < 0.03 and p.eccentricity < 0.3 for p in props)


def test_heldout_fields_are_convex_pieces_of_road_bounded_blocks():
    land = _layout("bsp", seed=5, side=640)
    props = _inner(land.fine_parcels)
    assert np.median([p.solidity for p in props]) > 0.9
    areas = _areas_ha(land.fine_parcels)
    assert areas.max() <= 2.2 * layouts_heldout.BSP_FIELD_HA[1]
    # Blocks are parted by roads: no two blocks touch.
    coarse = land.coarse_parcels
    right = (coarse[:, :-1] > 0) & (coarse[:, 1:] > 0) & (coarse[:, :-1] != coarse[:, 1:])
    down = (coarse[:-1] > 0) & (coarse[1:] > 0) & (coarse[:-1] != coarse[1:])
    assert not right.any() and not down.any()
    assert (land.land_cover == LandCover.ROAD).any()


def test_paint_edges_follows_the_shares():
    fields = np.repeat(np.arange(1, 5), 10)[None, :].repeat(8, axis=0)
    rng = np.random.default_rng(0)
    none = paint_edges(fields, 2.5, rng, {"none": 1.0}, {})
    assert not none.any()
    hedges = paint_edges(fields, 2.5, rng, {"hedge": 1.0}, {"hedge": (5.0, 5.0)})
    # 3 edges, each a column band of 2 pixels (5 m at 2.5 m), all forest.
    assert set(np.unique(hedges)) == {0, LandCover.FOREST}
    assert (hedges > 0).sum(axis=1).tolist() == [6] * 8


def test_meadows_are_small_narrow_fields_in_forest_clearings():
    land = make_layout("meadows", (800, 800), PX, np.random.default_rng(4), crops=CROPS)
    fine = land.fine_parcels
    assert np.array_equal(land.land_cover == LandCover.CROPLAND, fine > 0)
    assert measure.label(fine, connectivity=1).max() == len(np.unique(fine[fine > 0]))
    assert (land.land_cover == LandCover.FOREST).mean() > 0.25  # a wooded landscape
    assert 0.05 < (fine > 0).mean() < 0.5
    props = [p for p in _inner(fine) if p.area * PX * PX >= 500]  # 0.05 ha and up
    areas = np.array([p.area for p in props]) * PX * PX / 1e4
    widths = np.array([p.axis_minor_length for p in props]) * PX
    assert len(props) > 30
    assert 0.05 <= np.median(areas) <= 1.0 and np.quantile(areas, 0.9) < 3.0
    assert 15 < np.median(widths) < 80  # 2-8 pixels at 10 m
    # touching fields form one block: no roads between them
    blocks = measure.label(fine > 0, connectivity=1)
    pairs = np.unique(np.c_[land.coarse_parcels[fine > 0], blocks[fine > 0]], axis=0)
    assert len(np.unique(pairs[:, 0])) == len(pairs)


def test_make_layout_rejects_unknown_names():
    with pytest.raises(ValidationError, match="layout 'hexagons' is unknown; use one of"):
        make_layout("hexagons", (64, 64), PX, np.random.default_rng(0), crops=CROPS)


def test_training_never_sees_the_heldout_or_real_layouts():
    jobs = boundary_jobs(layouts=layouts.TRAINING_LAYOUTS)
    names = {job[0] for job in jobs}
    assert names == set(layouts.TRAINING_LAYOUTS)
    assert "bsp" not in names and "slovenia" not in names
    assert {job[4] for job in jobs} == {5.0, 10.0, 20.0}
    assert {job[5] for job in jobs} == {1, 2, 4}
    # The default reproduces the shipped model's scenes: the demo layout, seeds 100-105.
    assert boundary_jobs()[:3] == [
        ("grid", "henan", 100, 160, 10.0, 4),
        ("grid", "hubei", 100, 160, 10.0, 4),
        ("grid", "iowa", 100, 240, 10.0, 4),
    ]
    assert len(boundary_jobs()) == 18
    with pytest.raises(ValidationError, match="'bsp' is not a training layout"):
        boundary_jobs(layouts=("grid", "bsp"))


def test_real_pattern_rasterises_register_parcels():
    h, w = layouts_real.real_extent_px(10.0)
    assert 200 < h < 230 and 230 < w < 250
    land = make_layout("slovenia", (200, 200), 10.0, np.random.default_rng(0), crops=CROPS)
    assert land.fine_parcels.max() >= 10
    assert (land.land_cover == LandCover.FOREST).mean() > 0.3  # a wooded place
    with pytest.raises(ValidationError, match="larger than the real pattern"):
        make_layout("slovenia", (400, 400), 10.0, np.random.default_rng(0), crops=CROPS)


def test_second_real_pattern_rasterises_large_register_blocks():
    assert layouts_real.real_extent_px(10.0, "bulgaria") == (250, 250)
    land = make_layout("bulgaria", (250, 250), 10.0, np.random.default_rng(0), crops=CROPS)
    areas = np.bincount(land.fine_parcels.ravel())[1:]
    areas = areas[areas > 0] * 100 / 1e4
    assert len(areas) >= 25 and np.median(areas) > 2  # large blocks, unlike Slovenia
    assert 0.4 < (land.fine_parcels > 0).mean() < 0.9
    with pytest.raises(ValidationError, match="larger than the real pattern"):
        make_layout("bulgaria", (260, 250), 10.0, np.random.default_rng(0), crops=CROPS)


def test_real_pattern_missing_file(monkeypatch, tmp_path):
    from paii_core.config import Paths

    monkeypatch.setattr(layouts_real, "paths", lambda: Paths(root=tmp_path))
    with pytest.raises(InputNotFoundError, match=r"real parcel file .* is missing; restore it"):
        layouts_real.real_extent_px(10.0)
    with pytest.raises(InputNotFoundError, match=r"bg_arable_land_2024.zip is missing"):
        layouts_real.real_extent_px(10.0, "bulgaria")


def test_make_scene_rejects_bad_pixel_size():
    from paii_core.crops.scenes import make_scene

    with pytest.raises(ValidationError, match=r"pixel_m should be 1\.\.60 metres"):
        make_scene("henan", 5, size_px=32, pixel_m=0.5)
