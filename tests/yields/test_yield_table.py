"""`paii yields import` of a county yield table (CSV or Excel): a Chinese yearbook's county
table, a US insurer's own yields; every problem listed, nothing half-written."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from paii_core import store
from paii_core.cli import main
from paii_core.errors import FormatError, ImportRejectedError, ValidationError
from paii_core.io.nass import is_quickstats
from paii_core.yields.imports import import_yields
from paii_core.yields.table import TABLE_COLUMNS, table_unit
from paii_core.yields.units import convert_yield
from tests.conftest import REPO

EXPORT = Path(__file__).parent / "data" / "quickstats_arkansas_iowa.csv"


def _yields(con, region: str) -> pd.DataFrame:
    return con.execute(
        "SELECT m.county_id, m.crop, year(m.period_start) AS year, m.value, m.unit, m.source "
        "FROM county_metrics m JOIN counties c USING (county_id) "
        "WHERE c.region_id = ? AND m.metric = 'yield' AND m.source LIKE 'yield table%' "
        "ORDER BY ALL",
        [region],
    ).df()


def test_a_chinese_yearbook_workbook_by_county_name_is_stored_in_the_regions_unit(con, tmp_path):
    book = tmp_path / "河南县域单产.xlsx"
    pd.DataFrame(
        {
            "县": ["滑县", "滑县", "中原区", "滑县", "开封市"],
            "作物": ["小麦", "玉米", "小麦", "小麦", "小麦"],
            "年份": [2019, 2019, 2019, 2020, 2019],
            "单产": [455.2, 6.9, 410, "-", 430],
            "单位": ["公斤/亩", "吨/公顷", "斤/亩", "公斤/亩", "公斤/亩"],
        }
    ).to_excel(book, index=False)
    report = import_yields(con, book, "henan")
    assert report.ok and report.rows_written == 3 and report.rows_read == 5
    assert report.skipped == {"no yield value (empty, NA or -)": 1, "county not in the region": 1}
    assert any("开封市" in n for n in report.notes)  # the name that matched no county
    got = _yields(con, "henan").set_index(["county_id", "crop"])
    assert got.loc[("410526", "wheat"), "value"] == pytest.approx(455.2)
    assert got.loc[("410526", "maize"), "value"] == pytest.approx(6.9 * 1000 / 15)  # t/ha -> kg/mu
    assert got.loc[("410102", "wheat"), "value"] == pytest.approx(205.0)  # 1 jin = 0.5 kg
    assert set(got["unit"]) == {"kg/mu"} and set(got["source"]) == {
        "yield table: 河南县域单产.xlsx"
    }


def test_a_wide_yearbook_table_of_one_crop_is_read_as_the_long_one(con, tmp_path):
    """As a statistical yearbook prints a county table: one column per year, the crop and
    unit in the table's title, so given on import."""
    book = tmp_path / "小麦单产.xlsx"
    pd.DataFrame(
        {
            "县": ["滑县", "中原区"],
            "2018年": [431, 402],
            "2019年": [455.2, "…"],
            "2020年": [460, 415],
        }
    ).to_excel(book, index=False)  # fmt: skip
    with pytest.raises(FormatError, match="no crop column"):
        import_yields(con, book, "henan", unit="公斤/亩")
    report = import_yields(con, book, "henan", unit="公斤/亩", crop="小麦")
    assert report.rows_written == 5 and report.rows_read == 6
    got = _yields(con, "henan")
    assert set(got["crop"]) == {"wheat"} and sorted(set(got["year"])) == [2018, 2019, 2020]
    assert got.set_index(["county_id", "year"]).at[("410526", 2019), "value"] == 455.2


def test_a_table_of_one_column_per_crop(con, tmp_path):
    csv = tmp_path / "by_crop.csv"
    csv.write_text("county_id,year,Corn (bu/acre),Soybeans (bu/acre)\n05001,2021,180,52\n")
    report = import_yields(con, csv, "arkansas")
    assert report.rows_written == 2
    got = _yields(con, "arkansas").set_index("crop")
    assert got.at["corn", "value"] == 180 and got.at["soybean", "value"] == 52


def test_a_table_of_one_column_per_crop_and_year(con, tmp_path):
    """A spreadsheet of crops side by side for several years: each column names its crop,
    year and unit; a Chinese one writes 玉米2019年."""
    csv = tmp_path / "by_crop_and_year.csv"
    csv.write_text(
        "county_id,Corn 2020 (bu/acre),Corn 2021 (bu/acre),Soybeans 2021 (bu/acre)\n"
        "05001,170,180,52\n05111,,175,NA\n"
    )
    report = import_yields(con, csv, "arkansas")
    assert report.rows_written == 4 and report.rows_read == 6
    assert report.skipped == {"no yield value (empty, NA or -)": 2}
    got = _yields(con, "arkansas").set_index(["county_id", "crop", "year"])["value"]
    assert got[("05001", "corn", 2020)] == 170 and got[("05001", "corn", 2021)] == 180
    assert got[("05001", "soybean", 2021)] == 52 and got[("05111", "corn", 2021)] == 175
    book = tmp_path / "河南分作物单产.xlsx"
    pd.DataFrame(
        {"县": ["滑县"], "小麦2019年": [455.2], "小麦2020年": [460], "玉米2020年": [520]}
    ).to_excel(book, index=False)
    assert import_yields(con, book, "henan", unit="公斤/亩").rows_written == 3
    henan = _yields(con, "henan").set_index(["crop", "year"])["value"]
    assert henan[("wheat", 2019)] == pytest.approx(455.2) and henan[("maize", 2020)] == 520


def test_a_us_csv_with_ids_spreadsheets_shortened_gets_its_zeros_back(con, tmp_path):
    csv = tmp_path / "own.csv"
    csv.write_text(
        "FIPS,Crop,Year,Yield (t/ha)\n5001,Corn,2021,11.5\n5111,Soybeans,2021,3.4\n"
        "5085,winter wheat,2021,4.2\n29001,Corn,2021,10\n"
    )
    report = import_yields(con, csv, "arkansas")
    assert report.rows_written == 3 and report.skipped == {"county not in the region": 1}
    assert any("leading zeros" in n for n in report.notes)
    got = _yields(con, "arkansas").set_index(["county_id", "crop"])
    expected = convert_yield(11.5, "t/ha", "bu/acre", crop="corn")
    assert got.loc[("05001", "corn"), "value"] == pytest.approx(expected)
    assert got.loc[("05001", "corn"), "unit"] == "bu/acre"
    assert got.loc[("05111", "soybean"), "unit"] == "bu/acre"
    # a class of a grain in t/ha is kept in t/ha in a bushel region, as Quick Stats' are
    assert got.loc[("05085", "winter wheat"), "unit"] == "t/ha"


def test_a_semicolon_csv_with_decimal_commas_in_decitonnes(con, tmp_path):
    """What a German Excel saves as CSV: ';' between fields, ',' as the decimal mark."""
    csv = tmp_path / "ertraege.csv"
    csv.write_text("county_id;crop;year;yield;unit\n05001;wheat;2020;72,5;dt/ha\n", "utf-8")
    assert import_yields(con, csv, "arkansas").rows_written == 1
    value = _yields(con, "arkansas")["value"].iloc[0]
    assert value == pytest.approx(convert_yield(7.25, "t/ha", "bu/acre", crop="wheat"))


def test_every_problem_is_listed_and_nothing_is_written(con, tmp_path):
    csv = tmp_path / "bad.csv"
    csv.write_text(
        "county_id,crop,year,yield,unit\n"
        "05001,corn,2020,abc,bu/acre\n"  # row 1: not a number
        "05001,corn,20,170,bu/acre\n"  # row 2: not a year
        "05111,corn,2020,170,bushels per hectare\n"  # row 3: an unknown unit
        "05085,corn,2020,170,bu/acre\n"
        "05085,corn,2020,171,bu/acre\n"  # row 5: the same county-crop-year, another yield
        "05085,corn,2019,-3,bu/acre\n"  # row 6: below 0
    )
    with pytest.raises(ImportRejectedError) as err:
        import_yields(con, csv, "arkansas")
    where = {(p.row, p.column) for p in err.value.problems}
    assert where == {(1, "yield"), (2, "year"), (3, "unit"), (5, "yield"), (6, "yield")}
    twice = next(p for p in err.value.problems if p.row == 5)
    assert "also in row 4 with another yield" in twice.problem
    assert _yields(con, "arkansas").empty


def test_a_table_in_kg_per_ha_called_t_per_ha_is_refused_naming_the_unit_that_fits(con, tmp_path):
    csv = tmp_path / "wrong_unit.csv"
    csv.write_text("county_id,crop,year,yield\n05001,corn,2020,11200\n05111,corn,2020,10900\n")
    with pytest.raises(ImportRejectedError) as err:
        import_yields(con, csv, "arkansas", unit="t/ha")
    (problem,) = err.value.problems
    assert problem.row is None and problem.column == "unit"
    assert "11050 t/ha" in problem.problem and "kg/ha" in problem.fix
    assert import_yields(con, csv, "arkansas", unit="kg/ha").rows_written == 2


def test_a_table_without_a_unit_asks_for_one_and_the_cli_takes_it(con, tmp_path, capsys):
    csv = tmp_path / "no_unit.csv"
    csv.write_text("county_id,crop,year,yield\n05001,corn,2020,170\n")
    with pytest.raises(ImportRejectedError, match="says no unit"):
        import_yields(con, csv, "arkansas")
    db = con.execute("SELECT file FROM pragma_database_list WHERE name = current_database()")
    path = db.fetchone()[0]
    con.close()
    assert main(["yields", "import", str(csv), "--region", "arkansas", "--db", path]) == 2
    assert "--unit" in capsys.readouterr().err
    args = ["yields", "import", str(csv), "--region", "arkansas", "--unit", "bu/acre", "--db", path]
    assert main(args) == 0
    assert "1 row of yields imported into arkansas from 1 read" in capsys.readouterr().out


def test_a_county_name_shared_by_two_counties_asks_for_the_id(con, tmp_path):
    # a second 鼓楼区 in the region (Nanjing's id, Kaifeng's row)
    store.write_frame(
        con,
        "counties",
        con.execute(
            "SELECT * REPLACE ('320106' AS county_id) FROM counties WHERE county_id = '410204'"
        ).df(),
    )
    csv = tmp_path / "names.csv"
    csv.write_text("county,crop,year,yield,unit\n鼓楼区,wheat,2020,400,kg/mu\n", "utf-8")
    with pytest.raises(ImportRejectedError, match="names several counties"):
        import_yields(con, csv, "henan")


def test_missing_columns_and_a_quickstats_unit_are_errors_that_say_what_to_do(con, tmp_path):
    csv = tmp_path / "policies.csv"
    csv.write_text("policy_id,insured\nA,B\n")
    with pytest.raises(
        FormatError, match=r"has no county_id \(or county\), crop, year, yield column"
    ):
        import_yields(con, csv, "arkansas")
    assert is_quickstats(EXPORT)
    with pytest.raises(ValidationError, match="leave out --unit"):
        import_yields(con, EXPORT, "arkansas", unit="t/ha")
    assert import_yields(con, EXPORT, "arkansas").rows_written == 40  # a Quick Stats export still


def test_unit_spellings():
    assert table_unit("Bu / Acre") == ("bu/acre", 1.0)
    assert table_unit("kg per hectare") == ("t/ha", 1e-3)
    assert table_unit("q/ha") == ("t/ha", 0.1)
    assert table_unit("斤/亩") == ("kg/mu", 0.5)
    assert table_unit("bushels per hectare") is None


def test_the_readme_shows_the_yield_table_columns():
    readme = (REPO / "README.md").read_text()
    for column, content in TABLE_COLUMNS.items():
        assert f"| `{column}` | {content} |" in readme, column


def test_county_names_in_the_id_column_and_trailing_empty_rows(con, tmp_path):
    """QA session 18: a table whose county_id held names ("Lonoke County") had every row
    skipped as "not in the region", then "no yield of the region"; the ";;;;" rows a
    spreadsheet leaves under its data were each an "empty county_id" problem."""
    csv = tmp_path / "names.csv"
    csv.write_text(
        "county_id;crop;year;yield;unit\nLonoke County;wheat;2020;4,5;t/ha\n"
        "05001;wheat;2020;4,1;t/ha\n;;;;\n;;;;\n",
        "utf-8",
    )
    report = import_yields(con, csv, "arkansas")
    assert report.rows_written == 2 and not report.skipped, report
    assert "county_id held the names of 1 county of the region, read as those counties " \
        "(Lonoke County -> 05085)" in report.notes  # fmt: skip
    assert sorted(_yields(con, "arkansas")["county_id"]) == ["05001", "05085"]
