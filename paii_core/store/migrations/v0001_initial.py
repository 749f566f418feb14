"""Migration 1: regions, counties, county metrics, areas of interest, products, policies, audit."""

VERSION = 1
NAME = "initial schema"
STATEMENTS: tuple[str, ...] = (
    """CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
    """CREATE TABLE regions (
        region_id TEXT PRIMARY KEY, name TEXT NOT NULL, country TEXT NOT NULL,
        utm_epsg INTEGER NOT NULL, yield_unit TEXT NOT NULL)""",
    """CREATE TABLE counties (
        county_id TEXT PRIMARY KEY, region_id TEXT NOT NULL, name TEXT NOT NULL,
        parent TEXT, area_km2 DOUBLE NOT NULL, centroid_lon DOUBLE NOT NULL,
        centroid_lat DOUBLE NOT NULL, geometry_wkb BLOB NOT NULL)""",
    """CREATE TABLE county_metrics (
        county_id TEXT NOT NULL, metric TEXT NOT NULL, crop TEXT NOT NULL,
        period_start DATE NOT NULL, period_end DATE NOT NULL, value DOUBLE,
        unit TEXT NOT NULL, source TEXT NOT NULL, simulated BOOLEAN NOT NULL,
        updated_at TIMESTAMP NOT NULL,
        PRIMARY KEY (county_id, metric, crop, period_start, source))""",
    """CREATE TABLE aois (
        aoi_id TEXT PRIMARY KEY, region_id TEXT NOT NULL, county_id TEXT NOT NULL,
        crs TEXT NOT NULL, pixel_size_m DOUBLE NOT NULL, width INTEGER NOT NULL,
        height INTEGER NOT NULL, west DOUBLE NOT NULL, south DOUBLE NOT NULL,
        east DOUBLE NOT NULL, north DOUBLE NOT NULL)""",
    """CREATE TABLE products (
        product_id TEXT PRIMARY KEY, kind TEXT NOT NULL, aoi_id TEXT,
        acquired DATE, path TEXT NOT NULL, input_hash TEXT NOT NULL,
        model_version TEXT NOT NULL, simulated BOOLEAN NOT NULL,
        created_at TIMESTAMP NOT NULL, details TEXT)""",
    """CREATE TABLE policies (
        policy_id TEXT PRIMARY KEY, region_id TEXT NOT NULL, county_id TEXT NOT NULL,
        aoi_id TEXT, parcel_id INTEGER, coarse_id INTEGER, insured TEXT NOT NULL,
        declared_crop TEXT NOT NULL, declared_area_ha DOUBLE NOT NULL,
        coverage_level DOUBLE NOT NULL, guaranteed_yield DOUBLE NOT NULL,
        yield_unit TEXT NOT NULL, price DOUBLE NOT NULL, currency TEXT NOT NULL,
        premium DOUBLE NOT NULL, sum_insured DOUBLE NOT NULL, start_date DATE NOT NULL,
        end_date DATE NOT NULL, simulated BOOLEAN NOT NULL)""",
    """CREATE TABLE audit (
        event_id BIGINT PRIMARY KEY,
        "at" TIMESTAMP NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
        entity TEXT NOT NULL, entity_id TEXT NOT NULL, detail TEXT)""",
)
