"""AppTest of the Data page: a region's areas, stored data and files with their provenance."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import pytest
from streamlit.testing.v1 import AppTest

from paii_core import store, workspace
from tests.conftest import REPO, sign_in_app
from ui import common


def _data_app(region: str) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    sign_in_app(at)
    at.run()
    at.switch_page("views/data_page.py")
    at.session_state["region_id"] = region
    at.session_state["asof"] = date(2020, 10, 31)
    return at.run()


def test_data_page_lists_areas_data_and_files(tiny_world):
    at = _data_app("hubei")
    assert not at.exception, at.exception
    assert at.title[0].value == "Data: Hubei (CN)"
    assert "103 counties" in at.caption[0].value and "t/ha" in at.caption[0].value
    frames = [d.value for d in at.dataframe]
    areas = next(f for f in frames if "area" in f.columns)
    assert areas["area"].tolist() == ["hubei-jianli"]
    assert areas["sensors"].iloc[0] == "DEM, S1, S2" and areas["dates"].iloc[0] == 12
    assert areas["provenance"].tolist() == ["simulated"]
    stored = next(f for f in frames if "rows" in f.columns).set_index("kind")
    assert stored.loc["yields", "rows"] > 0 and stored.loc["yields", "provenance"] == "simulated"
    assert stored.loc["policies", "provenance"] == "simulated"
    assert not stored["updated"].isna().any()  # policies: their last import
    files = next(f for f in frames if "files" in f.columns).set_index("kind")
    assert {"yield_csv", "yield_features", "oco2_lite"} <= set(files.index)
    assert (files["provenance"] == "simulated").all()
    # the sounding files are every region's, not this one's own
    assert any(c.value.startswith("oco2_lite: the store's OCO-2 sounding files, shared by every")
               for c in at.caption)  # fmt: skip


@pytest.fixture()
def own_region(tmp_path, monkeypatch):
    """A data folder whose store holds one real region (five Alabama counties) and nothing
    else: no demo world, no area, no data."""
    counties = gpd.read_parquet(REPO / "data" / "boundaries" / "us_counties_all.parquet")
    path = tmp_path / "al.geojson"
    counties[counties["county_id"].str.startswith("01")].iloc[:5].to_file(path)
    con = store.connect(tmp_path / "paii.duckdb")
    workspace.add_region(con, "al", path, country="US", yield_unit="bu/acre", name="AL five")
    con.close()
    monkeypatch.setenv("PAII_DATA_DIR", str(tmp_path))
    return tmp_path


def test_data_page_of_a_new_region_says_what_to_add(own_region):
    at = _data_app("al")
    assert not at.exception, at.exception
    assert at.title[0].value == "Data: AL five"
    text = " ".join(m.value for m in at.markdown)
    assert "No area yet: add one with `paii area add AOI --region al" in text
    assert "Nothing stored for this region yet." in text
    assert not [d for d in at.dataframe if {"area", "rows", "files"} & set(d.value.columns)]
    assert "**Policies**" in text and "**Yields**" in text  # the import forms are there
    assert not any("simulated" in i.value for i in at.info)


def test_home_of_a_new_region_is_not_called_simulated(own_region):
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    sign_in_app(at)
    at.run()
    assert not at.exception, at.exception
    assert at.sidebar.selectbox(key="region_id").value == "al"
    assert at.title[0].value == "AL five: county overview"
    assert not any("simulated" in i.value for i in at.info)


def _kansas_file(tmp_path, name: str, crs: str | None = None) -> bytes:
    """Three real Kansas counties (FIPS 20045, 20059, 20121) as a GeoPackage's bytes; with
    ``crs`` their lon/lat coordinates are labelled with that (wrong) CRS."""
    counties = gpd.read_parquet(REPO / "data" / "boundaries" / "us_counties_all.parquet")
    ks = counties[counties["county_id"].isin(["20045", "20059", "20121"])]
    if crs:
        ks = ks.set_crs(crs, allow_override=True)
    path = tmp_path / name
    ks.to_file(path, driver="GPKG")
    return path.read_bytes()


def _add_region(
    at: AppTest, name: str, content: bytes, region_id: str, country: str = "US"
) -> AppTest:
    at.file_uploader(key="region_upload").set_value((name, content, "application/geopackage"))
    at.text_input(key="region_new_id").set_value(region_id)
    at.text_input(key="region_new_country").set_value(country)
    at.run()
    at.button(key="region_add").click()
    return at.run()


def test_data_page_adds_a_region_from_an_uploaded_boundary_file(own_region, tmp_path):
    at = _data_app("al")
    at = _add_region(at, "ks_three.gpkg", _kansas_file(tmp_path, "k.gpkg"), "ks-east")
    assert not at.exception and not at.error, [e.value for e in at.error]
    # the new region is chosen in the sidebar and the page shows it, with what to do next
    assert at.sidebar.selectbox(key="region_id").value == "ks-east"
    assert at.title[0].value == "Data: Kansas"  # the name read from the file
    assert at.caption[0].value.startswith("3 counties from ks_three.gpkg (US)")
    assert "Region ks-east (Kansas) added: 3 counties from ks_three.gpkg" in at.success[0].value
    # the area form just below is named, not only the command (QA session 18)
    assert at.success[0].value.endswith(
        'UTM zone EPSG:32615; yields in bu/acre. Add its imagery with the form "Add an area '
        'from your Sentinel-2 or Sentinel-1 files" under Areas below, or `paii area add AOI '
        "--region ks-east --s2 ...` on the server."
    ), at.success[0].value
    con = common.connection()  # the page's own (a second open of the file is refused)
    assert workspace.get_region(con, "ks-east").counties_file == "ks_three.gpkg"


def test_a_new_regions_yield_unit_follows_its_country(own_region, tmp_path):
    """QA session 18: a Nigerian region added without touching "Yield unit" read its yields
    in bu/acre, the first unit of the list, whatever its country."""
    at = _data_app("al")
    assert at.selectbox(key="region_new_unit").value is None
    at = _add_region(at, "three.gpkg", _kansas_file(tmp_path, "k.gpkg"), "ng-three", "ng")
    assert not at.exception and not at.error, [e.value for e in at.error]
    con = common.connection()
    assert workspace.get_region(con, "ng-three").yield_unit == "t/ha"
    assert "yields in t/ha" in at.success[0].value


def test_data_page_refuses_a_boundary_file_in_the_wrong_crs_naming_it(own_region, tmp_path):
    at = _data_app("al")
    wrong = _kansas_file(tmp_path, "w.gpkg", crs="EPSG:32615")
    at = _add_region(at, "ks_wrong_crs.gpkg", wrong, "ks-east")
    assert not at.exception, at.exception
    message = at.error[0].value
    assert message.startswith("Region not added. ks_wrong_crs.gpkg: declares EPSG:32615"), message
    assert "Fix: enter in Coordinates' CRS: 'EPSG:4326'" in message and "/tmp" not in message
    assert at.title[0].value == "Data: AL five"  # the page goes on
    assert [r.region_id for r in workspace.list_regions(common.connection())] == ["al"]
    at.text_input(key="region_new_crs").set_value("EPSG:4326")
    at.run()
    at.button(key="region_add").click()
    at = at.run()
    assert not at.error and at.sidebar.selectbox(key="region_id").value == "ks-east"


def test_a_wrong_crs_typed_in_the_form_is_named_as_the_forms_field(own_region, tmp_path):
    """The engine names its keyword (source_crs); the form says its field's label."""
    at = _data_app("al")
    at.text_input(key="region_new_crs").set_value("EPSG:32615")
    at = _add_region(at, "ks.gpkg", _kansas_file(tmp_path, "k.gpkg"), "ks-typed")
    assert not at.exception, at.exception
    message = at.error[0].value
    assert "as Coordinates' CRS = 'EPSG:32615' asks (the file declares EPSG:4326)" in message
    assert "leave Coordinates' CRS empty" in message and "source_crs" not in message


def test_data_page_without_any_region_offers_the_region_form(tmp_path, monkeypatch):
    store.connect(tmp_path / "paii.duckdb").close()
    monkeypatch.setenv("PAII_DATA_DIR", str(tmp_path))
    at = _data_app("")
    assert not at.exception, at.exception
    assert at.title[0].value == "Data"
    assert "No region yet: add one from a county boundary file." in at.info[0].value
    assert at.file_uploader(key="region_upload") is not None


def test_an_esg_analyst_is_not_told_about_policies(tiny_world):
    """Home hides the policy count from roles without policy data; the Data page's stored
    rows and every page's simulated-data notice did not."""
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    sign_in_app(at, "esg_analyst")
    at.run()
    at.session_state["region_id"] = "hubei"
    at.session_state["asof"] = date(2020, 10, 31)
    at.run()
    assert not at.exception, at.exception
    notes = " ".join(i.value for i in at.info)
    assert "simulated" in notes and "olicies" not in notes  # Home's notice
    at.switch_page("views/data_page.py")
    at.run()
    assert not at.exception, at.exception
    stored = next(d.value for d in at.dataframe if "rows" in d.value.columns)
    assert "yields" in stored["kind"].tolist() and "policies" not in stored["kind"].tolist()
    assert not any("olicies" in c.value for c in at.caption)  # nor "Not loaded: policies"
    # nor the policy import form's heading (the form itself was already hidden)
    assert not any("olicies" in m.value for m in at.markdown)
    assert any(m.value.startswith("**Yields**") for m in at.markdown)


def test_data_page_lists_policies_imported_in_the_same_run(own_region):
    """A policy file imported on the page: 'Stored data' below it said 'Nothing stored
    for this region yet' until the next click (it was read before the import)."""
    counties = gpd.read_parquet(REPO / "data" / "boundaries" / "us_counties_all.parquet")
    alabama = counties[counties["county_id"].str.startswith("01")].iloc[:5]
    x, y = alabama.geometry.iloc[0].representative_point().coords[0]
    wkt = f"POLYGON (({x} {y}, {x + 0.004} {y}, {x + 0.004} {y + 0.004}, {x} {y + 0.004}, {x} {y}))"
    csv = (
        "policy_id,insured,declared_crop,declared_area_ha,coverage_level,guaranteed_yield,"
        "price,premium_rate,start_date,end_date,geometry\n"
        f'AL-1,Ann Moore,cotton,13,75,800,0.7,0.05,2021-04-01,2021-11-30,"{wkt}"\n'
    ).encode()
    at = _data_app("al")
    at.file_uploader(key="policy_upload_al").set_value(("al.csv", csv, "text/csv"))
    at.run()
    at.button(key="policy_import_al").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "1 row of policies imported into al" in at.success[0].value
    stored = next(d.value for d in at.dataframe if "rows" in d.value.columns).set_index("kind")
    assert stored.loc["policies", "rows"] == 1
