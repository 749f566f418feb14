"""Readers and writers of the real formats PAII ingests and produces.

The raster readers are imported with the package; the table and vector ones (boundaries,
NASS Quick Stats, OCO-2 Lite: pandas and geopandas, ~0.5 s of CPU) on first use, so a
process that only reads rasters (a `paii batch` worker) never loads them.
"""

import importlib

from paii_core.io._atomic import GEOTIFF_SUFFIXES, check_output
from paii_core.io.dem import read_dem, write_dem
from paii_core.io.geotiff import Raster, read_geotiff, read_raster, read_window, write_geotiff
from paii_core.io.landsat import read_landsat
from paii_core.io.sentinel1 import S1_BANDS, read_sentinel1, sigma0_units, write_sentinel1
from paii_core.io.sentinel2 import (
    CLOUD_SCL_CLASSES,
    S2_BANDS,
    read_scl,
    read_sentinel2_l2a,
    write_scl,
    write_sentinel2_l2a,
)

_LAZY: dict[str, str] = {
    **dict.fromkeys(("GCJ02", "gcj02_to_wgs84", "read_boundaries", "wgs84_to_gcj02"), "boundaries"),
    **dict.fromkeys(
        (
            "NASS_CODES",
            "NASS_COLUMNS",
            "county_id_from_ansi",
            "read_nass_quickstats",
            "unit_from_data_item",
            "write_nass_quickstats",
        ),
        "nass",
    ),
    **dict.fromkeys(
        ("OCO2_COLUMNS", "iter_oco2_lite", "read_oco2_lite_file", "write_oco2_lite"), "oco2"
    ),
}


def __getattr__(name: str):
    """The boundaries, NASS and OCO-2 names, imported when first asked for."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "CLOUD_SCL_CLASSES",
    "GCJ02",
    "GEOTIFF_SUFFIXES",
    "NASS_CODES",
    "NASS_COLUMNS",
    "OCO2_COLUMNS",
    "S1_BANDS",
    "S2_BANDS",
    "Raster",
    "check_output",
    "county_id_from_ansi",
    "gcj02_to_wgs84",
    "iter_oco2_lite",
    "read_boundaries",
    "read_dem",
    "read_geotiff",
    "read_landsat",
    "read_nass_quickstats",
    "read_oco2_lite_file",
    "read_raster",
    "read_scl",
    "read_sentinel1",
    "read_sentinel2_l2a",
    "read_window",
    "sigma0_units",
    "unit_from_data_item",
    "wgs84_to_gcj02",
    "write_dem",
    "write_geotiff",
    "write_nass_quickstats",
    "write_oco2_lite",
    "write_scl",
    "write_sentinel1",
    "write_sentinel2_l2a",
]
