"""`paii yields import`: any Quick Stats export, units converted, the rest skipped and counted."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from paii_core.cli import main
from paii_core.errors import FormatError, StoreError, ValidationError
from paii_core.io.nass import read_nass_quickstats
from paii_core.store.imports import data_imports
from paii_core.yields.imports import crop_of_item, import_quickstats, import_yields, yield_rows
from paii_core.yields.units import convert_yield
from tests.yields.conftest import ARKANSAS

EXPORT = Path(__file__).parent / "data" / "quickstats_arkansas_iowa.csv"
LB_ACRE_IN_T_HA = 0.45359237e-3 / 0.40468564224  # NIST HB 44: 1 lb, 1 acre


def _yields(con, region: str) -> pd.DataFrame:
    return con.execute(
        "SELECT m.county_id, m.crop, year(m.period_start) AS year, m.value, m.unit, m.simulated "
        "FROM county_metrics m JOIN counties c USING (county_id) "
        "WHERE c.region_id = ? AND m.metric = 'yield' ORDER BY ALL",
        [region],
    ).df()


def test_rice_in_pounds_and_hay_in_tons_are_converted_and_the_rest_counted(con):
    report = import_quickstats(con, EXPORT, "arkansas")
    assert report.ok and report.rows_written == 40
    assert report.skipped == {
        "not a yield item": 9,
        "production-practice subset (the all-practices row is kept)": 9,
        "not the annual figure (Period is a forecast or month)": 1,
        "unit LB/ACRE/YEAR cannot be converted": 9,
        "proso millet: bushels without a published bushel weight": 9,
        "value withheld or not available (D)": 2,
        "value withheld or not available (Z)": 3,
        "county not in the region": 6,
    }
    assert any("hay, upland cotton: no bushel weight" in n for n in report.notes)
    rows = _yields(con, "arkansas").set_index(["county_id", "crop", "year"])
    assert sorted(set(rows.index.get_level_values("crop"))) == [
        "hay", "rice", "sorghum", "soybean", "upland cotton"
    ]  # fmt: skip
    rice = rows.loc[("05001", "rice", 2019)]
    assert rice["unit"] == "bu/acre" and rice["value"] == pytest.approx(7310 / 45)  # 45 lb bushel
    hay = rows.loc[("05001", "hay", 2019)]
    assert hay["unit"] == "t/ha" and hay["value"] == pytest.approx(2.10 * 2000 * LB_ACRE_IN_T_HA)
    soy = rows.loc[("05111", "soybean", 2020)]
    assert soy["unit"] == "bu/acre" and soy["value"] == pytest.approx(50.5)  # not the irrigated
    assert ("05085", "rice", 2019) not in rows.index  # (D)
    assert not rows["simulated"].any()
    log = data_imports(con, "arkansas").iloc[0]
    assert log["kind"] == "yields" and log["rows_read"] == 88 and log["rows_written"] == 40


@pytest.mark.parametrize("upper", [False, True])
def test_the_quick_stats_api_layout_is_read_as_the_web_export(con, tmp_path, upper):
    """The API's CSV (rnassqs, usdarnass: short_desc, county_code...) and, in upper case and
    tab-separated, the bulk qs.*.txt layout: the same rows as the web export's."""
    web = pd.read_csv(EXPORT, dtype=str, keep_default_na=False)
    api = {
        "Program": "source_desc", "Year": "year", "Period": "reference_period_desc",
        "Geo Level": "agg_level_desc", "State": "state_name", "State ANSI": "state_fips_code",
        "County": "county_name", "County ANSI": "county_code", "Commodity": "commodity_desc",
        "Data Item": "short_desc", "Domain": "domain_desc", "Value": "Value",
    }  # fmt: skip
    table = web[list(api)].rename(columns=api).assign(statisticcat_desc="YIELD")
    path = tmp_path / ("qs.crops.txt" if upper else "nassqs.csv")
    if upper:
        table.columns = [c.upper() for c in table.columns]
    table.to_csv(path, index=False, sep="\t" if upper else ",")
    report = import_yields(con, path, "arkansas")
    expected = import_quickstats(con, EXPORT, "arkansas")
    assert report.rows_written == expected.rows_written == 40
    assert report.skipped == expected.skipped


def test_a_second_import_replaces_the_same_county_crop_years(con):
    import_quickstats(con, EXPORT, "arkansas")
    import_quickstats(con, EXPORT, "arkansas", source="again.csv")
    assert len(_yields(con, "arkansas")) == 40
    assert list(data_imports(con, "arkansas")["source"]) == ["again.csv", EXPORT.name]


def test_iowa_keeps_corn_in_bushels_and_silage_as_mass(con):
    before = len(_yields(con, "iowa"))
    report = import_quickstats(con, EXPORT, "iowa")
    assert report.rows_written == 6 and report.skipped["county not in the region"] == 40
    rows = _yields(con, "iowa")
    story = rows[rows["county_id"] == "19169"].set_index(["crop", "year"])
    assert story.loc[("corn", 2020), "value"] == pytest.approx(181.2)
    assert story.loc[("silage corn", 2020), "unit"] == "t/ha"
    # the demo's simulated corn of 2019..2020 in Story is replaced, other counties kept
    assert len(rows) == before + 6 - int(story.index.isin([("corn", 2019), ("corn", 2020)]).sum())


@pytest.mark.parametrize(
    ("unit", "rice", "soybean"),
    [("t/ha", 7310 * LB_ACRE_IN_T_HA, 47.5 * 60 * LB_ACRE_IN_T_HA),
     ("kg/mu", 7310 * LB_ACRE_IN_T_HA * 1000 / 15, 47.5 * 60 * LB_ACRE_IN_T_HA * 1000 / 15)],
)  # fmt: skip
def test_metric_regions_get_every_crop_in_their_unit(unit, rice, soybean):
    raw = read_nass_quickstats(EXPORT, extra=("Period", "Domain"))
    rows, skipped, _ = yield_rows(raw, county_ids=set(ARKANSAS), region_unit=unit, country="US")
    table = rows.set_index(["county_id", "crop", "year"])
    assert (table["unit"] == unit).all()
    assert table.loc[("05001", "rice", 2019), "value"] == pytest.approx(rice)
    assert table.loc[("05001", "soybean", 2019), "value"] == pytest.approx(soybean)
    assert "proso millet: bushels without a published bushel weight" in skipped


def test_mass_units_use_the_published_factors():
    assert convert_yield(1.0, "lb/acre", "t/ha", crop="rice") == pytest.approx(1.12085e-3, 1e-5)
    assert convert_yield(1.0, "tons/acre", "t/ha", crop="hay") == pytest.approx(2.24170, 1e-5)
    assert convert_yield(1.0, "cwt/acre", "t/ha", crop="potato") == pytest.approx(0.112085, 1e-5)
    assert convert_yield(4500.0, "lb/acre", "bu/acre", crop="rice") == pytest.approx(100.0)
    assert convert_yield(50.0, "bu/acre", "t/ha", crop="winter wheat") == pytest.approx(
        convert_yield(50.0, "bu/acre", "t/ha", crop="wheat")
    )  # a class of a grain weighs as the grain
    assert convert_yield(3.0, "bu/acre", "bu/acre", crop="hay") == 3.0
    with pytest.raises(ValidationError, match="unit 'boxes/acre' is unknown"):
        convert_yield(1.0, "boxes/acre", "boxes/acre", crop="orange")
    with pytest.raises(ValidationError, match="unit 'boxes/acre' is unknown"):
        convert_yield(1.0, "boxes/acre", "t/ha", crop="orange")


def test_crop_names_from_data_items():
    item = "CORN, GRAIN - YIELD, MEASURED IN BU / ACRE"
    assert crop_of_item("CORN", item, country="US") == ("corn", False)
    assert crop_of_item("CORN", item, country="CN") == ("maize", False)
    silage = "CORN, SILAGE - YIELD, MEASURED IN TONS / ACRE"
    assert crop_of_item("CORN", silage, country="US") == ("silage corn", False)
    assert crop_of_item("CORN", silage, country="CN") == ("silage maize", False)
    wheat = "WHEAT, WINTER, IRRIGATED - YIELD, MEASURED IN BU / ACRE"
    assert crop_of_item("WHEAT", wheat, country="US") == ("winter wheat", True)
    spring = "WHEAT, SPRING, (EXCL DURUM) - YIELD, MEASURED IN BU / ACRE"
    assert crop_of_item("WHEAT", spring, country="US") == ("spring wheat (excl durum)", False)
    hay = "HAY, (EXCL ALFALFA) - YIELD, MEASURED IN TONS / ACRE"
    assert crop_of_item("HAY", hay, country="US") == ("hay (excl alfalfa)", False)
    assert crop_of_item("CORN", "CORN, GRAIN - ACRES HARVESTED", country="US") is None


def test_no_yield_of_the_region_is_an_error_and_writes_nothing(con):
    before = con.execute("SELECT count(*) FROM county_metrics").fetchone()[0]
    with pytest.raises(ValidationError, match=r"no county yield of region henan to import \(.*"
                       r"county not in the region"):  # fmt: skip
        import_quickstats(con, EXPORT, "henan")
    assert con.execute("SELECT count(*) FROM county_metrics").fetchone()[0] == before
    with pytest.raises(ValidationError, match="region 'kansas' is not in the store"):
        import_quickstats(con, EXPORT, "kansas")


def test_a_failed_write_leaves_the_yields_as_they_were(con, monkeypatch):
    before = _yields(con, "iowa")

    def broken(*args, **kwargs):
        raise StoreError("DuckDB could not write the audit trail: disk full")

    monkeypatch.setattr("paii_core.store.imports.log_event", broken)
    with pytest.raises(StoreError, match="disk full"):
        import_quickstats(con, EXPORT, "iowa")
    pd.testing.assert_frame_equal(before, _yields(con, "iowa"))
    assert data_imports(con).query("kind == 'yields'").empty


def test_cli_prints_what_was_stored_and_skipped(con, tmp_path, capsys):
    con.close()
    db = str(tmp_path / "paii.duckdb")
    assert main(["yields", "import", str(EXPORT), "--region", "arkansas", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "40 rows of yields imported into arkansas from 88 read, 48 rows skipped" in out
    assert "skipped      9 rows: not a yield item" in out
    assert main(["yields", "import", str(EXPORT), "--region", "henan", "--db", db]) == 2
    assert "no county yield of region henan" in capsys.readouterr().err


def test_a_negative_yield_is_refused_and_nothing_is_written(con, tmp_path):
    """The real export with Story County's 2019 corn yield edited to -196.4 was imported
    as a yield of -196.4 bu/acre without a word."""
    edited = tmp_path / "edited.csv"
    edited.write_text(EXPORT.read_text().replace('"196.4"', '"-196.4"'))
    before = _yields(con, "iowa")
    with pytest.raises(FormatError, match=r"edited\.csv: has 1 negative yield\(s\), e\.g\. county "
                       r"19169 corn 2019: -196\.4 bu/acre; a yield is never below 0.*Fix: "
                       r"correct those rows"):  # fmt: skip
        import_quickstats(con, edited, "iowa")
    pd.testing.assert_frame_equal(before, _yields(con, "iowa"))
