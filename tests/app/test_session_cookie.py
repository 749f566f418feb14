"""AppTest of a sign-in that survives a reload: the form's sign-in hands the browser a
token cookie, a new connection presenting it is signed in without the form, and signing
out clears the cookie and ends the token (the browser part: tests/e2e/test_access_browser.py)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from paii_core import store
from paii_core.access import is_token
from paii_core.config import paths
from tests.conftest import REPO, TEST_PASSWORD, sign_up

USER = "cookie-uw"


def _app() -> AppTest:
    return AppTest.from_file(str(REPO / "app.py"), default_timeout=120)


def _cookie_scripts(at: AppTest) -> list[str]:
    """The bodies of the st.html elements the run drew (the cookie writes)."""
    return [e.proto.body for e in at.get("html") if "document.cookie" in e.proto.body]


def _form_sign_in(user: str = USER) -> AppTest:
    con = store.connect(paths().database)
    try:
        sign_up(con, user, "underwriter")
    finally:
        con.close()
    at = _app().run()
    next(t for t in at.text_input if t.label == "User").input(user)
    next(t for t in at.text_input if t.label == "Password").input(TEST_PASSWORD)
    at = next(b for b in at.button if b.label == "Sign in").click().run()
    assert not at.exception, at.exception
    return at


def _signed_in_as(at: AppTest) -> bool:
    return any(f"Signed in as **{USER}**" in c.value for c in at.sidebar.caption)


def test_the_form_sign_in_sets_the_token_cookie_once(tiny_world):
    at = _form_sign_in()
    token = at.session_state["_paii_session_token"]
    assert is_token(token)
    assert _signed_in_as(at)
    (script,) = _cookie_scripts(at)
    assert f"paii_session={token}; Path=/; SameSite=Strict" in script
    at = at.run()  # written once, not on every rerun
    assert _cookie_scripts(at) == []


def test_a_reload_presenting_the_cookie_is_signed_in_without_the_form(tiny_world, monkeypatch):
    token = _form_sign_in().session_state["_paii_session_token"]
    monkeypatch.setattr("ui.auth._cookie_token", lambda: token)
    at = _app().run()  # a new connection: empty session state, the cookie presented
    assert not at.exception, at.exception
    assert _signed_in_as(at)
    assert not any(b.label == "Sign in" for b in at.button)


def test_signing_out_clears_the_cookie_and_the_tab_does_not_resume_it(tiny_world, monkeypatch):
    token = _form_sign_in().session_state["_paii_session_token"]
    monkeypatch.setattr("ui.auth._cookie_token", lambda: token)
    at = _app().run()
    at = at.button(key="sign_out").click().run()
    assert not at.exception, at.exception
    assert any(b.label == "Sign in" for b in at.button)  # the tab still holds the cookie
    (script,) = _cookie_scripts(at)
    assert "paii_session=; Path=/; SameSite=Strict; Max-Age=0" in script
    # Another tab or a reload presenting the ended token: the sign-in form, saying why.
    at = _app().run()
    assert any(b.label == "Sign in" for b in at.button)
    assert any("has ended (signed out)" in i.value for i in at.info)
    assert len(_cookie_scripts(at)) == 1  # cleared there too


def test_a_sign_out_in_another_tab_ends_this_one_at_its_next_step(tiny_world, monkeypatch):
    """Both tabs present the same cookie; before, the other tab stayed signed in."""
    token = _form_sign_in().session_state["_paii_session_token"]
    monkeypatch.setattr("ui.auth._cookie_token", lambda: token)
    first, second = _app().run(), _app().run()
    assert _signed_in_as(first) and _signed_in_as(second)
    first.button(key="sign_out").click().run()
    second = second.run()
    assert not second.exception, second.exception
    assert any(b.label == "Sign in" for b in second.button)
    assert any("you signed out in another tab" in i.value for i in second.info)


def test_an_administrators_password_reset_ends_an_open_tab(tiny_world, monkeypatch):
    """A reset is how an administrator answers a stolen password: the thief's open tab
    must end too, not only new sign-ins."""
    from paii_core.access import reset_password

    at = _form_sign_in("cookie-reset")  # its own account: the reset changes the password
    con = store.connect(paths().database)
    try:
        reset_password(con, "cookie-reset", "a one-time phrase", actor="test-admin")
    finally:
        con.close()
    at = at.run()
    assert any(b.label == "Sign in" for b in at.button)
    assert any("an administrator reset this account's password" in i.value for i in at.info)
