"""Session queries: the web_sessions table (token digests of dashboard sign-ins)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from paii_core.store.core import _translate

__all__ = [
    "digest",
    "end_sessions",
    "insert_session",
    "live_sessions",
    "prune_sessions",
    "session_row",
    "touch_session",
]


def digest(token: str) -> str:
    """What the store keeps of a sign-in's token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def insert_session(
    con: duckdb.DuckDBPyConnection, digest: str, user_name: str, client: str | None, at: datetime
) -> None:
    with _translate(f"record a sign-in of {user_name!r}"):
        con.execute(
            "INSERT INTO web_sessions (token_sha256, user_name, client, signed_in_at, last_seen) "
            "VALUES (?, ?, ?, ?, ?)",
            [digest, user_name, client, at, at],
        )


def session_row(con: duckdb.DuckDBPyConnection, digest: str) -> dict[str, Any] | None:
    """One sign-in as a dict, or None when no sign-in has this token digest."""
    with _translate("read a sign-in"):
        cur = con.execute("SELECT * FROM web_sessions WHERE token_sha256 = ?", [digest])
        row = cur.fetchone()
        names = [d[0] for d in cur.description]
    return None if row is None else dict(zip(names, row, strict=True))


def touch_session(con: duckdb.DuckDBPyConnection, digest: str, at: datetime) -> None:
    with _translate("record a sign-in's activity"):
        con.execute("UPDATE web_sessions SET last_seen = ? WHERE token_sha256 = ?", [at, digest])


def end_sessions(
    con: duckdb.DuckDBPyConnection,
    at: datetime,
    reason: str,
    *,
    digest: str | None = None,
    user_name: str | None = None,
    keep: str | None = None,
) -> int:
    """End the open sign-in with ``digest``, or every open one of ``user_name`` but
    ``keep``; returns how many ended."""
    where, params = ["ended_at IS NULL"], [at, reason]
    if digest is not None:
        where.append("token_sha256 = ?")
        params.append(digest)
    if user_name is not None:
        where.append("user_name = ?")
        params.append(user_name)
    if keep is not None:
        where.append("token_sha256 <> ?")
        params.append(keep)
    with _translate("end sign-ins"):
        cur = con.execute(
            "UPDATE web_sessions SET ended_at = ?, end_reason = ? "
            f"WHERE {' AND '.join(where)} RETURNING token_sha256",
            params,
        )
        return len(cur.fetchall())


def live_sessions(
    con: duckdb.DuckDBPyConnection, *, seen_after: datetime, began_after: datetime
) -> pd.DataFrame:
    """Per account, the sign-ins not ended, seen after ``seen_after`` and begun after
    ``began_after``: user_name, open_sign_ins, last_active."""
    with _translate("count the open sign-ins"):
        return con.execute(
            "SELECT user_name, count(*) AS open_sign_ins, max(last_seen) AS last_active "
            "FROM web_sessions WHERE ended_at IS NULL AND last_seen > ? AND signed_in_at > ? "
            "GROUP BY user_name ORDER BY user_name",
            [seen_after, began_after],
        ).df()


def prune_sessions(con: duckdb.DuckDBPyConnection, before: datetime) -> None:
    """Forget sign-ins that began before ``before`` (the audit trail keeps their events)."""
    with _translate("prune old sign-ins"):
        con.execute("DELETE FROM web_sessions WHERE signed_in_at < ?", [before])
