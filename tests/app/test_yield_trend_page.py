"""AppTest: the Yield page of a region with yields alone fits, stores and labels a trend."""

from __future__ import annotations

import shutil
from datetime import date

from streamlit.testing.v1 import AppTest

from paii_core import store
from tests.conftest import REPO, sign_in_app
from ui import common


def test_a_region_without_features_gets_a_labelled_trend(tiny_world, tmp_path, monkeypatch):
    # the store without the demo folder: no feature panels, only the stored yields
    for name in ("paii.duckdb", "paii.duckdb.wal"):
        if (tiny_world / name).exists():
            shutil.copy(tiny_world / name, tmp_path / name)
    con = store.connect(tmp_path / "paii.duckdb")
    for table in ("yield_forecasts", "yield_drivers", "yield_backtests"):
        con.execute(f"DELETE FROM {table} WHERE region_id = 'hubei'")  # other tests' runs
    con.close()
    monkeypatch.setenv("PAII_DATA_DIR", str(tmp_path))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    sign_in_app(at)
    at.run()
    at.switch_page("views/yield_page.py")
    at.session_state["region_id"] = "hubei"
    at.session_state["asof"] = date(2021, 10, 31)
    at.run()
    assert any("No yield forecasts stored yet" in w.value for w in at.warning)
    next(b for b in at.button if b.label.startswith("Fit and forecast")).click()
    at.run()
    assert not at.exception, at.exception
    assert any("Trend model from yields alone" in i.value for i in at.info)
    assert at.subheader[0].value.startswith("Rice 2021")
    versions = (
        common.connection()
        .execute("SELECT DISTINCT model_version FROM yield_forecasts WHERE region_id = 'hubei'")
        .fetchall()
    )
    assert versions == [("yield-trend-1",)]
