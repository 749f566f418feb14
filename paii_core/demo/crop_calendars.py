"""Crop calendars as data: the seasons of each crop per region and of each land-cover class."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from paii_core.demo.classes import LandCover, crop_index
from paii_core.demo.regions import DEMO_REGIONS
from paii_core.errors import ValidationError

__all__ = [
    "CROP_CALENDARS",
    "LANDCOVER_CALENDARS",
    "REGION_CALENDAR",
    "CropCalendar",
    "Season",
    "calendar_table",
    "get_calendar",
]


_MAX_NDVI = 0.95


@dataclass(frozen=True)
class Season:
    """One growing cycle on a field, with its key dates (DOY) and peak greenness.

    The canopy rises from ``greenup_doy`` to ``greenup_doy + days_to_peak``, holds, and
    declines over ``senescence_days`` to maturity, ``dry_down_days`` before
    ``harvest_doy`` (harvest, cutting or leaf fall). ``crop`` may differ from its
    calendar's crop when a field grows a preceding crop (wheat before summer maize).
    """

    crop: str
    sowing_doy: int
    greenup_doy: int
    days_to_peak: int
    peak_ndvi: float
    senescence_days: int
    harvest_doy: int
    dry_down_days: int = 0
    winter_ndvi: float | None = None
    """Winter crops: NDVI of the dormant canopy between autumn emergence and green-up."""
    flood_doys: tuple[int, int] | None = None
    """Paddy rice: first and last day with standing water in the field."""
    flowering_doys: tuple[int, int] | None = None
    """Yellow-flowering crops (rapeseed): first and last day of flowering."""
    cut: bool = False
    """The season ends with a cutting (hay): green canopy removed, little residue."""

    def __post_init__(self) -> None:
        peak = self.greenup_doy + self.days_to_peak
        decline = self.harvest_doy - self.dry_down_days - self.senescence_days
        if not self.sowing_doy <= self.greenup_doy < peak <= decline:
            raise ValidationError(
                f"season of {self.crop!r}: dates must satisfy sowing <= green-up < peak <= "
                f"start of senescence, got {self.sowing_doy}, {self.greenup_doy}, {peak}, {decline}"
            )
        if self.senescence_days < 1 or not 0.0 < self.peak_ndvi <= _MAX_NDVI:
            raise ValidationError(
                f"season of {self.crop!r}: senescence_days must be >= 1 and peak_ndvi in (0, 0.95]"
            )

    @property
    def peak_doy(self) -> int:
        return self.greenup_doy + self.days_to_peak


@dataclass(frozen=True)
class CropCalendar:
    """The seasons of one crop (or land-cover class) in one region, as expert knowledge."""

    crop: str
    region: str
    seasons: tuple[Season, ...]
    base_ndvi: float = 0.15
    """NDVI between seasons: bare soil for annual crops, the dormant sward for perennials."""
    dormant_dry: float = 0.0
    """Cover of dead plant material between seasons (dry grass, forest litter), 0..1."""
    residue: float = 0.35
    """Cover of stubble and straw just after harvest, decaying over ``residue_days``."""
    residue_days: float = 50.0
    perennial: bool = False
    note: str = ""


def _wheat(crop: str = "wheat") -> Season:
    # North China Plain winter wheat: sown mid-October, re-greens early March, heads late
    # April, harvested early June (USDA 1994).
    return Season(crop, -80, 60, 45, 0.85, 35, 155, winter_ndvi=0.38)


_CALENDAR_TABLE: tuple[CropCalendar, ...] = (
    CropCalendar("wheat", "henan", (_wheat(),), note="winter wheat, summer fallow"),
    CropCalendar(
        "maize",
        "henan",
        (_wheat(), Season("maize", 166, 174, 48, 0.86, 30, 270)),
        note="summer maize sown mid-June after winter wheat, harvested late September",
    ),
    CropCalendar(
        "peanut",
        "henan",
        (Season("peanut", 125, 135, 60, 0.80, 35, 255),),
        note="spring peanut, May to mid-September",
    ),
    CropCalendar(
        "rice",
        "hubei",
        (Season("rice", 155, 157, 55, 0.85, 30, 265, flood_doys=(150, 245)),),
        note="single-season rice: puddled ~doy 150, transplanted ~155, water visible until "
        "the canopy closes (~3-4 weeks), peak August, drained before the September harvest",
    ),
    CropCalendar(
        "rapeseed",
        "hubei",
        (
            Season(
                "rapeseed", -75, 35, 45, 0.80, 35, 140, winter_ndvi=0.45, flowering_doys=(65, 100)
            ),
        ),
        note="winter rapeseed sown October, yellow flowering in March, harvested May",
    ),
    CropCalendar(
        "maize",
        "hubei",
        (Season("maize", 100, 110, 60, 0.82, 30, 225),),
        note="spring maize, April to mid-August",
    ),
    CropCalendar(
        "corn",
        "iowa",
        (Season("corn", 123, 135, 65, 0.88, 45, 290, dry_down_days=30),),
        note="planted early May, peak late July, dries down September, harvested October",
    ),
    CropCalendar(
        "soybean",
        "iowa",
        (Season("soybean", 135, 148, 72, 0.88, 30, 282, dry_down_days=12),),
        note="planted mid-May, greens up later than corn, peak August, harvested early October",
    ),
    CropCalendar(
        "hay",
        "iowa",
        (
            Season("hay", 90, 90, 50, 0.82, 3, 155, cut=True),
            Season("hay", 157, 157, 28, 0.80, 3, 192, cut=True),
            Season("hay", 194, 194, 28, 0.78, 3, 230, cut=True),
            Season("hay", 232, 232, 30, 0.75, 40, 315),
        ),
        base_ndvi=0.28,
        dormant_dry=0.5,
        residue=0.1,
        perennial=True,
        note="alfalfa/grass hay: three cuttings (early June, July, mid-August), fall regrowth",
    ),
)

REGION_CALENDAR: dict[str, dict[str, CropCalendar]] = {
    region: {cal.crop: cal for cal in _CALENDAR_TABLE if cal.region == region}
    for region in DEMO_REGIONS
}
"""Region id -> crop -> calendar: the expert crop calendars of each region."""

CROP_CALENDARS: dict[str, CropCalendar] = {}
"""Crop -> its calendar in the first region that grows it (maize: Henan summer maize)."""
for _cal in _CALENDAR_TABLE:
    CROP_CALENDARS.setdefault(_cal.crop, _cal)

LANDCOVER_CALENDARS: dict[LandCover, CropCalendar] = {
    LandCover.CROPLAND: CropCalendar(
        "fallow", "any", (Season("weeds", 110, 110, 50, 0.35, 60, 300),), dormant_dry=0.2
    ),
    # Deciduous broadleaf stands leaf out before the summer crops and keep a woody floor.
    LandCover.FOREST: CropCalendar(
        "forest", "any", (Season("forest", 85, 85, 35, 0.88, 45, 320),), 0.40, 0.6, 0.0
    ),
    LandCover.GRASS: CropCalendar(
        "grass", "any", (Season("grass", 80, 80, 55, 0.62, 60, 310),), 0.28, 0.7, 0.0
    ),
    LandCover.WATER: CropCalendar("water", "any", (), -0.40, 0.0, 0.0),
    LandCover.BUILT: CropCalendar(
        "built", "any", (Season("trees", 95, 95, 40, 0.20, 40, 310),), 0.10, 0.0, 0.0
    ),
    LandCover.ROAD: CropCalendar("road", "any", (), 0.08, 0.0, 0.0),
}
"""Land-cover code -> calendar of its non-crop vegetation (cropland without a crop: fallow)."""


def get_calendar(crop: str | CropCalendar, region: str | None = None) -> CropCalendar:
    """The calendar of ``crop`` in ``region`` (its default calendar when ``region`` is None)."""
    if isinstance(crop, CropCalendar):
        return crop
    crop_index(crop)  # unknown crops raise, listing the known ones
    _check_region(region)
    if region is None:
        return CROP_CALENDARS[crop]
    try:
        return REGION_CALENDAR[region][crop]
    except KeyError:
        grown = ", ".join(REGION_CALENDAR[region])
        raise ValidationError(
            f"crop {crop!r} has no calendar in region {region!r}; it grows: {grown}"
        ) from None


def _raster_calendar(crop: str, region: str | None) -> CropCalendar:
    """Calendar for mapping: the region's own, else the crop's default calendar."""
    _check_region(region)
    if region is not None and crop in REGION_CALENDAR[region]:
        return REGION_CALENDAR[region][crop]
    return CROP_CALENDARS[crop]


def _check_region(region: str | None) -> None:
    if region is not None and region not in REGION_CALENDAR:
        known = ", ".join(REGION_CALENDAR)
        raise ValidationError(f"region {region!r} is unknown; use one of: {known}")


def calendar_table(calendars: Mapping[str, CropCalendar]) -> pd.DataFrame:
    """One row per season: the calendars as a table (for the UI and few-shot priors)."""
    rows = [
        {
            "calendar": cal.crop,
            "region": cal.region,
            "crop": s.crop,
            "sowing_doy": s.sowing_doy,
            "greenup_doy": s.greenup_doy,
            "peak_doy": s.peak_doy,
            "peak_ndvi": s.peak_ndvi,
            "harvest_doy": s.harvest_doy,
        }
        for cal in calendars.values()
        for s in cal.seasons
    ]
    return pd.DataFrame(rows)
