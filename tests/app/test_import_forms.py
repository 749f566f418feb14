"""AppTest of the policy and yield upload forms: the import's report, errors, the size cap."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from shapely.geometry import box
from streamlit.testing.v1 import AppTest

from tests.conftest import REPO, sign_in_app
from ui import common
from ui import imports as forms

SCRIPT = str(REPO / "tests" / "app" / "imports_forms_script.py")
EXPORT = REPO / "tests" / "yields" / "data" / "quickstats_arkansas_iowa.csv"


@pytest.fixture()
def data(tiny_world, tmp_path, monkeypatch):
    """A copy of the tiny world the forms write to; PAII_DATA_DIR points at it."""
    for name in ("paii.duckdb", "paii.duckdb.wal"):
        if (tiny_world / name).exists():
            shutil.copy(tiny_world / name, tmp_path / name)
    monkeypatch.setenv("PAII_DATA_DIR", str(tmp_path))
    return tmp_path


def _story_plot_wkt() -> str:
    """A square of about 3.7 ha around Story County's centre (Iowa)."""
    lon, lat = (
        common.connection()
        .execute("SELECT centroid_lon, centroid_lat FROM counties WHERE county_id = '19169'")
        .fetchone()
    )
    return box(lon - 0.001, lat - 0.001, lon + 0.001, lat + 0.001).wkt


def _policy_count() -> int:
    sql = "SELECT count(*) FROM policies WHERE region_id = 'iowa'"
    return common.connection().execute(sql).fetchone()[0]


def _policies_csv(wkt: str, coverage: str, area: str) -> bytes:
    row = {
        "policy_id": "UP-1", "insured": "Linda Olson", "declared_crop": "oats",
        "declared_area_ha": area, "coverage_level": coverage, "guaranteed_yield": "70",
        "price": "2.9", "premium": "40", "start_date": "2021-03-15",
        "end_date": "2021-12-10", "geometry": wkt,
    }  # fmt: skip
    return pd.DataFrame([row]).to_csv(index=False).encode()


def _app(role: str = "underwriter") -> AppTest:
    at = AppTest.from_file(SCRIPT, default_timeout=60)
    sign_in_app(at, role)
    at.session_state["region_id"] = "iowa"
    return at.run()


def _table(at: AppTest, column: str) -> pd.DataFrame:
    """The last table drawn with ``column`` (the problems' or the skipped rows'; the forms'
    column guides are tables too)."""
    return next(d.value for d in reversed(at.dataframe) if column in d.value.columns)


def _upload(at: AppTest, index: int, name: str, content: bytes, button: str) -> AppTest:
    at.file_uploader[index].set_value((name, content, "text/csv"))
    at.run()
    next(b for b in at.button if b.label == button).click()
    return at.run()


def test_a_rejected_policy_file_shows_every_problem_and_stores_nothing(data):
    at = _app()
    assert not at.exception
    before = _policy_count()
    # 20 ha declared on a 3.7 ha square (5.4x) and coverage 0.95: two problems
    at = _upload(
        at, 0, "bad.csv", _policies_csv(_story_plot_wkt(), "0.95", "20"), "Import policies"
    )
    assert not at.exception
    assert "2 problem(s); nothing was imported" in at.error[0].value
    table = _table(at, "problem")
    assert list(table.columns) == ["row", "column", "problem", "fix"]
    assert set(table["column"]) == {"coverage_level", "declared_area_ha"}
    assert _policy_count() == before


def test_a_valid_policy_file_and_a_quickstats_export_are_imported(data):
    at = _app()
    before = _policy_count()
    csv = _policies_csv(_story_plot_wkt(), "80", "3.5")
    at = _upload(at, 0, "good.csv", csv, "Import policies")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "1 row of policies imported into iowa" in at.success[0].value
    assert _policy_count() == before + 1
    at = _upload(at, 1, "qs.csv", EXPORT.read_bytes(), "Import yields")
    assert not at.exception and not at.error
    summary = at.success[-1].value
    assert "6 rows of yields imported into iowa from 88 read, 82 rows skipped" in summary
    skipped = _table(at, "reason")
    assert skipped.set_index("reason").at["county not in the region", "rows"] == 40


def test_a_yield_table_without_a_unit_is_imported_once_the_unit_is_chosen(data):
    """An insurer's own county yields by county name; the unit is chosen in the form."""
    at = _app("esg_analyst")
    table = b"county,crop,year,yield\nStory,corn,2021,201\nBoone County,corn,2021,198\n"
    at = _upload(at, 0, "own.csv", table, "Import yields")
    assert not at.exception
    assert "1 problem(s); nothing was imported" in at.error[0].value
    assert _table(at, "problem")["row"].tolist() == ["whole file"]
    at.selectbox(key="yield_unit_iowa").set_value("bu/acre")
    next(b for b in at.button if b.label == "Import yields").click()
    at = at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "2 rows of yields imported into iowa from 2 read" in at.success[-1].value
    stored = (
        common.connection()
        .execute(
            "SELECT county_id, value FROM county_metrics WHERE source = 'yield table: own.csv' "
            "ORDER BY 1"
        )
        .fetchall()
    )
    assert stored == [("19015", 198.0), ("19169", 201.0)]  # Boone, Story


def test_bad_files_and_oversized_uploads_are_errors_not_crashes(data, monkeypatch):
    at = _app()
    at = _upload(at, 1, "policies.csv", b"policy_id\nA\n", "Import yields")
    assert not at.exception
    assert at.error[0].value.startswith(
        "policies.csv: has no county_id (or county), crop, year, yield column"
    ), at.error[0].value
    monkeypatch.setattr(forms, "MAX_UPLOAD_MB", 0)
    at = _upload(at, 1, "qs.csv", EXPORT.read_bytes(), "Import yields")
    assert not at.exception
    assert "above the 0 MB upload limit" in at.error[0].value


def test_only_roles_that_may_see_policies_get_the_policy_form(data):
    at = _app("esg_analyst")
    assert not at.exception
    assert [u.label for u in at.file_uploader] == ["Yield file"]
    # Not even the policy form's heading or a word about it: only what the role can use.
    shown = [m.value for m in at.markdown] + [c.value for c in at.caption]
    assert any(t.startswith("**Yields**") for t in shown)
    assert not any("olic" in t for t in shown), shown
    at = AppTest.from_file(SCRIPT, default_timeout=60).run()  # nobody signed in
    assert not at.exception and not at.file_uploader and not at.markdown


def test_a_policy_file_with_other_columns_lists_them_as_whole_file_problems(data):
    """id,farmer,crop,acres (no policy column at all): the table's row column said 'None'."""
    at = _app()
    csv = b"id,farmer,crop,acres\n1,Joe,corn,100\n"
    at = _upload(at, 0, "farmers.csv", csv, "Import policies")
    assert not at.exception, at.exception
    assert "Fix each problem below" in at.error[0].value
    table = _table(at, "problem")
    missing = table[table["problem"] == "the column is missing"]
    assert "policy_id" in set(missing["column"]) and set(missing["row"]) == {"whole file"}
