"""The Home page's figures: the region summary every session shares holds no policy
figure; the portfolio is read per principal, behind the policy data permission."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from paii_core import overview, store
from paii_core.errors import AccessDeniedError
from tests.conftest import REPO, sign_in_app, sign_up

ASOF = date(2020, 10, 31)


@pytest.fixture()
def own_copy(tiny_world, tmp_path, monkeypatch):
    """A connection to a copy of the tiny world's store (the shared one stays as it is)."""
    for name in ("paii.duckdb", "paii.duckdb.wal"):
        if (tiny_world / name).exists():
            shutil.copy(tiny_world / name, tmp_path / name)
    (tmp_path / "demo").symlink_to(tiny_world / "demo")
    monkeypatch.setenv("PAII_DATA_DIR", str(tmp_path))
    con = store.connect(tmp_path / "paii.duckdb")
    yield con
    con.close()


def test_the_shared_summary_carries_no_policy_figure(own_copy):
    con = own_copy
    before = overview.region_summary(con, "hubei", asof=ASOF)
    assert not {"policies", "insured_area_ha"} & {f.name for f in dataclasses.fields(before)}
    n = con.execute("SELECT count(*) FROM policies WHERE region_id = 'hubei'").fetchone()[0]
    assert n > 0
    con.execute("DELETE FROM policies WHERE region_id = 'hubei'")  # nothing in it moves
    assert repr(overview.region_summary(con, "hubei", asof=ASOF)) == repr(before)


def test_the_portfolio_needs_policy_data(own_copy):
    con = own_copy
    n, ha = con.execute(
        "SELECT count(*), sum(declared_area_ha) FROM policies WHERE region_id = 'hubei'"
    ).fetchone()
    book = overview.portfolio(con, "hubei", principal=sign_up(con, "uw", "underwriter"))
    assert book.policies == n and book.insured_area_ha == pytest.approx(ha)
    with pytest.raises(AccessDeniedError, match=r"'esg' \(esg_analyst\) may not see policy data"):
        overview.portfolio(con, "hubei", principal=sign_up(con, "esg", "esg_analyst"))
    with pytest.raises(AccessDeniedError, match="sign in first: policy data needs an account"):
        overview.portfolio(con, "hubei", principal=None)


@pytest.mark.parametrize("role", ["underwriter", "esg_analyst"])
def test_home_shows_the_portfolio_to_an_underwriter_only(tiny_world, role):
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    sign_in_app(at, role)
    at.run()
    at.session_state["region_id"] = "hubei"
    at.run()
    assert not at.exception, at.exception
    metrics = {m.label: m for m in at.metric}
    con = store.connect(tiny_world / "paii.duckdb")
    try:
        n = con.execute("SELECT count(*) FROM policies WHERE region_id = 'hubei'").fetchone()[0]
    finally:
        con.close()
    if role == "underwriter":
        assert metrics["Policies"].value == str(n) and "ha declared" in metrics["Policies"].help
    else:
        assert "Policies" not in metrics
