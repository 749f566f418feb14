"""ESG carbon: OCO-2 XCO2 ingest, county aggregation, regional background, gap filling."""

from paii_core.carbon.aggregate import (
    AGGREGATE_COLUMNS,
    MIN_SOUNDINGS,
    XCO2Accumulator,
    aggregate_xco2,
)
from paii_core.carbon.county_index import CountyIndex
from paii_core.carbon.gapfill import INTERVAL_Z, GapFill, gapfill_xco2
from paii_core.carbon.reader import expand_paths, iter_soundings, read_oco2_lite

__all__ = [
    "AGGREGATE_COLUMNS",
    "INTERVAL_Z",
    "MIN_SOUNDINGS",
    "CountyIndex",
    "GapFill",
    "XCO2Accumulator",
    "aggregate_xco2",
    "expand_paths",
    "gapfill_xco2",
    "iter_soundings",
    "read_oco2_lite",
]
