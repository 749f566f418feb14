"""Migration 15: policies may carry their plot's geometry; a log of users' imports."""

VERSION = 15
NAME = "policy geometries and the import log"
STATEMENTS: tuple[str, ...] = (
    "ALTER TABLE policies ADD COLUMN geometry_wkb BLOB",
    """CREATE TABLE data_imports (
        import_id BIGINT PRIMARY KEY, kind TEXT NOT NULL, region_id TEXT NOT NULL,
        source TEXT NOT NULL, input_hash TEXT NOT NULL, rows_read INTEGER NOT NULL,
        rows_written INTEGER NOT NULL, skipped TEXT NOT NULL, simulated BOOLEAN NOT NULL,
        actor TEXT NOT NULL, imported_at TIMESTAMP NOT NULL)""",
)
