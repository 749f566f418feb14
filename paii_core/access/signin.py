"""Sign-in: the Argon2 check, lock-out after repeated failures (for names without an
account too), a throttle per client address (against password spraying: one guess for
each of many names), and the audit of every attempt."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime, timedelta

import duckdb
import pandas as pd

from paii_core.access import passwords
from paii_core.access.accounts import _NAME
from paii_core.access.roles import Principal
from paii_core.errors import AuthenticationError, ValidationError
from paii_core.store import access as acc_store
from paii_core.store.core import log_event

__all__ = [
    "CLIENT_MAX_FAILURES",
    "CLIENT_WINDOW",
    "LOCKOUT",
    "MAX_FAILURES",
    "authenticate",
    "lift_client_throttle",
    "throttled_clients",
]

MAX_FAILURES = 5
"""Consecutive wrong passwords before the account locks (OWASP suggests a small number)."""
LOCKOUT = timedelta(minutes=15)

CLIENT_MAX_FAILURES = 20
"""Failed sign-ins one client address may have within :data:`CLIENT_WINDOW`; further
attempts from it are refused unchecked until the oldest of them is that old. A spray of
one guess per name then gets 20 guesses per 15 minutes from an address, not as many as
Argon2 lets through (about 2 a second per server core); a team behind one office NAT
can still mistype 20 times."""
CLIENT_WINDOW = timedelta(minutes=15)
CLIENT_THROTTLED = "too many failures from this client"
"""The audit reason of an attempt refused by the client throttle (not itself counted as
a failure of the client, so the throttle ends 15 minutes after the failures it counts)."""


NOT_A_NAME = "(not a user name)"
"""What the audit trail records for a sign-in whose user field cannot be an account name
(empty, spaces, capitals-only differences aside): often a password typed in the wrong
field, which must not be kept in clear."""


def _as_logged(user_name: str) -> str:
    """The user field as the audit trail may keep it: the account name it would be, or
    :data:`NOT_A_NAME` (no account can have it, so nothing is lost)."""
    name = user_name.strip().lower()
    return name if _NAME.match(name) else NOT_A_NAME


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def authenticate(
    con: duckdb.DuckDBPyConnection,
    user_name: str,
    password: str,
    *,
    writes: Callable[[], AbstractContextManager[object]] = nullcontext,
    client: str | None = None,
) -> Principal:
    """Check a sign-in; every attempt, good or bad, goes to the audit trail (with
    ``client``, the address it came from, when given).

    After :data:`MAX_FAILURES` wrong passwords in a row the account locks for
    :data:`LOCKOUT`; a correct password during the lock is refused too. A ``client``
    with :data:`CLIENT_MAX_FAILURES` failed sign-ins (any names) within
    :data:`CLIENT_WINDOW` is refused, right password or not and without the Argon2
    work, until the oldest of them is that old. The page passes the address Streamlit
    gives it (the engine stays free of streamlit); None skips the client throttle.

    The Argon2 check (a large share of a second on a loaded machine) runs first, outside
    ``writes``; the decision and its writes (failure count, lock, audit) run inside
    ``writes()``, on the account read again there. The dashboard passes its bookkeeping
    lock, which every page's store read also takes: holding it through the hash let a
    stream of sign-in attempts stall every signed-in user's pages. Attempts that finish
    after the lock was set are answered "locked", right password or not, so running
    them in parallel gains an attacker no more than :data:`MAX_FAILURES` answers.

    Raises:
        AuthenticationError: unknown user or wrong password (one message and the same
            Argon2 work for both, so neither the form nor its timing reveals which
            accounts exist), a disabled account (said only with its right password), a
            locked one, or a throttled client (the same answer for every name).
    """
    name = _as_logged(user_name)
    seen = acc_store.user_row(con, name)
    until, _ = _lock_state(con, name, seen)
    checked = None if seen is None else seen["password_hash"]
    right = False
    throttled = client is not None and _client_blocked_until(con, client) is not None
    # A locked name or a throttled client is refused without the hash work.
    if not throttled and (until is None or until <= _now()):
        right = passwords.verify(checked or passwords.dummy_hash(), password)
    with writes():
        return _decide(con, name, right, checked, client)


def _client_blocked_until(con: duckdb.DuckDBPyConnection, client: str) -> datetime | None:
    """When ``client``'s throttle ends, or None when it may try now."""
    since = _now() - CLIENT_WINDOW
    failed = acc_store.client_failures(con, client, since=since, excluding=CLIENT_THROTTLED)
    if len(failed) < CLIENT_MAX_FAILURES:
        return None
    return failed[CLIENT_MAX_FAILURES - 1] + CLIENT_WINDOW  # newest first


def throttled_clients(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The client addresses refused now: columns ``client``, ``failures`` (counted in
    the window) and ``until`` (when the throttle ends on its own, UTC), soonest first."""
    failed = acc_store.recent_client_failures(
        con, since=_now() - CLIENT_WINDOW, excluding=CLIENT_THROTTLED
    )
    rows = [
        (client, len(ats), ats.iloc[CLIENT_MAX_FAILURES - 1] + CLIENT_WINDOW)  # newest first
        for client, ats in failed.groupby("client", sort=False)["at"]
        if len(ats) >= CLIENT_MAX_FAILURES
    ]
    out = pd.DataFrame(rows, columns=["client", "failures", "until"])
    return out.sort_values("until", ignore_index=True)


def lift_client_throttle(con: duckdb.DuckDBPyConnection, client: str, *, actor: str) -> int:
    """An administrator's lift of ``client``'s throttle (an office behind one address
    that mistyped 20 times need not wait 15 minutes): its failures so far stop counting.
    Audited. Returns how many failures were counted.

    Raises:
        ValidationError: ``client`` is not throttled now (the message lists those that are).
    """
    throttled = throttled_clients(con)
    hit = throttled[throttled["client"] == client.strip()]
    if hit.empty:
        now = ", ".join(throttled["client"]) or "none"
        raise ValidationError(
            f"client address {client!r} is not throttled now, so there is nothing to lift "
            f"(throttled now: {now}); give the address as the Admin page or "
            "`paii users throttled` shows it"
        )
    failures = int(hit["failures"].iloc[0])
    log_event(
        con, actor=actor, action=acc_store.THROTTLE_LIFTED, entity="clients",
        entity_id=client.strip(), detail={"failures": failures},
    )  # fmt: skip
    return failures


def _lock_state(
    con: duckdb.DuckDBPyConnection, name: str, row: dict | None
) -> tuple[datetime | None, int]:
    """When the name's lock ends (None: not locked) and its failures since (for a name
    without an account, from the audit trail)."""
    if row is None:
        return _unknown_name_state(con, name)
    return row["locked_until"], int(row["failed_attempts"])


def _decide(
    con: duckdb.DuckDBPyConnection,
    name: str,
    right: bool,
    checked: str | None,
    client: str | None,
) -> Principal:
    """The outcome of a sign-in whose password check gave ``right`` against the hash
    ``checked``, on the account and the client's record as they are now; writes the
    failure count, lock and audit."""
    now = _now()
    row = acc_store.user_row(con, name)
    # A password checked against a hash that has changed since (a reset) proves nothing.
    right = right and row is not None and row["password_hash"] == checked
    origin = {} if client is None else {"client": client}

    def fail(reason: str, message: str) -> AuthenticationError:
        log_event(
            con, actor=name, action="sign-in failed", entity="users", entity_id=name,
            detail={"reason": reason, **origin},
        )  # fmt: skip
        return AuthenticationError(message)

    generic = "user or password is wrong"

    def locked_message(until: datetime) -> str:
        minutes = max(1, round((until - now).total_seconds() / 60))
        return (
            f"this account is locked after {MAX_FAILURES} wrong passwords; "
            f"try again in {minutes} min or ask an administrator"
        )

    # Checked again here, under ``writes``: parallel attempts from one client that all
    # passed the first check get no more than CLIENT_MAX_FAILURES answers in all.
    blocked = None if client is None else _client_blocked_until(con, client)
    if blocked is not None:
        minutes = max(1, round((blocked - now).total_seconds() / 60))
        raise fail(
            CLIENT_THROTTLED,
            f"too many failed sign-ins from your address ({CLIENT_MAX_FAILURES} in "
            f"{CLIENT_WINDOW.total_seconds() / 60:g} min); try again in {minutes} min",
        )
    until, failures = _lock_state(con, name, row)
    if row is None:
        # An unknown name gets the same Argon2 work (timing) and the same lock-out after
        # MAX_FAILURES tries (counted in the audit trail) as an account: neither the
        # time taken nor a lock message tells which accounts exist.
        if until is not None and until > now:
            raise fail("unknown user, while locked", locked_message(until))
        locks = failures + 1 >= MAX_FAILURES
        raise fail("unknown user" + (", locked" if locks else ""), generic)
    if until is not None and until > now:
        raise fail("locked", locked_message(until))
    if not right:
        failures += 1
        locked = now + LOCKOUT if failures >= MAX_FAILURES else None
        acc_store.update_user(
            con, name, failed_attempts=0 if locked else failures, locked_until=locked
        )
        raise fail("wrong password" + (", locked" if locked else ""), generic)
    if row["disabled"]:
        # Said only to someone who knows the password (wrong ones above count towards
        # the lock as for any account): the form does not tell which accounts are disabled.
        raise fail("disabled", "this account is disabled; ask an administrator")
    acc_store.update_user(con, name, failed_attempts=0, locked_until=None, last_sign_in=now)
    log_event(
        con, actor=name, action="sign-in", entity="users", entity_id=name, detail=origin or None
    )
    return Principal(user=name, role=row["role"])


def _unknown_name_state(con: duckdb.DuckDBPyConnection, name: str) -> tuple[datetime | None, int]:
    """For a name with no account: when its shadow lock ends (None: never locked) and
    how many failures it has had since its last lock began, from the audit trail."""
    events = acc_store.failed_sign_ins(con, name)
    locks = events.loc[events["reason"] == "unknown user, locked", "at"]
    start = locks.max() if len(locks) else None
    counted = events["reason"] == "unknown user"
    if start is not None:
        counted &= events["at"] > start
    return (None if start is None else start + LOCKOUT), int(counted.sum())
