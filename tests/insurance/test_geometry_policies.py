"""Policies imported with a polygon get the same crop and area evidence as registry plots."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from rasterio.features import shapes

from paii_core import store
from paii_core.access import local_operator
from paii_core.crops.area import load_area
from paii_core.errors import ValidationError
from paii_core.insurance import load_area_maps, review_portfolio
from paii_core.insurance.area import geometry_plots, insured_plots, plot_stats
from paii_core.insurance.imports import import_policies
from paii_core.insurance.render import plot_mask
from paii_core.store import insurance as ins_store
from tests.insurance import world


@pytest.fixture(scope="module")
def insured(tiny_world, tmp_path_factory):
    data = world.prepare(tiny_world, tmp_path_factory.mktemp("geo") / "data")
    con = store.connect(data / "paii.duckdb")
    yield data, con
    con.close()


def _parcel_polygon(con, data, pid: int) -> shapely.Geometry:
    """The registry parcel ``pid`` as a lon/lat polygon (its pixels' outline)."""
    fine, _, grid = insured_plots(con, world.AOI, data)
    mask = fine == pid
    parts = [shapely.geometry.shape(g) for g, v in shapes(mask.astype(np.uint8), mask=mask,
             transform=grid.transform) if v == 1]  # fmt: skip
    return gpd.GeoSeries([shapely.union_all(parts)], crs=grid.crs).to_crs(4326).iloc[0]


def test_a_polygon_policy_is_checked_like_its_registry_parcel(insured, tmp_path):
    data, con = insured
    stored = ins_store.policies(con, "henan", principal=local_operator())
    twin = stored[stored["level"] == "fine"].iloc[0]
    polygon = _parcel_polygon(con, data, int(twin["parcel_id"]))
    row = {
        "policy_id": "GEO-1", "insured": "Wang Jianguo", "declared_crop": twin["declared_crop"],
        "declared_area_ha": twin["declared_area_ha"], "coverage_level": 0.8,
        "guaranteed_yield": 300, "price": 2.24, "premium": 100.0,
        "start_date": twin["start_date"], "end_date": twin["end_date"], "geometry": polygon.wkt,
    }  # fmt: skip
    path = tmp_path / "geo.csv"
    pd.DataFrame([row]).to_csv(path, index=False)
    report = import_policies(con, path, "henan")
    assert report.rows_written == 1 and not report.notes
    geo = (
        ins_store.policies(con, "henan", principal=local_operator())
        .set_index("policy_id")
        .loc["GEO-1"]
    )
    assert geo["level"] == "plot" and geo["aoi_id"] == world.AOI  # the area found from it
    assert geo["county_id"] == world.COUNTY
    review = review_portfolio(
        con, "henan", asof=date(2020, 10, 31), principal=local_operator(), data_dir=data
    )
    table = review.table.set_index("policy_id")
    for col in ("satellite_crop", "crop_share", "mapped_area_ha"):
        assert table.at["GEO-1", col] == table.at[twin["policy_id"], col], col
    maps = review.maps[world.AOI]
    mask = plot_mask(maps, geo.to_dict() | {"policy_id": "GEO-1"})
    assert (mask == (maps.fine_plots == twin["parcel_id"])).all()


def test_policies_outside_every_area_are_stored_with_a_note(insured, tmp_path):
    _, con = insured
    county = con.execute(
        "SELECT geometry_wkb FROM counties WHERE region_id = 'henan' AND county_id <> ? LIMIT 1",
        [world.COUNTY],
    ).fetchone()[0]
    centre = shapely.from_wkb(bytes(county)).representative_point()
    square = shapely.box(centre.x - 0.001, centre.y - 0.001, centre.x + 0.001, centre.y + 0.001)
    area = gpd.GeoSeries([square], crs=4326).to_crs(6933).area.iloc[0] / 1e4
    row = {
        "policy_id": "GEO-2", "insured": "Li Ming", "declared_crop": "sweet potato",
        "declared_area_ha": round(area, 2), "coverage_level": 70, "guaranteed_yield": 900,
        "price": 1.2, "premium": 10, "start_date": "2020-05-01", "end_date": "2020-10-30",
        "geometry": square.wkt,
    }  # fmt: skip
    path = tmp_path / "far.csv"
    pd.DataFrame([row]).to_csv(path, index=False)
    report = import_policies(con, path, "henan")
    assert "1 policy lies outside every area of henan" in report.notes[0]
    bad = dict(row, policy_id="GEO-3", aoi_id=world.AOI)
    pd.DataFrame([bad]).to_csv(path, index=False)
    with pytest.raises(ValidationError, match="column geometry: lies outside area 'henan-huaxian'"):
        import_policies(con, path, "henan")


def test_plot_level_needs_a_raster(insured):
    data, con = insured
    maps = load_area_maps(con, world.AOI, data_dir=data)
    with pytest.raises(
        ValidationError,
        match=r"level should be 'fine' or 'coarse' \(or 'plot' with a plots raster\), not 'plot'",
    ):
        plot_stats(maps, "plot", np.array([1]))
    assert not geometry_plots(maps, []).any()


def test_area_maps_reuse_a_season_already_read_and_refuse_another_areas(insured):
    data, con = insured
    area = load_area(con, world.AOI, data)
    shared = load_area_maps(con, world.AOI, data_dir=data, area=area)
    read = load_area_maps(con, world.AOI, data_dir=data)
    assert shared.rgb_series is area.series  # not read again
    np.testing.assert_array_equal(shared.rgb_series, read.rgb_series)
    assert shared.note == read.note and (shared.crop_map is None) == (read.crop_map is None)
    other = replace(area, aoi_id="elsewhere")
    with pytest.raises(ValidationError, match="given the season of area elsewhere for area"):
        load_area_maps(con, world.AOI, data_dir=data, area=other)
