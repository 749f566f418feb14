"""`paii users add|list|disable|enable|set-role|reset-password|sign-out`: accounts for the
dashboard's sign-in; `paii users throttled|lift-throttle`: client addresses refused after too many
failed sign-ins; `paii audit verify`: the audit trail's hash chain."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

__all__ = ["register"]


def _connect(args: argparse.Namespace):
    from paii_core import store

    return store.connect(args.db)


def _actor() -> str:
    from paii_core.access import local_operator

    return local_operator().user


def _password(args: argparse.Namespace) -> str:
    from paii_core.errors import ValidationError

    if not args.password_stdin:
        raise ValidationError(
            "--password-stdin is required: pipe the password in (never on the command line, "
            "where other users see it in the process list)"
        )
    return sys.stdin.readline().rstrip("\r\n")


def _add(args: argparse.Namespace) -> int:
    from paii_core.access import add_user

    password = _password(args)
    con = _connect(args)
    try:
        name = add_user(con, args.name, args.role, password, created_by=_actor())
    finally:
        con.close()
    print(f"created {name} ({args.role})")
    return 0


def _list(args: argparse.Namespace) -> int:
    import pandas as pd

    from paii_core.access import exposure_warning, list_users, open_sign_ins
    from paii_core.config import paths

    con = _connect(args)
    try:
        users = list_users(con)
        live = dict(open_sign_ins(con)[["user_name", "open_sign_ins"]].itertuples(index=False))
    finally:
        con.close()
    loose = exposure_warning(args.db or paths().database)
    if loose:
        print(f"warning: {loose}", file=sys.stderr)
    if users.empty:
        print("no accounts yet; the dashboard creates the first admin on its first start")
        return 0
    for row in users.itertuples():
        state = "disabled" if row.disabled else "active"
        # pandas gives an account that never signed in NaT, not None
        seen = (
            "never" if row.last_sign_in is None or pd.isna(row.last_sign_in) else row.last_sign_in
        )
        print(
            f"{row.user_name:<24} {row.role:<12} {state:<9} last sign-in: {seen}"
            f"  open sign-ins: {live.get(row.user_name, 0)}"
        )
    return 0


def _on_account(args: argparse.Namespace, action: Callable[..., None], *extra: str) -> None:
    """``action(con, args.name, *extra, actor=...)`` as the local operator, with the
    database open only for that call."""
    con = _connect(args)
    try:
        action(con, args.name, *extra, actor=_actor())
    finally:
        con.close()


def _disable(args: argparse.Namespace) -> int:
    from paii_core.access import disable_user

    _on_account(args, disable_user)
    print(f"disabled {args.name}")
    return 0


def _enable(args: argparse.Namespace) -> int:
    from paii_core.access import enable_user

    _on_account(args, enable_user)
    print(f"enabled {args.name}")
    return 0


def _set_role(args: argparse.Namespace) -> int:
    from paii_core.access import set_role

    _on_account(args, set_role, args.role)
    print(f"{args.name} is now {args.role} (from their next page load)")
    return 0


def _reset(args: argparse.Namespace) -> int:
    from paii_core.access import reset_password

    _on_account(args, reset_password, _password(args))
    print(f"reset the password of {args.name}: they must choose a new one at their next sign-in")
    return 0


def _sign_out(args: argparse.Namespace) -> int:
    from paii_core.access import sign_out_everywhere
    from paii_core.text import count

    con = _connect(args)
    try:
        ended = sign_out_everywhere(con, args.name, actor=_actor())
    finally:
        con.close()
    print(
        f"ended {count(ended, 'dashboard sign-in')} of {args.name}: open tabs end at their "
        "next step and must sign in again; the account stays usable"
    )
    return 0


def _throttled(args: argparse.Namespace) -> int:
    from paii_core.access import CLIENT_MAX_FAILURES, throttled_clients

    con = _connect(args)
    try:
        clients = throttled_clients(con)
    finally:
        con.close()
    if clients.empty:
        print("no client address is throttled now")
    for row in clients.itertuples():
        print(f"{row.client:<40} {row.failures} failed sign-ins  throttled until {row.until} UTC")
    if not clients.empty:
        print(
            f"(an address is refused after {CLIENT_MAX_FAILURES} failures in the window; "
            "`paii users lift-throttle ADDRESS` lets it sign in again now)"
        )
    return 0


def _lift(args: argparse.Namespace) -> int:
    from paii_core.access import lift_client_throttle

    con = _connect(args)
    try:
        failures = lift_client_throttle(con, args.address, actor=_actor())
    finally:
        con.close()
    print(f"lifted the throttle of {args.address}: its {failures} failed sign-ins stop counting")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from paii_core.store.audit_chain import parse_anchor, verify

    anchor = parse_anchor(args.anchor) if args.anchor else None
    con = _connect(args)
    try:
        state = verify(con, anchor=anchor)
    finally:
        con.close()
    if not state.intact:
        print(f"audit trail {state.summary()}", file=sys.stderr)
        return 1
    print(f"audit trail {state.summary()}")
    if state.anchor:
        print(
            f"head: {state.anchor}\n(keep this line outside the server: `paii audit verify "
            "--anchor` with it later also shows a trail cut short or rewritten and rehashed)"
        )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `paii users add|list|disable|enable|set-role|reset-password|throttled|
    lift-throttle` and `paii audit verify`."""
    from paii_core.access import ROLES

    parser = subparsers.add_parser("users", help="dashboard accounts and roles")
    sub = parser.add_subparsers(dest="users_command", required=True)
    add = sub.add_parser("add", help="create an account (password read from stdin)")
    add.add_argument("name", help="user name: lower-case letters, digits, . _ -")
    add.add_argument("--role", required=True, choices=list(ROLES))
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    add.set_defaults(run=_add)
    ls = sub.add_parser("list", help="every account with its role and state")
    ls.set_defaults(run=_list)
    dis = sub.add_parser("disable", help="stop an account from signing in")
    dis.add_argument("name")
    dis.set_defaults(run=_disable)
    ena = sub.add_parser("enable", help="let a disabled account sign in again")
    ena.add_argument("name")
    ena.set_defaults(run=_enable)
    role = sub.add_parser("set-role", help="give an account another role (audited)")
    role.add_argument("name")
    role.add_argument("--role", required=True, choices=list(ROLES))
    role.set_defaults(run=_set_role)
    reset = sub.add_parser(
        "reset-password",
        help="replace a forgotten password with a one-time one (read from stdin) that the "
        "user must change at the next sign-in; lifts a lock-out",
    )
    reset.add_argument("name")
    reset.add_argument(
        "--password-stdin", action="store_true", help="read the one-time password from stdin"
    )
    reset.set_defaults(run=_reset)
    out = sub.add_parser(
        "sign-out",
        help="end every dashboard sign-in of an account (a lost laptop, a tab left open on a "
        "shared computer); the account stays usable (audited)",
    )
    out.add_argument("name")
    out.set_defaults(run=_sign_out)
    throttled = sub.add_parser(
        "throttled", help="client addresses refused now after too many failed sign-ins"
    )
    throttled.set_defaults(run=_throttled)
    lift = sub.add_parser(
        "lift-throttle",
        help="let a throttled client address sign in again now (audited; its failures so "
        "far stop counting)",
    )
    lift.add_argument("address", help="as `paii users throttled` prints it")
    lift.set_defaults(run=_lift)
    audit = subparsers.add_parser("audit", help="the audit trail's integrity")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    check = audit_sub.add_parser(
        "verify",
        help="check the audit trail's hash chain; exits 1 naming the first broken link",
    )
    check.add_argument(
        "--anchor",
        metavar="EVENT_ID:HASH",
        help="a 'head' line printed by an earlier verify: that event must still be there, "
        "unchanged (catches deleted newest events and a rehashed trail)",
    )
    check.set_defaults(run=_verify)
    for p in (add, ls, dis, ena, role, reset, out, throttled, lift, check):
        p.add_argument("--db", type=Path, help="database (default: data/paii.duckdb)")
