"""Regions as data: add, read back, and every rule of `add_region` and `read_counties`."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from paii_core import workspace
from paii_core.config import REPO_ROOT
from paii_core.errors import (
    FormatError,
    InputNotFoundError,
    PaiiWarning,
    StoreError,
    ValidationError,
)
from paii_core.io import wgs84_to_gcj02
from paii_core.store import workspace as ws_store

from .conftest import AUTAUGA

HENAN = REPO_ROOT / "data" / "boundaries" / "henan_counties.geojson"


def _tables(con) -> dict[str, pd.DataFrame]:
    return {t: con.execute(f"SELECT * FROM {t} ORDER BY 1").df() for t in ("regions", "counties")}


def test_shapefile_region_keeps_padded_ids_and_derives_utm(con, alabama):
    assert alabama.n_counties == 67
    assert alabama.utm_epsg == 32616  # Alabama's centre is in UTM zone 16 N
    assert alabama.country == "US" and alabama.yield_crops == ("corn",)
    assert alabama.name == "Alabama" and not alabama.simulated
    ids = con.execute("SELECT county_id FROM counties ORDER BY 1").df()["county_id"]
    assert ids.iloc[0] == AUTAUGA and ids.str.len().eq(5).all()
    lon, lat = con.execute(
        "SELECT centroid_lon, centroid_lat FROM counties WHERE county_id = ?", [AUTAUGA]
    ).fetchone()
    assert -87.0 < lon < -86.3 and 32.3 < lat < 32.8  # moved from EPSG:5070 to lon/lat
    assert workspace.get_region(con, "alabama") == alabama
    assert [r.region_id for r in workspace.list_regions(con)] == ["alabama"]


def test_geopackage_with_named_columns(con, tmp_path):
    gdf = gpd.read_file(HENAN).rename(columns={"county_id": "code", "name": "xian"})
    path = tmp_path / "henan.gpkg"
    gdf.to_file(path, driver="GPKG")
    region = workspace.add_region(
        con, "henan-x", path, country="CN", yield_unit="kg/mu", id_column="code",
        name_column="xian", name="Henan",
    )  # fmt: skip
    assert region.n_counties == 157 and region.utm_epsg == 32649
    assert "GCJ-02" in region.note  # a Chinese file without --source-crs gets the datum note
    row = con.execute("SELECT name FROM counties WHERE county_id = '410526'").fetchone()
    assert row[0] == gdf.loc[gdf["code"] == "410526", "xian"].iloc[0]


def test_gcj02_source_is_converted(con, tmp_path):
    wgs = gpd.read_file(HENAN).iloc[:3]

    def to_gcj(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))

    shifted = wgs.set_geometry(shapely.transform(wgs.geometry.values, to_gcj))
    path = tmp_path / "gcj.geojson"
    shifted.to_file(path)
    workspace.add_region(con, "gcj", path, country="CN", yield_unit="t/ha", source_crs="GCJ-02")
    got = con.execute("SELECT centroid_lon FROM counties ORDER BY county_id").df()
    want = wgs.sort_values("county_id").geometry.representative_point().x.to_numpy()
    assert abs(got["centroid_lon"].to_numpy() - want).max() < 1e-3  # back within ~100 m


def test_utm_epsg_rules():
    assert workspace.utm_epsg(114.5, 35.4) == 32650
    assert workspace.utm_epsg(-93.5, 42.0) == 32615
    assert workspace.utm_epsg(151.2, -33.9) == 32756
    assert workspace.utm_epsg(180.0, 0.0) == 32660
    with pytest.raises(ValidationError, match=r"is not a longitude/latitude"):
        workspace.utm_epsg(500000.0, 4000000.0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"region_id": "Kansas"}, r"region id 'Kansas' is not a valid id; use lower-case"),
        ({"country": "USA"}, r"country 'USA' is not an ISO 3166-1 alpha-2 code"),
        ({"yield_unit": "bushels"}, r"yield unit 'bushels' is unknown; use one of: bu/acre"),
        ({"yield_crops": ("Corn",)}, r"crop 'Corn' should be a lower-case name"),
    ],
)
def test_bad_arguments_are_refused(con, alabama_file, kwargs, match):
    args = {"region_id": "al", "country": "US", "yield_unit": "bu/acre"} | kwargs
    rid = args.pop("region_id")
    with pytest.raises(ValidationError, match=match):
        workspace.add_region(con, rid, alabama_file, **args)
    assert workspace.list_regions(con) == []


def test_taken_id_and_taken_counties_leave_the_store_unchanged(con, alabama, alabama_file):
    before = _tables(con)
    with pytest.raises(ValidationError, match=r"region 'alabama' already exists; .*--replace"):
        workspace.add_region(con, "alabama", alabama_file, country="US", yield_unit="bu/acre")
    with pytest.raises(
        ValidationError,
        match=r"alabama.shp: 67 county id\(s\) of column 'GEOID' already belong to another "
        r"region \(e.g. 01001 in 'alabama'\)",
    ):
        workspace.add_region(
            con, "al2", alabama_file, country="US", yield_unit="bu/acre", id_column="GEOID"
        )
    after = _tables(con)
    for table in before:
        pd.testing.assert_frame_equal(before[table], after[table])


def test_replace_swaps_the_counties(con, alabama, alabama_file, tmp_path):
    few = gpd.read_file(alabama_file).iloc[:5]
    path = tmp_path / "five.geojson"
    few.to_file(path)
    region = workspace.add_region(
        con, "alabama", path, country="US", yield_unit="t/ha", replace=True
    )
    assert region.n_counties == 5 and region.yield_unit == "t/ha"
    assert con.execute("SELECT count(*) FROM counties").fetchone()[0] == 5


def test_get_region_names_the_fix(con, alabama):
    with pytest.raises(
        ValidationError,
        match=r"region 'kansas' is not in the store \(stored: "
        r"alabama\); add it with `paii region add",
    ):
        workspace.get_region(con, "kansas")


def test_file_problems(tmp_path, alabama_file):
    with pytest.raises(InputNotFoundError, match=r"nope.geojson: boundary file not found"):
        workspace.read_counties(tmp_path / "nope.geojson")
    with pytest.raises(FormatError, match=r"name column 'nom' is not a column; .*--name-column"):
        workspace.read_counties(alabama_file, name_column="nom")
    with pytest.raises(FormatError, match=r"id_column 'fips' is not a column"):
        workspace.read_counties(alabama_file, id_column="fips")


def _write(tmp_path, geoms, name="c.geojson"):
    gdf = gpd.GeoDataFrame(
        {
            "county_id": [f"2000{i + 1}" for i in range(len(geoms))],
            "name": list("ABCD")[: len(geoms)],
        },
        geometry=geoms,
        crs="EPSG:4326",
    )
    path = tmp_path / name
    gdf.to_file(path)
    return path


def test_geometry_rules(tmp_path):
    square = shapely.box(-98, 38, -97, 39)
    path = _write(tmp_path, [square, shapely.Point(-96, 38)], "point.geojson")
    with pytest.raises(FormatError, match=r"county '20002' \(row 1\) is a Point, not a polygon"):
        workspace.read_counties(path)
    path = _write(tmp_path, [square, shapely.Polygon()], "empty.geojson")
    with pytest.raises(FormatError, match=r"county '20002' \(row 1\) has no geometry"):
        workspace.read_counties(path)
    bowtie = shapely.Polygon([(-96, 38), (-95, 39), (-95, 38), (-96, 39)])
    path = _write(tmp_path, [square, bowtie], "bowtie.geojson")
    with pytest.warns(PaiiWarning, match=r"1 county polygon\(s\) were invalid .* repaired"):
        gdf = workspace.read_counties(path)
    assert gdf.geometry.is_valid.all()


def test_a_failed_write_is_rolled_back(con):
    rows = pd.DataFrame(
        {
            "county_id": ["1", "1"], "region_id": "x", "name": "a", "parent": None,
            "area_km2": 1.0, "centroid_lon": 0.0, "centroid_lat": 0.0,
            "geometry_wkb": [shapely.to_wkb(shapely.box(0, 0, 1, 1))] * 2,
        }
    )  # fmt: skip
    region = {"region_id": "x", "name": "X", "country": "US", "utm_epsg": 32615,
              "yield_unit": "t/ha"}  # fmt: skip
    with pytest.raises(StoreError, match=r"writing region 'x' failed, nothing changed"):
        ws_store.insert_region(con, region, rows, replace=False)
    assert workspace.list_regions(con) == []
