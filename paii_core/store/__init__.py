"""The DuckDB store: one database, its schema and migrations, and all of PAII's SQL.

``core`` holds connections, migrations, atomic writes and the county metrics; each
feature keeps its own queries in a module of this package, so SQL stays in one place.
"""

from paii_core.store.core import (
    MIGRATIONS,
    SCHEMA_VERSION,
    USER_TABLES,
    connect,
    county_metric_frame,
    county_metric_history,
    data_period,
    log_event,
    metric_crops,
    migrate,
    read_meta,
    refresh_database,
    schema_version,
    table_columns,
    write_frame,
)

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "USER_TABLES",
    "connect",
    "county_metric_frame",
    "county_metric_history",
    "data_period",
    "log_event",
    "metric_crops",
    "migrate",
    "read_meta",
    "refresh_database",
    "schema_version",
    "table_columns",
    "write_frame",
]
