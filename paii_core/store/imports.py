"""The imports' SQL: a region's facts and counties, all-or-nothing writes, the import log."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import geopandas as gpd
import pandas as pd
import shapely

from paii_core.errors import StoreError, ValidationError
from paii_core.store.core import _translate, log_event, table_columns

__all__ = [
    "ImportLog",
    "RegionFacts",
    "data_imports",
    "existing_policy_regions",
    "region_aois",
    "region_facts",
    "write_import",
]


@dataclass(frozen=True, eq=False)
class RegionFacts:
    """What an import needs to know of a region: its unit, country and counties."""

    region_id: str
    name: str
    country: str
    yield_unit: str
    counties: gpd.GeoDataFrame
    """county_id (zero-padded text), name, geometry (EPSG:4326)."""


def region_facts(con: duckdb.DuckDBPyConnection, region_id: str) -> RegionFacts:
    """A stored region and its counties.

    Raises:
        ValidationError: the region is not in the store (the known ones are listed) or
            has no counties.
    """
    with _translate(f"read region {region_id!r}"):
        row = con.execute(
            "SELECT name, country, yield_unit FROM regions WHERE region_id = ?", [region_id]
        ).fetchone()
        known = [r[0] for r in con.execute("SELECT region_id FROM regions ORDER BY 1").fetchall()]
    if row is None:
        raise ValidationError(
            f"region {region_id!r} is not in the store; use one of: {', '.join(known) or 'none'} "
            "(`paii region add` adds one)"
        )
    with _translate(f"read the counties of {region_id!r}"):
        frame = con.execute(
            "SELECT county_id, name, geometry_wkb FROM counties WHERE region_id = ? "
            "ORDER BY county_id",
            [region_id],
        ).df()
    if frame.empty:
        raise ValidationError(f"region {region_id!r} has no counties in the store; add them first")
    geoms = shapely.from_wkb([bytes(b) for b in frame["geometry_wkb"]])
    counties = gpd.GeoDataFrame(frame.drop(columns="geometry_wkb"), geometry=geoms, crs=4326)
    return RegionFacts(region_id, str(row[0]), str(row[1]), str(row[2]), counties)


def region_aois(con: duckdb.DuckDBPyConnection, region_id: str) -> pd.DataFrame:
    """A region's areas of interest: aoi_id, west, south, east, north (EPSG:4326)."""
    with _translate(f"read the areas of {region_id!r}"):
        return con.execute(
            "SELECT aoi_id, west, south, east, north FROM aois WHERE region_id = ? ORDER BY aoi_id",
            [region_id],
        ).df()


def existing_policy_regions(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> dict[str, str]:
    """Policy id -> region id of those of ``ids`` already in the store."""
    if not len(ids):
        return {}
    with _translate("look up policy ids"):
        rows = con.execute(
            "SELECT policy_id, region_id FROM policies WHERE list_contains(?, policy_id)",
            [list(ids)],
        ).fetchall()
    return dict(rows)


@dataclass(frozen=True)
class ImportLog:
    """One row of the import log, written in the same transaction as the data."""

    kind: str
    region_id: str
    source: str
    input_hash: str
    rows_read: int
    skipped: dict[str, int]
    simulated: bool
    actor: str


def write_import(
    con: duckdb.DuckDBPyConnection,
    table: str,
    frame: pd.DataFrame,
    *,
    delete_sql: str | None,
    delete_params: list,
    log: ImportLog,
) -> int:
    """Delete what ``delete_sql`` (a WHERE clause on ``table``) selects, insert ``frame``,
    log the import and audit it, all in one transaction: either everything is written or
    the store is left exactly as it was. Returns the rows inserted.

    Raises:
        ValidationError: ``frame`` has columns ``table`` lacks.
        StoreError: DuckDB refused a statement (the transaction is rolled back).
    """
    columns = table_columns(con, table)
    extra = [c for c in frame.columns if c not in columns]
    if extra:
        raise ValidationError(f"columns {extra} are not in table {table!r} (it has {columns})")
    names = ", ".join(f'"{c}"' for c in frame.columns)
    now = datetime.now(UTC).replace(tzinfo=None)
    con.register("_paii_import", frame)
    try:
        con.execute("BEGIN TRANSACTION")
        if delete_sql:
            con.execute(f'DELETE FROM "{table}" WHERE {delete_sql}', delete_params)
        con.execute(f'INSERT INTO "{table}" ({names}) SELECT {names} FROM _paii_import')
        import_id = con.execute(
            "INSERT INTO data_imports SELECT coalesce(max(import_id), 0) + 1, ?, ?, ?, ?, ?, ?, "
            "?, ?, ?, ? FROM data_imports RETURNING import_id",
            [
                log.kind,
                log.region_id,
                log.source,
                log.input_hash,
                log.rows_read,
                len(frame),
                json.dumps(log.skipped, sort_keys=True),
                log.simulated,
                log.actor,
                now,
            ],
        ).fetchone()[0]
        log_event(
            con,
            actor=log.actor,
            action=f"import {log.kind}",
            entity="data_imports",
            entity_id=str(import_id),
            detail={
                "table": table,
                "region_id": log.region_id,
                "source": log.source,
                "rows": len(frame),
            },
        )
        con.execute("COMMIT")
    except (duckdb.Error, StoreError, ValidationError) as e:
        con.execute("ROLLBACK")
        if isinstance(e, duckdb.Error):
            raise StoreError(
                f"importing {log.source} into {table!r} failed, nothing changed: {e}"
            ) from e
        raise
    finally:
        con.unregister("_paii_import")
    return len(frame)


def data_imports(con: duckdb.DuckDBPyConnection, region_id: str | None = None) -> pd.DataFrame:
    """The import log, newest first, of one region or all.

    Columns: import_id, kind, region_id, source, input_hash, rows_read, rows_written,
    skipped (JSON: reason -> rows), simulated, actor, imported_at.
    """
    with _translate("read the import log"):
        return con.execute(
            "SELECT * FROM data_imports WHERE (? IS NULL OR region_id = ?) "
            "ORDER BY imported_at DESC, import_id DESC",
            [region_id, region_id],
        ).df()
