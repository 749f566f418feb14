"""Migration 8: crop calendars as rows users extend (sowing and harvest per region and crop)."""

VERSION = 8
NAME = "crop calendars"
STATEMENTS: tuple[str, ...] = (
    """CREATE TABLE crop_calendars (
        region_id TEXT NOT NULL, crop TEXT NOT NULL,
        sow TEXT NOT NULL CHECK (regexp_full_match(sow, '[0-1][0-9]-[0-3][0-9]')),
        harvest TEXT NOT NULL CHECK (regexp_full_match(harvest, '[0-1][0-9]-[0-3][0-9]')),
        source TEXT NOT NULL, added_by TEXT NOT NULL, added_at TIMESTAMP NOT NULL,
        PRIMARY KEY (region_id, crop))""",
)
