"""The yield feature's SQL: forecasts, drivers and backtests, written whole per region."""

from __future__ import annotations

import duckdb
import pandas as pd

from paii_core.store.core import _translate, write_frame

__all__ = [
    "region_yields",
    "write_yield_run",
    "yield_backtest_frame",
    "yield_backtest_rows",
    "yield_drivers",
    "yield_forecast_frame",
    "yield_history",
    "yield_runs",
]


def write_yield_run(
    con: duckdb.DuckDBPyConnection,
    region_id: str,
    forecasts: pd.DataFrame,
    drivers: pd.DataFrame,
    backtests: pd.DataFrame | None,
) -> int:
    """Replace a region's forecasts and drivers (and backtests, when given) with these.

    Each table is swapped in one transaction; returns the forecast rows written.
    """
    n = write_frame(con, "yield_forecasts", forecasts, replace_where={"region_id": region_id})
    write_frame(con, "yield_drivers", drivers, replace_where={"region_id": region_id})
    if backtests is not None:
        write_frame(con, "yield_backtests", backtests, replace_where={"region_id": region_id})
    return n


def yield_runs(con: duckdb.DuckDBPyConnection, region_id: str) -> pd.DataFrame:
    """What is stored for a region: crop, year, as_of, unit, model_version, created_at."""
    with _translate(f"read the yield forecasts of {region_id!r}"):
        return con.execute(
            "SELECT crop, year, as_of, any_value(unit) AS unit, "
            "any_value(model_version) AS model_version, max(created_at) AS created_at "
            "FROM yield_forecasts WHERE region_id = ? GROUP BY crop, year, as_of "
            "ORDER BY crop, year, as_of",
            [region_id],
        ).df()


def yield_forecast_frame(
    con: duckdb.DuckDBPyConnection, region_id: str, crop: str, year: int, asof: str
) -> pd.DataFrame:
    """Every county of the region with its forecast and the observed 5-year mean before.

    Columns: county_id, name, geometry_wkb, trend, p10, p50, p90, unit, model_version,
    mean5 (mean observed yield of year-5..year-1), obs (the year's outcome when known),
    simulated (the forecast's inputs were simulated).
    Counties without a forecast keep NaN.
    """
    sql = """
        WITH hist AS (
            SELECT county_id,
                   avg(value) FILTER (WHERE year(period_start) BETWEEN ? AND ?) AS mean5,
                   max(value) FILTER (WHERE year(period_start) = ?) AS obs
            FROM county_metrics WHERE metric = 'yield' AND crop = ? AND value IS NOT NULL
            GROUP BY county_id
        )
        SELECT c.county_id, c.name, c.geometry_wkb, f.trend, f.p10, f.p50, f.p90, f.unit,
               f.model_version, f.simulated, h.mean5, h.obs
        FROM counties c
        LEFT JOIN yield_forecasts f ON f.county_id = c.county_id AND f.crop = ?
             AND f.year = ? AND f.as_of = ?
        LEFT JOIN hist h ON h.county_id = c.county_id
        WHERE c.region_id = ? ORDER BY c.county_id
    """
    params = [year - 5, year - 1, year, crop, crop, year, asof, region_id]
    with _translate(f"read the {crop} forecasts of {region_id!r}"):
        frame = con.execute(sql, params).df()
    for col in ("trend", "p10", "p50", "p90", "mean5", "obs"):
        frame[col] = frame[col].astype(float)
    return frame


def yield_history(
    con: duckdb.DuckDBPyConnection, county_id: str, crop: str, asof: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A county's observed yields (year, value, unit) and its stored forecasts at ``asof``
    (year, trend, p10, p50, p90, unit)."""
    with _translate(f"read the yield history of county {county_id}"):
        observed = con.execute(
            "SELECT year(period_start) AS year, value, unit FROM county_metrics "
            "WHERE metric = 'yield' AND county_id = ? AND crop = ? AND value IS NOT NULL "
            "ORDER BY period_start",
            [county_id, crop],
        ).df()
        forecasts = con.execute(
            "SELECT year, trend, p10, p50, p90, unit FROM yield_forecasts "
            "WHERE county_id = ? AND crop = ? AND as_of = ? ORDER BY year",
            [county_id, crop, asof],
        ).df()
    return observed, forecasts


def yield_drivers(
    con: duckdb.DuckDBPyConnection, county_id: str, crop: str, year: int, asof: str
) -> pd.DataFrame:
    """One forecast's drivers (driver, contribution in log points), largest effect first."""
    with _translate(f"read the forecast drivers of county {county_id}"):
        return con.execute(
            "SELECT driver, contribution FROM yield_drivers WHERE county_id = ? AND crop = ? "
            "AND year = ? AND as_of = ? ORDER BY abs(contribution) DESC",
            [county_id, crop, year, asof],
        ).df()


def yield_backtest_rows(con: duckdb.DuckDBPyConnection, region_id: str, crop: str) -> pd.DataFrame:
    """Every stored backtest row of a region's crop (all as-of dates)."""
    with _translate(f"read the {crop} backtests of {region_id!r}"):
        return con.execute(
            "SELECT b.county_id, c.name, b.year, b.as_of, b.obs, b.trend, b.p10, b.p50, b.p90, "
            "b.accuracy, b.trend_accuracy, b.covered, b.unit, b.model_version "
            "FROM yield_backtests b JOIN counties c USING (county_id) "
            "WHERE b.region_id = ? AND b.crop = ? ORDER BY b.as_of, b.county_id, b.year",
            [region_id, crop],
        ).df()


def yield_backtest_frame(
    con: duckdb.DuckDBPyConnection, region_id: str, crop: str, asof: str
) -> pd.DataFrame:
    """Every county with its mean backtest accuracy at ``asof`` (NaN where none).

    Columns: county_id, name, geometry_wkb, accuracy, trend_accuracy, coverage, years.
    """
    sql = """
        WITH acc AS (
            SELECT county_id, avg(accuracy) AS accuracy, avg(trend_accuracy) AS trend_accuracy,
                   avg(CAST(covered AS DOUBLE)) AS coverage, count(*) AS years
            FROM yield_backtests WHERE region_id = ? AND crop = ? AND as_of = ?
            GROUP BY county_id
        )
        SELECT c.county_id, c.name, c.geometry_wkb, a.accuracy, a.trend_accuracy,
               a.coverage, a.years
        FROM counties c LEFT JOIN acc a USING (county_id)
        WHERE c.region_id = ? ORDER BY c.county_id
    """
    with _translate(f"read the {crop} backtest accuracy of {region_id!r}"):
        frame = con.execute(sql, [region_id, crop, asof, region_id]).df()
    for col in ("accuracy", "trend_accuracy", "coverage"):
        frame[col] = frame[col].astype(float)
    return frame


def region_yields(con: duckdb.DuckDBPyConnection, region_id: str) -> pd.DataFrame:
    """A region's observed county yields (the county_metrics "yield" rows), one per
    county, crop and year (the newest source when several hold one).

    Columns: county_id, crop, year, yield, unit, simulated.
    """
    sql = """
        SELECT county_id, crop, year, value AS yield, unit, simulated FROM (
            SELECT m.county_id, m.crop, year(m.period_start) AS year, m.value, m.unit,
                   m.simulated,
                   row_number() OVER (PARTITION BY m.county_id, m.crop, m.period_start
                                      ORDER BY m.updated_at DESC, m.source) AS rn
            FROM county_metrics m JOIN counties c USING (county_id)
            WHERE c.region_id = ? AND m.metric = 'yield' AND m.value IS NOT NULL
        ) WHERE rn = 1 ORDER BY crop, county_id, year
    """
    with _translate(f"read the yields of {region_id!r}"):
        return con.execute(sql, [region_id]).df()
