"""Migration 2: county yield forecasts, their drivers and leave-one-year-out backtests."""

VERSION = 2
NAME = "yields: forecasts, drivers and backtests per county, crop, year and as-of date"
STATEMENTS: tuple[str, ...] = (
    """CREATE TABLE yield_forecasts (
        region_id TEXT NOT NULL, county_id TEXT NOT NULL, crop TEXT NOT NULL,
        year INTEGER NOT NULL, as_of TEXT NOT NULL, trend DOUBLE NOT NULL,
        p10 DOUBLE NOT NULL, p50 DOUBLE NOT NULL, p90 DOUBLE NOT NULL, unit TEXT NOT NULL,
        model_version TEXT NOT NULL, input_hash TEXT NOT NULL, simulated BOOLEAN NOT NULL,
        created_at TIMESTAMP NOT NULL,
        PRIMARY KEY (county_id, crop, year, as_of, model_version))""",
    """CREATE TABLE yield_drivers (
        region_id TEXT NOT NULL, county_id TEXT NOT NULL, crop TEXT NOT NULL,
        year INTEGER NOT NULL, as_of TEXT NOT NULL, driver TEXT NOT NULL,
        contribution DOUBLE NOT NULL, model_version TEXT NOT NULL,
        PRIMARY KEY (county_id, crop, year, as_of, driver, model_version))""",
    """CREATE TABLE yield_backtests (
        region_id TEXT NOT NULL, county_id TEXT NOT NULL, crop TEXT NOT NULL,
        year INTEGER NOT NULL, as_of TEXT NOT NULL, obs DOUBLE NOT NULL, trend DOUBLE NOT NULL,
        p10 DOUBLE NOT NULL, p50 DOUBLE NOT NULL, p90 DOUBLE NOT NULL,
        accuracy DOUBLE NOT NULL, trend_accuracy DOUBLE NOT NULL, covered BOOLEAN NOT NULL,
        unit TEXT NOT NULL, model_version TEXT NOT NULL, simulated BOOLEAN NOT NULL,
        created_at TIMESTAMP NOT NULL,
        PRIMARY KEY (county_id, crop, year, as_of, model_version))""",
)
