"""Migration 3: XCO2 county-period aggregates (measured or interpolated) and the XCO2 grid."""

VERSION = 3
NAME = "carbon: xco2 county aggregates and gap-filled grid"
STATEMENTS: tuple[str, ...] = (
    """CREATE TABLE xco2_county (
        county_id TEXT NOT NULL, region_id TEXT NOT NULL, period DATE NOT NULL,
        n_soundings INTEGER NOT NULL, xco2_mean DOUBLE, xco2_se DOUBLE, xco2_std DOUBLE,
        background DOUBLE, low_count BOOLEAN NOT NULL,
        xco2_interp DOUBLE, xco2_interp_sd DOUBLE,
        xco2 DOUBLE, xco2_sd DOUBLE, xco2_anomaly DOUBLE,
        source TEXT NOT NULL CHECK (source IN ('measured', 'interpolated', 'none')),
        simulated BOOLEAN NOT NULL, input_hash TEXT NOT NULL, updated_at TIMESTAMP NOT NULL,
        PRIMARY KEY (county_id, period))""",
    """CREATE TABLE xco2_grid (
        region_id TEXT NOT NULL, period DATE NOT NULL, longitude DOUBLE NOT NULL,
        latitude DOUBLE NOT NULL, xco2_interp DOUBLE, xco2_interp_sd DOUBLE,
        simulated BOOLEAN NOT NULL,
        PRIMARY KEY (region_id, period, longitude, latitude))""",
)
