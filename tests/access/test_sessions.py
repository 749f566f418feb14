"""Sign-ins that survive a page reload: a token in the browser's cookie, its digest in
the store, resumed only while the account and the sign-in are live."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from paii_core import store
from paii_core.access import (
    Principal,
    add_user,
    authenticate,
    change_password,
    disable_user,
    end_session,
    ended_reason,
    is_token,
    open_session,
    open_sign_ins,
    reset_password,
    resume_session,
    set_role,
    sign_out_everywhere,
)
from paii_core.access.sessions import KEEP_ENDED
from paii_core.errors import AccessDeniedError, ValidationError

PASSWORD = "correct horse battery"
LIMITS = {"idle": timedelta(hours=8), "limit": timedelta(hours=12)}


@pytest.fixture()
def con(tmp_path):
    c = store.connect(tmp_path / "paii.duckdb")
    add_user(c, "ann", "underwriter", PASSWORD, created_by="test")
    yield c
    c.close()


def _sign_in(con, user: str = "ann") -> str:
    principal = authenticate(con, user, PASSWORD, client="10.0.0.7")
    return open_session(con, principal, client="10.0.0.7")


def _age(con, *, began: timedelta = timedelta(0), seen: timedelta = timedelta(0)) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    con.execute(
        "UPDATE web_sessions SET signed_in_at = ?, last_seen = ?", [now - began, now - seen]
    )


def test_a_token_resumes_its_sign_in_and_the_resume_is_audited(con):
    token = _sign_in(con)
    assert is_token(token)
    resumed = resume_session(con, token, **LIMITS, client="10.0.0.8")
    assert resumed.principal == Principal("ann", "underwriter")
    row = con.execute("SELECT signed_in_at FROM web_sessions").fetchone()
    assert resumed.signed_in_at == row[0]  # the session limit counts from the sign-in
    event = con.execute(
        "SELECT actor, action, detail->>'client' FROM audit ORDER BY event_id DESC LIMIT 1"
    ).fetchone()
    assert event == ("ann", "session resume", "10.0.0.8")


def test_the_store_holds_the_tokens_digest_never_the_token(con):
    token = _sign_in(con)
    for table in ("web_sessions", "audit", "users"):
        text = str(con.execute(f"SELECT * FROM {table}").fetchall())
        assert token not in text, table


@pytest.mark.parametrize(
    "token", [None, "", "x" * 43 + "'", "short", "A" * 43, "<script>" + "a" * 35]
)
def test_no_token_or_one_no_sign_in_has_resumes_nothing(con, token):
    _sign_in(con)
    assert resume_session(con, token, **LIMITS) is None


def test_a_signed_out_token_is_refused_for_good(con):
    token = _sign_in(con)
    end_session(con, token, "signed out")
    with pytest.raises(AccessDeniedError, match=r"has ended \(signed out\)"):
        resume_session(con, token, **LIMITS)


def test_an_idle_sign_in_expires_and_stays_ended(con):
    token = _sign_in(con)
    _age(con, began=timedelta(hours=9), seen=timedelta(hours=8, minutes=1))
    with pytest.raises(AccessDeniedError, match="expired after being idle"):
        resume_session(con, token, **LIMITS)
    _age(con)  # even if it were seen again, the ended sign-in stays ended
    with pytest.raises(AccessDeniedError, match="has ended"):
        resume_session(con, token, **LIMITS)


def test_a_busy_sign_in_ends_at_the_session_limit(con):
    token = _sign_in(con)
    _age(con, began=timedelta(hours=12, minutes=1), seen=timedelta(minutes=1))
    with pytest.raises(AccessDeniedError, match="limit of 12 h"):
        resume_session(con, token, **LIMITS)


def test_disabling_the_account_ends_its_sign_ins(con):
    add_user(con, "root", "admin", PASSWORD, created_by="test")
    token = _sign_in(con)
    disable_user(con, "ann", actor="root")
    with pytest.raises(AccessDeniedError, match=r"has ended \(account disabled\)"):
        resume_session(con, token, **LIMITS)


def test_a_disabled_account_cannot_resume_even_if_its_sign_in_were_open(con):
    token = _sign_in(con)
    con.execute("UPDATE users SET disabled = true")  # by hand, as a stale store could be
    with pytest.raises(AccessDeniedError, match="disabled or gone"):
        resume_session(con, token, **LIMITS)


def test_a_password_reset_ends_every_sign_in(con):
    token = _sign_in(con)
    reset_password(con, "ann", "a one-time phrase", actor="root")
    with pytest.raises(AccessDeniedError, match=r"has ended \(password reset\)"):
        resume_session(con, token, **LIMITS)


def test_changing_ones_password_ends_the_other_sign_ins_only(con):
    here, elsewhere = _sign_in(con), _sign_in(con)
    change_password(con, "ann", PASSWORD, "a better passphrase", keep=here)
    assert resume_session(con, here, **LIMITS).principal.user == "ann"
    with pytest.raises(AccessDeniedError, match=r"has ended \(password changed\)"):
        resume_session(con, elsewhere, **LIMITS)


def test_a_resumed_sign_in_has_the_role_the_store_holds_now(con):
    add_user(con, "root", "admin", PASSWORD, created_by="test")
    token = _sign_in(con)
    set_role(con, "ann", "esg_analyst", actor="root")
    assert resume_session(con, token, **LIMITS).principal == Principal("ann", "esg_analyst")


def test_ended_reason_says_why_a_sign_in_ended(con):
    token = _sign_in(con)
    assert ended_reason(con, token) is None
    end_session(con, token, "signed out")
    assert ended_reason(con, token) == "signed out"
    assert ended_reason(con, "A" * 43) is None


def test_old_sign_ins_are_pruned_when_a_new_one_opens(con):
    _sign_in(con)
    _age(con, began=KEEP_ENDED + timedelta(hours=1))
    _sign_in(con)
    assert con.execute("SELECT count(*) FROM web_sessions").fetchone()[0] == 1


def test_an_administrator_ends_every_sign_in_of_an_account_it_stays_usable(con):
    add_user(con, "bob", "underwriter", PASSWORD, created_by="test")
    laptop, desk, bobs = _sign_in(con), _sign_in(con), _sign_in(con, "bob")
    assert open_sign_ins(con).set_index("user_name")["open_sign_ins"].to_dict() == {
        "ann": 2, "bob": 1,
    }  # fmt: skip
    assert sign_out_everywhere(con, "Ann", actor="root") == 2
    for token in (laptop, desk):
        with pytest.raises(AccessDeniedError, match="ended by an administrator"):
            resume_session(con, token, **LIMITS)
    assert resume_session(con, bobs, **LIMITS).principal.user == "bob"
    assert open_sign_ins(con)["user_name"].tolist() == ["bob"]
    assert _sign_in(con)  # the account itself still signs in
    event = con.execute(
        "SELECT actor, action, entity_id, detail->>'ended' FROM audit WHERE action = 'sign-ins end'"
    ).fetchone()
    assert event == ("root", "sign-ins end", "ann", "2")
    with pytest.raises(ValidationError, match="'nobody' does not exist"):
        sign_out_everywhere(con, "nobody", actor="root")


def test_expired_sign_ins_are_not_counted_open(con, monkeypatch):
    monkeypatch.setenv("PAII_SESSION_IDLE_HOURS", "8")
    _sign_in(con)
    _age(con, began=timedelta(hours=9), seen=timedelta(hours=9))
    assert open_sign_ins(con).empty


def test_cli_sign_out_ends_an_accounts_sign_ins(tmp_path, capsys):
    from paii_core.cli import main

    db = tmp_path / "paii.duckdb"
    c = store.connect(db)
    try:
        add_user(c, "mei", "underwriter", PASSWORD, created_by="test")
        token = _sign_in(c, "mei")
    finally:
        c.close()
    assert main(["users", "list", "--db", str(db)]) == 0
    assert "open sign-ins: 1" in capsys.readouterr().out
    assert main(["users", "sign-out", "mei", "--db", str(db)]) == 0
    assert "ended 1 dashboard sign-in of mei" in capsys.readouterr().out
    assert main(["users", "sign-out", "nobody", "--db", str(db)]) != 0
    assert "'nobody' does not exist" in capsys.readouterr().err
    c = store.connect(db)
    try:
        with pytest.raises(AccessDeniedError, match="ended by an administrator"):
            resume_session(c, token, **LIMITS)
    finally:
        c.close()
