"""Accounts: create, disable, sign in with lock-out, the first admin, permission checks."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb
import pandas as pd

from paii_core.access import passwords
from paii_core.access.roles import ROLES, Permission, Principal, allowed
from paii_core.errors import AccessDeniedError, AuthenticationError, ValidationError
from paii_core.store import access as acc_store
from paii_core.store.core import log_event

__all__ = [
    "FIRST_ADMIN",
    "LOCKOUT",
    "MAX_FAILURES",
    "FirstAdmin",
    "add_user",
    "audit_trail",
    "authenticate",
    "change_password",
    "disable_user",
    "enable_user",
    "ensure_first_admin",
    "list_users",
    "require",
    "reset_password",
    "set_role",
]

MAX_FAILURES = 5
"""Consecutive wrong passwords before the account locks (OWASP suggests a small number)."""
LOCKOUT = timedelta(minutes=15)
FIRST_ADMIN = "admin"
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _check_name(user_name: str) -> str:
    name = user_name.strip().lower()
    if not _NAME.match(name):
        raise ValidationError(
            f"user name {user_name!r} is not valid; use 2-40 lower-case letters, digits, "
            "'.', '_' or '-', starting with a letter or digit"
        )
    return name


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValidationError(f"role {role!r} is unknown; use one of: {', '.join(ROLES)}")


def add_user(
    con: duckdb.DuckDBPyConnection,
    user_name: str,
    role: str,
    password: str,
    *,
    created_by: str,
    must_change_password: bool = False,
) -> str:
    """Create an account; returns the normalised user name. The event is audited.

    Raises:
        ValidationError: a malformed name, an unknown role, a short password, or a name
            that is taken.
    """
    name = _check_name(user_name)
    _check_role(role)
    if acc_store.user_row(con, name) is not None:
        raise ValidationError(
            f"user {name!r} exists already; pick another name or disable that account first"
        )
    digest = passwords.hash_password(password)
    acc_store.insert_user(
        con,
        name,
        role,
        digest,
        created_at=_now(),
        created_by=created_by,
        must_change_password=must_change_password,
    )
    log_event(
        con, actor=created_by, action="user add", entity="users", entity_id=name,
        detail={"role": role},
    )  # fmt: skip
    return name


def _existing(con: duckdb.DuckDBPyConnection, user_name: str) -> dict:
    row = acc_store.user_row(con, user_name.strip().lower())
    if row is None:
        raise ValidationError(
            f"user {user_name!r} does not exist; `paii users list` shows the accounts"
        )
    return row


def _keep_an_admin(con: duckdb.DuckDBPyConnection, row: dict, change: str) -> None:
    """Refuse ``change`` when it would leave no active admin (nobody could then manage
    accounts or read the audit trail from the dashboard)."""
    if row["role"] == "admin" and not row["disabled"]:
        if acc_store.active_admins(con) == [row["user_name"]]:
            raise ValidationError(
                f"{change} {row['user_name']!r} would leave no active admin; add or enable "
                "another admin first (`paii users add NAME --role admin --password-stdin`)"
            )


def disable_user(con: duckdb.DuckDBPyConnection, user_name: str, *, actor: str) -> None:
    """Disable an account: it can no longer sign in, and open sessions end at their
    next page load (pages re-check the account). Audited.

    Raises:
        ValidationError: no such account, or it is the last active admin.
    """
    row = _existing(con, user_name)
    _keep_an_admin(con, row, "disabling")
    acc_store.update_user(con, row["user_name"], disabled=True)
    log_event(con, actor=actor, action="user disable", entity="users", entity_id=row["user_name"])


def set_role(con: duckdb.DuckDBPyConnection, user_name: str, role: str, *, actor: str) -> None:
    """Give an account another role; it takes effect at the account's next page load
    (pages and the store re-read the role). Audited with the role before and after.

    Raises:
        ValidationError: no such account, an unknown role, the role it has already, or a
            change that would leave no active admin.
    """
    _check_role(role)
    row = _existing(con, user_name)
    if row["role"] == role:
        raise ValidationError(f"user {row['user_name']!r} is {role} already; nothing changed")
    _keep_an_admin(con, row, f"making {role} of")
    acc_store.update_user(con, row["user_name"], role=role)
    log_event(
        con, actor=actor, action="role change", entity="users", entity_id=row["user_name"],
        detail={"before": row["role"], "after": role},
    )  # fmt: skip


def enable_user(con: duckdb.DuckDBPyConnection, user_name: str, *, actor: str) -> None:
    """Let a disabled account sign in again (its password is unchanged). Audited.

    Raises:
        ValidationError: no such account, or it is not disabled.
    """
    row = _existing(con, user_name)
    if not row["disabled"]:
        raise ValidationError(f"user {row['user_name']!r} is not disabled; nothing to enable")
    acc_store.update_user(con, row["user_name"], disabled=False)
    log_event(con, actor=actor, action="user enable", entity="users", entity_id=row["user_name"])


def reset_password(
    con: duckdb.DuckDBPyConnection, user_name: str, one_time: str, *, actor: str
) -> None:
    """An administrator's reset of a forgotten password: ``one_time`` replaces it, must be
    changed at the next sign-in, and a lock-out from failed attempts is lifted. A disabled
    account stays disabled. Audited (the password itself is never logged).

    Raises:
        ValidationError: no such account, or ``one_time`` is too short.
    """
    row = _existing(con, user_name)
    acc_store.update_user(
        con, row["user_name"], password_hash=passwords.hash_password(one_time),
        must_change_password=True, failed_attempts=0, locked_until=None,
    )  # fmt: skip
    log_event(con, actor=actor, action="password reset", entity="users", entity_id=row["user_name"])


def change_password(con: duckdb.DuckDBPyConnection, user_name: str, old: str, new: str) -> None:
    """Change one's own password (the old one is checked). Audited.

    Raises:
        AuthenticationError: the old password is wrong.
        ValidationError: the new one is too short or equals the old one.
    """
    row = _existing(con, user_name)
    if not passwords.verify(row["password_hash"], old):
        raise AuthenticationError("the current password is wrong; nothing changed")
    if old == new:
        raise ValidationError("the new password should differ from the current one")
    acc_store.update_user(
        con, row["user_name"], password_hash=passwords.hash_password(new),
        must_change_password=False,
    )  # fmt: skip
    log_event(
        con, actor=row["user_name"], action="password change", entity="users",
        entity_id=row["user_name"],
    )  # fmt: skip


def list_users(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every account (no hashes), for `paii users list` and the admin page."""
    return acc_store.list_users(con)


def authenticate(
    con: duckdb.DuckDBPyConnection,
    user_name: str,
    password: str,
    *,
    writes: Callable[[], AbstractContextManager[object]] = nullcontext,
) -> Principal:
    """Check a sign-in; every attempt, good or bad, goes to the audit trail.

    After :data:`MAX_FAILURES` wrong passwords in a row the account locks for
    :data:`LOCKOUT`; a correct password during the lock is refused too.

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
            accounts exist), a disabled account (said only with its right password) or a
            locked one.
    """
    name = user_name.strip().lower()
    seen = acc_store.user_row(con, name) if name else None
    until, _ = _lock_state(con, name, seen)
    checked = None if seen is None else seen["password_hash"]
    right = False
    if until is None or until <= _now():  # a locked name is refused without the hash work
        right = passwords.verify(checked or passwords.dummy_hash(), password)
    with writes():
        return _decide(con, name, right, checked)


def _lock_state(
    con: duckdb.DuckDBPyConnection, name: str, row: dict | None
) -> tuple[datetime | None, int]:
    """When the name's lock ends (None: not locked) and its failures since (for a name
    without an account, from the audit trail)."""
    if row is None:
        return _unknown_name_state(con, name)
    return row["locked_until"], int(row["failed_attempts"])


def _decide(
    con: duckdb.DuckDBPyConnection, name: str, right: bool, checked: str | None
) -> Principal:
    """The outcome of a sign-in whose password check gave ``right`` against the hash
    ``checked``, on the account as it is now; writes the failure count, lock and audit."""
    now = _now()
    row = acc_store.user_row(con, name) if name else None
    # A password checked against a hash that has changed since (a reset) proves nothing.
    right = right and row is not None and row["password_hash"] == checked

    def fail(reason: str, message: str) -> AuthenticationError:
        log_event(
            con, actor=name or "(empty)", action="sign-in failed", entity="users",
            entity_id=name or "(empty)", detail={"reason": reason},
        )  # fmt: skip
        return AuthenticationError(message)

    generic = "user or password is wrong"

    def locked_message(until: datetime) -> str:
        minutes = max(1, round((until - now).total_seconds() / 60))
        return (
            f"this account is locked after {MAX_FAILURES} wrong passwords; "
            f"try again in {minutes} min or ask an administrator"
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
    log_event(con, actor=name, action="sign-in", entity="users", entity_id=name)
    return Principal(user=name, role=row["role"])


def _unknown_name_state(con: duckdb.DuckDBPyConnection, name: str) -> tuple[datetime | None, int]:
    """For a name with no account: when its shadow lock ends (None: never locked) and
    how many failures it has had since its last lock began, from the audit trail."""
    events = acc_store.failed_sign_ins(con, name or "(empty)")
    locks = events.loc[events["reason"] == "unknown user, locked", "at"]
    start = locks.max() if len(locks) else None
    counted = events["reason"] == "unknown user"
    if start is not None:
        counted &= events["at"] > start
    return (None if start is None else start + LOCKOUT), int(counted.sum())


def require(
    con: duckdb.DuckDBPyConnection, principal: Principal | None, permission: Permission
) -> Principal:
    """The principal, re-read from the store, if its current role holds ``permission``.

    Raises:
        AccessDeniedError: nobody is signed in, the account is gone or disabled, or its
            role does not hold the permission.
    """
    if not isinstance(principal, Principal):
        raise AccessDeniedError(f"sign in first: {permission.replace('_', ' ')} needs an account")
    if principal.local:
        return principal
    row = acc_store.user_row(con, principal.user)
    if row is None or row["disabled"]:
        raise AccessDeniedError(f"account {principal.user!r} is disabled or gone; sign in again")
    if not allowed(row["role"], permission):
        raise AccessDeniedError(
            f"{principal.user!r} ({row['role']}) may not see {permission.replace('_', ' ')}; "
            "ask an administrator for a role that may"
        )
    return Principal(user=row["user_name"], role=row["role"])


@dataclass(frozen=True)
class FirstAdmin:
    """The admin account created on a first start, and its one-time password (None when
    it came from PAII_ADMIN_PASSWORD, which the operator already knows)."""

    user: str
    one_time_password: str | None


def ensure_first_admin(
    con: duckdb.DuckDBPyConnection, env_password: str | None
) -> FirstAdmin | None:
    """Create the first admin when the store has no account; None when accounts exist.

    The password comes from ``env_password`` (PAII_ADMIN_PASSWORD) or, without it, is a
    one-time password the admin must change at the first sign-in. There is no default
    password anywhere.
    """
    if acc_store.count_users(con) > 0:
        return None
    if env_password:
        add_user(con, FIRST_ADMIN, "admin", env_password, created_by="PAII_ADMIN_PASSWORD")
        return FirstAdmin(FIRST_ADMIN, None)
    once = passwords.one_time_password()
    add_user(con, FIRST_ADMIN, "admin", once, created_by="first start", must_change_password=True)
    return FirstAdmin(FIRST_ADMIN, once)


def audit_trail(
    con: duckdb.DuckDBPyConnection,
    principal: Principal | None,
    *,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
) -> pd.DataFrame:
    """The audit trail for an admin, newest first (see store.access.audit_events).

    Raises AccessDeniedError for anyone but an admin.
    """
    require(con, principal, "admin")
    return acc_store.audit_events(con, actor=actor or None, action=action or None, since=since)
