"""AppTest of the sign-in form: the page hands the client's address to the engine."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from paii_core import store
from paii_core.config import paths
from tests.conftest import REPO


def test_a_failed_sign_in_is_audited_with_the_client_address(tiny_world):
    """The throttle per client needs the address: Streamlit gives None for a browser on
    the server itself, recorded as 'localhost' (AppTest has no connection either)."""
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    next(t for t in at.text_input if t.label == "User").input("nosuchuser")
    next(t for t in at.text_input if t.label == "Password").input("guess guess guess")
    at = next(b for b in at.button if b.label == "Sign in").click().run()
    assert not at.exception, at.exception
    assert "user or password is wrong" in at.error[0].value
    con = store.connect(paths().database)
    try:
        detail = con.execute(
            "SELECT detail FROM audit WHERE action = 'sign-in failed' AND entity_id = ? "
            "ORDER BY event_id DESC LIMIT 1",
            ["nosuchuser"],
        ).fetchone()[0]
    finally:
        con.close()
    assert json.loads(detail) == {"reason": "unknown user", "client": "localhost"}
