"""Areas as data: add an area from its files, read it back, and every rule of `add_area`."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from paii_core import workspace
from paii_core.errors import FormatError, InputNotFoundError, ValidationError
from paii_core.workspace.files import add_region_file, region_file, sounding_files

from .conftest import AUTAUGA, write_raster


def _state(con) -> dict[str, pd.DataFrame]:
    return {t: con.execute(f"SELECT * FROM {t} ORDER BY 1").df() for t in ("areas", "products")}


def test_area_from_files(con, alabama, area_inputs, tmp_path):
    area = workspace.add_area(
        con, "autauga-1", region_id="alabama", inputs=area_inputs, crops=("corn", "cotton"),
        source="test files", warnings=("band order from descriptions",), data_dir=tmp_path,
    )  # fmt: skip
    assert area.county_id == AUTAUGA  # found from where the imagery lies
    assert area.crs == "EPSG:32616" and (area.width, area.height) == (20, 20)
    assert area.sensors == ("DEM", "S1", "S2") and area.n_dates == 2
    assert (area.first_date, area.last_date) == (date(2023, 5, 1), date(2023, 6, 12))
    assert area.has_flood and not area.simulated
    assert area.folder == "workspace/autauga-1"  # relative to the data folder
    assert area.crops == ("corn", "cotton") and area.warnings == ("band order from descriptions",)
    west, south, east, north = area.bounds
    assert -86.5 < west < east < -86.4 and 32.5 < south < north < 32.6
    assert workspace.list_areas(con, "alabama") == [area]
    assert workspace.list_areas(con, "other") == []
    assert workspace.get_area(con, "autauga-1") == area
    assert workspace.flood_areas(con, "alabama") == ["autauga-1"]
    s2 = workspace.area_files(con, "autauga-1", "s2_l2a", data_dir=tmp_path)
    assert [p.name for p in s2["path"]] == ["S2_20230501.tif", "S2_20230610.tif"]
    assert s2["path"].iloc[0].is_file() and len(s2["input_hash"].iloc[0]) == 64
    assert workspace.area_file(con, "autauga-1", "dem", data_dir=tmp_path).name == "dem.tif"
    stored = con.execute("SELECT path, region_id FROM products WHERE kind = 'dem'").fetchone()
    assert stored == ("workspace/autauga-1/dem/dem.tif", "alabama")
    # the old grid view still answers the queries written before areas existed
    assert con.execute("SELECT county_id FROM aois").fetchone()[0] == AUTAUGA


def test_area_lookups_name_the_fix(con, alabama, area_inputs, tmp_path):
    with pytest.raises(ValidationError, match=r"area 'x' is not in the store \(stored: none yet\)"):
        workspace.get_area(con, "x")
    workspace.add_area(con, "a1", region_id="alabama", inputs=area_inputs, data_dir=tmp_path)
    with pytest.raises(InputNotFoundError, match=r"area 'a1' has no the insurer's plot registry"):
        workspace.area_file(con, "a1", "plots", data_dir=tmp_path)


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        (lambda i: [x for x in i if x.kind not in ("s2_l2a", "s1_grd")], ValidationError,
         r"an area needs at least one Sentinel-2 input \(kind 's2_l2a' or 's2_l1c'\) or, "
         r"for a flood area, a Sentinel-1 input"),
        (lambda i: [*i, replace(i[-1], kind="lidar")], ValidationError,
         r"input kind 'lidar' \(.*dem.tif\) is unknown; use one of: s2_l2a"),
        (lambda i: [replace(i[0], acquired=None), *i[1:]], ValidationError,
         r"S2_20230501.tif: a s2_l2a input needs its acquisition date"),
        (lambda i: [*i, replace(i[-1], path=i[-1].path.with_name("gone.tif"))],
         InputNotFoundError, r"gone.tif: area input file not found"),
    ],
)  # fmt: skip
def test_input_rules(con, alabama, area_inputs, tmp_path, change, error, match):
    before = _state(con)
    with pytest.raises(error, match=match):
        workspace.add_area(
            con, "a1", region_id="alabama", inputs=change(area_inputs), data_dir=tmp_path
        )
    for table, frame in _state(con).items():
        pd.testing.assert_frame_equal(before[table], frame)


def test_grid_rules(con, alabama, area_inputs, tmp_path):
    shifted = write_raster(tmp_path / "off.tif", 1, origin=(551500.0, 3598000.0))
    with pytest.raises(
        FormatError, match=r"off.tif: is not on the area's grid \(EPSG:32616, 20x20"
    ):
        workspace.add_area(
            con, "a1", region_id="alabama", data_dir=tmp_path,
            inputs=[*area_inputs, workspace.AreaInput("dem", shifted)],
        )  # fmt: skip
    text = tmp_path / "text.tif"
    text.write_text("not a raster")
    with pytest.raises(FormatError, match=r"text.tif: is not a raster GDAL can read"):
        workspace.add_area(
            con, "a1", region_id="alabama", data_dir=tmp_path,
            inputs=[*area_inputs, workspace.AreaInput("dem", text)],
        )  # fmt: skip
    nocrs = write_raster(tmp_path / "nocrs.tif", 1, crs=None)
    with pytest.raises(FormatError, match=r"nocrs.tif: has no CRS"):
        workspace.add_area(
            con, "a1", region_id="alabama", data_dir=tmp_path,
            inputs=[*area_inputs, workspace.AreaInput("dem", nocrs)],
        )  # fmt: skip


def test_place_rules(con, alabama, area_inputs, tmp_path):
    with pytest.raises(ValidationError, match=r"county '19169' is not in region 'alabama'"):
        workspace.add_area(
            con, "a1", region_id="alabama", inputs=area_inputs, county_id="19169",
            data_dir=tmp_path,
        )  # fmt: skip
    sea = [
        replace(i, path=write_raster(tmp_path / "sea" / i.path.name, origin=(200000.0, 2000000.0)))
        for i in area_inputs
    ]
    with pytest.raises(ValidationError, match=r"the area's centre .* is in no county of region"):
        workspace.add_area(con, "a1", region_id="alabama", inputs=sea, data_dir=tmp_path)
    with pytest.raises(ValidationError, match=r"region 'kansas' is not in the store"):
        workspace.add_area(con, "a1", region_id="kansas", inputs=area_inputs, data_dir=tmp_path)
    with pytest.raises(ValidationError, match=r"area id 'A 1' is not a valid id"):
        workspace.add_area(con, "A 1", region_id="alabama", inputs=area_inputs, data_dir=tmp_path)


def test_taken_id_and_replace(con, alabama, area_inputs, tmp_path):
    workspace.add_area(con, "a1", region_id="alabama", inputs=area_inputs, data_dir=tmp_path)
    before = _state(con)
    with pytest.raises(ValidationError, match=r"area 'a1' already exists; .*--replace"):
        workspace.add_area(con, "a1", region_id="alabama", inputs=area_inputs, data_dir=tmp_path)
    for table, frame in _state(con).items():
        pd.testing.assert_frame_equal(before[table], frame)
    s2_only = [i for i in area_inputs if i.kind == "s2_l2a"]
    area = workspace.add_area(
        con, "a1", region_id="alabama", inputs=s2_only, simulated=True, replace=True,
        data_dir=tmp_path,
    )  # fmt: skip
    assert area.sensors == ("S2",) and area.simulated and not area.has_flood
    assert con.execute("SELECT count(*) FROM products WHERE aoi_id = 'a1'").fetchone()[0] == 2


def test_region_files(con, alabama, tmp_path):
    csv = tmp_path / "workspace" / "regions" / "alabama" / "yields.csv"
    csv.parent.mkdir(parents=True)
    csv.write_text("Year,Value\n2020,1\n")
    assert workspace.region_folder("alabama", tmp_path) == csv.parent
    rel = add_region_file(con, "alabama", "yield_csv", csv, simulated=False, data_dir=tmp_path)
    assert rel == "workspace/regions/alabama/yields.csv"
    assert region_file(con, "alabama", "yield_csv", data_dir=tmp_path) == (csv, False)
    with pytest.raises(InputNotFoundError, match=r"region 'alabama' has no county as-of feat"):
        region_file(con, "alabama", "yield_features", data_dir=tmp_path)
    with pytest.raises(ValidationError, match=r"region file kind 'weather' is unknown"):
        add_region_file(con, "alabama", "weather", csv, simulated=False, data_dir=tmp_path)
    with pytest.raises(InputNotFoundError, match=r"nope.csv: region file not found"):
        add_region_file(con, "alabama", "yield_csv", "nope.csv", simulated=False, data_dir=tmp_path)
    with pytest.raises(InputNotFoundError, match=r"the store lists no OCO-2 Lite files"):
        sounding_files(con, data_dir=tmp_path)


def test_layout_paths(tmp_path):
    inside = tmp_path / "workspace" / "a" / "x.tif"
    assert workspace.stored_path(inside, tmp_path) == "workspace/a/x.tif"
    assert workspace.resolve("workspace/a/x.tif", tmp_path) == inside
    outside = tmp_path.parent / "elsewhere.tif"
    assert workspace.stored_path(outside, tmp_path) == str(outside)
    assert workspace.resolve(str(outside), tmp_path) == outside
