"""Migration 6: review decisions are constrained, and survive a rebuild of the database."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest

from paii_core import store
from paii_core.store import insurance as ins_store
from tests.conftest import sign_up


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
    ana = sign_up(con, "ana", "underwriter")
    first = ins_store.save_decision(
        con, "PA-IA-0001", "reject", principal=ana, note="not corn", evidence={"flags": ["x"]}
    )
    con.close()
    store.refresh_database(_policy, db)
    con = store.connect(db)
    try:
        # The account survives the rebuild too (users is a user table).
        ana = sign_up(con, "ana", "underwriter")
        kept = ins_store.decisions(con, principal=ana)
        assert kept[["decision_id", "decision", "reviewer", "note"]].values.tolist() == [
            [first, "reject", "ana", "not corn"]
        ]
        assert kept["evidence"].iloc[0] == '{"flags": ["x"]}'
        second = ins_store.save_decision(con, "PA-IA-0001", "approve", principal=ana, evidence={})
        assert second == first + 1
    finally:
        con.close()


def test_two_reviewers_deciding_at_once_are_both_kept(tmp_path):
    """Two dashboard sessions (cursors of one connection, as the pages use) decide on the
    same policy at the same moment: both decisions and both audit rows are stored."""
    import threading

    db = tmp_path / "paii.duckdb"
    store.refresh_database(_policy, db)
    con = store.connect(db)
    people = [sign_up(con, name, "underwriter") for name in ("ana", "bo")]
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def decide(principal, decision):
        cur = con.cursor()
        barrier.wait(60)
        try:
            for _ in range(5):
                ins_store.save_decision(cur, "PA-IA-0001", decision, principal=principal,
                                        evidence={})  # fmt: skip
        except Exception as e:  # collected for the assertion below
            errors.append(e)

    threads = [
        threading.Thread(target=decide, args=(p, d), daemon=True)
        for p, d in zip(people, ("approve", "reject"), strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)  # a hung writer fails the test instead of the run
    try:
        assert errors == []
        kept = ins_store.decisions(con, principal=people[0])
        assert sorted(kept["reviewer"].value_counts().items()) == [("ana", 5), ("bo", 5)]
        assert kept["decision_id"].is_unique
        audited = con.execute("SELECT count(*) FROM audit WHERE action LIKE 'review %'").fetchone()[
            0
        ]
        assert audited == 10
    finally:
        con.close()


def test_a_decision_is_audited_with_before_and_after_but_not_its_note(tmp_path):
    """Admins read the audit trail and see no policy data: a reviewer's note (free text
    about the policyholder) stays out of it; the decision it replaced goes in."""
    import json

    db = tmp_path / "paii.duckdb"
    store.refresh_database(_policy, db)
    con = store.connect(db)
    try:
        ana = sign_up(con, "ana", "underwriter")
        bo = sign_up(con, "bo", "underwriter")
        first = ins_store.save_decision(
            con, "PA-IA-0001", "refer", principal=ana, note="Dale says hail", evidence={}
        )
        second = ins_store.save_decision(con, "PA-IA-0001", "approve", principal=bo, evidence={})
        rows = con.execute(
            "SELECT actor, action, entity_id, detail FROM audit "
            "WHERE starts_with(action, 'review') ORDER BY event_id"
        ).fetchall()
    finally:
        con.close()
    assert [r[:3] for r in rows] == [
        ("ana", "review refer", "PA-IA-0001"),
        ("bo", "review approve", "PA-IA-0001"),
    ]
    assert "hail" not in rows[0][3] and "Dale" not in rows[0][3]
    assert json.loads(rows[0][3]) == {
        "decision_id": first, "before": None, "before_decision_id": None,
        "before_reviewer": None, "after": "refer", "note_chars": 14,
    }  # fmt: skip
    assert json.loads(rows[1][3]) == {
        "decision_id": second, "before": "refer", "before_decision_id": first,
        "before_reviewer": "ana", "after": "approve", "note_chars": 0,
    }  # fmt: skip
