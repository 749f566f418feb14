"""Flood mapping from Sentinel-1 SAR and a DEM: water, terrain (HAND, slope), depth, impacts."""

from paii_core.flood.depth import flood_depth
from paii_core.flood.mapping import FloodMap, map_flood
from paii_core.flood.terrain import (
    fill_depressions,
    flow_accumulation,
    flow_directions,
    hand,
    slope_deg,
)
from paii_core.flood.water import despeckle_db, otsu_threshold, tiled_threshold

__all__ = [
    "FloodMap",
    "despeckle_db",
    "fill_depressions",
    "flood_depth",
    "flow_accumulation",
    "flow_directions",
    "hand",
    "map_flood",
    "otsu_threshold",
    "slope_deg",
    "tiled_threshold",
]
