"""AppTest of the Admin page: an administrator disables, enables and resets accounts."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from paii_core import store
from paii_core.access import add_user, authenticate
from paii_core.config import paths
from paii_core.store import access as acc_store
from tests.conftest import REPO, sign_in_app


def _admin_app() -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    sign_in_app(at, "admin")
    at.run()
    at.switch_page("views/admin_page.py")
    return at.run()


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def test_admin_resets_a_forgotten_password_and_enables_an_account(tiny_world):
    con = store.connect(paths().database)
    try:
        if acc_store.user_row(con, "forgetful") is None:
            add_user(con, "forgetful", "underwriter", "the forgotten one", created_by="test")
    finally:
        con.close()
    at = _admin_app()
    assert not at.exception, at.exception
    account = next(s for s in at.selectbox if s.label == "Account")
    account.set_value("forgetful")
    at = _button(at, "Disable").click().run()
    assert not at.exception, at.exception
    assert "Disabled forgetful" in at.success[0].value
    assert "forgetful (disabled)" in next(s for s in at.selectbox if s.label == "Account").options

    whose = next(s for s in at.selectbox if s.label == "Account ")
    whose.set_value("forgetful")
    short = next(t for t in at.text_input if t.label == "One-time password")
    short.input("short")
    at = _button(at, "Reset password").click().run()
    assert not at.exception, at.exception
    assert "at least" in at.error[0].value  # the page shows the error, nothing changed

    next(s for s in at.selectbox if s.label == "Account ").set_value("forgetful")
    next(t for t in at.text_input if t.label == "One-time password").input("a one-time phrase")
    at = _button(at, "Reset password").click().run()
    assert "Reset the password of forgetful" in at.success[0].value
    next(s for s in at.selectbox if s.label == "Account").set_value("forgetful")
    at = _button(at, "Enable").click().run()
    assert "Enabled forgetful" in at.success[0].value

    con = store.connect(paths().database)
    try:
        assert authenticate(con, "forgetful", "a one-time phrase").user == "forgetful"
        assert acc_store.user_row(con, "forgetful")["must_change_password"]
    finally:
        con.close()


def test_admin_changes_a_role_and_the_trail_keeps_before_and_after(tiny_world):
    con = store.connect(paths().database)
    try:
        if acc_store.user_row(con, "promoted") is None:
            add_user(con, "promoted", "esg_analyst", "a long passphrase", created_by="test")
    finally:
        con.close()
    at = _admin_app()
    assert not at.exception, at.exception
    next(s for s in at.selectbox if s.label == "Account  ").set_value("promoted")
    next(s for s in at.selectbox if s.label == "New role").set_value("underwriter")
    at = _button(at, "Change role").click().run()
    assert not at.exception, at.exception
    assert "promoted is now underwriter" in at.success[0].value
    con = store.connect(paths().database)
    try:
        assert acc_store.user_row(con, "promoted")["role"] == "underwriter"
        detail = con.execute(
            "SELECT detail FROM audit WHERE action = 'role change' AND entity_id = 'promoted'"
        ).fetchone()[0]
    finally:
        con.close()
    assert '"before": "esg_analyst"' in detail and '"after": "underwriter"' in detail


def test_the_page_itself_refuses_anyone_but_an_admin(tiny_world):
    """The navigation hides the page from other roles; run on its own (a stale session,
    a role changed since), it refuses before listing or changing any account."""
    for role in (None, "underwriter", "esg_analyst"):
        at = AppTest.from_file(str(REPO / "views" / "admin_page.py"), default_timeout=120)
        if role:
            sign_in_app(at, role)
        at.run()
        assert not at.exception, at.exception
        assert at.error and (
            "may not see admin" in at.error[0].value or "sign in first" in at.error[0].value
        )
        assert not at.dataframe and not at.button


def test_a_cut_audit_trail_says_so(tiny_world, monkeypatch):
    """The trail shows and exports the newest AUDIT_LIMIT events; before, an admin
    exporting it was not told that older matching events were left out."""
    monkeypatch.setattr(acc_store, "AUDIT_LIMIT", 2)
    at = _admin_app()
    assert not at.exception, at.exception
    assert next(d.value for d in at.dataframe if "action" in d.value.columns).shape[0] == 2
    assert any("Only the newest 2 events are shown and exported" in w.value for w in at.warning)


def test_the_page_shows_the_audit_chain_and_its_first_broken_link(tiny_world):
    """The audit trail is a hash chain: the page says it holds and from which event; an
    event edited in the database file is named, with its time."""
    at = _admin_app()
    assert not at.exception, at.exception
    assert any("Hash chain intact:" in c.value and "chain starts at event" in c.value
               for c in at.caption)  # fmt: skip
    con = store.connect(paths().database)
    try:
        event_id, when, actor = con.execute(
            'SELECT event_id, "at", actor FROM audit ORDER BY event_id DESC LIMIT 1'
        ).fetchone()
        con.execute("UPDATE audit SET actor = 'someone else' WHERE event_id = ?", [event_id])
        at = _admin_app()
        assert not at.exception, at.exception
        # The sign-in of _admin_app adds no event (it sets the session directly), so the
        # edited event is still the chain's first broken link.
        broken = [e.value for e in at.error if "hash chain is broken" in e.value]
        assert broken and f"at event {event_id} ({when:%Y-%m-%d %H:%M:%S} UTC)" in broken[0]
        assert "content does not match its hash (edited)" in broken[0]
    finally:
        con.execute("UPDATE audit SET actor = ? WHERE event_id = ?", [actor, event_id])
        con.close()
    at = _admin_app()
    assert not [e for e in at.error if "hash chain" in e.value]


def test_admin_lifts_the_throttle_of_a_client_address(tiny_world, monkeypatch):
    """An office behind one address that mistyped too often: the page lists the address
    with its failures and lifts its throttle (audited)."""
    import pytest

    from paii_core.access import signin
    from paii_core.errors import AuthenticationError

    monkeypatch.setattr(signin, "CLIENT_MAX_FAILURES", 2)
    con = store.connect(paths().database)
    try:
        for name in ("office1", "office2"):
            with pytest.raises(AuthenticationError):
                authenticate(con, name, "mistyped again", client="203.0.113.50")
    finally:
        con.close()
    at = _admin_app()
    assert not at.exception, at.exception
    form = next(m.value for m in at.markdown if "refused after failed sign-ins" in m.value)
    assert form
    assert any("203.0.113.50 (2 failures, until" in c.value for c in at.caption)
    next(s for s in at.selectbox if s.label == "Address").set_value("203.0.113.50")
    at = _button(at, "Lift throttle").click().run()
    assert not at.exception, at.exception
    assert "Lifted the throttle of 203.0.113.50" in at.success[0].value
    assert not any(s.label == "Address" for s in at.selectbox)  # none throttled now
    con = store.connect(paths().database)
    try:
        assert signin.throttled_clients(con).empty
        (actor,) = con.execute(
            "SELECT actor FROM audit WHERE action = 'client throttle lifted' "
            "AND entity_id = '203.0.113.50'"
        ).fetchone()
        assert actor == "test-admin"
    finally:
        con.close()


def test_admin_ends_an_accounts_sign_ins_and_sees_them_counted(tiny_world):
    from paii_core.access import open_session

    con = store.connect(paths().database)
    try:
        if acc_store.user_row(con, "roaming") is None:
            add_user(con, "roaming", "underwriter", "a roaming passphrase", created_by="test")
        for _ in range(2):
            open_session(con, authenticate(con, "roaming", "a roaming passphrase"))
    finally:
        con.close()
    at = _admin_app()
    assert not at.exception, at.exception
    table = next(d for d in at.dataframe if "open_sign_ins" in d.value.columns).value
    assert table.set_index("user_name").loc["roaming", "open_sign_ins"] == 2
    next(s for s in at.selectbox if s.label == "Account   ").set_value("roaming")
    at = _button(at, "Sign out everywhere").click().run()
    assert not at.exception, at.exception
    assert "Ended 2 sign-ins of roaming" in at.success[0].value
    table = next(d for d in at.dataframe if "open_sign_ins" in d.value.columns).value
    assert table.set_index("user_name").loc["roaming", "open_sign_ins"] == 0
