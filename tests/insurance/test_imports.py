"""`paii policies import`: each validation rule by its message, all-or-nothing, the CLI."""

from __future__ import annotations

import re
import shutil

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from paii_core import store
from paii_core.cli import main
from paii_core.errors import (
    FormatError,
    ImportRejectedError,
    InputNotFoundError,
    StoreError,
    ValidationError,
)
from paii_core.insurance import imports as policy_imports
from paii_core.insurance.imports import import_policies
from paii_core.store.imports import data_imports, region_facts

STORY = "19169"  # Story County, Iowa: the demo's iowa-story area lies in it
TABLES = ("policies", "data_imports", "audit")


@pytest.fixture()
def con(tiny_world, tmp_path):
    """A private copy of the tiny world's store (the imports write to it)."""
    for name in ("paii.duckdb", "paii.duckdb.wal"):
        if (tiny_world / name).exists():
            shutil.copy(tiny_world / name, tmp_path / name)
    connection = store.connect(tmp_path / "paii.duckdb")
    yield connection
    connection.close()


@pytest.fixture()
def plot(con) -> shapely.Polygon:
    """A square of about 4 ha inside Story County (EPSG:4326)."""
    counties = region_facts(con, "iowa").counties
    centre = counties.loc[counties["county_id"] == STORY, "geometry"].iloc[0].representative_point()
    return box(centre.x - 0.0012, centre.y - 0.0009, centre.x + 0.0012, centre.y + 0.0009)


def _area_ha(geom) -> float:
    return float(gpd.GeoSeries([geom], crs=4326).to_crs(6933).area.iloc[0] / 1e4)


def _row(plot, **kw) -> dict:
    row = {
        "policy_id": "KS-0001",
        "insured": "Dale Miller",
        "declared_crop": "winter barley",  # not a demo crop: open classes are fine
        "declared_area_ha": round(_area_ha(plot), 3),
        "coverage_level": "0.75",
        "guaranteed_yield": "150",
        "price": "3.88",
        "premium_rate": "0.035",
        "start_date": "2020-03-15",
        "end_date": "2020-12-10",
        "county_id": STORY,
        "geometry": plot.wkt,
    }
    row.update(kw)
    return row


def _csv(tmp_path, rows, name="policies.csv"):
    path = tmp_path / name
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _tables(con) -> dict[str, pd.DataFrame]:
    return {t: con.execute(f'SELECT * FROM "{t}" ORDER BY ALL').df() for t in TABLES}


def _problems(con, path, region="iowa") -> list[str]:
    before = _tables(con)
    with pytest.raises(ImportRejectedError) as info:
        import_policies(con, path, region)
    after = _tables(con)
    for table in TABLES:  # a rejected import leaves the store exactly as it was
        pd.testing.assert_frame_equal(before[table], after[table])
    return [str(p) for p in info.value.problems]


def test_a_valid_csv_with_wkt_is_stored_with_its_geometry(con, plot, tmp_path):
    path = _csv(tmp_path, [_row(plot), _row(plot, policy_id="KS-0002", county_id="")])
    report = import_policies(con, path, "iowa")
    assert report.ok and report.rows_written == 2
    stored = con.execute(
        "SELECT * FROM policies WHERE policy_id LIKE 'KS-%' ORDER BY policy_id"
    ).df()
    assert list(stored["county_id"]) == [STORY, STORY]  # the second found from its geometry
    assert list(stored["declared_crop"]) == ["winter barley"] * 2
    assert not stored["simulated"].any()
    geom = shapely.from_wkb(bytes(stored["geometry_wkb"].iloc[0]))
    assert geom.equals_exact(plot, 1e-9)
    # sum insured = 150 bu/acre x area in acres x 3.88 USD/bu; premium = rate x that
    acres = stored["declared_area_ha"].iloc[0] / 0.40468564224
    assert stored["sum_insured"].iloc[0] == pytest.approx(150 * acres * 3.88, abs=0.01)
    assert stored["premium"].iloc[0] == pytest.approx(0.035 * stored["sum_insured"].iloc[0], 0.01)
    log = data_imports(con, "iowa")
    assert log["source"].iloc[0] == "policies.csv" and log["rows_written"].iloc[0] == 2


def test_an_excel_workbook_is_read_as_typed(con, plot, tmp_path):
    """Policies as an underwriter keeps them: an .xlsx with real date cells, numbers as
    numbers (coverage 75 %), a title row left empty and a blank column; stored as the CSV
    would be. A workbook of two sheets with data, and an old .xls, are refused with fixes."""
    from datetime import datetime

    rows = [_row(plot), _row(plot, policy_id="KS-0002", county_id="")]
    frame = pd.DataFrame(rows)
    frame["start_date"] = datetime(2020, 3, 15)
    frame["end_date"] = datetime(2020, 12, 10)
    frame["coverage_level"] = 75  # percent, as a number cell
    frame["guaranteed_yield"] = 150.0
    frame["notes"] = None
    book = tmp_path / "Portfolio 2020.xlsx"
    with pd.ExcelWriter(book, engine="openpyxl") as xl:
        frame.to_excel(xl, sheet_name="Policies", index=False)
        pd.DataFrame().to_excel(xl, sheet_name="Empty")
    report = import_policies(con, book, "iowa")
    assert report.ok and report.rows_written == 2, report.problems
    stored = con.execute(
        "SELECT policy_id, start_date, end_date, coverage_level, county_id FROM policies "
        "WHERE policy_id LIKE 'KS-%' ORDER BY policy_id"
    ).fetchall()
    assert [r[0] for r in stored] == ["KS-0001", "KS-0002"]
    assert {(str(r[1]), str(r[2]), r[3], r[4]) for r in stored} == {
        ("2020-03-15", "2020-12-10", 0.75, STORY)
    }
    two = tmp_path / "two.xlsx"
    with pd.ExcelWriter(two, engine="openpyxl") as xl:
        frame.to_excel(xl, sheet_name="2020", index=False)
        frame.to_excel(xl, sheet_name="2021", index=False)
    with pytest.raises(FormatError, match=r"two\.xlsx: has 2 sheets with data \(2020, 2021\); "):
        import_policies(con, two, "iowa")
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(FormatError, match=r"old\.xls: is an old binary Excel workbook .*\.xlsx"):
        import_policies(con, old, "iowa")
    broken = tmp_path / "broken.xlsx"
    broken.write_text("policy_id,insured")
    with pytest.raises(FormatError, match=r"broken\.xlsx: is not a readable Excel workbook"):
        import_policies(con, broken, "iowa")


def test_percent_coverage_is_read_as_a_share(con, plot, tmp_path):
    import_policies(con, _csv(tmp_path, [_row(plot, coverage_level="80")]), "iowa")
    value = con.execute("SELECT coverage_level FROM policies WHERE policy_id = 'KS-0001'")
    assert value.fetchone()[0] == pytest.approx(0.80)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"county_id": "99999"}, r"row 1, column county_id: '99999' is not a county of iowa"),
        ({"geometry": "POLYGON ((1 2, 3"}, r"column geometry: 'POLYGON \(\(1 2, 3' is not WKT"),
        (
            {"geometry": "POLYGON ((-93.5 42, -93.4 42.1, -93.4 42, -93.5 42.1, -93.5 42))"},
            r"column geometry: is an invalid polygon \(Self-intersection",
        ),
        ({"geometry": "POINT (-93.5 42)"}, r"column geometry: is a Point, not a polygon"),
        (
            {"geometry": box(450000, 4650000, 450100, 4650100).wkt},
            r"coordinates are not longitude/latitude",
        ),
        (
            {"geometry": box(46.96, -100.52, 46.965, -100.512).wkt},
            r"column geometry: coordinates look like latitude, longitude \(the second of each "
            r"pair reaches -100.52, beyond \+-90\)\. Fix: write each point as longitude then",
        ),
        (
            {"geometry": box(-100.0, 38.0, -99.99, 38.01).wkt, "county_id": ""},
            r"column geometry: lies outside every county of iowa",
        ),
        ({"county_id": "19153"}, r"column county_id: '19153' but the geometry lies in '19169'"),
        ({"coverage_level": "0.95"}, r"column coverage_level: 0.95 is outside 50%-85%"),
        ({"coverage_level": "40"}, r"column coverage_level: 40 is outside 50%-85%"),
        ({"declared_area_ha": "40"}, r"column declared_area_ha: 40 ha is \d+\.\d+x the geometry's"),
        ({"declared_area_ha": "-1"}, r"column declared_area_ha: -1 is not a finite number > 0"),
        ({"start_date": "15/03/2020"}, r"column start_date: '15/03/2020' is not a date"),
        ({"end_date": "2020-01-01"}, r"column end_date: 2020-01-01 is not after start_date"),
        ({"price": "cheap"}, r"column price: 'cheap' is not a number"),
        # a decimal comma was read as a thousands separator: price 3,88 stored as 388
        (
            {"price": "3,88"},
            r"row 1, column price: '3,88' is not a number: a comma only groups thousands "
            r"\(1,234\.5\)\. Fix: write decimals with a point in price, e\.g\. '3\.88'",
        ),
        ({"guaranteed_yield": "1,50,0"}, r"column guaranteed_yield: '1,50,0' is not a number"),
        ({"yield_unit": "t/ha"}, r"column yield_unit: 't/ha' is not the region's unit"),
        ({"policy_id": ""}, r"column policy_id: is empty"),
        ({"region_id": "henan"}, r"column region_id: 'henan' is not 'iowa'"),
        ({"premium_rate": "3"}, r"column premium_rate: 3 is not below 1"),
    ],
)
def test_each_rule_names_row_column_problem_and_fix(con, plot, tmp_path, change, message):
    problems = _problems(con, _csv(tmp_path, [_row(plot, **change)]))
    assert any(re.search(message, p) for p in problems), problems
    assert all(". Fix: " in p for p in problems)


def test_duplicate_and_already_stored_ids_are_rejected(con, plot, tmp_path):
    rows = [_row(plot), _row(plot), _row(plot, policy_id="PA-IA-0001")]
    problems = _problems(con, _csv(tmp_path, rows))
    assert "row 2, column policy_id: 'KS-0001' is also on row 1. Fix: make ids unique" in problems
    assert any("row 3, column policy_id: 'PA-IA-0001' is already stored (region iowa)" in p
               for p in problems)  # fmt: skip


def test_missing_columns_and_every_bad_row_are_reported_together(con, plot, tmp_path):
    rows = [_row(plot, coverage_level="2", county_id="1"), _row(plot, policy_id="B", price="x")]
    frame = pd.DataFrame(rows).drop(columns=["insured", "start_date"])
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    problems = _problems(con, path)
    assert "file, column insured: the column is missing" in problems[0]
    assert any(p.startswith("file, column start_date: the column is missing") for p in problems)
    assert any(p.startswith("row 1, column coverage_level") for p in problems)
    assert any(p.startswith("row 1, column county_id") for p in problems)
    assert any(p.startswith("row 2, column price") for p in problems)
    # a missing column is said once, for the file: not again as empty on every row
    assert not any(p.startswith(("row 1, column insured", "row 2, column start_date"))
                   for p in problems)  # fmt: skip


def test_a_quick_stats_export_is_named_as_such(con, tmp_path):
    """A yields export given to `paii policies import` listed 40 problems (every policy
    column missing, every row empty); it is named with the command that imports it."""
    path = tmp_path / "qs.csv"
    pd.DataFrame(
        [{"Year": "2022", "Commodity": "CORN", "Data Item": "CORN, GRAIN - YIELD, MEASURED IN "
          "BU / ACRE", "County ANSI": "169", "Value": "201.3"}]
    ).to_csv(path, index=False)  # fmt: skip
    assert _problems(con, path) == [
        "file, column policy_id: this is a USDA Quick Stats export (Data Item, Commodity, "
        "Value), not a policy file. Fix: import it with `paii yields import FILE --region iowa`"
    ]


def test_a_file_without_any_plot_is_rejected(con, plot, tmp_path):
    frame = pd.DataFrame([_row(plot)]).drop(columns=["geometry"])
    path = tmp_path / "noplot.csv"
    frame.to_csv(path, index=False)
    assert any("the file names no plot" in p for p in _problems(con, path))


def test_plot_ids_need_a_known_area_and_one_id(con, plot, tmp_path):
    ok = _row(plot, geometry="", aoi_id="iowa-story", parcel_id="3", declared_area_ha="1.2")
    report = import_policies(con, _csv(tmp_path, [ok]), "iowa")
    assert report.rows_written == 1
    rows = [
        _row(plot, policy_id="X1", geometry="", aoi_id="iowa-nowhere", parcel_id="3"),
        _row(plot, policy_id="X2", geometry="", aoi_id="iowa-story", parcel_id="3", coarse_id="4"),
        _row(plot, policy_id="X3", geometry="", parcel_id="2.5"),
        _row(plot, policy_id="X4", geometry=""),
    ]
    problems = _problems(con, _csv(tmp_path, rows, "ids.csv"))
    assert any("row 1, column aoi_id: 'iowa-nowhere' is not an area of iowa" in p for p in problems)
    assert any("row 2, column parcel_id: both parcel_id and coarse_id" in p for p in problems)
    assert any("row 3, column parcel_id: '2.5' is not a positive whole number" in p
               for p in problems)  # fmt: skip
    assert any("row 3, column aoi_id: is empty but a plot id is given" in p for p in problems)
    assert any("row 4, column geometry: the row names no plot" in p for p in problems)


def test_geopackage_in_utm_and_geojson_are_read(con, plot, tmp_path):
    row = _row(plot)
    geom = shapely.from_wkt(row.pop("geometry"))
    gdf = gpd.GeoDataFrame([row], geometry=[geom], crs=4326).to_crs(32615)
    gdf.to_file(tmp_path / "p.gpkg", driver="GPKG")
    assert import_policies(con, tmp_path / "p.gpkg", "iowa").rows_written == 1
    gdf.assign(policy_id="KS-0002").to_crs(4326).to_file(tmp_path / "p.geojson", driver="GeoJSON")
    assert import_policies(con, tmp_path / "p.geojson", "iowa").rows_written == 1
    stored = con.execute("SELECT geometry_wkb FROM policies WHERE policy_id = 'KS-0001'")
    back = shapely.from_wkb(bytes(stored.fetchone()[0]))
    assert back.symmetric_difference(plot).area < 1e-3 * plot.area  # back in lon/lat


@pytest.mark.filterwarnings("ignore:Column names longer than 10 characters")
@pytest.mark.filterwarnings("ignore:Normalized/laundered field name")
def test_a_shapefile_with_names_cut_to_10_characters_is_read(con, plot, tmp_path):
    """A policy shapefile (dBase keeps 10 characters of a name: declared_c, coverage_l,
    guaranteed, premium_ra) was refused: 'column declared_crop: the column is missing',
    and so on for five columns that were there."""
    row = _row(plot, policy_id="SH-0001")
    geom = shapely.from_wkt(row.pop("geometry"))
    path = tmp_path / "policies.shp"
    gpd.GeoDataFrame([row], geometry=[geom], crs=4326).to_file(path)
    assert "declared_c" in gpd.read_file(path).columns  # the format cut the names
    assert import_policies(con, path, "iowa").rows_written == 1
    stored = con.execute(
        "SELECT declared_crop, coverage_level, guaranteed_yield, premium FROM policies "
        "WHERE policy_id = 'SH-0001'"
    ).fetchone()
    assert stored[:3] == ("winter barley", 0.75, 150.0) and stored[3] > 0
    # dates as GDAL writes a datetime into a shapefile's text field: year first, slashes
    row = _row(plot, policy_id="SH-0002", start_date="2020/03/15 00:00:00")
    row["end_date"] = "2020/12/10"
    geom = shapely.from_wkt(row.pop("geometry"))
    gpd.GeoDataFrame([row], geometry=[geom], crs=4326).to_file(tmp_path / "dates.shp")
    assert import_policies(con, tmp_path / "dates.shp", "iowa").rows_written == 1
    days = con.execute(
        "SELECT start_date, end_date FROM policies WHERE policy_id = 'SH-0002'"
    ).fetchone()
    assert [str(d) for d in days] == ["2020-03-15", "2020-12-10"]


def test_a_geopackage_of_several_layers_is_refused(con, plot, tmp_path):
    """A GeoPackage holding last year's layer and this year's was imported from its
    first layer (last year's), with only pyogrio's 'specify layer parameter' warning."""
    row = _row(plot)
    geom = shapely.from_wkt(row.pop("geometry"))
    path = tmp_path / "portfolio.gpkg"
    gdf = gpd.GeoDataFrame([row], geometry=[geom], crs=4326)
    gdf.assign(policy_id="OLD-1").to_file(path, layer="policies_2019")
    gdf.assign(policy_id="NEW-1").to_file(path, layer="policies_2020")
    with pytest.raises(FormatError, match=r"portfolio\.gpkg: holds 2 layers \(policies_2019, "
                       r"policies_2020\); which one holds the policies is not guessed\. Fix: "
                       r"pass a file of that layer alone: `ogr2ogr -f GPKG "
                       r"policies\.gpkg"):  # fmt: skip
        import_policies(con, path, "iowa")
    assert (
        con.execute("SELECT count(*) FROM policies WHERE policy_id LIKE '%-1'").fetchone()[0] == 0
    )


def test_replace_swaps_the_region_portfolio(con, plot, tmp_path):
    n_iowa = con.execute("SELECT count(*) FROM policies WHERE region_id = 'iowa'").fetchone()[0]
    assert n_iowa > 0
    import_policies(con, _csv(tmp_path, [_row(plot)]), "iowa", replace=True)
    ids = con.execute("SELECT policy_id FROM policies WHERE region_id = 'iowa'").fetchall()
    assert ids == [("KS-0001",)]
    assert con.execute("SELECT count(*) FROM policies WHERE region_id = 'henan'").fetchone()[0]


def test_a_failed_write_is_rolled_back_whole(con, plot, tmp_path, monkeypatch):
    before = _tables(con)

    def broken(*args, **kwargs):
        raise StoreError("DuckDB could not write the audit trail: disk full")

    monkeypatch.setattr("paii_core.store.imports.log_event", broken)
    with pytest.raises(StoreError, match="disk full"):
        import_policies(con, _csv(tmp_path, [_row(plot)]), "iowa", replace=True)
    after = _tables(con)
    for table in TABLES:
        pd.testing.assert_frame_equal(before[table], after[table])


def test_unknown_region_and_unreadable_files(con, plot, tmp_path):
    path = _csv(tmp_path, [_row(plot)])
    with pytest.raises(ValidationError, match="region 'kansas' is not in the store"):
        import_policies(con, path, "kansas")
    with pytest.raises(InputNotFoundError, match="policy file not found"):
        import_policies(con, tmp_path / "none.csv", "iowa")
    (tmp_path / "p.ods").write_bytes(b"PK")
    with pytest.raises(FormatError, match=r"unknown extension '\.ods'.*\.xlsx"):  # .xlsx is taken
        import_policies(con, tmp_path / "p.ods", "iowa")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(FormatError, match="is empty"):
        import_policies(con, tmp_path / "empty.csv", "iowa")
    (tmp_path / "header.csv").write_text("policy_id,insured\n")
    with pytest.raises(FormatError, match="has a header but no rows"):
        import_policies(con, tmp_path / "header.csv", "iowa")
    (tmp_path / "two.csv").write_text("crop,declared_crop\nx,y\n")
    with pytest.raises(FormatError, match="several columns that mean declared_crop"):
        import_policies(con, tmp_path / "two.csv", "iowa")
    (tmp_path / "bad.gpkg").write_text("not a geopackage")
    with pytest.raises(FormatError, match="not a readable vector file"):
        import_policies(con, tmp_path / "bad.gpkg", "iowa")


def test_cli_imports_and_reports_every_problem(tiny_world, plot, tmp_path, con, capsys):
    db = tmp_path / "paii.duckdb"
    con.close()  # the CLI opens the file itself
    good = _csv(tmp_path, [_row(plot)])
    assert main(["policies", "import", str(good), "--region", "iowa", "--db", str(db)]) == 0
    # said "1 policies rows imported"
    assert "1 row of policies imported into iowa" in capsys.readouterr().out
    bad = _csv(tmp_path, [_row(plot, policy_id="A", coverage_level="0.9"),
                          _row(plot, policy_id="B", end_date="2019-01-01")], "bad.csv")  # fmt: skip
    assert main(["policies", "import", str(bad), "--region", "iowa", "--db", str(db)]) == 2
    out = capsys.readouterr().out
    assert "2 problem(s); nothing was imported" in out
    assert "row 1, column coverage_level" in out and "row 2, column end_date" in out


def test_the_report_of_a_policy_outside_every_area_says_so(tiny_world, tmp_path, con, capsys):
    """A policy imported in Woodbury County, where no area lies (the import's note says
    so): `paii insurance report --policy KS-0001` said 'the imagery of its area None is
    not loaded'."""
    counties = region_facts(con, "iowa").counties
    far = counties.loc[counties["county_id"] == "19193", "geometry"].iloc[0]  # Woodbury
    c = far.representative_point()
    square = box(c.x - 0.0012, c.y - 0.0009, c.x + 0.0012, c.y + 0.0009)
    row = _row(square, county_id="19193")
    db = tmp_path / "paii.duckdb"
    con.close()  # the CLI opens the file itself
    args = ["--db", str(db)]
    assert main(["policies", "import", str(_csv(tmp_path, [row])), "--region", "iowa",
                 *args]) == 0  # fmt: skip
    assert "1 policy lies outside every area of iowa" in capsys.readouterr().out
    out = tmp_path / "r.pdf"
    report = ["insurance", "report", "--policy", "KS-0001", "--out", str(out)]
    assert main([*report, "--data", str(tiny_world), *args]) == 2
    err = capsys.readouterr().err
    assert ("policy KS-0001 lies in no area of region iowa: no imagery covers its plot" in err
            and "Fix: add an area over it (`paii area add AOI --region iowa" in err)  # fmt: skip
    assert "None" not in err and not out.exists()


def test_policy_columns_are_documented_in_the_readme():
    from tests.conftest import REPO

    readme = (REPO / "README.md").read_text()
    for column in policy_imports.POLICY_COLUMNS:
        assert f"`{column}`" in readme, column


def test_thousands_separators_are_still_read():
    from paii_core.insurance.policy_checks import Rows

    rows = Rows()
    assert [rows.number(1, "premium", t) for t in ("1,234.5", "12,000", "3.88")] == [
        1234.5,
        12000.0,
        3.88,
    ]
    assert rows.problems == []


def test_a_county_name_for_its_id_and_trailing_blank_rows(con, plot, tmp_path):
    """QA session 18: "Story" in county_id was "not a county of iowa" with three other ids
    as examples; a CSV exported with empty ",,,," rows under its data had 13 problems
    reported for each of them."""
    named = _csv(
        tmp_path,
        [_row(plot, county_id="Story"), _row(plot, policy_id="KS-2", county_id="story county")],
    )
    assert _problems(con, named) == [
        f"row {r}, column county_id: {v!r} is not a county of iowa. Fix: it is the name of "
        f"county {STORY}; write its id in county_id"
        for r, v in ((1, "Story"), (2, "story county"))
    ]
    exported = tmp_path / "exported.csv"
    rows = pd.DataFrame([_row(plot), _row(plot, policy_id="KS-2")]).to_csv(index=False)
    exported.write_text(rows + ",,,,,,,,,,,\n" * 2 + " , ,,,,,,,,,,\n")
    report = import_policies(con, exported, "iowa")
    assert (report.rows_read, report.rows_written) == (2, 2)
