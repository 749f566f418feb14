"""Areas of interest from a user's own imagery (`paii area add`)."""

from paii_core.areas.build import AREA_WRITER, AddedArea, add_area_from_items, area_folder
from paii_core.areas.grid import area_grid, utm_crs

__all__ = ["AREA_WRITER", "AddedArea", "add_area_from_items", "area_folder", "area_grid", "utm_crs"]
