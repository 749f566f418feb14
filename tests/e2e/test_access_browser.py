"""Policyholder data behind sign-in and roles, in a real browser: a signed-out visitor and
an ESG analyst see no policy id, insured name or export on any page, by navigation, URL or
query parameter; an underwriter does."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import ARTIFACTS, sign_in

pytestmark = pytest.mark.e2e

PATHS = (
    "", "insurance", "flood", "yield", "carbon", "imagery", "crop-labels", "admin", "data",
    "insurance?policy=PA-HA-0001", "?page=insurance&role=underwriter", "sign-in?user=uw",
)  # fmt: skip


def _settled(page) -> None:
    """Wait until the Streamlit script has finished this run."""
    page.wait_for_timeout(800)
    page.get_by_test_id("stStatusWidget").wait_for(state="hidden", timeout=120_000)


def _assert_no_policy_data(page, identities, where: str) -> None:
    text = page.locator("body").inner_text()
    shown = [
        p for p, name in identities
        if p in text or (name and re.search(rf"\b{re.escape(name)}\b", text))
    ]  # fmt: skip
    assert not shown, f"{where}: policy data visible: {shown[:3]}"
    for word in ("Portfolio review CSV", "Policies hit", "Insured"):
        assert word not in text, f"{where}: {word!r} is shown"


def test_signed_out_visitor_sees_only_the_sign_in_form(page, streamlit_server, policy_identities):
    for path in PATHS:
        page.goto(f"{streamlit_server}/{path}")
        page.get_by_role("button", name="Sign in").wait_for()
        _settled(page)
        _assert_no_policy_data(page, policy_identities, f"signed out /{path}")
        assert page.get_by_test_id("stDownloadButton").count() == 0
        assert page.get_by_test_id("stSidebarNav").count() == 0, "navigation shown signed out"
    page.screenshot(path=str(ARTIFACTS / "sign_in.png"))


def test_wrong_password_is_refused(page, streamlit_server):
    page.goto(streamlit_server)
    page.get_by_label("User", exact=True).fill("uw")
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("user or password is wrong").wait_for()


LINKS = ("Flood", "Yield", "Carbon", "Imagery", "Crop labels", "Data")
"""The pages an ESG analyst's sidebar offers, opened by their links in one session."""


def test_esg_analyst_sees_no_policy_data_anywhere(page, streamlit_server, policy_identities):
    sign_in(page, streamlit_server, "esg")
    nav = page.get_by_test_id("stSidebarNav")
    for hidden in ("Insurance", "Admin"):
        assert nav.get_by_role("link", name=hidden, exact=True).count() == 0
    for link in LINKS:
        nav.get_by_role("link", name=link, exact=True).click()
        _settled(page)
        _assert_no_policy_data(page, policy_identities, f"esg_analyst {link}")
    # Each URL in a new page load: a new session, signed in again from the browser's
    # cookie, landing where the URL asked (a path the role may not open shows Streamlit's
    # "page not found" dialog over the default page: close it).
    for path in (p for p in PATHS if p.replace("-", " ") not in {x.lower() for x in LINKS}):
        page.goto(f"{streamlit_server}/{path}")
        page.get_by_text("Signed in as esg").first.wait_for()
        page.keyboard.press("Escape")
        _settled(page)
        _assert_no_policy_data(page, policy_identities, f"esg_analyst /{path}")
    page.screenshot(path=str(ARTIFACTS / "esg_analyst.png"), full_page=True)


def test_underwriter_sees_the_portfolio(page, streamlit_server, policy_identities):
    sign_in(page, streamlit_server, "uw", path="insurance")
    page.get_by_text("Portfolio review CSV").first.wait_for(timeout=120_000)
    text = page.locator("body").inner_text()
    assert any(p in text for p, _ in policy_identities)


def test_admin_sees_the_audit_chain_hold(page, streamlit_server):
    """The Admin page verifies the audit trail's hash chain on the server's own store
    (its events from this session's sign-ins included) and says where it starts."""
    sign_in(page, streamlit_server, "root")
    page.get_by_test_id("stSidebar").get_by_role("link", name="Admin").click()
    line = page.get_by_text("Hash chain intact:")
    line.wait_for(timeout=120_000)
    assert "the chain starts at event" in line.inner_text()
    assert page.get_by_text("hash chain is broken").count() == 0


def _cookie(page) -> list[dict]:
    return [c for c in page.context.cookies() if c["name"] == "paii_session"]


def test_a_sign_in_survives_a_reload_and_a_second_tab_until_sign_out(page, streamlit_server):
    """Before, a reload (or a second tab) showed the sign-in form again."""
    sign_in(page, streamlit_server, "uw")
    (cookie,) = _cookie(page)
    assert cookie["sameSite"] == "Strict" and cookie["expires"] == -1  # a session cookie
    page.reload()
    page.get_by_text("Signed in as uw").first.wait_for()
    assert page.get_by_role("button", name="Sign in").count() == 0
    other = page.context.new_page()
    other.goto(f"{streamlit_server}/flood")
    other.get_by_text("Signed in as uw").first.wait_for()
    page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Sign in").wait_for()
    _settled(page)
    assert _cookie(page) == []
    page.reload()
    page.get_by_role("button", name="Sign in").wait_for()
    # The other tab, still connected, ends at its next step and says why.
    other.get_by_test_id("stSidebar").get_by_role("link", name="Home").click()
    other.get_by_text("you signed out in another tab or window").wait_for()
    page.screenshot(path=str(ARTIFACTS / "signed_out_elsewhere.png"))


def test_a_browser_without_the_cookie_must_sign_in(page, streamlit_server):
    """Another browser (no cookie) gets the form while this one is signed in."""
    sign_in(page, streamlit_server, "uw")
    fresh = page.context.browser.new_context()
    try:
        other = fresh.new_page()
        other.goto(streamlit_server)
        other.get_by_role("button", name="Sign in").wait_for()
        assert other.get_by_text("Signed in as").count() == 0
    finally:
        fresh.close()
