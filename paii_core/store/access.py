"""Account queries: the users table (roles, password hashes, lock-out state)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from paii_core.store.core import _translate

__all__ = [
    "AUDIT_LIMIT",
    "THROTTLE_LIFTED",
    "active_admins",
    "audit_events",
    "client_failures",
    "count_users",
    "failed_sign_ins",
    "insert_user",
    "list_users",
    "recent_client_failures",
    "update_user",
    "user_row",
]

_FIELDS = (
    "role",
    "password_hash",
    "disabled",
    "must_change_password",
    "failed_attempts",
    "locked_until",
    "last_sign_in",
)


AUDIT_LIMIT = 5000
"""The most audit events one read returns (the newest); a reader shows when it is hit."""


def user_row(con: duckdb.DuckDBPyConnection, user_name: str) -> dict[str, Any] | None:
    """One account as a dict, or None when no such user exists."""
    with _translate(f"read the account {user_name!r}"):
        cur = con.execute("SELECT * FROM users WHERE user_name = ?", [user_name])
        row = cur.fetchone()
        names = [d[0] for d in cur.description]
    return None if row is None else dict(zip(names, row, strict=True))


def count_users(con: duckdb.DuckDBPyConnection) -> int:
    with _translate("count the accounts"):
        return int(con.execute("SELECT count(*) FROM users").fetchone()[0])


def active_admins(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The user names of the admin accounts that are not disabled."""
    with _translate("count the active admins"):
        rows = con.execute(
            "SELECT user_name FROM users WHERE role = 'admin' AND NOT disabled ORDER BY user_name"
        ).fetchall()
    return [r[0] for r in rows]


def failed_sign_ins(con: duckdb.DuckDBPyConnection, name: str) -> pd.DataFrame:
    """The failed sign-ins under ``name`` from the audit trail, oldest first: at, reason
    (for the lock-out of names that have no account)."""
    with _translate(f"read the failed sign-ins of {name!r}"):
        return con.execute(
            "SELECT \"at\", detail->>'reason' AS reason FROM audit "
            "WHERE action = 'sign-in failed' AND entity_id = ? ORDER BY event_id",
            [name],
        ).df()


THROTTLE_LIFTED = "client throttle lifted"
"""The audit action of an administrator lifting a client address's throttle: failures
from that address up to it no longer count."""

_CLIENT_FAILURES = f"""
    WITH lifts AS (
        SELECT entity_id AS client, max("at") AS lifted FROM audit
        WHERE action = '{THROTTLE_LIFTED}' GROUP BY entity_id
    )
    SELECT (a.detail->>'client') AS client, a."at" AS "at"
    FROM audit a LEFT JOIN lifts l ON l.client = (a.detail->>'client')
    WHERE a.action = 'sign-in failed' AND a."at" > ? AND (a.detail->>'client') IS NOT NULL
      AND coalesce((a.detail->>'reason'), '') <> ? AND (l.lifted IS NULL OR a."at" > l.lifted)
"""


def client_failures(
    con: duckdb.DuckDBPyConnection, client: str, *, since: datetime, excluding: str
) -> list[datetime]:
    """When the failed sign-ins from ``client`` after ``since`` (and after an
    administrator last lifted its throttle) happened, newest first, leaving out those
    whose reason is ``excluding`` (for the throttle per client)."""
    with _translate(f"read the failed sign-ins from {client!r}"):
        rows = con.execute(
            f"{_CLIENT_FAILURES} AND (a.detail->>'client') = ? ORDER BY a.\"at\" DESC",
            [since, excluding, client],
        ).fetchall()
    return [r[1] for r in rows]


def recent_client_failures(
    con: duckdb.DuckDBPyConnection, *, since: datetime, excluding: str
) -> pd.DataFrame:
    """Every counted failed sign-in after ``since``, as :func:`client_failures` counts
    them: columns ``client`` and ``at``, newest first."""
    with _translate("read the failed sign-ins per client address"):
        return con.execute(f'{_CLIENT_FAILURES} ORDER BY a."at" DESC', [since, excluding]).fetchdf()


def insert_user(
    con: duckdb.DuckDBPyConnection,
    user_name: str,
    role: str,
    password_hash: str,
    *,
    created_at: datetime,
    created_by: str,
    must_change_password: bool = False,
) -> None:
    with _translate(f"create the account {user_name!r}"):
        con.execute(
            "INSERT INTO users (user_name, role, password_hash, must_change_password, "
            "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)",
            [user_name, role, password_hash, must_change_password, created_at, created_by],
        )


def update_user(con: duckdb.DuckDBPyConnection, user_name: str, **fields: Any) -> None:
    """Set the given columns of one account (only the known mutable ones)."""
    unknown = [k for k in fields if k not in _FIELDS]
    if unknown:
        raise ValueError(f"cannot update account columns {unknown}; known: {_FIELDS}")
    clause = ", ".join(f'"{k}" = ?' for k in fields)
    with _translate(f"update the account {user_name!r}"):
        con.execute(f"UPDATE users SET {clause} WHERE user_name = ?", [*fields.values(), user_name])


def list_users(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every account without its hash: user_name, role, disabled, locked_until,
    failed_attempts, created_at, created_by, last_sign_in."""
    with _translate("list the accounts"):
        return con.execute(
            "SELECT user_name, role, disabled, locked_until, failed_attempts, created_at, "
            "created_by, last_sign_in FROM users ORDER BY user_name"
        ).df()


def audit_events(
    con: duckdb.DuckDBPyConnection,
    *,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """The audit trail, newest first: event_id, at, actor, action, entity, entity_id,
    detail; at most ``limit`` (default :data:`AUDIT_LIMIT`) events. ``action`` matches
    as a prefix ("sign-in" finds failures too). Callers check
    the admin permission first (paii_core.access.audit_trail)."""
    sql = (
        'SELECT event_id, "at", actor, action, entity, entity_id, detail FROM audit '
        "WHERE (? IS NULL OR actor = ?) AND (? IS NULL OR starts_with(action, ?)) "
        'AND (? IS NULL OR "at" >= ?) ORDER BY event_id DESC LIMIT ?'
    )
    with _translate("read the audit trail"):
        return con.execute(
            sql, [actor, actor, action, action, since, since, limit or AUDIT_LIMIT]
        ).df()
