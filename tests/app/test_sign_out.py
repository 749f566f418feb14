"""AppTest of signing out: the session forgets what it kept for the signed-in user."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from streamlit.testing.v1 import AppTest

from tests.conftest import REPO, sign_in_app

KEPT = {
    "ins_pdf": ("PA-HA-0001|2020-10-31", b"%PDF- a policy report"),
    "_paii_audited": {("view policy evidence", "policies", "PA-HA-0001")},
    "flood_upload": "an uploaded chip's result",
}


def _signed_in() -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    sign_in_app(at, "underwriter")
    at.run()
    assert not at.exception, at.exception
    for key, value in KEPT.items():
        at.session_state[key] = value
    return at


def _kept(at: AppTest) -> list[str]:
    return [k for k in KEPT if k in at.session_state]


def test_sign_out_forgets_the_sessions_policy_report_and_audited_views(tiny_world):
    """Before, only the principal went: the next person signing in in the same tab found
    the last user's report PDF in the session, and their own evidence views of the same
    policies were never audited (audit_once thought them seen)."""
    at = _signed_in()
    at = at.button(key="sign_out").click().run()
    assert not at.exception, at.exception
    assert "_paii_principal" not in at.session_state
    assert _kept(at) == []
    assert any(b.label == "Sign in" for b in at.button)


def test_an_idle_session_forgets_it_too(tiny_world):
    at = _signed_in()
    at.session_state["_paii_last_seen"] = datetime.now(UTC).replace(tzinfo=None) - timedelta(
        hours=9
    )
    at = at.run()
    assert not at.exception, at.exception
    assert _kept(at) == []
    assert any("expired after being idle" in i.value for i in at.info)


def test_a_busy_session_still_ends_at_its_limit(tiny_world, monkeypatch):
    """Idle expiry alone let a tab kept active stay signed in for ever."""
    monkeypatch.setenv("PAII_SESSION_MAX_HOURS", "12")
    at = _signed_in()
    now = datetime.now(UTC).replace(tzinfo=None)
    at.session_state["_paii_signed_in_at"] = now - timedelta(hours=13)
    at.session_state["_paii_last_seen"] = now  # active a moment ago
    at = at.run()
    assert not at.exception, at.exception
    assert "_paii_principal" not in at.session_state and _kept(at) == []
    assert any("reached its limit of 12 h" in i.value for i in at.info)
