"""Flood queries: save a mapped event whole, read events, products and impacts."""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb
import pandas as pd

from paii_core.access import Principal, require
from paii_core.errors import StoreError
from paii_core.store.core import write_frame

__all__ = ["county_impacts", "drop_events", "event_frame", "events", "policy_hits", "save_event"]

_TABLES = ("flood_products", "flood_policy_impacts", "flood_county_impacts", "flood_crop_impacts")
_POLICY_TABLES = frozenset({"flood_policy_impacts", "flood_crop_impacts"})
"""Tables made of policy rows or of policyholders' declarations (declared crop, plot
hectares, policies hit per declared crop): read only by a principal allowed policy data."""


def save_event(
    con: duckdb.DuckDBPyConnection,
    event: dict,
    *,
    products: pd.DataFrame,
    policies: pd.DataFrame,
    counties: pd.DataFrame,
    crops: pd.DataFrame,
) -> None:
    """Replace everything stored for ``event['event_id']`` with these rows.

    Each table is swapped in its own transaction; the event row goes in last, so a
    reader that finds the event finds its products and impacts.
    """
    event_id = event["event_id"]
    simulated = bool(event["simulated"])
    for table, frame in zip(_TABLES, (products, policies, counties, crops), strict=True):
        rows = frame.assign(event_id=event_id, simulated=simulated)
        write_frame(con, table, rows, replace_where={"event_id": event_id})
    row = pd.DataFrame([{**event, "created_at": datetime.now(UTC).replace(tzinfo=None)}])
    write_frame(con, "flood_events", row, replace_where={"event_id": event_id})


def drop_events(con: duckdb.DuckDBPyConnection, aoi_id: str, *, keep: str) -> list[str]:
    """Delete area ``aoi_id``'s flood events other than ``keep`` (all their rows, one
    transaction); returns the ids dropped."""
    try:
        gone = [
            r[0]
            for r in con.execute(
                "SELECT event_id FROM flood_events WHERE aoi_id = ? AND event_id <> ?",
                [aoi_id, keep],
            ).fetchall()
        ]
        if not gone:
            return []
        con.execute("BEGIN TRANSACTION")
        try:
            for table in (*_TABLES, "flood_events"):
                con.execute(f'DELETE FROM "{table}" WHERE event_id IN (SELECT unnest(?))', [gone])
            con.execute("COMMIT")
        except duckdb.Error:
            con.execute("ROLLBACK")
            raise
    except duckdb.Error as e:
        raise StoreError(f"could not drop the older flood events of {aoi_id}: {e}") from e
    return gone


def events(con: duckdb.DuckDBPyConnection, region_id: str | None = None) -> pd.DataFrame:
    """Stored flood events, newest first (all regions when ``region_id`` is None)."""
    try:
        return con.execute(
            "SELECT * FROM flood_events WHERE ? IS NULL OR region_id = ? "
            "ORDER BY first_date DESC, event_id",
            [region_id, region_id],
        ).df()
    except duckdb.Error as e:
        raise StoreError(f"could not read flood events: {e}") from e


def event_frame(
    con: duckdb.DuckDBPyConnection,
    table: str,
    event_id: str,
    *,
    principal: Principal | None = None,
) -> pd.DataFrame:
    """All rows of one flood table for ``event_id``.

    Raises:
        StoreError: ``table`` is not a flood table.
        AccessDeniedError: ``table`` holds policy rows or declarations
            (flood_policy_impacts, flood_crop_impacts) and ``principal`` may not see
            policy data.
    """
    if table not in _TABLES:
        raise StoreError(f"{table!r} is not a flood table; use one of {', '.join(_TABLES)}")
    if table in _POLICY_TABLES:
        require(con, principal, "policy_data")
    try:
        return con.execute(f'SELECT * FROM "{table}" WHERE event_id = ?', [event_id]).df()
    except duckdb.Error as e:
        raise StoreError(f"could not read {table} for event {event_id}: {e}") from e


def county_impacts(
    con: duckdb.DuckDBPyConnection, event_id: str, region_id: str, acquired: date
) -> pd.DataFrame:
    """Every county of the region with its flooded cropland (km2) on ``acquired``.

    Columns county_id, name, geometry_wkb, value (NaN where the event has no figure
    for the county, so the map draws it grey), flooded_km2.
    """
    try:
        return con.execute(
            "SELECT c.county_id, c.name, c.geometry_wkb, i.cropland_flooded_km2 AS value, "
            "i.flooded_km2 FROM counties c LEFT JOIN flood_county_impacts i "
            "ON i.county_id = c.county_id AND i.event_id = ? AND i.acquired = ? "
            "WHERE c.region_id = ? ORDER BY c.county_id",
            [event_id, acquired, region_id],
        ).df()
    except duckdb.Error as e:
        raise StoreError(f"could not read county flood impacts of {event_id}: {e}") from e


def policy_hits(
    con: duckdb.DuckDBPyConnection, event_id: str, *, principal: Principal | None
) -> pd.DataFrame:
    """Policies the event reached (any flooded share), most flooded first, with insured.

    Raises AccessDeniedError unless ``principal`` may see policy data.
    """
    require(con, principal, "policy_data")
    try:
        return con.execute(
            "SELECT i.policy_id, p.insured, i.declared_crop, i.county_id, i.parcel_ha, "
            "i.peak_flooded_share, i.peak_flooded_ha, i.peak_date, i.days_flooded "
            "FROM flood_policy_impacts i LEFT JOIN policies p ON p.policy_id = i.policy_id "
            "WHERE i.event_id = ? AND i.peak_flooded_share > 0 "
            "ORDER BY i.peak_flooded_share DESC, i.policy_id",
            [event_id],
        ).df()
    except duckdb.Error as e:
        raise StoreError(f"could not read flooded policies of {event_id}: {e}") from e
