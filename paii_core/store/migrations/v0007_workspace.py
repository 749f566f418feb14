"""Migration 7: regions and areas are data a user adds (``paii region add``, ``paii area add``).

``regions`` gains where its counties came from and its provenance; ``areas`` replaces
``aois`` with what an area holds (crops, flood, folder, sensors, provenance) beside its
grid. ``aois`` stays as a read-only view of the grid columns for queries written before.
``products`` gains ``region_id`` for region-wide inputs (yield panels, feature tables).
"""

VERSION = 7
NAME = "workspace: regions and areas as data"
STATEMENTS: tuple[str, ...] = (
    """CREATE TABLE regions_v7 (
        region_id TEXT PRIMARY KEY, name TEXT NOT NULL, country TEXT NOT NULL,
        utm_epsg INTEGER NOT NULL, yield_unit TEXT NOT NULL,
        yield_crops TEXT[] NOT NULL DEFAULT [], counties_file TEXT NOT NULL DEFAULT '',
        id_column TEXT NOT NULL DEFAULT '', name_column TEXT NOT NULL DEFAULT '',
        n_counties INTEGER NOT NULL DEFAULT 0, note TEXT NOT NULL DEFAULT '',
        simulated BOOLEAN NOT NULL DEFAULT false, created_at TIMESTAMP)""",
    """INSERT INTO regions_v7 (region_id, name, country, utm_epsg, yield_unit)
        SELECT region_id, name, country, utm_epsg, yield_unit FROM regions""",
    "DROP TABLE regions",
    "ALTER TABLE regions_v7 RENAME TO regions",
    """CREATE TABLE areas (
        aoi_id TEXT PRIMARY KEY, region_id TEXT NOT NULL, county_id TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '', crops TEXT[] NOT NULL DEFAULT [],
        has_flood BOOLEAN NOT NULL DEFAULT false, folder TEXT NOT NULL DEFAULT '',
        sensors TEXT[] NOT NULL DEFAULT [], first_date DATE, last_date DATE,
        n_dates INTEGER NOT NULL DEFAULT 0,
        crs TEXT NOT NULL, pixel_size_m DOUBLE NOT NULL, width INTEGER NOT NULL,
        height INTEGER NOT NULL, west DOUBLE NOT NULL, south DOUBLE NOT NULL,
        east DOUBLE NOT NULL, north DOUBLE NOT NULL,
        source TEXT NOT NULL DEFAULT '', warnings TEXT[] NOT NULL DEFAULT [],
        simulated BOOLEAN NOT NULL DEFAULT false, created_at TIMESTAMP)""",
    """INSERT INTO areas (aoi_id, region_id, county_id, crs, pixel_size_m, width, height,
                          west, south, east, north)
        SELECT aoi_id, region_id, county_id, crs, pixel_size_m, width, height,
               west, south, east, north FROM aois""",
    "DROP TABLE aois",
    """CREATE VIEW aois AS SELECT aoi_id, region_id, county_id, crs, pixel_size_m, width,
        height, west, south, east, north FROM areas""",
    "ALTER TABLE products ADD COLUMN region_id TEXT",
)
