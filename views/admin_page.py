"""Admin: accounts (add, disable, enable, reset a password, end their sign-ins), client
addresses throttled after failed sign-ins, and the audit trail with its export."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import streamlit as st

from paii_core.access import (
    CLIENT_MAX_FAILURES,
    ROLES,
    Principal,
    add_user,
    audit_chain_state,
    audit_trail,
    disable_user,
    enable_user,
    lift_client_throttle,
    list_users,
    open_sign_ins,
    require,
    reset_password,
    set_role,
    sign_out_everywhere,
    throttled_clients,
)
from paii_core.errors import PaiiError
from paii_core.store import access as acc_store
from paii_core.store.audit_chain import ChainState
from paii_core.text import count
from ui.auth import audit, signed_in
from ui.common import connection, show_error, store_state

st.title("Admin")
st.caption("Accounts and roles, and the append-only audit trail of what people did.")


@st.cache_data(show_spinner="Checking the audit trail's hash chain", max_entries=4)
def _chain(state: tuple, _principal: Principal) -> ChainState:
    """The chain's state for the store as it is (``state``: the file's and its log's
    size and times, which any change moves): the whole trail is re-hashed only then
    (about 30 us per event)."""
    return audit_chain_state(connection(), _principal)


try:
    con = connection()
    # app.py lists this page for admins only; the page checks again (re-reading the
    # account's role) before it shows or changes any account.
    principal = require(con, signed_in(), "admin")
    users = list_users(con).merge(open_sign_ins(con), on="user_name", how="left")
    users["open_sign_ins"] = users["open_sign_ins"].fillna(0).astype(int)
    throttled = throttled_clients(con)
except PaiiError as e:
    show_error(e)
    st.stop()

st.subheader("Accounts")
st.dataframe(
    users,
    hide_index=True,
    width="stretch",
    column_config={
        "user_name": "user",
        "locked_until": st.column_config.DatetimeColumn("locked until (UTC)"),
        "failed_attempts": "failed sign-ins",
        "created_at": st.column_config.DatetimeColumn("created (UTC)"),
        "created_by": "created by",
        "last_sign_in": st.column_config.DatetimeColumn("last sign-in (UTC)"),
        "open_sign_ins": st.column_config.NumberColumn(
            "open sign-ins", help="Browsers signed in now (reloads and tabs of one count once)"
        ),
        "last_active": st.column_config.DatetimeColumn("last active (UTC)"),
    },
)
left, middle, right = st.columns(3)
with left, st.form("admin_add_user", clear_on_submit=True):
    st.markdown("**Add an account**")
    name = st.text_input("New user")
    role = st.selectbox("Role", ROLES, format_func=lambda r: r.replace("_", " "))
    password = st.text_input("Initial password", type="password")
    added = st.form_submit_button("Add account")
if added:
    try:
        created = add_user(con, name, role, password, created_by=principal.user)
        st.session_state["admin_done"] = f"Created {created} ({role})."
        st.rerun()
    except PaiiError as e:
        show_error(e)
others = users.loc[users["user_name"] != principal.user]
is_disabled = dict(zip(others["user_name"], others["disabled"], strict=True))
with middle, st.form("admin_disable_user"):
    st.markdown("**Disable or enable an account**")
    target = st.selectbox(
        "Account",
        list(others["user_name"]),
        index=None,
        placeholder="choose",
        format_func=lambda u: f"{u} (disabled)" if is_disabled[u] else u,
    )
    disabled = st.form_submit_button("Disable")
    enabled = st.form_submit_button("Enable")
if (disabled or enabled) and target:
    try:
        if disabled:
            disable_user(con, target, actor=principal.user)
            st.session_state["admin_done"] = f"Disabled {target}; their sessions end at once."
        else:
            enable_user(con, target, actor=principal.user)
            st.session_state["admin_done"] = f"Enabled {target}; they can sign in again."
        st.rerun()
    except PaiiError as e:
        show_error(e)
with right, st.form("admin_reset_password", clear_on_submit=True):
    st.markdown("**Reset a forgotten password**")
    whose = st.selectbox("Account ", list(others["user_name"]), index=None, placeholder="choose")
    one_time = st.text_input("One-time password", type="password")
    reset = st.form_submit_button("Reset password")
    st.caption("They must choose their own at the next sign-in; a lock-out is lifted.")
if reset and whose:
    try:
        reset_password(con, whose, one_time, actor=principal.user)
        st.session_state["admin_done"] = (
            f"Reset the password of {whose}; give them the one-time password yourself."
        )
        st.rerun()
    except PaiiError as e:
        show_error(e)
role_col, out_col = st.columns(2)
with role_col, st.form("admin_set_role"):
    st.markdown("**Change a role**")
    r1, r2 = st.columns(2)
    whom = r1.selectbox("Account  ", list(others["user_name"]), index=None, placeholder="choose")
    new_role = r2.selectbox("New role", ROLES, format_func=lambda r: r.replace("_", " "))
    changed = st.form_submit_button("Change role")
    st.caption("Takes effect at their next page load; the audit trail keeps before and after.")
with out_col, st.form("admin_sign_out"):
    st.markdown("**End an account's sign-ins**")
    gone = st.selectbox("Account   ", list(others["user_name"]), index=None, placeholder="choose")
    ended = st.form_submit_button("Sign out everywhere")
    st.caption("A lost laptop, a tab left open on a shared computer: the account stays usable.")
if ended and gone:
    try:
        n = sign_out_everywhere(con, gone, actor=principal.user)
        st.session_state["admin_done"] = (
            f"Ended {count(n, 'sign-in')} of {gone}; their open tabs ask for the password."
        )
        st.rerun()
    except PaiiError as e:
        show_error(e)
if changed and whom:
    try:
        set_role(con, whom, new_role, actor=principal.user)
        st.session_state["admin_done"] = f"{whom} is now {new_role.replace('_', ' ')}."
        st.rerun()
    except PaiiError as e:
        show_error(e)
if not throttled.empty:
    with st.form("admin_lift_throttle"):
        st.markdown("**Client addresses refused after failed sign-ins**")
        st.caption(
            f"An address is refused after {CLIENT_MAX_FAILURES} failed sign-ins (any names) "
            "within 15 min, until the oldest is 15 min old: "
            + "; ".join(
                f"{r.client} ({r.failures} failures, until {r.until:%H:%M} UTC)"
                for r in throttled.itertuples()
            )
            + ". Lift it for an office that mistyped, not for an address you do not know."
        )
        address = st.selectbox(
            "Address", list(throttled["client"]), index=None, placeholder="choose"
        )
        lift = st.form_submit_button("Lift throttle")
    if lift and address:
        try:
            failures = lift_client_throttle(con, address, actor=principal.user)
            st.session_state["admin_done"] = (
                f"Lifted the throttle of {address}: its {failures} failures stop counting."
            )
            st.rerun()
        except PaiiError as e:
            show_error(e)
if "admin_done" in st.session_state:
    st.success(st.session_state.pop("admin_done"))

st.subheader("Audit trail")
try:
    chain = _chain(store_state(), principal)
except PaiiError as e:
    show_error(e)
    st.stop()
if chain.intact:
    st.caption(
        f":material/verified: Hash chain {chain.summary()}. Head `{chain.anchor}`: keep it "
        "outside the server; `paii audit verify --anchor` with it later also shows a trail "
        "cut short or rewritten."
    )
else:
    st.error(
        f"The audit trail's hash chain is {chain.summary()}. The trail was changed outside "
        "PAII, by someone with the database file: keep a copy of the file as evidence and "
        "compare it with a backup; `paii audit verify` repeats this check.",
        icon=":material/gpp_bad:",
    )
c1, c2, c3 = st.columns(3)
actor = c1.selectbox("User", [None, *users["user_name"]], format_func=lambda u: u or "anyone")
action = c2.text_input("Action starts with", placeholder="e.g. sign-in, review, export")
days = c3.number_input("Last days", min_value=1, max_value=3650, value=30)
since = datetime.combine(datetime.now(UTC).date() - timedelta(days=int(days)), time())
try:
    trail = audit_trail(con, principal, actor=actor, action=action.strip(), since=since)
except PaiiError as e:
    show_error(e)
    st.stop()
st.caption(f"{len(trail)} event(s), newest first; times in UTC.")
if len(trail) >= acc_store.AUDIT_LIMIT:
    st.warning(
        f"Only the newest {acc_store.AUDIT_LIMIT:,} events are shown and exported: older "
        "ones match too. Narrow the days, the user or the action to see them.",
        icon=":material/filter_alt:",
    )
st.dataframe(trail, hide_index=True, width="stretch", key="admin_audit")
st.download_button(
    f"Audit trail CSV ({len(trail)} events)",
    trail.to_csv(index=False).encode(),
    file_name=f"paii_audit_{datetime.now(UTC):%Y%m%d}.csv",
    mime="text/csv",
    on_click=lambda: audit("export audit trail", "audit", "csv", events=len(trail)),
)
