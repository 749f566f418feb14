"""Migration 4: flood events, their per-date products, and impacts per policy, crop and county."""

VERSION = 4
NAME = "flood events and impacts"
STATEMENTS: tuple[str, ...] = (
    """CREATE TABLE flood_events (
        event_id TEXT PRIMARY KEY, aoi_id TEXT, region_id TEXT, county_id TEXT,
        name TEXT NOT NULL, pre_date DATE, first_date DATE NOT NULL, last_date DATE NOT NULL,
        input_hash TEXT NOT NULL, method TEXT NOT NULL, simulated BOOLEAN NOT NULL,
        created_at TIMESTAMP NOT NULL)""",
    """CREATE TABLE flood_products (
        event_id TEXT NOT NULL, acquired DATE NOT NULL, sar_path TEXT NOT NULL,
        path TEXT NOT NULL, threshold_db DOUBLE, flooded_km2 DOUBLE NOT NULL,
        mean_depth_m DOUBLE, simulated BOOLEAN NOT NULL,
        PRIMARY KEY (event_id, acquired))""",
    """CREATE TABLE flood_policy_impacts (
        event_id TEXT NOT NULL, policy_id TEXT NOT NULL, county_id TEXT NOT NULL,
        declared_crop TEXT NOT NULL, parcel_ha DOUBLE NOT NULL,
        peak_flooded_share DOUBLE NOT NULL, peak_flooded_ha DOUBLE NOT NULL,
        peak_date DATE NOT NULL, days_flooded DOUBLE NOT NULL, simulated BOOLEAN NOT NULL,
        PRIMARY KEY (event_id, policy_id))""",
    """CREATE TABLE flood_county_impacts (
        event_id TEXT NOT NULL, county_id TEXT NOT NULL, acquired DATE NOT NULL,
        flooded_km2 DOUBLE NOT NULL, cropland_flooded_km2 DOUBLE NOT NULL,
        simulated BOOLEAN NOT NULL, PRIMARY KEY (event_id, county_id, acquired))""",
    """CREATE TABLE flood_crop_impacts (
        event_id TEXT NOT NULL, crop TEXT NOT NULL, policies INTEGER NOT NULL,
        policies_hit INTEGER NOT NULL, parcel_ha DOUBLE NOT NULL,
        peak_flooded_ha DOUBLE NOT NULL, simulated BOOLEAN NOT NULL,
        PRIMARY KEY (event_id, crop))""",
)
