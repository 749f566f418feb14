"""Crop maps: cropland, field parcels at two levels, few-shot crop recognition."""

from paii_core.crops.cropland import cropland_probability
from paii_core.crops.parcels import delineate_parcels
from paii_core.crops.recognize import CropMap, recognize_crops

__all__ = ["CropMap", "cropland_probability", "delineate_parcels", "recognize_crops"]
