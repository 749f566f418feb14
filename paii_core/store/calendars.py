"""Crop calendar queries: the defaults a demo build stores and the rows users add."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import duckdb
import pandas as pd

from paii_core.crops.calendars import CropCalendar, calendars_by_crop
from paii_core.errors import StoreError, ValidationError

__all__ = ["add_calendar", "calendar_rows", "region_calendars", "seed_calendars"]

COLUMNS = ["region_id", "crop", "sow", "harvest", "source", "added_by", "added_at"]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def calendar_rows(con: duckdb.DuckDBPyConnection, region_id: str | None = None) -> pd.DataFrame:
    """The stored calendars (all regions when ``region_id`` is None) by region and crop."""
    try:
        return con.execute(
            f"SELECT {', '.join(COLUMNS)} FROM crop_calendars "
            "WHERE ? IS NULL OR region_id = ? ORDER BY region_id, crop",
            [region_id, region_id],
        ).df()
    except duckdb.Error as e:
        raise StoreError(f"could not read the crop calendars: {e}") from e


def region_calendars(con: duckdb.DuckDBPyConnection, region_id: str) -> dict[str, CropCalendar]:
    """The calendars of one region by crop, as recognition takes them (may be empty)."""
    return calendars_by_crop(calendar_rows(con, region_id).to_dict("records"))


def _known_regions(con: duckdb.DuckDBPyConnection) -> list[str]:
    try:
        return [r[0] for r in con.execute("SELECT region_id FROM regions ORDER BY 1").fetchall()]
    except duckdb.Error as e:
        raise StoreError(f"could not read the regions: {e}") from e


def add_calendar(
    con: duckdb.DuckDBPyConnection, calendar: CropCalendar, *, who: str
) -> CropCalendar:
    """Add (or replace) the calendar of ``calendar.crop`` in ``calendar.region_id``.

    Raises:
        ValidationError: a region the store does not hold (the known ones are listed).
        StoreError: the write failed; nothing changed.
    """
    known = _known_regions(con)
    if calendar.region_id not in known:
        raise ValidationError(
            f"--region {calendar.region_id!r} is not in the store; known regions: "
            f"{', '.join(known) or 'none'} (add it with `paii region add`)"
        )
    row = [calendar.region_id, calendar.crop, calendar.sow, calendar.harvest, calendar.source]
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute("DELETE FROM crop_calendars WHERE region_id = ? AND crop = ?", row[:2])
        con.execute("INSERT INTO crop_calendars VALUES (?, ?, ?, ?, ?, ?, ?)", [*row, who, _now()])
        con.execute("COMMIT")
    except duckdb.Error as e:
        con.execute("ROLLBACK")
        raise StoreError(f"could not store the calendar of {calendar.crop!r}: {e}") from e
    return calendar


def seed_calendars(
    con: duckdb.DuckDBPyConnection, calendars: Iterable[CropCalendar], *, who: str
) -> int:
    """Store default calendars where the region has none for that crop yet (a user's row
    is never overwritten); returns the rows added."""
    rows = [[c.region_id, c.crop, c.sow, c.harvest, c.source, who, _now()] for c in calendars]
    try:
        before = con.execute("SELECT count(*) FROM crop_calendars").fetchone()[0]
        con.executemany(
            "INSERT INTO crop_calendars VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", rows
        )
        return con.execute("SELECT count(*) FROM crop_calendars").fetchone()[0] - before
    except duckdb.Error as e:
        raise StoreError(f"could not store the default crop calendars: {e}") from e
