"""Migration 6: review decisions are constrained, and survive a rebuild of the database."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest

from paii_core import store
from paii_core.store import insurance as ins_store


def _policy(con: duckdb.DuckDBPyConnection, policy_id: str = "PA-IA-0001") -> None:
    row = {
        "policy_id": policy_id, "region_id": "iowa", "county_id": "19169", "insured": "Dale",
        "declared_crop": "corn", "declared_area_ha": 10.0, "coverage_level": 0.75,
        "guaranteed_yield": 150.0, "yield_unit": "bu/acre", "price": 3.88, "currency": "USD",
        "premium": 100.0, "sum_insured": 1000.0, "start_date": date(2020, 3, 15),
        "end_date": date(2020, 12, 10), "simulated": True,
    }  # fmt: skip
    store.write_frame(con, "policies", pd.DataFrame([row]))


def test_review_decisions_is_a_user_table_with_a_checked_decision(tmp_path):
    assert "review_decisions" in store.USER_TABLES
    con = store.connect(tmp_path / "a.duckdb")
    assert store.table_columns(con, "review_decisions") == [
        "decision_id", "policy_id", "decision", "note", "reviewer", "decided_at", "evidence",
        "simulated",
    ]  # fmt: skip
    with pytest.raises(duckdb.ConstraintException, match="CHECK constraint"):
        con.execute(
            "INSERT INTO review_decisions VALUES (1, 'P', 'maybe', '', 'me', now(), '{}', true)"
        )


def test_decisions_survive_refresh_database(tmp_path):
    db = tmp_path / "paii.duckdb"
    store.refresh_database(_policy, db)
    con = store.connect(db)
    first = ins_store.save_decision(
        con, "PA-IA-0001", "reject", reviewer="Ana", note="not corn", evidence={"flags": ["x"]}
    )
    con.close()
    store.refresh_database(_policy, db)
    con = store.connect(db)
    try:
        kept = ins_store.decisions(con)
        assert kept[["decision_id", "decision", "reviewer", "note"]].values.tolist() == [
            [first, "reject", "Ana", "not corn"]
        ]
        assert kept["evidence"].iloc[0] == '{"flags": ["x"]}'
        second = ins_store.save_decision(con, "PA-IA-0001", "approve", reviewer="Bo", evidence={})
        assert second == first + 1
    finally:
        con.close()
