"""Accounts: create, disable, roles, the first admin, permission checks (sign-in with
lock-out: :mod:`paii_core.access.signin`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import pandas as pd

from paii_core.access import passwords
from paii_core.access.roles import ROLES, Permission, Principal, allowed
from paii_core.errors import AccessDeniedError, AuthenticationError, ValidationError
from paii_core.store import access as acc_store
from paii_core.store import sessions as ses_store
from paii_core.store.audit_chain import ChainState, verify
from paii_core.store.core import log_event

__all__ = [
    "FIRST_ADMIN",
    "FirstAdmin",
    "add_user",
    "audit_chain_state",
    "audit_trail",
    "change_password",
    "disable_user",
    "enable_user",
    "ensure_first_admin",
    "list_users",
    "require",
    "reset_password",
    "set_role",
    "sign_out_everywhere",
]

FIRST_ADMIN = "admin"

ENDED_DISABLED = "account disabled"
ENDED_RESET = "password reset"
ENDED_CHANGED = "password changed"
ENDED_BY_ADMIN = "ended by an administrator"
"""Why the account actions below end dashboard sign-ins (``web_sessions.end_reason``)."""
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
    """Disable an account: it can no longer sign in, open sessions end at their next page
    load (pages re-check the account) and no browser can resume one. Audited.

    Raises:
        ValidationError: no such account, or it is the last active admin.
    """
    row = _existing(con, user_name)
    _keep_an_admin(con, row, "disabling")
    acc_store.update_user(con, row["user_name"], disabled=True)
    ses_store.end_sessions(con, _now(), ENDED_DISABLED, user_name=row["user_name"])
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
    changed at the next sign-in, a lock-out from failed attempts is lifted, and the
    account's dashboard sign-ins end. A disabled account stays disabled. Audited (the
    password itself is never logged).

    Raises:
        ValidationError: no such account, or ``one_time`` is too short.
    """
    row = _existing(con, user_name)
    acc_store.update_user(
        con, row["user_name"], password_hash=passwords.hash_password(one_time),
        must_change_password=True, failed_attempts=0, locked_until=None,
    )  # fmt: skip
    ses_store.end_sessions(con, _now(), ENDED_RESET, user_name=row["user_name"])
    log_event(con, actor=actor, action="password reset", entity="users", entity_id=row["user_name"])


def change_password(
    con: duckdb.DuckDBPyConnection, user_name: str, old: str, new: str, *, keep: str | None = None
) -> None:
    """Change one's own password (the old one is checked). Audited, a wrong current
    password too. The account's other dashboard sign-ins end (all but the one whose
    token is ``keep``: the browser that changed it).

    Raises:
        AuthenticationError: the old password is wrong.
        ValidationError: the new one is too short or equals the old one.
    """
    row = _existing(con, user_name)
    if not passwords.verify(row["password_hash"], old):
        log_event(
            con, actor=row["user_name"], action="password change failed", entity="users",
            entity_id=row["user_name"], detail={"reason": "wrong current password"},
        )  # fmt: skip
        raise AuthenticationError("the current password is wrong; nothing changed")
    if old == new:
        raise ValidationError("the new password should differ from the current one")
    acc_store.update_user(
        con, row["user_name"], password_hash=passwords.hash_password(new),
        must_change_password=False,
    )  # fmt: skip
    kept = ses_store.digest(keep) if keep else None
    ses_store.end_sessions(con, _now(), ENDED_CHANGED, user_name=row["user_name"], keep=kept)
    log_event(
        con, actor=row["user_name"], action="password change", entity="users",
        entity_id=row["user_name"],
    )  # fmt: skip


def sign_out_everywhere(con: duckdb.DuckDBPyConnection, user_name: str, *, actor: str) -> int:
    """An administrator's end of every dashboard sign-in of ``user_name`` (a lost laptop, a
    session left open on a shared computer): each open tab ends at its next step and no
    cookie resumes one; the account itself stays usable. Audited with the count; returns it.

    Raises:
        ValidationError: no such account.
    """
    row = _existing(con, user_name)
    ended = ses_store.end_sessions(con, _now(), ENDED_BY_ADMIN, user_name=row["user_name"])
    log_event(
        con, actor=actor, action="sign-ins end", entity="users", entity_id=row["user_name"],
        detail={"ended": ended},
    )  # fmt: skip
    return ended


def list_users(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every account (no hashes), for `paii users list` and the admin page."""
    return acc_store.list_users(con)


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


def audit_chain_state(con: duckdb.DuckDBPyConnection, principal: Principal | None) -> ChainState:
    """Whether the audit trail's hash chain holds, where it starts and its first broken
    link (see :func:`paii_core.store.audit_chain.verify`), for an admin.

    Raises AccessDeniedError for anyone but an admin.
    """
    require(con, principal, "admin")
    return verify(con)
