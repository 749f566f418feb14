"""Accounts: Argon2 hashes, roles, sign-in with lock-out, first admin, permission checks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from paii_core import store
from paii_core.access import (
    MAX_FAILURES,
    Principal,
    add_user,
    authenticate,
    change_password,
    disable_user,
    enable_user,
    ensure_first_admin,
    list_users,
    local_operator,
    passwords,
    require,
    reset_password,
    set_role,
)
from paii_core.errors import AccessDeniedError, AuthenticationError, ValidationError
from paii_core.store import access as acc_store

PASSWORD = "correct horse battery"


@pytest.fixture()
def con(tmp_path):
    c = store.connect(tmp_path / "paii.duckdb")
    yield c
    c.close()


def _audit(con) -> list[tuple[str, str]]:
    return con.execute("SELECT actor, action FROM audit ORDER BY event_id").fetchall()


def test_password_is_stored_as_an_argon2id_hash(con):
    add_user(con, "Ann.Lee", "underwriter", PASSWORD, created_by="test")
    row = acc_store.user_row(con, "ann.lee")
    assert row["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in row["password_hash"]
    assert passwords.verify(row["password_hash"], PASSWORD)
    assert not passwords.verify(row["password_hash"], PASSWORD + "!")
    assert not passwords.verify("not a hash", PASSWORD)
    assert ("test", "user add") in _audit(con)


@pytest.mark.parametrize(
    ("name", "role", "password", "match"),
    [
        ("x", "underwriter", PASSWORD, "user name 'x' is not valid"),
        ("bad name", "underwriter", PASSWORD, "is not valid"),
        ("ann", "claims", PASSWORD, "role 'claims' is unknown; use one of: underwriter"),
        ("ann", "admin", "short", "at least 10 characters; it has 5"),
    ],
)
def test_add_user_refuses_bad_input(con, name, role, password, match):
    with pytest.raises(ValidationError, match=match):
        add_user(con, name, role, password, created_by="test")
    assert list_users(con).empty


def test_add_user_refuses_a_taken_name(con):
    add_user(con, "ann", "underwriter", PASSWORD, created_by="test")
    with pytest.raises(ValidationError, match="user 'ann' exists already"):
        add_user(con, "ANN", "admin", PASSWORD, created_by="test")


def test_sign_in_success_and_failure_are_audited(con):
    add_user(con, "ann", "esg_analyst", PASSWORD, created_by="test")
    principal = authenticate(con, " Ann ", PASSWORD)
    assert principal == Principal("ann", "esg_analyst")
    with pytest.raises(AuthenticationError, match="user or password is wrong"):
        authenticate(con, "ann", "wrong password")
    with pytest.raises(AuthenticationError, match="user or password is wrong"):
        authenticate(con, "nobody", PASSWORD)
    actions = _audit(con)
    assert ("ann", "sign-in") in actions
    assert actions.count(("ann", "sign-in failed")) == 1
    assert ("nobody", "sign-in failed") in actions


def test_repeated_failures_lock_the_account(con):
    add_user(con, "ann", "underwriter", PASSWORD, created_by="test")
    for _ in range(MAX_FAILURES):
        with pytest.raises(AuthenticationError, match="wrong"):
            authenticate(con, "ann", "guess guess guess")
    with pytest.raises(AuthenticationError, match="locked after 5 wrong passwords"):
        authenticate(con, "ann", PASSWORD)
    # The lock ends by itself.
    row = acc_store.user_row(con, "ann")
    acc_store.update_user(con, "ann", locked_until=row["locked_until"] - timedelta(hours=1))
    assert authenticate(con, "ann", PASSWORD).user == "ann"


def test_disabled_account_cannot_sign_in_nor_keep_its_session(con):
    add_user(con, "ann", "underwriter", PASSWORD, created_by="test")
    principal = authenticate(con, "ann", PASSWORD)
    disable_user(con, "ann", actor="boss")
    with pytest.raises(AuthenticationError, match="disabled"):
        authenticate(con, "ann", PASSWORD)
    with pytest.raises(AccessDeniedError, match="disabled or gone"):
        require(con, principal, "policy_data")
    with pytest.raises(ValidationError, match="user 'zed' does not exist"):
        disable_user(con, "zed", actor="boss")


def test_require_reads_the_role_from_the_store_not_the_principal(con):
    add_user(con, "esg", "esg_analyst", PASSWORD, created_by="test")
    add_user(con, "uw", "underwriter", PASSWORD, created_by="test")
    add_user(con, "root", "admin", PASSWORD, created_by="test")
    assert require(con, Principal("uw", "underwriter"), "policy_data").user == "uw"
    forged = Principal("esg", "underwriter")  # claims a role the account does not have
    with pytest.raises(AccessDeniedError, match=r"'esg' \(esg_analyst\) may not see policy data"):
        require(con, forged, "policy_data")
    with pytest.raises(AccessDeniedError, match="may not see policy data"):
        require(con, Principal("root", "admin"), "policy_data")
    with pytest.raises(AccessDeniedError, match="sign in first"):
        require(con, None, "policy_data")
    with pytest.raises(AccessDeniedError, match="may not see admin"):
        require(con, Principal("uw", "underwriter"), "admin")
    assert require(con, local_operator(), "policy_data").local


def test_first_admin_from_the_environment_or_a_one_time_password(tmp_path):
    con = store.connect(tmp_path / "a.duckdb")
    first = ensure_first_admin(con, "an admin passphrase")
    assert first.one_time_password is None
    assert authenticate(con, "admin", "an admin passphrase").role == "admin"
    assert ensure_first_admin(con, "another passphrase!") is None  # accounts exist
    con.close()
    con = store.connect(tmp_path / "b.duckdb")
    first = ensure_first_admin(con, None)
    assert len(first.one_time_password) >= 16
    assert acc_store.user_row(con, "admin")["must_change_password"]
    authenticate(con, "admin", first.one_time_password)
    con.close()


def test_change_password(con):
    add_user(con, "ann", "underwriter", PASSWORD, created_by="test")
    with pytest.raises(AuthenticationError, match="current password is wrong"):
        change_password(con, "ann", "not it at all", "a new passphrase")
    with pytest.raises(ValidationError, match="should differ"):
        change_password(con, "ann", PASSWORD, PASSWORD)
    change_password(con, "ann", PASSWORD, "a new passphrase")
    assert authenticate(con, "ann", "a new passphrase").user == "ann"
    # The wrong current password is in the audit trail too (not only the change).
    assert [a for a in _audit(con) if a[1].startswith("password change")] == [
        ("ann", "password change failed"),
        ("ann", "password change"),
    ]


def test_reset_password_lifts_a_lock_out_and_forces_a_new_password(con):
    add_user(con, "ann", "underwriter", PASSWORD, created_by="test")
    for _ in range(MAX_FAILURES):
        with pytest.raises(AuthenticationError, match="wrong"):
            authenticate(con, "ann", "guess guess guess")
    reset_password(con, "ann", "one-time passphrase", actor="boss")
    row = acc_store.user_row(con, "ann")
    assert row["must_change_password"] and row["failed_attempts"] == 0
    assert row["locked_until"] is None
    with pytest.raises(AuthenticationError, match="wrong"):
        authenticate(con, "ann", PASSWORD)  # the forgotten password no longer works
    assert authenticate(con, "ann", "one-time passphrase").user == "ann"
    assert ("boss", "password reset") in _audit(con)
    assert "one-time passphrase" not in str(con.execute("SELECT * FROM audit").fetchall())
    with pytest.raises(ValidationError, match="user 'zed' does not exist"):
        reset_password(con, "zed", "one-time passphrase", actor="boss")
    with pytest.raises(ValidationError, match="at least"):
        reset_password(con, "ann", "short", actor="boss")


def test_reset_keeps_a_disabled_account_disabled_until_enabled(con):
    add_user(con, "ann", "underwriter", PASSWORD, created_by="test")
    disable_user(con, "ann", actor="boss")
    reset_password(con, "ann", "one-time passphrase", actor="boss")
    with pytest.raises(AuthenticationError, match="disabled"):
        authenticate(con, "ann", "one-time passphrase")
    enable_user(con, "ann", actor="boss")
    assert authenticate(con, "ann", "one-time passphrase").user == "ann"
    assert ("boss", "user enable") in _audit(con)
    with pytest.raises(ValidationError, match="'ann' is not disabled"):
        enable_user(con, "ann", actor="boss")


def test_cli_users_add_list_disable(tmp_path, monkeypatch, capsys):
    import io

    from paii_core.cli import main

    db = tmp_path / "cli.duckdb"
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["users", "add", "bob", "--role", "underwriter", "--password-stdin",
                 "--db", str(db)]) == 0  # fmt: skip
    assert main(["users", "add", "eve", "--role", "admin", "--db", str(db)]) == 2
    assert "--password-stdin is required" in capsys.readouterr().err
    assert main(["users", "list", "--db", str(db)]) == 0
    listed = capsys.readouterr().out
    assert "bob" in listed and "last sign-in: never" in listed and "NaT" not in listed
    assert main(["users", "disable", "bob", "--db", str(db)]) == 0
    assert main(["users", "list", "--db", str(db)]) == 0
    assert "disabled" in capsys.readouterr().out
    assert main(["users", "enable", "bob", "--db", str(db)]) == 0
    assert main(["users", "reset-password", "bob", "--db", str(db)]) == 2
    assert "--password-stdin is required" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("a one-time passphrase\n"))
    assert main(["users", "reset-password", "bob", "--password-stdin", "--db", str(db)]) == 0
    assert "must choose a new one" in capsys.readouterr().out
    con = store.connect(db)
    try:
        assert authenticate(con, "bob", "a one-time passphrase").user == "bob"
        assert acc_store.user_row(con, "bob")["must_change_password"]
    finally:
        con.close()


def test_unknown_user_costs_one_argon2_check_like_a_wrong_password(con, monkeypatch):
    """Answering an unknown name without hashing would reveal accounts by timing."""
    add_user(con, "ann", "underwriter", PASSWORD, created_by="test")
    checks: list[str] = []
    real = passwords.verify

    def spy(stored_hash: str, password: str) -> bool:
        checks.append(stored_hash)
        return real(stored_hash, password)

    monkeypatch.setattr(passwords, "verify", spy)
    with pytest.raises(AuthenticationError, match="user or password is wrong"):
        authenticate(con, "nobody", "guess guess guess")
    with pytest.raises(AuthenticationError, match="user or password is wrong"):
        authenticate(con, "ann", "guess guess guess")
    assert len(checks) == 2
    # The throw-away hash has the real hashes' parameters (so the same cost).
    real_hash = acc_store.user_row(con, "ann")["password_hash"]
    assert checks[0] != real_hash
    assert checks[0].split("$")[:4] == real_hash.split("$")[:4]


def test_disabled_is_said_only_to_someone_with_the_password(con):
    add_user(con, "ann", "underwriter", PASSWORD, created_by="test")
    disable_user(con, "ann", actor="boss")
    with pytest.raises(AuthenticationError, match="user or password is wrong"):
        authenticate(con, "ann", "guess guess guess")
    with pytest.raises(AuthenticationError, match="this account is disabled"):
        authenticate(con, "ann", PASSWORD)
    reasons = con.execute(
        "SELECT detail->>'reason' FROM audit WHERE action = 'sign-in failed' ORDER BY event_id"
    ).fetchall()
    assert reasons == [("wrong password",), ("disabled",)]


def test_an_unknown_name_and_a_disabled_account_lock_like_an_account(con):
    """Before, only active accounts locked after MAX_FAILURES wrong passwords: a sixth
    try told an attacker that the name was a real, active account."""
    add_user(con, "ann", "underwriter", PASSWORD, created_by="test")
    add_user(con, "old", "underwriter", PASSWORD, created_by="test")
    disable_user(con, "old", actor="boss")
    answers = {}
    for name in ("ann", "nobody", "old"):
        got = []
        for _ in range(MAX_FAILURES + 2):
            with pytest.raises(AuthenticationError) as e:
                authenticate(con, name, "guess guess guess")
            got.append(str(e.value))
        answers[name] = got
    assert answers["ann"] == answers["nobody"] == answers["old"]
    assert answers["ann"][MAX_FAILURES - 1] == "user or password is wrong"
    assert "locked after 5 wrong passwords; try again in 15 min" in answers["ann"][MAX_FAILURES]
    # The right password during the lock is refused too; the disabled account says
    # "disabled" only once its lock has ended and the password is right.
    with pytest.raises(AuthenticationError, match="locked"):
        authenticate(con, "old", PASSWORD)
    # The locks end after LOCKOUT; an unknown name counts again from zero.
    con.execute('UPDATE audit SET "at" = "at" - INTERVAL 1 HOUR')
    for name in ("ann", "old"):
        row = acc_store.user_row(con, name)
        acc_store.update_user(con, name, locked_until=row["locked_until"] - timedelta(hours=1))
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(AuthenticationError, match="user or password is wrong"):
            authenticate(con, "nobody", "guess guess guess")
    with pytest.raises(AuthenticationError, match="this account is disabled"):
        authenticate(con, "old", PASSWORD)
    assert authenticate(con, "ann", PASSWORD).user == "ann"


def test_the_last_active_admin_cannot_be_disabled_nor_demoted(con):
    add_user(con, "root", "admin", PASSWORD, created_by="test")
    with pytest.raises(ValidationError, match="disabling 'root' would leave no active admin"):
        disable_user(con, "root", actor="root")
    with pytest.raises(ValidationError, match="making underwriter of 'root' would leave no"):
        set_role(con, "root", "underwriter", actor="root")
    assert authenticate(con, "root", PASSWORD).role == "admin"
    # With a second active admin, either may go; a disabled admin does not count.
    add_user(con, "deputy", "admin", PASSWORD, created_by="root")
    disable_user(con, "deputy", actor="root")
    with pytest.raises(ValidationError, match="would leave no active admin"):
        disable_user(con, "root", actor="root")
    enable_user(con, "deputy", actor="root")
    disable_user(con, "root", actor="deputy")
    assert acc_store.active_admins(con) == ["deputy"]


def test_a_role_change_is_audited_with_before_and_after_and_takes_effect_at_once(con):
    import json

    add_user(con, "root", "admin", PASSWORD, created_by="test")
    add_user(con, "mei", "esg_analyst", PASSWORD, created_by="root")
    session = authenticate(con, "mei", PASSWORD)
    with pytest.raises(AccessDeniedError, match="may not see policy data"):
        require(con, session, "policy_data")
    set_role(con, "mei", "underwriter", actor="root")
    # The open session's principal still says esg_analyst; the store's role decides.
    assert require(con, session, "policy_data").role == "underwriter"
    row = con.execute(
        "SELECT actor, entity_id, detail FROM audit WHERE action = 'role change'"
    ).fetchone()
    assert row[:2] == ("root", "mei")
    assert json.loads(row[2]) == {"before": "esg_analyst", "after": "underwriter"}
    with pytest.raises(ValidationError, match="'mei' is underwriter already"):
        set_role(con, "mei", "underwriter", actor="root")
    with pytest.raises(ValidationError, match="role 'boss' is unknown"):
        set_role(con, "mei", "boss", actor="root")
    with pytest.raises(ValidationError, match="user 'zed' does not exist"):
        set_role(con, "zed", "admin", actor="root")


def test_cli_set_role_and_last_admin(tmp_path, monkeypatch, capsys):
    import io

    from paii_core.cli import main

    db = tmp_path / "cli.duckdb"
    for name, role in (("root", "admin"), ("bob", "esg_analyst")):
        monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
        assert main(["users", "add", name, "--role", role, "--password-stdin",
                     "--db", str(db)]) == 0  # fmt: skip
    assert main(["users", "set-role", "bob", "--role", "underwriter", "--db", str(db)]) == 0
    assert "bob is now underwriter" in capsys.readouterr().out
    assert main(["users", "disable", "root", "--db", str(db)]) != 0
    assert "would leave no active admin" in capsys.readouterr().err
    con = store.connect(db)
    try:
        assert acc_store.user_row(con, "bob")["role"] == "underwriter"
        assert not acc_store.user_row(con, "root")["disabled"]
        assert (
            con.execute("SELECT actor FROM audit WHERE action = 'role change'")
            .fetchone()[0]
            .startswith("cli:")
        )
    finally:
        con.close()


def test_the_hash_work_runs_outside_the_writes_lock(con, monkeypatch):
    """The dashboard's bookkeeping lock is taken by every page's store read: holding it
    through Argon2 let a stream of sign-in attempts stall every signed-in user."""
    from contextlib import contextmanager

    add_user(con, "ann", "underwriter", PASSWORD, created_by="test")
    events: list[str] = []
    inside = [False]
    real = passwords.verify

    def spy(stored_hash: str, password: str) -> bool:
        events.append("verify inside" if inside[0] else "verify")
        return real(stored_hash, password)

    @contextmanager
    def writes():
        inside[0] = True
        events.append("lock")
        try:
            yield
        finally:
            inside[0] = False

    monkeypatch.setattr(passwords, "verify", spy)
    assert authenticate(con, "ann", PASSWORD, writes=writes).user == "ann"
    for name in ("ann", "nobody"):
        with pytest.raises(AuthenticationError, match="user or password is wrong"):
            authenticate(con, name, "guess guess guess", writes=writes)
    assert events == ["verify", "lock"] * 3


def test_parallel_wrong_passwords_get_no_more_than_max_failures_answers(tmp_path):
    import threading
    from contextlib import contextmanager

    db = tmp_path / "paii.duckdb"
    con = store.connect(db)
    add_user(con, "ann", "underwriter", PASSWORD, created_by="test")
    lock = threading.Lock()

    @contextmanager
    def writes():
        with lock:
            yield

    answers: list[str] = []

    def attempt(password: str) -> None:
        cur = con.cursor()
        try:
            authenticate(cur, "ann", password, writes=writes)
            answers.append("signed in")
        except AuthenticationError as e:
            answers.append(str(e))
        finally:
            cur.close()

    guesses = [f"guess number {i:02d}" for i in range(3 * MAX_FAILURES)]
    threads = [threading.Thread(target=attempt, args=(g,), daemon=True) for g in guesses]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)  # a hung writer fails the test instead of the run
    con.close()
    # However the threads interleave (all hash before any decides): exactly MAX_FAILURES
    # wrong answers, then the lock for the rest.
    assert answers.count("user or password is wrong") == MAX_FAILURES
    assert sum("locked after" in a for a in answers) == len(guesses) - MAX_FAILURES


def test_a_store_other_users_can_read_is_warned_about(tmp_path, capsys):
    """With the usual umask 022 the store is created mode 644 in a 755 folder: any user
    of the machine could read the policies and the password hashes past every role."""
    import os

    from paii_core.access import exposure_warning
    from paii_core.cli import main

    folder = tmp_path / "data"
    folder.mkdir()
    db = folder / "paii.duckdb"
    assert exposure_warning(db) is None  # nothing to protect yet
    store.connect(db).close()
    os.chmod(folder, 0o755)
    os.chmod(db, 0o644)
    warning = exposure_warning(db)
    assert warning is not None and "(mode 644)" in warning and "(mode 755)" in warning
    assert f"Fix: chmod 700 {folder} && chmod 600 {folder}/*.duckdb*" in warning
    assert main(["users", "list", "--db", str(db)]) == 0
    assert "other users of this machine can read" in capsys.readouterr().err
    os.chmod(folder, 0o700)
    os.chmod(db, 0o600)
    for wal in folder.glob("*.wal"):
        os.chmod(wal, 0o600)
    assert exposure_warning(db) is None
    assert main(["users", "list", "--db", str(db)]) == 0
    assert "warning" not in capsys.readouterr().err


def test_a_password_typed_in_the_user_field_is_not_kept_in_clear(con):
    """Failed sign-ins record the user field; one that cannot be a user name (often the
    password in the wrong field) is recorded as '(not a user name)'."""
    add_user(con, "ann", "underwriter", PASSWORD, created_by="test")
    for typed in (PASSWORD, "  Correct Horse Battery!", ""):
        with pytest.raises(AuthenticationError, match="user or password is wrong"):
            authenticate(con, typed, "")
    with pytest.raises(AuthenticationError, match="user or password is wrong"):
        authenticate(con, " Bob ", "guess guess guess")
    trail = con.execute("SELECT actor, entity_id, detail FROM audit").fetchall()
    text = repr(trail).lower()
    assert "horse" not in text
    failed = con.execute(
        "SELECT actor FROM audit WHERE action = 'sign-in failed' ORDER BY event_id"
    ).fetchall()
    assert failed == [("(not a user name)",)] * 3 + [("bob",)]


@pytest.fixture()
def umask_022():
    """The usual umask, under which DuckDB and mkdir made the store 644 in a 755 folder."""
    import os

    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path) -> int:
    import stat

    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_store_and_the_data_folder_paii_creates_are_owner_only(tmp_path, umask_022):
    from paii_core.access import exposure_warning

    db = tmp_path / "new" / "data" / "paii.duckdb"
    con = store.connect(db)
    add_user(con, "ann", "underwriter", PASSWORD, created_by="test")
    con.close()
    assert (_mode(db.parent), _mode(db)) == (0o700, 0o600)
    assert exposure_warning(db) is None
    # In a folder that exists already (the repository's data/), the folder keeps its
    # mode and the warning names it; the file is still owner-only.
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    con = store.connect(shared / "paii.duckdb")
    con.close()
    assert (_mode(shared), _mode(shared / "paii.duckdb")) == (0o755, 0o600)
    warning = exposure_warning(shared / "paii.duckdb")
    assert warning is not None and f"{shared} (mode 755)" in warning
    assert "paii.duckdb (mode" not in warning


def test_an_existing_store_keeps_its_mode_and_its_warning(tmp_path, umask_022):
    """PAII does not change the mode of a store someone already has (the dashboard and
    the CLI may run as different users sharing a group); it warns instead."""
    import os

    from paii_core.access import exposure_warning

    db = tmp_path / "paii.duckdb"
    store.connect(db).close()
    os.chmod(db, 0o640)
    store.connect(db).close()
    assert _mode(db) == 0o640
    assert "(mode 640)" in exposure_warning(db)


def test_a_rebuilt_store_is_owner_only_or_keeps_the_mode_chosen(tmp_path, umask_022):
    import os

    from paii_core.config import make_private_folder

    db = tmp_path / "data" / "paii.duckdb"
    store.refresh_database(lambda con: None, db)
    assert (_mode(db.parent), _mode(db)) == (0o700, 0o600)
    os.chmod(db, 0o640)
    store.refresh_database(lambda con: None, db)
    assert _mode(db) == 0o640
    folder = tmp_path / "prepared" / "data"
    make_private_folder(folder)  # what the first start's preparation creates
    assert _mode(folder) == 0o700
    os.chmod(folder, 0o750)
    make_private_folder(folder)
    assert _mode(folder) == 0o750


def test_a_client_spraying_names_is_throttled_whatever_the_name(con, monkeypatch):
    """Lock-out per name let one address try one password on every name, slowed only by
    Argon2. Now CLIENT_MAX_FAILURES failures from one address (any names) stop it, even
    with a right password, without the hash work; another address is not affected."""
    import json

    from paii_core.access import passwords, signin

    monkeypatch.setattr(signin, "CLIENT_MAX_FAILURES", 3)
    add_user(con, "ann", "underwriter", PASSWORD, created_by="test")
    for name in ("bob", "carl", "ann"):  # one guess per name: no account locks
        with pytest.raises(AuthenticationError, match="user or password is wrong"):
            authenticate(con, name, "Summer2026!!", client="203.0.113.7")
    checks = []
    real_verify = passwords.verify
    monkeypatch.setattr(passwords, "verify", lambda h, p: checks.append(h) or real_verify(h, p))
    for name, password in (("dora", "Summer2026!!"), ("ann", PASSWORD)):
        with pytest.raises(AuthenticationError, match=r"too many failed sign-ins from your addr"):
            authenticate(con, name, password, client="203.0.113.7")
    assert checks == []  # refused before the Argon2 work
    assert authenticate(con, "ann", PASSWORD, client="198.51.100.2").user == "ann"
    assert acc_store.user_row(con, "ann")["failed_attempts"] == 0
    rows = con.execute(
        "SELECT entity_id, detail FROM audit WHERE action LIKE 'sign-in%' ORDER BY event_id"
    ).fetchall()
    details = [(name, json.loads(d)) for name, d in rows]
    assert [d.get("client") for _, d in details] == ["203.0.113.7"] * 5 + ["198.51.100.2"]
    assert [d.get("reason") for _, d in details[3:5]] == ["too many failures from this client"] * 2


def test_the_client_throttle_ends_a_window_after_the_failures_it_counts(con, monkeypatch):
    """Refused attempts do not count, so hammering on does not extend the throttle."""
    from paii_core.access import signin

    monkeypatch.setattr(signin, "CLIENT_MAX_FAILURES", 2)
    add_user(con, "ann", "underwriter", PASSWORD, created_by="test")
    for name in ("bob", "carl"):
        with pytest.raises(AuthenticationError, match="user or password is wrong"):
            authenticate(con, name, "guess guess guess", client="203.0.113.7")
    with pytest.raises(AuthenticationError, match=r"try again in 15 min"):
        authenticate(con, "ann", PASSWORD, client="203.0.113.7")
    real_now = signin._now

    def later(delta):
        monkeypatch.setattr(signin, "_now", lambda: real_now() + delta)

    later(signin.CLIENT_WINDOW - timedelta(minutes=1))
    with pytest.raises(AuthenticationError, match=r"try again in 1 min"):
        authenticate(con, "ann", PASSWORD, client="203.0.113.7")
    # A window after the counted failures (the two refusals since are younger): free.
    later(signin.CLIENT_WINDOW + timedelta(seconds=5))
    assert authenticate(con, "ann", PASSWORD, client="203.0.113.7").user == "ann"


def test_an_admin_lifts_a_client_throttle_and_only_later_failures_count(con, monkeypatch):
    """An office behind one address that mistyped CLIENT_MAX_FAILURES times waited 15
    minutes: an administrator can now lift its throttle (audited); failures from then on
    count afresh, and another throttled address stays throttled."""
    from paii_core.access import lift_client_throttle, signin, throttled_clients

    monkeypatch.setattr(signin, "CLIENT_MAX_FAILURES", 2)
    add_user(con, "ann", "underwriter", PASSWORD, created_by="test")
    office, other = "203.0.113.7", "198.51.100.9"
    for i, client in enumerate((office, office, other, other)):
        with pytest.raises(AuthenticationError, match="user or password is wrong"):
            authenticate(con, f"name{i}", "guess guess guess", client=client)
    assert throttled_clients(con)["client"].tolist() in ([office, other], [other, office])
    assert throttled_clients(con)["failures"].tolist() == [2, 2]
    with pytest.raises(ValidationError, match=r"'192.0.2.1' is not throttled now.*throttled now"):
        lift_client_throttle(con, "192.0.2.1", actor="admin")
    assert lift_client_throttle(con, office, actor="admin") == 2
    assert throttled_clients(con)["client"].tolist() == [other]
    assert authenticate(con, "ann", PASSWORD, client=office).user == "ann"
    with pytest.raises(AuthenticationError, match="too many failed sign-ins from your address"):
        authenticate(con, "ann", PASSWORD, client=other)
    lifted = con.execute(
        "SELECT actor, entity_id FROM audit WHERE action = 'client throttle lifted'"
    ).fetchall()
    assert lifted == [("admin", office)]
    for i in range(2):  # counted afresh after the lift
        with pytest.raises(AuthenticationError, match="user or password is wrong"):
            authenticate(con, f"later{i}", "guess guess guess", client=office)
    with pytest.raises(AuthenticationError, match="too many failed sign-ins from your address"):
        authenticate(con, "ann", PASSWORD, client=office)
    with pytest.raises(ValidationError, match=r"'192.0.2.1' is not throttled"):
        lift_client_throttle(con, "192.0.2.1", actor="admin")


def test_cli_lists_throttled_addresses_and_lifts_one(tmp_path, monkeypatch, capsys):
    from paii_core.access import signin
    from paii_core.cli import main

    monkeypatch.setattr(signin, "CLIENT_MAX_FAILURES", 2)
    db = tmp_path / "cli.duckdb"
    con = store.connect(db)
    try:
        for name in ("x1", "x2"):
            with pytest.raises(AuthenticationError):
                authenticate(con, name, "guess guess guess", client="203.0.113.7")
    finally:
        con.close()
    assert main(["users", "throttled", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "203.0.113.7" in out and "2 failed sign-ins" in out and "lift-throttle" in out
    assert main(["users", "lift-throttle", "192.0.2.1", "--db", str(db)]) != 0
    assert "nothing to lift (throttled now: 203.0.113.7)" in capsys.readouterr().err
    assert main(["users", "lift-throttle", "203.0.113.7", "--db", str(db)]) == 0
    assert "its 2 failed sign-ins stop counting" in capsys.readouterr().out
    assert main(["users", "throttled", "--db", str(db)]) == 0
    assert "no client address is throttled now" in capsys.readouterr().out


def test_parallel_attempts_from_one_client_get_no_more_than_its_limit(tmp_path, monkeypatch):
    import threading
    from contextlib import contextmanager

    from paii_core.access import signin

    monkeypatch.setattr(signin, "CLIENT_MAX_FAILURES", 3)
    con = store.connect(tmp_path / "paii.duckdb")
    lock = threading.Lock()

    @contextmanager
    def writes():
        with lock:
            yield

    answers: list[str] = []

    def attempt(name: str) -> None:
        cur = con.cursor()
        try:
            authenticate(cur, name, "guess guess guess", writes=writes, client="203.0.113.7")
        except AuthenticationError as e:
            answers.append(str(e))
        finally:
            cur.close()

    threads = [threading.Thread(target=attempt, args=(f"name{i}",), daemon=True) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)  # a hung writer fails the test instead of the run
    con.close()
    assert answers.count("user or password is wrong") == 3
    assert sum("too many failed sign-ins" in a for a in answers) == 5
