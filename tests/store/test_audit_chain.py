"""The audit trail's hash chain: edits, deletions and rewrites by someone with the DuckDB
file show, with the first broken link's event id and time."""

from __future__ import annotations

import threading
from datetime import datetime

import duckdb
import pytest

from paii_core import store
from paii_core.cli import main
from paii_core.errors import StoreError, ValidationError
from paii_core.store.audit_chain import GENESIS, link_hash, parse_anchor, verify


def _events(con, n: int, actor: str = "ana") -> list[int]:
    detail = {"note": 'é "quoted"'}
    return [
        store.log_event(
            con, actor=actor, action="view", entity="policies", entity_id=f"P{i}", detail=detail
        )
        for i in range(n)
    ]


@pytest.fixture()
def con(tmp_path):
    c = store.connect(tmp_path / "paii.duckdb")
    yield c
    c.close()


def test_each_event_is_chained_to_the_previous_one(con):
    ids = _events(con, 3)
    rows = con.execute(
        'SELECT event_id, "at", actor, action, entity, entity_id, detail, prev_hash, hash '
        "FROM audit ORDER BY event_id"
    ).fetchall()
    assert [r[0] for r in rows] == ids == [1, 2, 3]
    assert rows[0][7] == GENESIS
    for before, row in zip([None, *rows], rows, strict=False):
        if before is not None:
            assert row[7] == before[8]
        assert row[8] == link_hash(*row[:8])
    state = verify(con)
    assert state.intact and state.events == 3 and state.first_event_id == 1
    assert state.sealed_through == 0  # a new store: every event hashed when written
    assert state.anchor == f"3:{rows[2][8]}"
    assert state.summary().startswith("intact: 3 event(s) checked; the chain starts at event 1")


def test_the_encoding_keeps_field_boundaries():
    at = datetime(2026, 12, 6, 12, 0, 0, 5)
    assert link_hash(1, at, "ab", "c", "e", "i", "{}", GENESIS) != link_hash(
        1, at, "a", "bc", "e", "i", "{}", GENESIS
    )
    assert link_hash(1, at, "a", "b", "e", "i", None, GENESIS) != link_hash(
        1, at, "a", "b", "e", "i", "null", GENESIS
    )


@pytest.mark.parametrize(
    ("tamper", "broken", "problem"),
    [
        ("UPDATE audit SET actor = 'bo' WHERE event_id = 3", 3, "does not match its hash"),
        ("UPDATE audit SET detail = '{}' WHERE event_id = 2", 2, "does not match its hash"),
        ("""UPDATE audit SET "at" = "at" - INTERVAL 1 HOUR WHERE event_id = 4""", 4, "edited"),
        ("DELETE FROM audit WHERE event_id = 3", 4, "events 3-3 are missing"),
        ("DELETE FROM audit WHERE event_id IN (1, 2)", 3, "events 1-2 are missing"),
        ("UPDATE audit SET prev_hash = NULL, hash = NULL WHERE event_id = 2", 2, "no hash"),
    ],
)
def test_an_edited_or_deleted_event_breaks_the_chain_there(con, tamper, broken, problem):
    _events(con, 5)
    at = con.execute('SELECT "at" FROM audit WHERE event_id = ?', [broken]).fetchone()[0]
    con.execute(tamper)
    state = verify(con)
    assert not state.intact
    assert state.broken_event_id == broken
    assert problem in state.problem
    if "at" not in tamper:
        assert state.broken_at == at
    assert f"broken at event {broken} (" in state.summary()


def test_a_swapped_pair_of_events_is_caught(con):
    _events(con, 4)
    # Swap events 2 and 3 wholesale (content and hashes): each keeps a valid own hash,
    # but the links no longer follow.
    con.execute("UPDATE audit SET event_id = 99 WHERE event_id = 2")
    con.execute("UPDATE audit SET event_id = 2 WHERE event_id = 3")
    con.execute("UPDATE audit SET event_id = 3 WHERE event_id = 99")
    state = verify(con)
    assert (state.broken_event_id, state.intact) == (2, False)


def test_a_rehashed_or_shortened_trail_is_caught_by_an_anchor(con):
    """Without a secret, whoever edits the file can recompute every later hash, or cut
    the newest events: a head noted earlier (outside the file) shows both."""
    _events(con, 4)
    anchor = parse_anchor(verify(con).anchor)
    assert verify(con, anchor=anchor).intact
    con.execute("DELETE FROM audit WHERE event_id = 4")
    assert verify(con).intact  # nothing inside the file says the newest is gone
    cut = verify(con, anchor=anchor)
    assert not cut.intact and "anchored event 4 is not in the trail" in cut.problem
    assert "ends at 3" in cut.problem and cut.summary().startswith("broken: ")
    # Rewrite event 2 and rehash from there on: the chain holds, the anchor does not.
    con.execute("UPDATE audit SET actor = 'bo' WHERE event_id = 2")
    prev = con.execute("SELECT hash FROM audit WHERE event_id = 1").fetchone()[0]
    for event_id in (2, 3):
        row = con.execute(
            'SELECT event_id, "at", actor, action, entity, entity_id, detail FROM audit '
            "WHERE event_id = ?",
            [event_id],
        ).fetchone()
        digest = link_hash(*row, prev)
        con.execute(
            "UPDATE audit SET prev_hash = ?, hash = ? WHERE event_id = ?", [prev, digest, event_id]
        )
        prev = digest
    assert verify(con).intact
    store.log_event(con, actor="ana", action="x", entity="y", entity_id="z")  # event 4 again
    rewritten = verify(con, anchor=anchor)
    assert rewritten.broken_event_id == 4 and "trail rewritten" in rewritten.problem


def test_an_emptied_chain_record_is_reported(con):
    _events(con, 1)
    con.execute("DELETE FROM audit_chain")
    state = verify(con)
    assert not state.intact and "no chain record" in state.problem
    assert "has no chain record" in state.summary()


@pytest.mark.parametrize("text", ["12", "x:" + "a" * 64, "3:" + "g" * 64, "3:abc"])
def test_a_malformed_anchor_is_refused(text):
    with pytest.raises(ValidationError, match="is not EVENT_ID:HASH"):
        parse_anchor(text)


def test_two_writers_do_not_fork_the_chain(tmp_path):
    """Two dashboard sessions (cursors of one connection) append at the same moment:
    every event gets its own id and the chain stays one line."""
    con = store.connect(tmp_path / "paii.duckdb")
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def write(actor: str) -> None:
        cur = con.cursor()
        barrier.wait(60)
        try:
            _events(cur, 40, actor)
        except Exception as e:  # collected for the assertion below
            errors.append(e)
        finally:
            cur.close()

    threads = [threading.Thread(target=write, args=(a,), daemon=True) for a in ("ana", "bo")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)  # a hung writer fails the test instead of the run
    try:
        assert errors == []
        ids = [r[0] for r in con.execute("SELECT event_id FROM audit ORDER BY event_id").fetchall()]
        assert ids == list(range(1, 81))
        prevs = con.execute("SELECT count(DISTINCT prev_hash) FROM audit").fetchone()[0]
        assert prevs == 80  # no two events share a predecessor
        state = verify(con)
        assert state.intact and state.events == 80
    finally:
        con.close()


def _store_before_the_chain(path) -> None:
    """A store as PAII left it before migration 54, with three audit events."""
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at TIMESTAMP NOT NULL)"
    )
    for version, name, statements in store.MIGRATIONS:
        if version >= 54:
            continue
        for sql in statements:
            con.execute(sql)
        con.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [version, name])
    for i in (1, 2, 3):
        con.execute(
            "INSERT INTO audit VALUES (?, TIMESTAMP '2026-11-01 10:00:00' + to_minutes(?), "
            "'ana', 'sign-in', 'users', 'ana', '{}')",
            [i, i],
        )
    con.close()


def test_an_existing_trail_is_chained_by_the_migration(tmp_path):
    db = tmp_path / "paii.duckdb"
    _store_before_the_chain(db)
    con = store.connect(db)
    try:
        state = verify(con)
        assert state.intact and state.events == 3
        assert (state.first_event_id, state.sealed_through) == (1, 3)
        assert "events 1-3 were chained on" in state.summary()
        assert "from the trail as it was then" in state.summary()
        assert store.log_event(con, actor="bo", action="x", entity="y", entity_id="z") == 4
        assert verify(con).events == 4
        con.execute("UPDATE audit SET entity_id = 'bob' WHERE event_id = 2")
        assert verify(con).broken_event_id == 2
    finally:
        con.close()


def test_a_rebuild_carries_the_chain_and_chains_an_old_trail(tmp_path):
    """`paii demo build` copies the audit trail into the new file: a chained one stays
    intact, and one from a store older than the chain (never opened since) is chained."""
    db = tmp_path / "paii.duckdb"
    con = store.connect(db)
    _events(con, 2)
    con.close()
    store.refresh_database(lambda c: None, db)
    con = store.connect(db)
    assert verify(con).intact and verify(con).events == 2
    con.close()
    old = tmp_path / "old" / "paii.duckdb"
    old.parent.mkdir()
    _store_before_the_chain(old)
    store.refresh_database(lambda c: None, old)
    con = store.connect(old)
    try:
        state = verify(con)
        assert state.intact and (state.events, state.sealed_through) == (3, 3)
    finally:
        con.close()


def test_cli_audit_verify_names_the_first_broken_link(tmp_path, capsys):
    db = tmp_path / "paii.duckdb"
    con = store.connect(db)
    _events(con, 3)
    con.close()
    assert main(["audit", "verify", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "audit trail intact: 3 event(s) checked; the chain starts at event 1" in out
    head = next(line for line in out.splitlines() if line.startswith("head: "))[6:]
    assert main(["audit", "verify", "--db", str(db), "--anchor", head]) == 0
    capsys.readouterr()
    con = store.connect(db)
    at = con.execute('SELECT "at" FROM audit WHERE event_id = 2').fetchone()[0]
    con.execute("UPDATE audit SET action = 'nothing' WHERE event_id = 2")
    con.close()
    assert main(["audit", "verify", "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert f"audit trail broken at event 2 ({at:%Y-%m-%d %H:%M:%S} UTC)" in err
    assert main(["audit", "verify", "--db", str(db), "--anchor", "2:nothex"]) == 2
    assert "is not EVENT_ID:HASH" in capsys.readouterr().err


def test_an_audit_write_that_duckdb_refuses_is_a_store_error(con):
    con.execute("DROP TABLE audit_chain")  # harmless here; breaks nothing log_event needs
    con.execute("ALTER TABLE audit RENAME TO audit_gone")
    with pytest.raises(StoreError, match="could not write the audit trail"):
        store.log_event(con, actor="ana", action="x", entity="y", entity_id="z")


def test_an_open_transaction_cannot_fork_the_chain(con):
    """Appends inside a transaction (save_decision's) race other writers on the primary
    key: the first to commit event N+1 wins, the other is refused (its caller retries
    the whole transaction), and no two events ever follow the same one."""
    mine, other = con.cursor(), con.cursor()
    _events(con, 1)
    # Mine appends first but has not committed: the other's commit wins, mine's fails.
    mine.execute("BEGIN TRANSACTION")
    assert store.log_event(mine, actor="ana", action="review", entity="p", entity_id="1") == 2
    assert store.log_event(other, actor="bo", action="view", entity="p", entity_id="2") == 2
    with pytest.raises(duckdb.TransactionException, match="duplicate key"):
        mine.execute("COMMIT")
    # Mine began before the other's append: its append finds the id taken, inside its
    # transaction, and says so for the caller to retry.
    mine.execute("BEGIN TRANSACTION")
    mine.execute("SELECT count(*) FROM audit").fetchall()
    assert store.log_event(other, actor="bo", action="view", entity="p", entity_id="3") == 3
    with pytest.raises(StoreError, match=r"could not write the audit trail \(transaction conf"):
        store.log_event(mine, actor="ana", action="review", entity="p", entity_id="1")
    mine.execute("ROLLBACK")
    assert store.log_event(mine, actor="ana", action="review", entity="p", entity_id="1") == 4
    assert con.execute("SELECT list(actor ORDER BY event_id) FROM audit").fetchone()[0] == [
        "ana", "bo", "bo", "ana"
    ]  # fmt: skip
    assert verify(con).intact
