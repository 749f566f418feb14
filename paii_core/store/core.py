"""The store's core: connections, migrations, atomic writes and refresh, county metrics."""

from __future__ import annotations

import json
import logging
import os
import re
import stat
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from paii_core.config import make_private_folder, paths
from paii_core.errors import DemoWorldMissingError, StoreError, StoreLockedError, ValidationError
from paii_core.store.audit_chain import GENESIS, link_hash, seal_unchained
from paii_core.store.migrations import load_migrations

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "USER_TABLES",
    "connect",
    "county_metric_frame",
    "county_metric_history",
    "data_period",
    "lock_holder",
    "log_event",
    "metric_crops",
    "migrate",
    "read_meta",
    "refresh_database",
    "schema_version",
    "table_columns",
    "write_frame",
]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

MIGRATIONS = load_migrations()
SCHEMA_VERSION = MIGRATIONS[-1][0]

USER_TABLES: tuple[str, ...] = (
    "audit",
    "audit_chain",
    "crop_calendars",
    "crop_label_sets",
    "crop_labels",
    "review_decisions",
    "users",
)
"""Tables people write (dashboard, `paii crops calendar add`, `paii users`): carried over
when the demo world is rebuilt."""


@contextmanager
def _translate(action: str, path: Path | str | None = None) -> Iterator[None]:
    """Re-raise a DuckDB error as a StoreError naming what failed and where."""
    where = f" ({path})" if path else ""
    try:
        yield
    except duckdb.Error as e:
        raise StoreError(f"DuckDB could not {action}{where}: {e}") from e


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """Highest migration applied to ``con``; 0 for an empty database."""
    with _translate("read the schema version"):
        exists = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
            ["schema_migrations"],
        ).fetchone()[0]
        if not exists:
            return 0
        row = con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
    return int(row[0])


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply every pending migration, each in its own transaction; idempotent.

    Returns the schema version reached. Raises StoreError if the database is newer than
    this code (opened by a later PAII) or a migration fails (that migration is rolled back).
    """
    with _translate("create the migrations table"):
        con.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMP NOT NULL)"
        )
    current = schema_version(con)
    if current > SCHEMA_VERSION:
        raise StoreError(
            f"the database is at schema version {current} but this PAII knows only "
            f"{SCHEMA_VERSION}; update PAII or rebuild the database with `paii demo build`"
        )
    with _translate("read the applied migrations"):
        applied = {r[0] for r in con.execute("SELECT version FROM schema_migrations").fetchall()}
    # Numbers are allocated per feature branch, so a lower one can land after a higher one:
    # apply every migration this database lacks, not only those above its highest.
    for version, name, statements in MIGRATIONS:
        if version in applied:
            continue
        try:
            con.execute("BEGIN TRANSACTION")
            for step in statements:
                if callable(step):
                    step(con)
                else:
                    con.execute(step)
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", [version, name, _now()])
            con.execute("COMMIT")
        except duckdb.Error as e:
            con.execute("ROLLBACK")
            raise StoreError(f"migration {version} ({name}) failed and was rolled back: {e}") from e
        log.info("applied migration %s: %s", version, name)
    return SCHEMA_VERSION


def connect(
    path: Path | str | None = None, *, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """Open the store at ``path`` (default data/paii.duckdb); migrate it unless read-only.
    A writable open of a database in a folder that does not exist yet creates the folder
    (owner-only, 0700); a new database file is made owner-only (0600) before anything
    is written to it.

    Raises DemoWorldMissingError when a read-only open finds no file, StoreError when
    DuckDB refuses the file (locked by another writer, corrupt).
    """
    db = Path(path) if path is not None else paths().database
    if read_only and not db.exists():
        raise DemoWorldMissingError(
            f"{db}: no PAII database yet. Fix: run `paii demo build` (or `make run`) to build it"
        )
    new = not read_only and not db.exists()
    if not read_only:
        make_private_folder(db.parent)  # a new data folder (PAII_DATA_DIR) gets its store
    try:
        con = duckdb.connect(str(db), read_only=read_only)
        if new:
            # DuckDB creates the file with the umask's mode (0644 under the usual 022);
            # only its empty header is there yet, the migrations write after this.
            os.chmod(db, 0o600)
    except duckdb.IOException as e:
        if "lock" in str(e).lower():
            holder = lock_holder(str(e))
            raise StoreLockedError(
                f"{db} is held by another PAII process"
                + (f" ({holder})" if holder else "")
                + " (the dashboard or a running job). "
                "Fix: use the dashboard's own button for this, or stop that process and retry",
                holder,
            ) from e
        raise StoreError(f"DuckDB could not open the database ({db}): {e}") from e
    except duckdb.Error as e:
        raise StoreError(f"DuckDB could not open the database ({db}): {e}") from e
    if not read_only:
        migrate(con)
    elif schema_version(con) != SCHEMA_VERSION:
        con.close()
        raise StoreError(
            f"{db}: schema version differs from this PAII's {SCHEMA_VERSION}. "
            "Fix: run `paii demo build` to rebuild it"
        )
    return con


_LOCK_PID = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


def lock_holder(message: str) -> str:
    """Which process holds the store, from DuckDB's lock error ("Conflicting lock is held
    in /usr/bin/python3 (PID 4242)"): "PID 4242: streamlit run app.py" with its command
    line where this system shows it (/proc), else "PID 4242: /usr/bin/python3"; "" when
    the message names none."""
    found = _LOCK_PID.search(message)
    if found is None:
        return ""
    pid, program = found["pid"], found["program"]
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        command = " ".join(a.decode(errors="replace") for a in argv if a)
    except OSError:  # not Linux, or the process has just ended
        command = ""
    command = command or program
    return f"PID {pid}: {command if len(command) <= 120 else command[:119] + '…'}"


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """Column names of ``table`` in order; ValidationError for an unknown table."""
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "ORDER BY ordinal_position",
        [table],
    ).fetchall()
    if not rows:
        raise ValidationError(f"table {table!r} is not in the PAII schema")
    return [r[0] for r in rows]


def write_frame(
    con: duckdb.DuckDBPyConnection,
    table: str,
    frame: pd.DataFrame,
    *,
    replace_where: Mapping[str, Any] | None = None,
) -> int:
    """Insert ``frame`` into ``table`` in one transaction; return the rows written.

    ``replace_where`` first deletes the rows matching every ``column = value`` given, so a
    product is swapped in whole: readers see the old rows or the new ones, never a mix.
    Columns missing from ``frame`` get their defaults; extra columns are an error.
    """
    columns = table_columns(con, table)
    extra = [c for c in frame.columns if c not in columns]
    if extra:
        raise ValidationError(f"columns {extra} are not in table {table!r} (it has {columns})")
    for key in replace_where or {}:
        if key not in columns:
            raise ValidationError(f"replace_where column {key!r} is not in table {table!r}")
    names = list(frame.columns)
    con.register("_paii_incoming", frame)
    try:
        con.execute("BEGIN TRANSACTION")
        if replace_where:
            clause = " AND ".join(f'"{k}" = ?' for k in replace_where)
            con.execute(f'DELETE FROM "{table}" WHERE {clause}', list(replace_where.values()))
        cols = ", ".join(f'"{c}"' for c in names)
        con.execute(f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM _paii_incoming')
        con.execute("COMMIT")
    except duckdb.Error as e:
        con.execute("ROLLBACK")
        raise StoreError(
            f"writing {len(frame)} rows to {table!r} failed, nothing changed: {e}"
        ) from e
    finally:
        con.unregister("_paii_incoming")
    return len(frame)


def refresh_database(
    build: Callable[[duckdb.DuckDBPyConnection], None], path: Path | str | None = None
) -> Path:
    """Build a whole new database with ``build(con)`` and swap it in atomically.

    The new file is written beside the old one and renamed over it only when ``build``
    has finished; the people's tables (:data:`USER_TABLES`, e.g. the audit trail) are
    copied over from the old file first. If anything fails the old database is untouched
    and the partial file is removed.
    """
    target = Path(path) if path is not None else paths().database
    make_private_folder(target.parent)
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    try:
        con = connect(tmp)
        try:
            build(con)
            if target.exists():
                _carry_user_tables(con, target)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        if target.exists():
            # The new file is owner-only; a mode the operator chose for the old one (a
            # group shared by the dashboard's and the CLI's users) is kept.
            os.chmod(tmp, stat.S_IMODE(target.stat().st_mode))
        os.replace(tmp, target)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return target


def _carry_user_tables(con: duckdb.DuckDBPyConnection, old: Path) -> None:
    with _translate("copy the audit trail from the previous database", old):
        # ATTACH takes no parameters: quote the path as an SQL literal.
        literal = str(old).replace("'", "''")
        mine = {table: table_columns(con, table) for table in USER_TABLES}  # before ATTACH
        con.execute(f"ATTACH '{literal}' AS old_db (READ_ONLY)")
        try:
            carried = set()
            for table in USER_TABLES:
                # By name, the columns both have: the old file may be at an older
                # schema (a store from before the audit chain, never opened since).
                old_columns = {
                    r[0]
                    for r in con.execute(
                        "SELECT column_name FROM information_schema.columns "
                        "WHERE table_catalog = 'old_db' AND table_name = ?",
                        [table],
                    ).fetchall()
                }
                if not old_columns:
                    continue
                cols = ", ".join(f'"{c}"' for c in mine[table] if c in old_columns)
                con.execute(f'DELETE FROM "{table}"')
                con.execute(f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM old_db."{table}"')
                carried.add(table)
            if "audit" in carried and "audit_chain" not in carried:
                con.execute("DELETE FROM audit_chain")  # the new file's record, not the trail's
                seal_unchained(con)
        finally:
            con.execute("DETACH old_db")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def log_event(
    con: duckdb.DuckDBPyConnection,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    detail: Mapping[str, Any] | None = None,
) -> int:
    """Append one row to the audit trail (who, when, what), chained to the previous
    event by its hash (:mod:`paii_core.store.audit_chain`); returns its event id.

    Appends are serialised in this process (:data:`_APPEND_LOCK`; DuckDB lets only one
    process write a file). Underneath, the new event's id is the last one's plus one and
    ids are the primary key, so two writers that read the same last event (one of them
    inside a transaction not yet committed) cannot both append after it: the chain
    cannot fork. The loser's insert is refused and it retries, after a short wait, with
    the winner's event as its predecessor. Inside a caller's transaction (save_decision)
    the refusal aborts that transaction: the StoreError says "transaction conflict" and
    the caller retries the whole of it.
    """
    if not actor.strip():
        raise ValidationError("actor should name who acted (a user name or 'paii demo build')")
    text = json.dumps(detail or {}, default=str)
    for attempt in range(_AUDIT_RETRIES):
        if attempt:
            time.sleep(0.005 * 2**attempt)  # let the winner's transaction commit
        try:
            with _APPEND_LOCK:
                return _append(con, actor, action, entity, entity_id, text)
        except duckdb.Error as e:
            message = str(e).lower()
            lost = isinstance(e, duckdb.TransactionException) or "duplicate key" in message
            if not lost:
                raise StoreError(f"DuckDB could not write the audit trail: {e}") from e
            if "transaction is aborted" in message or attempt == _AUDIT_RETRIES - 1:
                raise StoreError(
                    f"DuckDB could not write the audit trail (transaction conflict): {e}"
                ) from e
    raise AssertionError("unreachable")


_AUDIT_RETRIES = 8
_APPEND_LOCK = threading.Lock()
"""Serialises this process's audit appends (read the last event, insert the next one).
Without it two dashboard sessions appending at once kept losing the race to each other:
132 hash computations for 80 events from two threads, and one writer ran out of its 8
tries."""


def _append(
    con: duckdb.DuckDBPyConnection, actor: str, action: str, entity: str, entity_id: str,
    text: str,
) -> int:  # fmt: skip
    last = con.execute("SELECT event_id, hash FROM audit ORDER BY event_id DESC LIMIT 1").fetchone()
    # Ids follow the rows, not a sequence, so they survive refresh_database's copy.
    event_id = 1 if last is None else int(last[0]) + 1
    prev = GENESIS if last is None else last[1]
    at = _now()
    digest = link_hash(event_id, at, actor, action, entity, entity_id, text, prev)
    con.execute(
        'INSERT INTO audit (event_id, "at", actor, action, entity, entity_id, detail, '
        "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [event_id, at, actor, action, entity, entity_id, text, prev, digest],
    )
    return event_id


def read_meta(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The key/value facts about this database (built_at, seed, world size, simulated)."""
    with _translate("read the meta table"):
        return dict(con.execute("SELECT key, value FROM meta ORDER BY key").fetchall())


def county_metric_frame(
    con: duckdb.DuckDBPyConnection,
    region_id: str,
    metric: str,
    *,
    crop: str = "",
    asof: date | None = None,
) -> pd.DataFrame:
    """Every county of a region with the latest value of ``metric`` up to ``asof``.

    Counties without a value keep NaN. Columns: county_id, name, parent, area_km2,
    centroid_lon, centroid_lat, geometry_wkb, value, unit, period_start, source, simulated.
    """
    sql = """
        WITH latest AS (
            SELECT county_id, value, unit, period_start, source, simulated,
                   row_number() OVER (PARTITION BY county_id ORDER BY period_start DESC) AS rn
            FROM county_metrics
            WHERE metric = ? AND crop = ? AND period_start <= ? AND value IS NOT NULL
        )
        SELECT c.county_id, c.name, c.parent, c.area_km2, c.centroid_lon, c.centroid_lat,
               c.geometry_wkb, l.value, l.unit, l.period_start, l.source, l.simulated
        FROM counties c LEFT JOIN latest l ON l.county_id = c.county_id AND l.rn = 1
        WHERE c.region_id = ? ORDER BY c.county_id
    """
    with _translate(f"read metric {metric!r} for region {region_id!r}"):
        frame = con.execute(sql, [metric, crop, asof or date.max, region_id]).df()
    frame["value"] = frame["value"].astype(float)
    return frame


def county_metric_history(
    con: duckdb.DuckDBPyConnection,
    region_id: str,
    metric: str,
    *,
    crop: str = "",
    asof: date | None = None,
) -> pd.DataFrame:
    """All periods of ``metric`` for a region's counties up to ``asof``.

    Columns: county_id, period_start, value, unit, source, simulated.
    """
    sql = """
        SELECT m.county_id, m.period_start, m.value, m.unit, m.source, m.simulated
        FROM county_metrics m JOIN counties c USING (county_id)
        WHERE c.region_id = ? AND m.metric = ? AND m.crop = ? AND m.period_start <= ?
        ORDER BY m.county_id, m.period_start
    """
    with _translate(f"read the history of {metric!r} for region {region_id!r}"):
        frame = con.execute(sql, [region_id, metric, crop, asof or date.max]).df()
    frame["value"] = frame["value"].astype(float)
    return frame


def metric_crops(con: duckdb.DuckDBPyConnection, region_id: str, metric: str) -> list[str]:
    """Crops with stored values of ``metric`` in a region, most rows first."""
    with _translate(f"read the crops of {metric!r} for region {region_id!r}"):
        rows = con.execute(
            "SELECT m.crop FROM county_metrics m JOIN counties c USING (county_id) "
            "WHERE c.region_id = ? AND m.metric = ? AND m.crop <> '' "
            "GROUP BY m.crop ORDER BY count(*) DESC, m.crop",
            [region_id, metric],
        ).fetchall()
    return [r[0] for r in rows]


def data_period(con: duckdb.DuckDBPyConnection) -> tuple[date, date] | None:
    """First and last period with county metrics, or None for an empty store."""
    with _translate("read the data period"):
        lo, hi = con.execute(
            "SELECT min(period_start), max(period_start) FROM county_metrics"
        ).fetchone()
    return None if lo is None else (lo, hi)
