"""Workspace queries: regions, their counties, areas and their input files, provenance."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pandas as pd

from paii_core.errors import StoreError

__all__ = [
    "area_frame",
    "area_products",
    "county_frame",
    "county_owners",
    "file_summary",
    "insert_area",
    "insert_region",
    "kind_products",
    "region_frame",
    "region_inventory",
    "region_products",
]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _read(con: duckdb.DuckDBPyConnection, what: str, sql: str, params: list) -> pd.DataFrame:
    try:
        return con.execute(sql, params).df()
    except duckdb.Error as e:
        raise StoreError(f"could not read {what}: {e}") from e


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    name = f"_paii_{table}"
    con.register(name, frame)
    try:
        cols = ", ".join(f'"{c}"' for c in frame.columns)
        con.execute(f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM {name}')
    finally:
        con.unregister(name)


def _transaction(
    con: duckdb.DuckDBPyConnection, what: str, steps: list[tuple[str, object]]
) -> None:
    """Run ``steps`` (SQL with params, or (table, frame) inserts) all or nothing."""
    try:
        con.execute("BEGIN TRANSACTION")
        for first, second in steps:
            if isinstance(second, pd.DataFrame):
                _insert(con, first, second)
            else:
                con.execute(first, second)
        con.execute("COMMIT")
    except duckdb.Error as e:
        con.execute("ROLLBACK")
        raise StoreError(f"writing {what} failed, nothing changed: {e}") from e


def region_frame(con: duckdb.DuckDBPyConnection, region_id: str | None = None) -> pd.DataFrame:
    """Stored regions (one, or all when ``region_id`` is None), by id."""
    sql = "SELECT * FROM regions WHERE ? IS NULL OR region_id = ? ORDER BY region_id"
    return _read(con, "regions", sql, [region_id, region_id])


def county_owners(con: duckdb.DuckDBPyConnection, county_ids: list[str]) -> pd.DataFrame:
    """county_id, region_id of the stored counties among ``county_ids``."""
    frame = pd.DataFrame({"county_id": county_ids})
    con.register("_paii_ids", frame)
    try:
        return _read(
            con,
            "counties",
            "SELECT c.county_id, c.region_id FROM counties c JOIN _paii_ids i USING (county_id)",
            [],
        )
    finally:
        con.unregister("_paii_ids")


def insert_region(
    con: duckdb.DuckDBPyConnection, region: dict, counties: pd.DataFrame, *, replace: bool
) -> None:
    """Write a region row and its counties in one transaction (replacing both if asked)."""
    row = pd.DataFrame([{**region, "created_at": _now()}])
    steps: list[tuple[str, object]] = []
    if replace:
        rid = [region["region_id"]]
        steps += [("DELETE FROM counties WHERE region_id = ?", rid)]
        steps += [("DELETE FROM regions WHERE region_id = ?", rid)]
    steps += [("regions", row), ("counties", counties)]
    _transaction(con, f"region {region['region_id']!r}", steps)


def area_frame(con: duckdb.DuckDBPyConnection, region_id: str | None = None) -> pd.DataFrame:
    """Stored areas (of one region, or all), by id."""
    sql = "SELECT * FROM areas WHERE ? IS NULL OR region_id = ? ORDER BY aoi_id"
    return _read(con, "areas", sql, [region_id, region_id])


def area_products(
    con: duckdb.DuckDBPyConnection, aoi_id: str, kind: str | None = None
) -> pd.DataFrame:
    """An area's input files (of one kind, or all), by kind and date."""
    sql = (
        "SELECT kind, acquired, path, input_hash, details, simulated, created_at FROM products "
        "WHERE aoi_id = ? AND (? IS NULL OR kind = ?) ORDER BY kind, acquired, path"
    )
    return _read(con, f"the files of area {aoi_id}", sql, [aoi_id, kind, kind])


def county_frame(con: duckdb.DuckDBPyConnection, region_id: str) -> pd.DataFrame:
    """A region's counties: county_id, name, centroid_lon, centroid_lat, geometry_wkb."""
    sql = (
        "SELECT county_id, name, centroid_lon, centroid_lat, geometry_wkb FROM counties "
        "WHERE region_id = ? ORDER BY county_id"
    )
    return _read(con, f"the counties of {region_id}", sql, [region_id])


def insert_area(
    con: duckdb.DuckDBPyConnection, area: dict, products: pd.DataFrame, *, replace: bool
) -> None:
    """Write an area row and its input files (products) in one transaction."""
    row = pd.DataFrame([{**area, "created_at": _now()}])
    steps: list[tuple[str, object]] = []
    if replace:
        aid = [area["aoi_id"]]
        steps += [("DELETE FROM products WHERE aoi_id = ?", aid)]
        steps += [("DELETE FROM areas WHERE aoi_id = ?", aid)]
    steps += [("areas", row)]
    if len(products):
        steps += [("products", products.assign(created_at=_now()))]
    _transaction(con, f"area {area['aoi_id']!r}", steps)


def kind_products(con: duckdb.DuckDBPyConnection, kind: str) -> pd.DataFrame:
    """Every stored file of one kind (e.g. ``oco2_lite``), by acquisition date."""
    sql = "SELECT * FROM products WHERE kind = ? ORDER BY acquired, path"
    return _read(con, f"the {kind} files", sql, [kind])


def region_products(
    con: duckdb.DuckDBPyConnection, region_id: str, kind: str | None = None
) -> pd.DataFrame:
    """Region-wide input files (yield CSVs, feature tables...) of a region, newest first."""
    sql = (
        "SELECT * FROM products WHERE region_id = ? AND (? IS NULL OR kind = ?) "
        "ORDER BY created_at DESC, product_id"
    )
    return _read(con, f"the files of region {region_id}", sql, [region_id, kind, kind])


def region_inventory(con: duckdb.DuckDBPyConnection, region_id: str) -> pd.DataFrame:
    """What a region holds, one row per kind of data: kind, rows, first, last, updated
    (for policies: the last import of the region's policies), simulated (any row
    simulated), observed (any row not simulated)."""
    sql = """
        SELECT 'yields' AS kind, count(*) AS rows, min(period_start) AS first,
               max(period_start) AS last, max(updated_at) AS updated,
               coalesce(bool_or(simulated), false) AS simulated,
               coalesce(bool_or(NOT simulated), false) AS observed
        FROM county_metrics m JOIN counties c USING (county_id)
        WHERE c.region_id = ? AND m.metric = 'yield'
        UNION ALL
        SELECT 'county statistics', count(*), min(period_start), max(period_start),
               max(updated_at), coalesce(bool_or(simulated), false),
               coalesce(bool_or(NOT simulated), false)
        FROM county_metrics m JOIN counties c USING (county_id)
        WHERE c.region_id = ? AND m.metric <> 'yield'
        UNION ALL
        SELECT 'policies', count(*), min(start_date), max(end_date),
               (SELECT max(imported_at) FROM data_imports
                WHERE kind = 'policies' AND region_id = ?),
               coalesce(bool_or(simulated), false), coalesce(bool_or(NOT simulated), false)
        FROM policies WHERE region_id = ?
        UNION ALL
        SELECT 'XCO2 county months', count(*), min(period), max(period), max(updated_at),
               coalesce(bool_or(simulated), false), coalesce(bool_or(NOT simulated), false)
        FROM xco2_county WHERE region_id = ? AND source = 'measured'
        UNION ALL
        SELECT 'yield forecasts', count(*), make_date(min(year), 1, 1),
               make_date(max(year), 1, 1), max(created_at),
               coalesce(bool_or(simulated), false), coalesce(bool_or(NOT simulated), false)
        FROM yield_forecasts WHERE region_id = ?
        UNION ALL
        SELECT 'flood events', count(*), min(first_date), max(last_date), max(created_at),
               coalesce(bool_or(simulated), false), coalesce(bool_or(NOT simulated), false)
        FROM flood_events WHERE region_id = ?
    """
    return _read(con, f"the inventory of region {region_id}", sql, [region_id] * 7)


def file_summary(con: duckdb.DuckDBPyConnection, region_id: str) -> pd.DataFrame:
    """The region's region-wide files and all sounding files, one row per kind: kind,
    files, first, last (acquisition dates), added, simulated, observed."""
    sql = """
        SELECT kind, count(*) AS files, min(acquired) AS first, max(acquired) AS last,
               max(created_at) AS added, bool_or(simulated) AS simulated,
               bool_or(NOT simulated) AS observed
        FROM products
        WHERE (region_id = ? AND aoi_id IS NULL) OR kind = 'oco2_lite'
        GROUP BY kind ORDER BY kind
    """
    return _read(con, f"the files of region {region_id}", sql, [region_id])
