"""Land-cover codes shared by the demo generator, its truth rasters and the models."""

from __future__ import annotations

from enum import IntEnum

from paii_core.errors import ValidationError

__all__ = ["CROPS", "LandCover", "crop_index"]


class LandCover(IntEnum):
    """Codes of the ``land_cover`` truth raster (uint8); 0 is nodata."""

    NODATA = 0
    CROPLAND = 1
    FOREST = 2
    GRASS = 3
    WATER = 4
    BUILT = 5
    ROAD = 6


CROPS: tuple[str, ...] = (
    "wheat",
    "maize",
    "peanut",
    "rice",
    "rapeseed",
    "corn",
    "soybean",
    "hay",
)
"""Every crop class the demo world grows; the ``crop_type`` truth raster stores the
index into this tuple (int16) and -1 where there is no crop."""


def crop_index(name: str) -> int:
    """Index of a crop in :data:`CROPS`; unknown names list the known ones."""
    try:
        return CROPS.index(name)
    except ValueError:
        raise ValidationError(f"crop {name!r} is unknown; use one of: {', '.join(CROPS)}") from None
