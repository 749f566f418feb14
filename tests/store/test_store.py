"""The DuckDB store: migrations, parameterised writes, atomic refresh, audit trail."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from paii_core import store
from paii_core.errors import DemoWorldMissingError, StoreError, ValidationError
from paii_core.store import core


def _region_row(region_id: str = "iowa") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "region_id": [region_id],
            "name": ["Iowa (US)"],
            "country": ["US"],
            "utm_epsg": [32615],
            "yield_unit": ["bu/acre"],
        }
    )


def test_migrate_is_idempotent(tmp_path):
    con = store.connect(tmp_path / "a.duckdb")
    assert store.schema_version(con) == store.SCHEMA_VERSION
    assert store.migrate(con) == store.SCHEMA_VERSION
    applied = con.execute("SELECT count(*) FROM schema_migrations").fetchone()[0]
    assert applied == len(store.MIGRATIONS)
    con.close()
    con = store.connect(tmp_path / "a.duckdb")
    assert con.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == applied


def test_a_lower_migration_that_lands_late_is_still_applied(tmp_path):
    """Branches get their own numbers: a database at 15 that lacks 8 gets 8 on open."""
    con = store.connect(tmp_path / "a.duckdb")
    con.execute("DROP TABLE crop_calendars")
    con.execute("DELETE FROM schema_migrations WHERE version = 8")
    con.close()
    con = store.connect(tmp_path / "a.duckdb")
    assert con.execute("SELECT count(*) FROM crop_calendars").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == len(
        store.MIGRATIONS
    )
    con.close()


def test_database_newer_than_code_is_refused(tmp_path):
    con = store.connect(tmp_path / "a.duckdb")
    con.execute("INSERT INTO schema_migrations VALUES (999, 'future', now())")
    with pytest.raises(StoreError, match="schema version 999"):
        store.migrate(con)


def test_failed_migration_rolls_back(tmp_path, monkeypatch):
    bad = (
        *store.MIGRATIONS,
        (store.SCHEMA_VERSION + 1, "broken", ("CREATE TABLE x (a INT)", "NOT SQL")),
    )
    con = store.connect(tmp_path / "a.duckdb")
    monkeypatch.setattr(core, "MIGRATIONS", bad)
    monkeypatch.setattr(core, "SCHEMA_VERSION", store.SCHEMA_VERSION + 1)
    with pytest.raises(StoreError, match=r"broken.*rolled back"):
        store.migrate(con)
    tables = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    assert "x" not in tables
    assert store.schema_version(con) == store.SCHEMA_VERSION  # the package keeps the real one


def test_read_only_open_of_missing_file_says_how_to_build(tmp_path):
    with pytest.raises(DemoWorldMissingError, match="paii demo build"):
        store.connect(tmp_path / "none.duckdb", read_only=True)


def test_writable_open_creates_a_new_data_folder(tmp_path):
    """A new user's PAII_DATA_DIR need not exist: `paii region add` was refused with
    'DuckDB could not open the database ...: No such file or directory'."""
    con = store.connect(tmp_path / "new" / "data" / "paii.duckdb")
    assert core.schema_version(con) == core.SCHEMA_VERSION
    con.close()


def test_write_frame_replaces_rows_in_one_transaction(tmp_path):
    con = store.connect(tmp_path / "a.duckdb")
    store.write_frame(con, "regions", _region_row("iowa"))
    store.write_frame(con, "regions", _region_row("henan"))
    changed = _region_row("iowa").assign(name="Iowa again")
    store.write_frame(con, "regions", changed, replace_where={"region_id": "iowa"})
    rows = dict(con.execute("SELECT region_id, name FROM regions").fetchall())
    assert rows == {"iowa": "Iowa again", "henan": "Iowa (US)"}


def test_write_frame_failure_leaves_previous_rows(tmp_path):
    con = store.connect(tmp_path / "a.duckdb")
    store.write_frame(con, "regions", _region_row("iowa"))
    broken = _region_row("iowa").assign(utm_epsg=[None])  # NOT NULL violated
    with pytest.raises(StoreError, match="nothing changed"):
        store.write_frame(con, "regions", broken, replace_where={"region_id": "iowa"})
    assert con.execute("SELECT name FROM regions").fetchall() == [("Iowa (US)",)]


def test_write_frame_rejects_unknown_columns_and_tables(tmp_path):
    con = store.connect(tmp_path / "a.duckdb")
    with pytest.raises(ValidationError, match="not in table 'regions'"):
        store.write_frame(con, "regions", _region_row().assign(colour="red"))
    with pytest.raises(ValidationError, match="'nope' is not in the PAII schema"):
        store.write_frame(con, "nope", _region_row())
    with pytest.raises(ValidationError, match="replace_where column 'zz'"):
        store.write_frame(con, "regions", _region_row(), replace_where={"zz": 1})


def test_values_are_parameters_not_sql(tmp_path):
    con = store.connect(tmp_path / "a.duckdb")
    hostile = "x'); DROP TABLE regions; --"
    store.write_frame(con, "regions", _region_row(hostile))
    store.log_event(con, actor=hostile, action="review", entity="policy", entity_id=hostile)
    assert con.execute("SELECT region_id FROM regions").fetchone()[0] == hostile
    assert con.execute("SELECT actor FROM audit").fetchone()[0] == hostile


def test_refresh_swaps_whole_and_keeps_audit(tmp_path):
    db = tmp_path / "paii.duckdb"

    def build_one(con):
        store.write_frame(con, "regions", _region_row("iowa"))

    store.refresh_database(build_one, db)
    con = store.connect(db)
    first = store.log_event(con, actor="ana", action="approve", entity="policy", entity_id="P1")
    con.close()

    def build_two(con):
        store.write_frame(con, "regions", _region_row("henan"))

    store.refresh_database(build_two, db)
    con = store.connect(db, read_only=True)
    assert con.execute("SELECT region_id FROM regions").fetchall() == [("henan",)]
    assert con.execute("SELECT event_id, actor FROM audit").fetchall() == [(first, "ana")]
    con.close()
    con = store.connect(db)
    assert store.log_event(con, actor="bo", action="x", entity="p", entity_id="2") == first + 1


def test_failed_refresh_leaves_previous_database(tmp_path):
    db = tmp_path / "paii.duckdb"
    store.refresh_database(lambda con: store.write_frame(con, "regions", _region_row()), db)
    before = db.read_bytes()

    def crash(con):
        store.write_frame(con, "regions", _region_row("henan"))
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        store.refresh_database(crash, db)
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["paii.duckdb"]
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT region_id FROM regions").fetchall() == [("iowa",)]


def test_log_event_needs_an_actor(tmp_path):
    con = store.connect(tmp_path / "a.duckdb")
    with pytest.raises(ValidationError, match="actor should name who acted"):
        store.log_event(con, actor=" ", action="a", entity="b", entity_id="c")


def test_database_held_by_another_process_says_what_to_do(tmp_path):
    import subprocess
    import sys

    db = tmp_path / "paii.duckdb"
    store.connect(db).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ok', flush=True); "
            "sys.stdin.read()",
            str(db),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        with pytest.raises(StoreError, match="held by another PAII process"):
            store.connect(db)
    finally:
        holder.stdin.close()
        holder.wait(timeout=20)


def test_unreadable_file_is_a_store_error(tmp_path):
    db = tmp_path / "paii.duckdb"
    db.write_bytes(b"not a duckdb file at all" * 100)
    with pytest.raises(StoreError, match="could not open the database"):
        store.connect(db)


def test_region_inventory_gives_yield_forecasts_their_years(tmp_path):
    """The Data page showed None as the first and last of stored yield forecasts."""
    from paii_core.store import workspace as ws_store

    con = store.connect(tmp_path / "a.duckdb")
    store.write_frame(con, "regions", _region_row("iowa"))
    for year in (2019, 2021):
        con.execute(
            "INSERT INTO yield_forecasts VALUES ('iowa', '19169', 'corn', ?, '09-01', 1, 1, 2,"
            " 3, 'bu/acre', 'v1', 'h', true, now())",
            [year],
        )
    inv = ws_store.region_inventory(con, "iowa").set_index("kind")
    first, last = inv.loc["yield forecasts", ["first", "last"]]
    assert (str(first)[:10], str(last)[:10]) == ("2019-01-01", "2021-01-01")
