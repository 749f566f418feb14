"""Dashboard sign-ins that outlive one browser tab: a page reload, a second tab of the
same browser, a dropped connection.

A sign-in gets a random token (:data:`TOKEN_BYTES` bytes from :mod:`secrets`), which the
browser keeps in a session cookie (:data:`COOKIE`) and presents when it opens the
dashboard again. The store keeps only the token's SHA-256, so neither a copy of the
database nor the audit trail holds a token. A token resumes its sign-in only while the
account is enabled, the sign-in was active within the idle limit and began within the
session limit; signing out, an administrator's disable or password reset, and the user's
own password change (other sign-ins) end it for good.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb
import pandas as pd

from paii_core.access.accounts import (
    ENDED_BY_ADMIN,
    ENDED_CHANGED,
    ENDED_DISABLED,
    ENDED_RESET,
    require,
)
from paii_core.access.roles import Principal
from paii_core.errors import AccessDeniedError
from paii_core.store import sessions as ses_store
from paii_core.store.core import log_event

__all__ = [
    "COOKIE",
    "KEEP_ENDED",
    "SIGNED_OUT",
    "TOKEN_BYTES",
    "Resumed",
    "end_session",
    "ended_elsewhere",
    "ended_reason",
    "expiry",
    "idle_limit",
    "is_token",
    "open_session",
    "open_sign_ins",
    "resume_session",
    "session_limit",
    "touch_session",
]

COOKIE = "paii_session"
"""The browser cookie that holds a sign-in's token."""

TOKEN_BYTES = 32
"""256 random bits: a token cannot be guessed, so presenting one needs no throttle."""

KEEP_ENDED = timedelta(days=7)
"""How long a sign-in's row is kept after it began (its events stay in the audit trail)."""

SIGNED_OUT = "signed out"
"""The end reason of a sign-in its user signed out of."""

_ENDED_ELSEWHERE = {
    SIGNED_OUT: "you signed out in another tab or window",
    ENDED_CHANGED: "the password was changed in another tab or window",
    ENDED_RESET: "an administrator reset this account's password",
    ENDED_DISABLED: "an administrator disabled this account",
    ENDED_BY_ADMIN: "an administrator signed this account out",
}

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")


def _hours(variable: str, default: float) -> timedelta:
    try:
        hours = float(os.environ.get(variable, str(default)))
    except ValueError:
        hours = default
    return timedelta(hours=hours if hours > 0 else default)


def idle_limit() -> timedelta:
    """How long a sign-in may sit idle before it must sign in again (PAII_SESSION_IDLE_HOURS,
    8 h by default)."""
    return _hours("PAII_SESSION_IDLE_HOURS", 8.0)


def session_limit() -> timedelta:
    """How long a sign-in may last however active it is (PAII_SESSION_MAX_HOURS, 12 h by
    default): an open tab kept busy must still sign in again once a working day."""
    return _hours("PAII_SESSION_MAX_HOURS", 12.0)


@dataclass(frozen=True)
class Resumed:
    """A sign-in a browser's token resumed: who, with the role the store holds now, and
    when the sign-in began (the session limit counts from there, not from the reload)."""

    principal: Principal
    signed_in_at: datetime


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def expiry(
    last_seen: datetime,
    signed_in_at: datetime,
    *,
    idle: timedelta | None = None,
    limit: timedelta | None = None,
) -> str | None:
    """Why a sign-in last active at ``last_seen`` and begun at ``signed_in_at`` has expired
    (idle longer than ``idle``, begun longer than ``limit`` ago: by default
    :func:`idle_limit` and :func:`session_limit`), for the sign-in page; None while live."""
    now = _now()
    limit = session_limit() if limit is None else limit
    if now - last_seen > (idle_limit() if idle is None else idle):
        return "the session expired after being idle; sign in again"
    if now - signed_in_at > limit:
        return f"the session reached its limit of {limit.total_seconds() / 3600:g} h; sign in again"
    return None


def ended_elsewhere(reason: str) -> str:
    """What an open tab says when its sign-in was ended outside it, by the end's reason."""
    said = _ENDED_ELSEWHERE.get(reason, f"this sign-in has ended ({reason})")
    return f"{said}; sign in again"


def is_token(value: object) -> bool:
    """Whether ``value`` has the shape of a token :func:`open_session` makes (43 URL-safe
    base64 characters), so it can be written into a cookie as it is."""
    return isinstance(value, str) and _TOKEN.fullmatch(value) is not None


def open_session(
    con: duckdb.DuckDBPyConnection, principal: Principal, *, client: str | None = None
) -> str:
    """Record a sign-in that :func:`authenticate` just accepted; returns its token (for the
    browser's cookie, never stored or logged). Rows of sign-ins that began more than
    :data:`KEEP_ENDED` ago are pruned."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = _now()
    ses_store.insert_session(con, ses_store.digest(token), principal.user, client, now)
    ses_store.prune_sessions(con, now - KEEP_ENDED)
    return token


def resume_session(
    con: duckdb.DuckDBPyConnection,
    token: str | None,
    *,
    idle: timedelta | None = None,
    limit: timedelta | None = None,
    client: str | None = None,
) -> Resumed | None:
    """The sign-in ``token`` belongs to, resumed (audited as ``session resume``), or None
    when there is no token or no sign-in has it (a stale cookie of another store).

    Raises:
        AccessDeniedError: the sign-in ended (signed out, ended by an administrator or a
            password change), sat idle longer than ``idle``, began longer than ``limit``
            ago, or its account is disabled or gone; the message says which, for the
            sign-in page. An expired sign-in is ended here, so it is refused for good.
            ``idle`` and ``limit`` default to :func:`idle_limit` and :func:`session_limit`.
    """
    if not is_token(token):
        return None
    digest = ses_store.digest(token)
    row = ses_store.session_row(con, digest)
    if row is None:
        return None
    if row["ended_at"] is not None:
        raise AccessDeniedError(f"this sign-in has ended ({row['end_reason']}); sign in again")
    now = _now()
    reason = expiry(row["last_seen"], row["signed_in_at"], idle=idle, limit=limit)
    if reason is None:
        try:
            # require re-reads the account: its role, not the placeholder given here
            principal = require(con, Principal(row["user_name"], "esg_analyst"), "county_data")
        except AccessDeniedError as e:
            reason = str(e)
    if reason is not None:
        ses_store.end_sessions(con, now, reason.split(";")[0], digest=digest)
        raise AccessDeniedError(reason)
    ses_store.touch_session(con, digest, now)
    log_event(
        con, actor=principal.user, action="session resume", entity="users",
        entity_id=principal.user, detail={"client": client or row["client"]},
    )  # fmt: skip
    return Resumed(principal=principal, signed_in_at=row["signed_in_at"])


def touch_session(con: duckdb.DuckDBPyConnection, token: str) -> None:
    """Record that the sign-in ``token`` is in use now (the idle limit counts from here)."""
    if is_token(token):
        ses_store.touch_session(con, ses_store.digest(token), _now())


def ended_reason(con: duckdb.DuckDBPyConnection, token: str | None) -> str | None:
    """Why the sign-in ``token`` ended (``signed out``, ``password reset``...), or None
    while it is open or when no sign-in has it. A tab signed in with the token asks on
    every page load, so a sign-out in one tab, or an administrator's reset, ends the
    others at their next step."""
    if not is_token(token):
        return None
    row = ses_store.session_row(con, ses_store.digest(token))
    return None if row is None or row["ended_at"] is None else str(row["end_reason"])


def end_session(con: duckdb.DuckDBPyConnection, token: str | None, reason: str) -> None:
    """End the sign-in ``token`` (sign-out, expiry): its cookie resumes nothing after."""
    if is_token(token):
        ses_store.end_sessions(con, _now(), reason, digest=ses_store.digest(token))


def open_sign_ins(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per account, the dashboard sign-ins still live now (not ended, active within
    :func:`idle_limit`, begun within :func:`session_limit`): columns ``user_name``,
    ``open_sign_ins``, ``last_active``; accounts without one are left out."""
    now = _now()
    return ses_store.live_sessions(
        con, seen_after=now - idle_limit(), began_after=now - session_limit()
    )
