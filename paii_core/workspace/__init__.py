"""A user's workspace: regions and areas are rows in the store, their files in a layout.

``add_region`` / ``get_region`` / ``list_regions`` handle regions (counties from any
GeoJSON, GeoPackage or shapefile); ``add_area`` / ``get_area`` / ``list_areas`` handle
areas of interest and their input files; :mod:`paii_core.workspace.layout` says where
files live. ``paii demo build`` goes through the same functions.
"""

from paii_core.workspace.areas import (
    INPUT_KINDS,
    AreaInput,
    AreaRecord,
    add_area,
    area_file,
    area_files,
    flood_areas,
    get_area,
    list_areas,
)
from paii_core.workspace.layout import area_folder, region_folder, resolve, stored_path
from paii_core.workspace.regions import (
    Region,
    add_region,
    get_region,
    list_regions,
    read_counties,
    utm_epsg,
)

__all__ = [
    "INPUT_KINDS",
    "AreaInput",
    "AreaRecord",
    "Region",
    "add_area",
    "add_region",
    "area_file",
    "area_files",
    "area_folder",
    "flood_areas",
    "get_area",
    "get_region",
    "list_areas",
    "list_regions",
    "read_counties",
    "region_folder",
    "resolve",
    "stored_path",
    "utm_epsg",
]
