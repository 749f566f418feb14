"""Expert crop calendars per region, as data: which crops grow when, and on which terrain.

Agronomic knowledge that PAII's recognition uses as a prior, written down from public
crop calendars (USDA 1994, "Major World Crop Areas and Climatic Profiles", Agricultural
Handbook 664; USDA NASS Iowa Crop Progress reports; FAO GIEWS country crop calendars for
China), not taken from the demo generator. Days are days of year (DOY).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from paii_core.errors import ValidationError

__all__ = ["CALENDARS", "CropSeason", "ExpertCrop", "expected_ndvi", "region_crops"]


@dataclass(frozen=True)
class CropSeason:
    """One growing cycle: NDVI rises around ``greenup``, tops near ``peak`` and falls
    around ``senescence`` (all DOY, the mid-points of the rise and the fall)."""

    greenup: float
    peak: float
    senescence: float
    peak_ndvi: float
    start_ndvi: float = 0.18
    """NDVI before the rise: bare soil, or the over-wintering canopy of a winter crop."""


@dataclass(frozen=True)
class ExpertCrop:
    """What an agronomist knows of one crop in one region."""

    crop: str
    seasons: tuple[CropSeason, ...]
    max_slope_deg: float = 25.0
    """Steepest ground it is usually grown on (paddies need level land)."""
    flooded_doys: tuple[float, float] | None = None
    """Paddy rice: when standing water shows (dark in SAR, high NDWI)."""
    note: str = ""


CALENDARS: dict[str, dict[str, ExpertCrop]] = {
    "henan": {
        "wheat": ExpertCrop(
            "wheat",
            (CropSeason(45, 110, 140, 0.85, start_ndvi=0.40),),
            note="winter wheat: sown October, re-greens late February, harvested early June",
        ),
        "maize": ExpertCrop(
            "maize",
            (CropSeason(45, 110, 140, 0.85, start_ndvi=0.40), CropSeason(190, 225, 255, 0.85)),
            note="summer maize sown after the wheat harvest in June (wheat-maize rotation)",
        ),
        "peanut": ExpertCrop(
            "peanut",
            (CropSeason(160, 200, 235, 0.80),),
            max_slope_deg=15.0,
            note="spring peanut sown late April to May, dug in September",
        ),
    },
    "hubei": {
        "rice": ExpertCrop(
            "rice",
            (CropSeason(180, 220, 250, 0.85),),
            max_slope_deg=4.0,
            flooded_doys=(145, 185),
            note="single-season middle rice, transplanted in June into flooded paddies",
        ),
        "rapeseed": ExpertCrop(
            "rapeseed",
            (CropSeason(30, 75, 120, 0.80, start_ndvi=0.45),),
            note="winter rapeseed: flowers yellow in March, harvested in May",
        ),
        "maize": ExpertCrop(
            "maize",
            (CropSeason(125, 165, 205, 0.82),),
            max_slope_deg=20.0,
            note="spring maize, April to August, often on uplands",
        ),
    },
    "iowa": {
        "corn": ExpertCrop(
            "corn",
            (CropSeason(165, 205, 250, 0.88),),
            note="planted late April to mid-May, silks in July, matures in September",
        ),
        "soybean": ExpertCrop(
            "soybean",
            (CropSeason(180, 220, 260, 0.88),),
            note="planted mid-May to early June, canopy closes later than corn",
        ),
        "hay": ExpertCrop(
            "hay",
            (
                CropSeason(105, 135, 155, 0.80, start_ndvi=0.30),
                CropSeason(165, 180, 192, 0.78, start_ndvi=0.35),
                CropSeason(200, 215, 230, 0.76, start_ndvi=0.35),
            ),
            note="alfalfa and grass hay: green from April, cut three times",
        ),
    },
}
"""Region id -> crop -> :class:`ExpertCrop`."""


def region_crops(region: str) -> dict[str, ExpertCrop]:
    """The expert crops of ``region``; an unknown region lists the known ones."""
    try:
        return CALENDARS[region]
    except KeyError:
        raise ValidationError(
            f"region {region!r} has no crop calendar; use one of: {', '.join(CALENDARS)}"
        ) from None


def expected_ndvi(crop: ExpertCrop, doy: NDArray) -> NDArray[np.float32]:
    """The NDVI curve an expert expects, ``(len(doy),)`` float32.

    Each season is a double logistic (Beck et al. 2006, "Improved monitoring of
    vegetation dynamics at very high latitudes", RSE 100) rising at ``greenup`` and
    falling at ``senescence``; overlapping seasons take the larger value.
    """
    d = np.asarray(doy, dtype=np.float64)
    out = np.full(d.shape, 0.18)
    for s in crop.seasons:
        rise = 1.0 / (1.0 + np.exp(-(d - s.greenup) / 8.0))
        fall = 1.0 / (1.0 + np.exp(-(d - s.senescence) / 8.0))
        floor = s.start_ndvi + (0.18 - s.start_ndvi) * fall
        out = np.maximum(out, floor + (s.peak_ndvi - 0.18) * rise * (1.0 - fall))
    return out.astype(np.float32)
