"""The carbon feature's SQL: XCO2 county aggregates and grids, written whole, read by region."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from paii_core.store.core import _translate, write_frame

__all__ = [
    "carbon_frame",
    "carbon_input_hash",
    "carbon_periods",
    "carbon_series",
    "write_carbon",
]


def write_carbon(
    con: duckdb.DuckDBPyConnection, region_id: str, counties: pd.DataFrame, grid: pd.DataFrame
) -> int:
    """Replace a region's XCO2 county rows and grid with these (each in one transaction)."""
    n = write_frame(con, "xco2_county", counties, replace_where={"region_id": region_id})
    write_frame(con, "xco2_grid", grid, replace_where={"region_id": region_id})
    return n


def carbon_periods(con: duckdb.DuckDBPyConnection, region_id: str) -> list[date]:
    """Periods with XCO2 results for a region, oldest first (empty before a run)."""
    with _translate(f"read the XCO2 periods of {region_id!r}"):
        rows = con.execute(
            "SELECT DISTINCT period FROM xco2_county WHERE region_id = ? ORDER BY period",
            [region_id],
        ).fetchall()
    return [r[0] for r in rows]


def carbon_input_hash(con: duckdb.DuckDBPyConnection, region_id: str) -> str | None:
    """Hash of the sounding files behind a region's stored results, or None."""
    with _translate("read the XCO2 input hash"):
        row = con.execute(
            "SELECT max(input_hash) FROM xco2_county WHERE region_id = ?", [region_id]
        ).fetchone()
    return row[0]


def carbon_frame(con: duckdb.DuckDBPyConnection, region_id: str, period: date) -> pd.DataFrame:
    """Every county of a region with its XCO2 for ``period`` and its outline.

    Columns: county_id, name, parent, geometry_wkb, centroid_lon, centroid_lat, then the
    xco2_county columns (NaN / 'none' where a county has no row).
    """
    sql = """
        SELECT c.county_id, c.name, c.parent, c.geometry_wkb, c.centroid_lon, c.centroid_lat,
               x.period, coalesce(x.n_soundings, 0) AS n_soundings, x.xco2_mean, x.xco2_se,
               x.xco2_std, x.background, coalesce(x.low_count, TRUE) AS low_count,
               x.xco2_interp, x.xco2_interp_sd, x.xco2, x.xco2_sd, x.xco2_anomaly,
               coalesce(x.source, 'none') AS source, coalesce(x.simulated, FALSE) AS simulated
        FROM counties c
        LEFT JOIN xco2_county x ON x.county_id = c.county_id AND x.period = ?
        WHERE c.region_id = ? ORDER BY c.county_id
    """
    with _translate(f"read XCO2 of {region_id!r} for {period}"):
        frame = con.execute(sql, [period, region_id]).df()
    for c in (
        "xco2_mean",
        "xco2_se",
        "xco2_std",
        "background",
        "xco2_interp",
        "xco2_interp_sd",
        "xco2",
        "xco2_sd",
        "xco2_anomaly",
    ):
        frame[c] = frame[c].astype(float)
    return frame


def carbon_series(con: duckdb.DuckDBPyConnection, county_id: str) -> pd.DataFrame:
    """A county's periods: period, xco2, xco2_sd, background, xco2_anomaly, source,
    n_soundings, simulated."""
    with _translate(f"read the XCO2 series of county {county_id!r}"):
        return con.execute(
            "SELECT period, xco2, xco2_sd, background, xco2_anomaly, source, n_soundings, "
            "simulated FROM xco2_county WHERE county_id = ? ORDER BY period",
            [county_id],
        ).df()
