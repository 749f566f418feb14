"""Insurance queries: a region's policies and their evidence tables, review decisions."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import duckdb
import pandas as pd

from paii_core.access import Principal, require
from paii_core.errors import StoreError, ValidationError
from paii_core.store.core import _translate, log_event

__all__ = [
    "DECISIONS",
    "area_stamp",
    "decisions",
    "policies",
    "policy_floods",
    "policy_forecasts",
    "portfolio_totals",
    "save_decision",
]

DECISIONS: tuple[str, ...] = ("approve", "refer", "reject")
"""What a reviewer can decide on a policy or claim (refer: pass to a senior or a field visit)."""


def _read(con: duckdb.DuckDBPyConnection, what: str, sql: str, params: list) -> pd.DataFrame:
    with _translate(f"read {what}"):
        return con.execute(sql, params).df()


def policies(
    con: duckdb.DuckDBPyConnection, region_id: str, *, principal: Principal | None
) -> pd.DataFrame:
    """A region's policies, by policy id, with their county's name (county_name) and the
    level of their plot (level: "fine" for a parcel, "coarse" for a whole block of an
    area's plot registry, "plot" for a polygon given in the policy file, geometry_wkb).

    Raises AccessDeniedError unless ``principal`` may see policy data.
    """
    require(con, principal, "policy_data")
    sql = (
        "SELECT p.*, c.name AS county_name, "
        "CASE WHEN p.parcel_id IS NOT NULL THEN 'fine' WHEN p.coarse_id IS NOT NULL "
        "THEN 'coarse' WHEN p.geometry_wkb IS NOT NULL THEN 'plot' ELSE 'coarse' END AS level "
        "FROM policies p "
        "LEFT JOIN counties c ON c.county_id = p.county_id "
        "WHERE p.region_id = ? ORDER BY p.policy_id"
    )
    frame = _read(con, f"the policies of {region_id!r}", sql, [region_id])
    for col in ("parcel_id", "coarse_id"):
        frame[col] = frame[col].astype("Int64")
    for col in ("start_date", "end_date"):
        frame[col] = pd.to_datetime(frame[col]).dt.date
    return frame


def portfolio_totals(
    con: duckdb.DuckDBPyConnection, region_id: str, *, principal: Principal | None
) -> tuple[int, float]:
    """Number of policies and declared hectares insured in a region.

    Raises AccessDeniedError unless ``principal`` may see policy data: the size of a
    portfolio is the insurer's business, not an ESG analyst's.
    """
    require(con, principal, "policy_data")
    with _translate("read the portfolio"):
        n, area = con.execute(
            "SELECT count(*), coalesce(sum(declared_area_ha), 0) FROM policies WHERE region_id = ?",
            [region_id],
        ).fetchone()
    return int(n), float(area)


def policy_region(
    con: duckdb.DuckDBPyConnection, policy_id: str, *, principal: Principal | None
) -> str:
    """The region id of ``policy_id``.

    Raises AccessDeniedError unless ``principal`` may see policy data; ValidationError
    for an unknown policy.
    """
    require(con, principal, "policy_data")
    sql = "SELECT region_id FROM policies WHERE policy_id = ?"
    frame = _read(con, f"policy {policy_id!r}", sql, [policy_id])
    if frame.empty:
        raise ValidationError(
            f"policy {policy_id!r} is not in the store; `paii insurance review --region R "
            "--out r.csv` lists a region's policies"
        )
    return str(frame["region_id"].iloc[0])


def policy_floods(
    con: duckdb.DuckDBPyConnection, region_id: str, *, principal: Principal | None
) -> pd.DataFrame:
    """Every stored flood impact on a region's policies, most flooded first per policy.

    Columns: policy_id, event_id, event_name, peak_flooded_share, peak_flooded_ha,
    peak_date, days_flooded. Raises AccessDeniedError unless ``principal`` may see
    policy data.
    """
    require(con, principal, "policy_data")
    sql = (
        "SELECT i.policy_id, i.event_id, e.name AS event_name, i.peak_flooded_share, "
        "i.peak_flooded_ha, i.peak_date, i.days_flooded "
        "FROM flood_policy_impacts i JOIN policies p ON p.policy_id = i.policy_id "
        "LEFT JOIN flood_events e ON e.event_id = i.event_id WHERE p.region_id = ? "
        "ORDER BY i.policy_id, i.peak_flooded_share DESC, i.event_id"
    )
    frame = _read(con, f"the flood impacts on policies of {region_id!r}", sql, [region_id])
    frame["peak_date"] = pd.to_datetime(frame["peak_date"]).dt.date
    return frame


def policy_forecasts(con: duckdb.DuckDBPyConnection, region_id: str) -> pd.DataFrame:
    """Every stored county yield forecast of a region, newest model run last.

    Columns: county_id, crop, year, as_of ('MM-DD'), p10, p50, p90, unit, model_version,
    created_at.
    """
    sql = (
        "SELECT county_id, crop, year, as_of, p10, p50, p90, unit, model_version, created_at "
        "FROM yield_forecasts WHERE region_id = ? "
        "ORDER BY county_id, crop, year, as_of, created_at"
    )
    return _read(con, f"the yield forecasts of {region_id!r}", sql, [region_id])


def area_stamp(con: duckdb.DuckDBPyConnection, aoi_id: str) -> str:
    """A short text that changes whenever an area's parcels product or label sets change,
    so a cache of the area's maps knows when to reload."""
    sql = (
        "SELECT (SELECT string_agg(kind || ':' || input_hash || ':' || created_at, ',' "
        "ORDER BY created_at) FROM crop_products WHERE aoi_id = ?), "
        "(SELECT string_agg(label_set_id, ',' ORDER BY created_at) "
        "FROM crop_label_sets WHERE aoi_id = ?)"
    )
    with _translate(f"read the crop products of {aoi_id}"):
        products, sets = con.execute(sql, [aoi_id, aoi_id]).fetchone()
    return f"{products or ''}|{sets or ''}"


def save_decision(
    con: duckdb.DuckDBPyConnection,
    policy_id: str,
    decision: str,
    *,
    principal: Principal | None,
    note: str = "",
    evidence: Mapping[str, Any],
) -> int:
    """Store the signed-in reviewer's decision on a policy with the evidence they saw, and
    log it in the audit trail (the decision before and after; not the note's text), in
    one transaction; returns the decision id.

    The reviewer is ``principal`` (never a name typed in a form). Two reviewers deciding
    at the same moment both end up in the history: a write that loses DuckDB's optimistic
    concurrency check is retried with the next id.

    Raises:
        AccessDeniedError: ``principal`` may not see policy data.
        ValidationError: a decision not in :data:`DECISIONS`, or a policy id that is not
            in the store.
        StoreError: DuckDB refused the write (nothing is stored then).
    """
    who = require(con, principal, "policy_data").user
    if decision not in DECISIONS:
        raise ValidationError(
            f"decision {decision!r} is unknown; use one of {', '.join(DECISIONS)}"
        )
    with _translate(f"look up policy {policy_id}"):
        row = con.execute(
            "SELECT simulated FROM policies WHERE policy_id = ?", [policy_id]
        ).fetchone()
    if row is None:
        raise ValidationError(f"policy {policy_id!r} is not in the store; pick a listed policy")
    snapshot = json.dumps(dict(evidence), default=str, sort_keys=True)
    last_error: Exception | None = None
    for _attempt in range(_RETRIES):
        now = datetime.now(UTC).replace(tzinfo=None)
        try:
            con.execute("BEGIN TRANSACTION")
            before = con.execute(
                "SELECT decision_id, decision, reviewer FROM review_decisions "
                "WHERE policy_id = ? ORDER BY decided_at DESC, decision_id DESC LIMIT 1",
                [policy_id],
            ).fetchone()
            # Ids follow the rows, not a sequence, so they survive refresh_database's copy.
            decision_id = con.execute(
                "INSERT INTO review_decisions (decision_id, policy_id, decision, note, "
                "reviewer, decided_at, evidence, simulated) "
                "SELECT coalesce(max(decision_id), 0) + 1, ?, ?, ?, ?, ?, ?, ? "
                "FROM review_decisions RETURNING decision_id",
                [policy_id, decision, note.strip(), who, now, snapshot, bool(row[0])],
            ).fetchone()[0]
            log_event(
                con,
                actor=who,
                action=f"review {decision}",
                entity="policies",
                entity_id=policy_id,
                detail=_audit_detail(int(decision_id), decision, before, note.strip()),
            )
            con.execute("COMMIT")
            return int(decision_id)
        except (duckdb.Error, StoreError) as e:
            _rollback(con)
            if not _is_conflict(e):
                if isinstance(e, StoreError):
                    raise
                raise StoreError(
                    f"saving the decision on {policy_id} failed, nothing stored: {e}"
                ) from e
            last_error = e
    raise StoreError(
        f"saving the decision on {policy_id} kept conflicting with other reviewers' "
        f"writes ({_RETRIES} tries), nothing stored; try again: {last_error}"
    )


_RETRIES = 8


def _audit_detail(
    decision_id: int, decision: str, before: tuple | None, note: str
) -> dict[str, Any]:
    """What the audit trail keeps of a decision: the decision before and after, and
    whether a note was written. Not the note itself: it is free text about the
    policyholder, and the audit trail is read by admins, who see no policy data (the
    note stays in review_decisions, behind the policy_data permission)."""
    return {
        "decision_id": decision_id,
        "before": None if before is None else before[1],
        "before_decision_id": None if before is None else int(before[0]),
        "before_reviewer": None if before is None else before[2],
        "after": decision,
        "note_chars": len(note),
    }


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back, unless DuckDB already did (a COMMIT that lost a conflict ends the
    transaction itself)."""
    try:
        con.execute("ROLLBACK")
    except duckdb.TransactionException:
        pass


def _is_conflict(error: Exception) -> bool:
    """Whether DuckDB refused a commit because another transaction wrote the same rows."""
    text = str(error).lower()
    return (
        isinstance(error, duckdb.TransactionException)
        or "conflict" in text
        or "duplicate key" in text
    )


def decisions(
    con: duckdb.DuckDBPyConnection,
    *,
    principal: Principal | None,
    region_id: str | None = None,
    policy_id: str | None = None,
) -> pd.DataFrame:
    """Review decisions, newest first, of one policy, one region's policies, or all.

    Columns: decision_id, policy_id, decision, note, reviewer, decided_at, evidence
    (JSON text), simulated. Raises AccessDeniedError unless ``principal`` may see
    policy data.
    """
    require(con, principal, "policy_data")
    sql = (
        "SELECT d.* FROM review_decisions d LEFT JOIN policies p USING (policy_id) "
        "WHERE (? IS NULL OR d.policy_id = ?) AND (? IS NULL OR p.region_id = ?) "
        "ORDER BY d.decided_at DESC, d.decision_id DESC"
    )
    return _read(con, "review decisions", sql, [policy_id, policy_id, region_id, region_id])
