"""Evidence on one policy: satellite crop, mapped area, flood exposure, yield outlook, flags."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import pandas as pd

from paii_core.flood.impact import FLOODED_SHARE_HIT
from paii_core.insurance.terms import indemnity
from paii_core.yields.units import convert_yield

__all__ = [
    "AREA_TOLERANCE",
    "CROP_SHARE_MIN",
    "FLAGS",
    "AreaCheck",
    "CropCheck",
    "FloodCheck",
    "PolicyEvidence",
    "YieldOutlook",
    "flood_check",
    "yield_outlook",
]

AREA_TOLERANCE = 0.04
"""Declared area more than this share above the most the plot can hold of crop
(:attr:`AreaCheck.mapped_max_ha`) is flagged as over-declared."""

CROP_SHARE_MIN = 0.3
"""A plot whose declared crop covers less than this share of its mapped pixels, and whose
own season NDVI curve fits another crop's county curve better than the declared crop's,
is flagged as a crop mismatch (a whole-plot swap to another crop)."""

FLAGS: dict[str, str] = {
    "crop_mismatch": "crop mismatch",
    "area_over": "area over-declared",
    "flooded": "flooded",
    "expected_loss": "expected loss",
}
"""Flag keys and the words the page and exports show."""


@dataclass(frozen=True)
class CropCheck:
    """The crop the satellite sees on the insured plot against the declared one."""

    declared_crop: str
    satellite_crop: str | None
    """Majority crop of the crop map's pixels on the plot; None when there is no map."""
    share: float | None
    """Share of the plot's classified pixels in ``satellite_crop`` (0..1)."""
    note: str
    shares: dict[str, float] | None = None
    """Share of the plot's classified pixels per crop; None when there is no map."""
    curve_crop: str | None = None
    """The crop whose county NDVI curve (its mapped pixels, every date of the season's
    imagery) the plot's own curve is nearest to; None without imagery or a crop map."""
    curve_rmse: dict[str, float] | None = None
    """NDVI root-mean-square difference between the plot's curve and each crop's."""

    @property
    def declared_share(self) -> float | None:
        """Share of the plot's classified pixels in the declared crop."""
        if self.shares is None:
            return None
        return float(self.shares.get(self.declared_crop, 0.0))

    @property
    def mismatch(self) -> bool:
        if self.satellite_crop is None:
            return False
        if self.shares is None:
            return self.satellite_crop != self.declared_crop
        if self.declared_share >= CROP_SHARE_MIN:
            return False
        # The map's pixels say another crop; the plot's whole season must agree, so a
        # confident error of the crop map on one plot does not flag an honest policy.
        return self.curve_crop is None or self.curve_crop != self.declared_crop


@dataclass(frozen=True)
class AreaCheck:
    """Declared hectares against the cropped hectares the satellite maps on the plot."""

    declared_ha: float
    mapped_ha: float | None
    """Hectares of the plot's pixels that PAII maps as cropped."""
    note: str
    mapped_max_ha: float | None = None
    """The most the measurement allows: ``mapped_ha`` plus the plot's mixed pixels (an
    edge pixel partly in crop has a cropland probability between the two classes) and,
    for a plot drawn from a polygon, √(its boundary pixels); None means ``mapped_ha``."""

    @property
    def relative_difference(self) -> float | None:
        """(declared - mapped) / mapped: 0.25 is declared 25 % above what is mapped; +inf
        when nothing is mapped; None without a map."""
        if self.mapped_ha is None:
            return None
        if self.mapped_ha <= 0:
            return float("inf")
        return (self.declared_ha - self.mapped_ha) / self.mapped_ha

    @property
    def excess(self) -> float | None:
        """(declared - most mappable) / most mappable: how far the declaration exceeds
        what the 10 m pixels can resolve; +inf when nothing is mapped, None without a map."""
        top = self.mapped_max_ha if self.mapped_max_ha is not None else self.mapped_ha
        if top is None:
            return None
        if top <= 0:
            return float("inf")
        return (self.declared_ha - top) / top

    @property
    def over_declared(self) -> bool:
        diff = self.excess
        return diff is not None and diff > AREA_TOLERANCE


@dataclass(frozen=True)
class FloodCheck:
    """The worst stored flood on the plot (within the insured period when there is one)."""

    event_id: str | None
    flooded_share: float | None
    """Peak share of the plot under water (0..1)."""
    flooded_ha: float | None
    peak_date: date | None
    days_flooded: float | None
    in_period: bool
    """Whether the peak fell between the policy's start and end dates."""
    note: str

    @property
    def flooded(self) -> bool:
        return self.in_period and (self.flooded_share or 0.0) >= FLOODED_SHARE_HIT


@dataclass(frozen=True)
class YieldOutlook:
    """The county yield forecast for the policy's crop and season, and the loss it implies."""

    crop: str
    year: int
    issued: date | None
    """When the forecast used was issued (its as-of date); None when there is none."""
    p10: float | None
    p50: float | None
    p90: float | None
    unit: str
    """The policy's yield unit; forecasts are converted into it."""
    guaranteed_yield: float
    indemnity: float | None
    """Implied indemnity at the median forecast, in ``currency``."""
    indemnity_low: float | None
    """At the P90 yield (the smaller loss)."""
    indemnity_high: float | None
    """At the P10 yield (the larger loss)."""
    currency: str
    note: str

    @property
    def expected_loss(self) -> bool:
        return (self.indemnity or 0.0) > 0


@dataclass(frozen=True)
class PolicyEvidence:
    """Everything the reviewer sees on one policy."""

    policy_id: str
    crop: CropCheck
    area: AreaCheck
    flood: FloodCheck
    outlook: YieldOutlook

    @property
    def flags(self) -> tuple[str, ...]:
        """Keys of :data:`FLAGS` that apply, in that order."""
        raised = {
            "crop_mismatch": self.crop.mismatch,
            "area_over": self.area.over_declared,
            "flooded": self.flood.flooded,
            "expected_loss": self.outlook.expected_loss,
        }
        return tuple(k for k in FLAGS if raised[k])

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready record of the evidence, stored with a decision."""
        out = asdict(self)
        out["area"]["relative_difference"] = self.area.relative_difference
        out["area"]["excess"] = self.area.excess
        out["flags"] = [FLAGS[k] for k in self.flags]
        return out


def flood_check(policy: Mapping[str, Any], impacts: pd.DataFrame, *, asof: date) -> FloodCheck:
    """The policy's worst flood known on ``asof`` from its rows of ``flood_policy_impacts``
    (columns event_id, peak_flooded_share, peak_flooded_ha, peak_date, days_flooded).

    A flood whose peak lies outside the policy's start..end dates is reported but does
    not raise the flag: the policy did not cover the crop then.
    """
    rows = (
        impacts[pd.to_datetime(impacts["peak_date"]).dt.date <= asof] if len(impacts) else impacts
    )
    if rows.empty:
        note = (
            "no flood event mapped over this area"
            if impacts.empty
            else (f"no flood mapped by {asof:%Y-%m-%d}")
        )
        return FloodCheck(None, None, None, None, None, False, note)
    peak = pd.to_datetime(rows["peak_date"]).dt.date
    inside = (peak >= policy["start_date"]) & (peak <= policy["end_date"])
    pick = rows[inside] if inside.any() else rows
    row = pick.loc[pick["peak_flooded_share"].idxmax()]
    day = pd.Timestamp(row["peak_date"]).date()
    share = float(row["peak_flooded_share"])
    if not inside.any():
        note = f"flood peak on {day:%Y-%m-%d} is outside the insured period"
    elif share >= FLOODED_SHARE_HIT:
        note = f"{share:.0%} of the plot under water on {day:%Y-%m-%d}"
    else:
        note = f"under {FLOODED_SHARE_HIT:.0%} of the plot flooded"
    return FloodCheck(
        event_id=str(row["event_id"]),
        flooded_share=share,
        flooded_ha=float(row["peak_flooded_ha"]),
        peak_date=day,
        days_flooded=float(row["days_flooded"]),
        in_period=bool(inside.any()),
        note=note,
    )


def yield_outlook(
    policy: Mapping[str, Any],
    forecasts: pd.DataFrame | Sequence[Mapping[str, Any]],
    *,
    asof: date,
) -> YieldOutlook:
    """The latest county forecast of the policy's crop and season issued by ``asof``, and
    the implied indemnity (:func:`paii_core.insurance.terms.indemnity` on the declared
    area) at its P50, P90 and P10.

    ``policy`` needs county_id, declared_crop, end_date (its year is the season),
    guaranteed_yield, yield_unit, declared_area_ha, price and currency; ``forecasts``
    are rows of ``yield_forecasts`` (county_id, crop, year, as_of 'MM-DD', p10, p50, p90,
    unit, created_at), a frame or row dicts (a portfolio review hands each policy its
    county's rows). Without a usable forecast the figures are None and ``note`` says why.

    Raises:
        ValidationError: a forecast unit that cannot be converted into the policy's.
    """
    crop, unit = str(policy["declared_crop"]), str(policy["yield_unit"])
    year = int(policy["end_date"].year)
    empty = dict(issued=None, p10=None, p50=None, p90=None, indemnity=None)
    base = dict(
        crop=crop,
        year=year,
        unit=unit,
        guaranteed_yield=float(policy["guaranteed_yield"]),
        currency=str(policy["currency"]),
        indemnity_low=None,
        indemnity_high=None,
    )
    # Plain rows, not frame filters: a portfolio review calls this once per policy, and
    # pandas' per-call overhead made it most of the review's time.
    county = str(policy["county_id"])
    rows = forecasts.to_dict("records") if isinstance(forecasts, pd.DataFrame) else forecasts
    mine = [
        r
        for r in rows
        if str(r["county_id"]) == county and str(r["crop"]) == crop and int(r["year"]) == year
    ]
    if not mine:
        note = f"no county forecast of {crop} for {year} is stored"
        return YieldOutlook(**base, **empty, note=note)
    issued = [date(year, int(r["as_of"][:2]), int(r["as_of"][3:5])) for r in mine]
    known = [(d, mine[i]["created_at"], i) for i, d in enumerate(issued) if d <= asof]
    if not known:
        note = f"no {crop} forecast issued by {asof:%Y-%m-%d} (the first is {min(issued)})"
        return YieldOutlook(**base, **empty, note=note)
    day, _, latest = max(known)  # the latest issued, then created; the last row of ties
    row = {**mine[latest], "issued": day}
    p10, p50, p90 = (
        # Rounded so a unit conversion's last-bit error is not read as a loss.
        round(float(convert_yield(float(row[k]), str(row["unit"]), unit, crop=crop)), 6)
        for k in ("p10", "p50", "p90")
    )
    terms = dict(area_ha=float(policy["declared_area_ha"]), yield_unit=unit)
    price = float(policy["price"])
    guarantee = float(policy["guaranteed_yield"])
    loss = indemnity(guarantee, p50, price=price, **terms)
    base.update(
        indemnity_low=indemnity(guarantee, p90, price=price, **terms),
        indemnity_high=indemnity(guarantee, p10, price=price, **terms),
    )
    note = (
        f"county P50 {p50:.4g} {unit} is {p50 - guarantee:+.4g} against the guarantee"
        f" {guarantee:.4g}"
    )
    return YieldOutlook(
        **base, issued=row["issued"], p10=p10, p50=p50, p90=p90, indemnity=loss, note=note
    )
