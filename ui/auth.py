"""Sign-in for the dashboard: the form, the session's principal, idle expiry, sign-out,
and the cookie that lets a sign-in survive a page reload (:mod:`paii_core.access.sessions`)."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime, timedelta

import streamlit as st

from paii_core import store
from paii_core.access import (
    COOKIE,
    SIGNED_OUT,
    Permission,
    Principal,
    allowed,
    authenticate,
    change_password,
    end_session,
    ended_elsewhere,
    ended_reason,
    ensure_first_admin,
    expiry,
    exposure_warning,
    is_token,
    open_session,
    require,
    resume_session,
    touch_session,
)
from paii_core.config import paths
from paii_core.errors import AccessDeniedError, PaiiError
from paii_core.store import access as acc_store
from ui.common import bookkeeping_write, connection, show_error

log = logging.getLogger("paii.dashboard")

# Session-state keys no widget uses: a browser can only reach them through the sign-in
# form, so neither a URL, a query parameter nor a widget can set the principal.
_PRINCIPAL = "_paii_principal"
_LAST_SEEN = "_paii_last_seen"
_NOTE = "_paii_sign_in_note"
_SIGNED_IN_AT = "_paii_signed_in_at"
_TOKEN = "_paii_session_token"  # this tab's sign-in token (the cookie's value)
_TOUCHED = "_paii_session_touched"  # when the store last heard the sign-in was in use
_COOKIE_OUT = "_paii_cookie_out"  # a cookie write for the browser: a token, or "" to clear
_SPENT = "_paii_spent_cookie"  # the cookie this tab connected with, once tried or ended

TOUCH_EVERY = timedelta(minutes=1)
"""How often a page load records in the store that its sign-in is in use (the idle limit
of a reload counts from there)."""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@st.cache_resource(show_spinner=False)
def _first_start(db_key: str) -> None:
    """Create the first admin once per database file when it has no account yet, with
    PAII_ADMIN_PASSWORD or a one-time password printed on the server's console (never
    shown in the browser, where anyone who reaches the port would see it)."""
    loose = exposure_warning(paths().database)
    if loose:
        print(f"PAII: warning: {loose}", flush=True)
    first = ensure_first_admin(connection(), os.environ.get("PAII_ADMIN_PASSWORD") or None)
    if first is None:
        return
    if first.one_time_password is None:
        print(f"PAII: created the first admin {first.user!r} from PAII_ADMIN_PASSWORD", flush=True)
    else:
        print(
            f"PAII: first start: sign in as {first.user!r} with the one-time password "
            f"{first.one_time_password} (you will be asked to change it)",
            flush=True,
        )


def ensure_accounts() -> None:
    """Run the first-start step for the current database (idempotent, once per file)."""
    db = paths().database
    _first_start(f"{db}:{db.stat().st_ino}" if db.exists() else str(db))


def current_principal() -> Principal | None:
    """The signed-in principal, or None: nobody signed in (and the browser's cookie holds
    no live sign-in, :func:`_resume`), the session expired (idle or at its limit:
    :func:`paii_core.access.expiry`), the account was disabled since, or its sign-in ended
    elsewhere (signed out in another tab, a password reset): checked on every page load."""
    principal = st.session_state.get(_PRINCIPAL)
    if not isinstance(principal, Principal):
        return _resume()
    # a session without its times (never through the form) counts as expired
    expired = expiry(
        st.session_state.get(_LAST_SEEN) or datetime.min,
        st.session_state.get(_SIGNED_IN_AT) or datetime.min,
    )
    if expired is not None:
        sign_out(reason=expired)
        return None
    try:
        fresh = require(connection(), principal, "county_data")
    except AccessDeniedError as e:
        sign_out(reason=str(e))
        return None
    ended = ended_reason(connection(), st.session_state.get(_TOKEN))
    if ended is not None:  # signed out in another tab, a password reset...
        sign_out(reason=ended_elsewhere(ended))
        return None
    st.session_state[_LAST_SEEN] = _now()
    st.session_state[_PRINCIPAL] = fresh
    _touch()
    return fresh


def _cookie_token() -> str | None:
    """The sign-in token the browser presented when this tab connected (Streamlit reads the
    cookies of the WebSocket's opening request; they stay as they were for the tab's whole
    connection), or None (also where there is no real connection: AppTest gives a mock)."""
    value = st.context.cookies.get(COOKIE)
    return value if is_token(value) else None


def _resume() -> Principal | None:
    """Sign the tab in from the browser's cookie when it holds a live sign-in (a reload, a
    second tab); a dead one is cleared and the sign-in page says why. A cookie is tried
    once per tab: after a sign-out the tab still sees the cookie it connected with."""
    token = _cookie_token()
    if token is None or token == st.session_state.get(_SPENT):
        return None
    st.session_state[_SPENT] = token
    try:
        with bookkeeping_write():
            resumed = resume_session(connection(), token, client=client_address())
    except AccessDeniedError as e:
        st.session_state[_NOTE] = str(e)
        resumed = None
    if resumed is None:
        st.session_state[_COOKIE_OUT] = ""
        return None
    now = _now()
    st.session_state[_PRINCIPAL] = resumed.principal
    st.session_state[_SIGNED_IN_AT] = resumed.signed_in_at
    st.session_state[_LAST_SEEN] = st.session_state[_TOUCHED] = now
    st.session_state[_TOKEN] = token
    return resumed.principal


def _touch() -> None:
    """Tell the store the tab's sign-in is in use, at most once per :data:`TOUCH_EVERY`; a
    failed write is logged (the tab itself keeps its own idle clock)."""
    token = st.session_state.get(_TOKEN)
    last = st.session_state.get(_TOUCHED)
    if token is None or (last is not None and _now() - last < TOUCH_EVERY):
        return
    st.session_state[_TOUCHED] = _now()
    try:
        with bookkeeping_write():
            touch_session(connection(), token)
    except PaiiError as e:
        log.warning("could not record the activity of a sign-in: %s", e)


def write_cookie() -> None:
    """Send the browser the cookie change this run decided (the token after a sign-in, an
    emptied cookie after a sign-out or a dead token), once. A session cookie: the browser
    drops it when it closes; the store's idle and session limits apply in any case."""
    value = st.session_state.pop(_COOKIE_OUT, None)
    if value is None or (value and not is_token(value)):
        return
    cookie = f"{COOKIE}={value}; Path=/; SameSite=Strict" + ("" if value else "; Max-Age=0")
    st.html(
        f"<script>document.cookie = '{cookie}' + "
        "(window.location.protocol === 'https:' ? '; Secure' : '');</script>",
        unsafe_allow_javascript=True,
    )


def actor() -> str:
    """Who runs a computation from a page, for the audit trail: the signed-in user, else
    ``dashboard``."""
    principal = signed_in()
    return principal.user if principal else "dashboard"


def can(permission: Permission) -> bool:
    """Whether the signed-in principal's role holds ``permission`` (for what a page shows;
    the store checks again before it returns policy data)."""
    principal = st.session_state.get(_PRINCIPAL)
    return isinstance(principal, Principal) and allowed(principal.role, permission)


def sign_out(*, reason: str | None = None) -> None:
    """End the session's sign-in and forget everything the session kept: a built policy
    report, the set of evidence views already audited (else the next person to sign in
    in this tab would view the same policies unaudited), uploads, widget choices."""
    principal = st.session_state.get(_PRINCIPAL)
    token = st.session_state.get(_TOKEN)
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    if reason:
        st.session_state[_NOTE] = reason
    # The tab keeps the cookie it connected with: never resume it again here.
    st.session_state[_SPENT] = _cookie_token()
    st.session_state[_COOKIE_OUT] = ""
    if isinstance(principal, Principal):
        try:
            with bookkeeping_write():
                end_session(connection(), token, reason or SIGNED_OUT)
                store.log_event(
                    connection(), actor=principal.user, action="sign-out", entity="users",
                    entity_id=principal.user, detail={"reason": reason or SIGNED_OUT},
                )  # fmt: skip
        except PaiiError as e:
            log.warning("could not audit the sign-out of %s: %s", principal.user, e)


def client_address() -> str:
    """The address the sign-in came from, for the throttle per client: the WebSocket's
    peer as Streamlit gives it (``st.context.ip_address``; behind a proxy, what the
    proxy's X-Forwarded-For says when the proxy is trusted: docs/ACCESS.md), or
    ``localhost`` for a browser on the server itself (Streamlit gives None there) or
    when there is no real connection (AppTest gives a mock object)."""
    address = st.context.ip_address
    return address if isinstance(address, str) and address else "localhost"


def sign_in_page() -> None:
    """The only page a signed-out visitor can open: fields User and Password, button
    Sign in."""
    st.title("PAII")
    st.caption("Satellite evidence for crop insurers and ESG analysts. Sign in to continue.")
    note = st.session_state.pop(_NOTE, None)
    if note:
        st.info(note, icon=":material/lock_clock:")
    with st.form("sign_in"):
        user = st.text_input("User", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            # The Argon2 check runs outside the bookkeeping lock (every page's store
            # read waits on it); only the decision's writes take it.
            principal = authenticate(
                connection(), user, password, writes=bookkeeping_write, client=client_address()
            )
            with bookkeeping_write():
                token = open_session(connection(), principal, client=client_address())
        except PaiiError as e:
            show_error(e)
            return
        st.session_state[_PRINCIPAL] = principal
        st.session_state[_LAST_SEEN] = st.session_state[_SIGNED_IN_AT] = _now()
        st.session_state[_TOUCHED] = _now()
        st.session_state[_TOKEN] = st.session_state[_COOKIE_OUT] = token
        st.rerun()
    st.caption(
        "No account, or a forgotten password? An administrator creates one or resets it "
        "on the Admin page (or `paii users add` / `paii users reset-password`)."
    )


def must_change_password(principal: Principal) -> bool:
    """Whether ``principal`` signed in with a one-time password that must be replaced."""
    row = acc_store.user_row(connection(), principal.user)
    return bool(row and row["must_change_password"])


def change_password_page() -> None:
    """Shown instead of every page until a one-time password has been replaced."""
    principal = st.session_state[_PRINCIPAL]
    st.title("Choose your password")
    st.caption(f"{principal.user} signed in with a one-time password; choose your own.")
    with st.form("change_password"):
        old = st.text_input("Current password", type="password")
        new = st.text_input("New password", type="password")
        again = st.text_input("New password again", type="password")
        submitted = st.form_submit_button("Change password", type="primary")
    if submitted:
        if new != again:
            st.error("The two new passwords differ; type the same one twice.")
            return
        try:
            change_password(
                connection(), principal.user, old, new, keep=st.session_state.get(_TOKEN)
            )
        except PaiiError as e:
            show_error(e)
            return
        st.rerun()


def account_box(principal: Principal) -> None:
    """Who is signed in, and the sign-out button (in the sidebar)."""
    st.caption(f"Signed in as **{principal.user}** ({principal.role.replace('_', ' ')})")
    if st.button("Sign out", key="sign_out"):
        sign_out(reason=SIGNED_OUT)
        st.rerun()


def signed_in() -> Principal | None:
    """The principal app.py validated for this run (None when a page runs alone, as in a
    test without sign-in: the store then refuses policy data)."""
    principal = st.session_state.get(_PRINCIPAL)
    return principal if isinstance(principal, Principal) else None


def audit(action: str, entity: str, entity_id: str, **detail: object) -> None:
    """Append what the signed-in user did (a view of evidence, an export) to the audit
    trail; a failure to audit is shown, never hidden."""
    principal = signed_in()
    try:
        with bookkeeping_write():
            store.log_event(
                connection(), actor=principal.user if principal else "(signed out)",
                action=action, entity=entity, entity_id=entity_id, detail=detail,
            )  # fmt: skip
    except PaiiError as e:
        show_error(e)


def audit_once(action: str, entity: str, entity_id: str, **detail: object) -> None:
    """:func:`audit`, once per session and (action, entity id): reruns of a page that
    shows the same evidence are one view, not dozens."""
    seen = st.session_state.setdefault("_paii_audited", set())
    key = (action, entity, entity_id)
    if key in seen:
        return
    seen.add(key)
    audit(action, entity, entity_id, **detail)
