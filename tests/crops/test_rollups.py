"""County rollups, parcel polygons, labelling helpers and the crop store on tiny grids."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest
import shapely
from affine import Affine

from paii_core import store
from paii_core.crops.labelling import (
    heldout_scores,
    interior_points,
    nan_median_time,
    survey_points,
)
from paii_core.crops.recognize import CropMap, prepare_recognition
from paii_core.crops.rollups import county_rollups, parcel_polygons, pixel_area_m2, write_parcels
from paii_core.crops.view import coloured_parcels, crop_colour, parcel_geojson, parcel_shapes
from paii_core.demo.classes import CROPS
from paii_core.errors import ValidationError
from paii_core.store import crops as crop_store

T = Affine(10, 0, 500000, 0, -10, 4000000)
CRS = "EPSG:32650"


def _map() -> tuple[np.ndarray, np.ndarray, CropMap]:
    fine = np.zeros((6, 8), np.int32)
    fine[:, :4], fine[:, 4:7] = 1, 2
    coarse = np.where(fine > 0, 1, 0).astype(np.int32)
    label_map = np.where(fine == 1, 0, np.where(fine == 2, 1, -1)).astype(np.int16)
    prob = np.stack([(fine == 1) * 0.9, (fine == 2) * 0.6]).astype(np.float32)
    return fine, coarse, CropMap(["wheat", "maize"], label_map, prob, fine)


def test_rollups_count_pixel_areas():
    fine, _, cmap = _map()
    cropland = (fine > 0).astype(np.float32)
    out = county_rollups(
        cmap,
        cropland,
        county_id="410526",
        transform=T,
        crs=CRS,
        season=(date(2020, 3, 5), date(2020, 9, 29)),
        simulated=True,
    )
    value = dict(zip(out["crop"], out["value"], strict=True))
    assert value[""] == pytest.approx(42 * 100 / 1e6)
    assert value["wheat"] == pytest.approx(24e-4) and value["maize"] == pytest.approx(18e-4)
    assert set(out["metric"]) == {"cropland_area_km2", "crop_area_km2"}


def test_geographic_crs_is_refused():
    with pytest.raises(ValidationError, match="geographic"):
        pixel_area_m2(T, "EPSG:4326")


def test_polygons_carry_area_crop_and_write(tmp_path):
    fine, coarse, cmap = _map()
    gdf = parcel_polygons(fine, coarse, transform=T, crs=CRS, crop_map=cmap)
    assert gdf.crs.to_epsg() == 4326
    assert list(gdf["area_ha"]) == pytest.approx([0.24, 0.18])
    assert list(gdf["crop"]) == ["wheat", "maize"] and list(gdf["coarse_id"]) == [1, 1]
    assert gdf["confidence"].tolist() == pytest.approx([0.9, 0.6])
    geo = json.loads(write_parcels(gdf, tmp_path / "p.geojson").read_text())
    assert len(geo["features"]) == 2
    assert write_parcels(gdf, tmp_path / "p.parquet").stat().st_size > 0
    with pytest.raises(ValidationError, match=r"geojson or \.parquet"):
        write_parcels(gdf, tmp_path / "p.shp")
    with pytest.raises(ValidationError, match="parcels differ"):
        parcel_polygons(fine, coarse[:2], transform=T, crs=CRS)


def test_interior_points_lie_inside_their_parcels():
    fine, _, _ = _map()
    pts = interior_points(fine)
    assert [fine[r, c] for r, c in pts] == [1, 2]


def test_survey_points_and_heldout_scores(scene):
    crop_type = scene.crop_type
    with pytest.raises(ValidationError, match="differ"):
        survey_points(crop_type, scene.fine_parcels[:5], per_crop=2, classes=CROPS)
    labels = survey_points(crop_type, scene.fine_parcels, per_crop=4, classes=CROPS)
    assert len({c for *_, c in labels}) >= 2
    prep = prepare_recognition(scene.series, scene.dates, scene.fine_parcels)
    scores = heldout_scores(prep, labels, region=scene.region)
    assert set(scores["crop"]) == {c for *_, c in labels}
    assert scores["recall"].mean() > 0.5
    with pytest.raises(ValidationError, match="fewer than two crops"):
        heldout_scores(prep, [labels[0]], region=scene.region)


def test_label_sets_and_products_round_trip(tmp_path):
    con = store.connect(tmp_path / "s.duckdb")
    with pytest.raises(ValidationError, match="who should name"):
        crop_store.save_label_set(con, "a", [(1, 1, "wheat")], who=" ", simulated=True)
    with pytest.raises(ValidationError, match="empty"):
        crop_store.save_label_set(con, "a", [], who="me", simulated=True)
    set_id = crop_store.save_label_set(
        con, "a", [(1, 2, "wheat"), (3, 4, "maize")], who="me", simulated=True
    )
    assert crop_store.label_set(con, set_id) == [(1, 2, "wheat"), (3, 4, "maize")]
    assert crop_store.label_sets(con, "a")["who"].tolist() == ["me"]
    assert crop_store.find_product(con, "a", "parcels", "h", "v") is None
    kw = {"aoi_id": "a", "kind": "parcels", "input_hash": "h", "model_version": "v"}
    crop_store.save_product(con, **kw, path="x.tif", details={"n": 1}, simulated=True)
    crop_store.save_product(con, **kw, path="y.tif", details={"n": 2}, simulated=True)
    row = crop_store.find_product(con, "a", "parcels", "h", "v")
    assert row["path"] == "y.tif" and row["details"] == {"n": 2}
    with pytest.raises(ValidationError, match="not in the store"):
        crop_store.aoi_row(con, "nowhere")
    assert {"crop_label_sets", "crop_labels"} <= set(store.USER_TABLES)


def test_survey_points_stand_inside_fields_on_units_and_spread_over_crops():
    fields = np.zeros((12, 12), np.int64)
    fields[1:6, 1:6], fields[1:6, 7:11], fields[7:11, 1:11] = 1, 2, 3
    crop_type = np.where(fields == 0, -1, np.where(fields == 3, 1, 0))
    units = fields.copy()
    units[7:11, 1:11] = 0  # field 3 was not delineated: no point on it
    with pytest.raises(ValidationError, match="fewer than two crops"):
        survey_points(crop_type, fields, per_crop=2, within=units, classes=CROPS)
    units[7:11, 1:11] = 3
    labels = survey_points(crop_type, fields, per_crop=2, within=units, seed=0, classes=CROPS)
    crops = [c for *_, c in labels]
    assert sorted(crops) == sorted([CROPS[0], CROPS[0], CROPS[1]])
    for r, c, _ in labels:
        assert 0 < r < 11 and 0 < c < 11 and fields[r, c] > 0
        # Interior points: no neighbour belongs to another field.
        assert len(set(fields[r - 1 : r + 2, c - 1 : c + 2].ravel())) == 1
    with pytest.raises(ValidationError, match="one shape"):
        survey_points(crop_type, fields, per_crop=2, within=units[:3], classes=CROPS)


def test_parcel_shapes_are_built_once_and_recoloured_per_crop_map():
    fine, coarse, cmap = _map()
    gdf = parcel_polygons(fine, coarse, transform=T, crs=CRS, crop_map=cmap)
    points = interior_points(fine)
    shapes = parcel_shapes(gdf, points)
    assert [s["parcel_id"] for s in shapes] == [1, 2]
    for s, g in zip(shapes, gdf.geometry, strict=True):  # rounded to 1e-6 degrees, in place
        xy = np.asarray(s["geometry"]["coordinates"][0])
        assert np.abs(xy - np.asarray(g.exterior.coords)).max() <= 5e-7
        assert np.array_equal(xy, np.round(xy, 6))
    crops, conf = np.array(["wheat", "maize"], object), np.array([0.9, np.nan])
    fc = coloured_parcels(shapes, crops, conf, selected=2)
    props = [f["properties"] for f in fc["features"]]
    assert [p["crop"] for p in props] == ["wheat", "maize"]
    assert props[0]["fill"] == [*crop_colour("wheat"), int(60 + 170 * 0.9)]
    assert props[1]["confidence"] == 0.0 and props[1]["line"] == [255, 0, 0, 255]
    assert props[0]["line"] != props[1]["line"] and props[0]["row"] == points[0, 0]
    assert fc["features"][0]["geometry"] is shapes[0]["geometry"]  # shared, not copied
    # parcel_geojson is the same drawing in one call.
    assert parcel_geojson(gdf, crops, conf, points, selected=2) == fc
    unmapped = coloured_parcels(shapes, np.array([], object), np.array([]))
    assert {f["properties"]["crop"] for f in unmapped["features"]} == {"unknown"}
    assert unmapped["features"][0]["properties"]["fill"][3] == 40


def test_nan_median_time_is_nanmedian_without_its_all_nan_warning():
    rng = np.random.default_rng(3)
    stack = rng.random((6, 3, 9, 9)).astype(np.float32)
    stack[rng.random(stack.shape) < 0.3] = np.nan  # odd and even counts of values
    stack[:, :, 0, 0] = np.nan  # a pixel never seen
    with pytest.warns(RuntimeWarning, match="All-NaN"):
        expected = np.nanmedian(stack, axis=0)
    got = nan_median_time(stack)
    assert got.dtype == np.float32 and np.isnan(got[:, 0, 0]).all()
    np.testing.assert_array_equal(got, expected)


def test_parcel_shapes_simplify_within_their_tolerance():
    stair = np.zeros((12, 12), np.int32)
    for r in range(12):
        stair[r, : r + 1] = 1  # a pixel staircase: many vertices on one diagonal
    gdf = parcel_polygons(stair, stair, transform=T, crs=CRS)
    points = interior_points(stair)
    exact, simple = parcel_shapes(gdf, points)[0], parcel_shapes(gdf, points, simplify_m=15.0)[0]
    a = shapely.geometry.shape(exact["geometry"])
    b = shapely.geometry.shape(simple["geometry"])
    assert len(b.exterior.coords) < len(a.exterior.coords) / 3
    assert a.hausdorff_distance(b) <= 15.0 / 111_320.0 + 1e-6  # degrees
