"""Crop calendars: when a crop is sown and harvested in a region, as rows users extend.

Recognition may use them as an optional prior (how well a field's NDVI curve fits the
season a calendar expects); a crop needs no calendar to be a class. The defaults are
written down from public crop calendars (USDA 1994, "Major World Crop Areas and
Climatic Profiles", Agricultural Handbook 664; USDA NASS Iowa Crop Progress reports;
FAO GIEWS country crop calendars for China), not taken from the demo generator; `paii
demo build` stores them and `paii crops calendar add` adds or replaces rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from paii_core.errors import ValidationError

__all__ = [
    "DEFAULT_CALENDARS",
    "CropCalendar",
    "calendar_fit",
    "calendars_by_crop",
    "default_calendars",
    "expected_ndvi",
    "parse_month_day",
]

_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")


def parse_month_day(text: str, *, argument: str) -> tuple[int, int]:
    """``"MM-DD"`` -> (month, day), checked against a leap year's calendar.

    Raises:
        ValidationError: naming ``argument`` when the text is not a real month-day.
    """
    hit = _MONTH_DAY.match(str(text).strip())
    if hit is None:
        raise ValidationError(f"{argument} {text!r} is not a month-day; give MM-DD, e.g. 10-15")
    month, day = int(hit.group(1)), int(hit.group(2))
    try:
        date(2000, month, day)
    except ValueError:
        raise ValidationError(
            f"{argument} {text!r} is not a day of the year; give MM-DD, e.g. 10-15"
        ) from None
    return month, day


def _doy(month_day: str) -> int:
    month, day = parse_month_day(month_day, argument="month-day")
    return date(2001, month, day).timetuple().tm_yday if (month, day) != (2, 29) else 60


@dataclass(frozen=True)
class CropCalendar:
    """One crop's season in one region: sown on ``sow``, harvested on ``harvest`` (MM-DD).
    A harvest before the sowing date in the year means a crop that over-winters."""

    region_id: str
    crop: str
    sow: str
    harvest: str
    source: str = "default"

    def __post_init__(self) -> None:
        parse_month_day(self.sow, argument="sow")
        parse_month_day(self.harvest, argument="harvest")
        if not self.crop.strip():
            raise ValidationError("crop name is empty; give the crop's name, e.g. sorghum")
        if self.sow == self.harvest:
            raise ValidationError(
                f"sow and harvest of {self.crop!r} are both {self.sow}; give different dates"
            )

    @property
    def season_days(self) -> tuple[float, float]:
        """(sowing, harvest) as days of the harvest's year: sowing is negative for a
        crop sown the autumn before (winter wheat, rapeseed)."""
        sow, harvest = _doy(self.sow), _doy(self.harvest)
        return (float(sow - 365) if sow > harvest else float(sow)), float(harvest)


DEFAULT_CALENDARS: tuple[CropCalendar, ...] = (
    CropCalendar("henan", "wheat", "10-10", "06-05"),  # winter wheat, North China Plain
    CropCalendar("henan", "maize", "06-10", "09-25"),  # summer maize after the wheat
    CropCalendar("henan", "peanut", "05-01", "09-10"),
    CropCalendar("hubei", "rice", "06-01", "09-20"),  # single-season middle rice
    CropCalendar("hubei", "rapeseed", "10-01", "05-15"),  # winter rapeseed
    CropCalendar("hubei", "maize", "04-10", "08-15"),  # spring maize on uplands
    CropCalendar("iowa", "corn", "05-01", "10-01"),
    CropCalendar("iowa", "soybean", "05-20", "10-05"),
    CropCalendar("iowa", "hay", "04-01", "09-30"),  # alfalfa and grass hay, cut in summer
)
"""The defaults `paii demo build` stores for its three regions."""


def default_calendars(region_id: str | None) -> dict[str, CropCalendar]:
    """The default calendars of ``region_id`` by crop; empty for a region without any
    (recognition then goes without a calendar prior)."""
    return {c.crop: c for c in DEFAULT_CALENDARS if c.region_id == region_id}


def expected_ndvi(calendar: CropCalendar, doy: NDArray) -> NDArray[np.float32]:
    """The NDVI curve a calendar implies on days ``doy`` (of the season's main year),
    ``(len(doy),)`` float32.

    A double logistic (Beck et al. 2006, "Improved monitoring of vegetation dynamics at
    very high latitudes", RSE 100): bare soil (0.18) until the canopy rises about 30 days
    after sowing, a full canopy (0.8) until it falls about 15 days before harvest. A crop
    sown the autumn before keeps a small over-winter canopy (0.35) and greens up in
    spring (early March, day 60).
    """
    d = np.asarray(doy, dtype=np.float64)
    sow, harvest = calendar.season_days

    def step(at: float) -> NDArray:
        return 1.0 / (1.0 + np.exp(-(d - at) / 8.0))

    fall = step(harvest - 15.0)
    green = sow + 30.0 if sow >= 0 else 60.0
    floor = 0.18 + (0.17 * step(sow + 30.0) * (1.0 - fall) if sow < 0 else 0.0)
    return (floor + (0.8 - floor) * step(green) * (1.0 - fall)).astype(np.float32)


def calendar_fit(
    curves: NDArray, doy: NDArray, calendars: Iterable[CropCalendar]
) -> NDArray[np.float64]:
    """``(N, K)`` how well each NDVI curve of ``curves`` (N, G) on days ``doy`` (G,) fits
    each calendar's expected curve: exp(-RMSE^2 / (2 * 0.12^2)), 1 for a perfect fit."""
    out = [
        np.exp(
            -0.5 * (np.sqrt(np.mean((curves - expected_ndvi(c, doy)[None]) ** 2, 1)) / 0.12) ** 2
        )
        for c in calendars
    ]
    return np.stack(out, axis=1) if out else np.zeros((len(curves), 0))


def calendars_by_crop(rows: Iterable[Mapping]) -> dict[str, CropCalendar]:
    """Store rows (region_id, crop, sow, harvest, source) as calendars by crop."""
    return {
        str(r["crop"]): CropCalendar(
            str(r["region_id"]),
            str(r["crop"]),
            str(r["sow"]),
            str(r["harvest"]),
            str(r.get("source", "default")),
        )
        for r in rows
    }
