"""Loss range of a plot (county yield quantiles x its NDVI ratio) and its review priority.

Plot yield. The county forecast gives P10/P50/P90 of the county's yield; a plot yields
more or less than its county in proportion to its season-integrated NDVI against the
county's cropland of the same crop:

    yield_q(plot) = yield_q(county) x clip(ratio, RATIO_MIN, RATIO_MAX),
    ratio = sum_t NDVI_plot(t) / sum_t NDVI_ref(t)   over the insured season's dates,

where NDVI_ref is the mean NDVI of the crop map's pixels of the declared crop on the area's
cropland (all cropland when the crop is not mapped). Integrated NDVI is close to
proportional to yield within a crop and season (Tucker et al. 1980, Remote Sens. Environ.
10:23-32; Rasmussen 1992, Int. J. Remote Sens. 13:3431-3442; Bolton & Friedl 2013, Agric.
For. Meteorol. 173:74-84), which is the basis of NDVI-index insurance (Turvey & McLaurin
2012, Agric. Finance Rev. 72:4-21; the plot's index relative to its area is the
"relative NDVI" of Makaudze & Miranda 2010). The clip keeps the scaling inside the range
where such regressions were fitted.

Priority. The insurer's expected payout given what the satellite sees: the declaration's
guarantee less the production the plot can bring on the declared crop,

    expected = max(0, G x A_declared - y_P50(plot) x A_seen x s_seen) x price,

with A_seen the mapped area when the area is flagged (else the declared one) and s_seen the
declared crop's share of the plot when the crop is flagged (else 1); a flood in season
adds its flooded share of the sum insured. The priority is that figure; its reasons say
which part comes from which evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from paii_core.errors import ValidationError
from paii_core.insurance.area import AreaMaps, series_ndvi
from paii_core.insurance.evidence import PolicyEvidence
from paii_core.insurance.terms import area_in_yield_unit, indemnity

__all__ = [
    "RATIO_MAX",
    "RATIO_MIN",
    "LossRange",
    "NdviCurve",
    "Priority",
    "curve_ratio",
    "loss_range",
    "ndvi_curves",
    "policy_curve",
    "reference_mask",
    "review_priority",
]

RATIO_MIN, RATIO_MAX = 0.5, 1.5
"""Bounds of the plot/county NDVI ratio applied to the county yield quantiles."""


@dataclass(frozen=True)
class NdviCurve:
    """A plot's NDVI through the season against its county's cropland of the same crop."""

    dates: tuple[date, ...]
    plot: NDArray[np.float64]
    """(T,) mean NDVI of the plot's pixels per date (NaN where none is valid)."""
    county: NDArray[np.float64]
    """(T,) mean NDVI of the reference cropland per date."""
    reference: str
    """Which pixels the county curve averages, in words."""
    ratio: float | None
    """Season-integrated plot NDVI / county NDVI, unclipped; None without valid dates."""


@dataclass(frozen=True)
class LossRange:
    """Implied indemnity of one policy at the plot-scaled county P10 / P50 / P90."""

    ratio: float | None
    """The NDVI ratio applied (clipped to [RATIO_MIN, RATIO_MAX]); None = not scaled."""
    yields: tuple[float, float, float] | None
    """Plot yield at county P10, P50, P90 in the policy's unit; None without a forecast."""
    indemnity: tuple[float, float, float] | None
    """Indemnity at those yields (P10 yield = largest loss), in the policy's currency."""
    note: str


@dataclass(frozen=True)
class Priority:
    """Review priority: the evidence-adjusted expected payout and why."""

    score: float
    """Expected payout in the policy's currency (0 when nothing points to a payout)."""
    reasons: tuple[str, ...]


def ndvi_curves(
    series: NDArray,
    dates: tuple[date, ...] | list[date],
    plots: NDArray,
    ids: NDArray,
    reference: NDArray,
    *,
    season: tuple[date, date] | None = None,
    ndvi: NDArray | None = None,
) -> NDArray[np.float64]:
    """(N + 1, T) mean NDVI per date of plots ``ids`` of raster ``plots`` (rows 0..N-1)
    and of the ``reference`` mask (last row). ``series`` is (T, 4, H, W) BGRN; ``ndvi``
    its (T, H, W) NDVI where already computed (:attr:`AreaMaps.ndvi_series`); dates
    outside ``season`` (inclusive) are NaN.

    Raises:
        ValidationError: series, dates, plots and reference that do not match.
    """
    series = np.asarray(series)
    if series.ndim != 4 or series.shape[1] < 4:
        raise ValidationError(f"series should be (T, 4, H, W) BGRN, not {series.shape}")
    if len(dates) != series.shape[0]:
        raise ValidationError(f"dates has {len(dates)} entries for {series.shape[0]} images")
    if plots.shape != series.shape[-2:] or reference.shape != plots.shape:
        raise ValidationError(
            f"plots {plots.shape} and reference {reference.shape} should be the images' "
            f"{series.shape[-2:]}"
        )
    ids = np.asarray(ids, np.int64)
    size = max(int(plots.max(initial=0)), int(ids.max(initial=0))) + 1
    flat = plots.ravel().astype(np.int64)
    # NDVI of the pixels in the wanted plots or the reference only (in their order, so the
    # sums are the same): a few plots of a large area were most of a review's time.
    wanted = np.zeros(size, bool)
    wanted[ids[ids > 0]] = True
    keep = np.flatnonzero(wanted[flat] | reference.ravel())
    flat, ref_mask = flat[keep], reference.ravel()[keep]
    t_count = series.shape[0]
    if ndvi is None:
        ndvi = series_ndvi(series.reshape(t_count, series.shape[1], -1)[:, :, keep])
    else:
        ndvi = np.asarray(ndvi).reshape(t_count, -1)[:, keep]
    out = np.full((len(ids) + 1, len(dates)), np.nan)
    for t, day in enumerate(dates):
        if season is not None and not season[0] <= day <= season[1]:
            continue
        v = ndvi[t]
        ok = np.isfinite(v)
        s = np.bincount(flat[ok], weights=v[ok], minlength=size)[ids]
        n = np.bincount(flat[ok], minlength=size)[ids]
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:-1, t] = np.where((ids > 0) & (n > 0), s / np.maximum(n, 1), np.nan)
        ref = v[ok & ref_mask]
        out[-1, t] = ref.mean() if ref.size else np.nan
    return out


def curve_ratio(plot: NDArray, county: NDArray) -> float | None:
    """Season-integrated NDVI ratio over the dates where both are valid; None when no
    date is, or the county's integral is not positive."""
    ok = np.isfinite(plot) & np.isfinite(county)
    if not ok.any() or county[ok].sum() <= 0:
        return None
    return float(max(plot[ok].sum(), 0.0) / county[ok].sum())


def loss_range(evidence: PolicyEvidence, policy: dict, ratio: float | None) -> LossRange:
    """The implied indemnity at the county P10 / P50 / P90 scaled by the NDVI ``ratio``
    (clipped to [RATIO_MIN, RATIO_MAX]; None leaves the county yields as they are).

    ``policy`` needs declared_area_ha, yield_unit and price.

    Raises:
        ValidationError: a ratio that is not a finite number > 0.
    """
    if ratio is not None and (not np.isfinite(ratio) or ratio <= 0):
        raise ValidationError(f"ratio should be a finite number > 0 or None, not {ratio}")
    out = evidence.outlook
    if out.p50 is None:
        return LossRange(None, None, None, out.note)
    used = None if ratio is None else float(np.clip(ratio, RATIO_MIN, RATIO_MAX))
    scale = 1.0 if used is None else used
    yields = (out.p10 * scale, out.p50 * scale, out.p90 * scale)
    terms = dict(
        area_ha=float(policy["declared_area_ha"]),
        yield_unit=str(policy["yield_unit"]),
        price=float(policy["price"]),
    )
    pay = tuple(indemnity(out.guaranteed_yield, y, **terms) for y in yields)
    if used is None:
        note = "county yields (no NDVI of the plot to scale them)"
    else:
        clipped = "" if used == ratio else f" (clipped from {ratio:.2f})"
        note = f"county yields x {used:.2f}, the plot's season NDVI against its county{clipped}"
    return LossRange(used, yields, pay, note)  # type: ignore[arg-type]


def review_priority(evidence: PolicyEvidence, policy: dict, loss: LossRange) -> Priority:
    """The evidence-adjusted expected payout of one policy (see the module docstring) and
    its reasons in words. ``policy`` needs declared_area_ha, yield_unit, price,
    guaranteed_yield and currency."""
    cur = str(policy["currency"])
    declared = float(policy["declared_area_ha"])
    unit, price = str(policy["yield_unit"]), float(policy["price"])
    guarantee = float(policy["guaranteed_yield"])
    full = guarantee * float(area_in_yield_unit(declared, unit)) * price
    y50 = loss.yields[1] if loss.yields is not None else None
    reasons: list[str] = []
    seen, share = declared, 1.0
    area, crop = evidence.area, evidence.crop
    if area.over_declared and area.mapped_ha is not None:
        most = area.mapped_max_ha if area.mapped_max_ha is not None else area.mapped_ha
        seen = min(declared, most)
        reasons.append(
            f"area over-declared: {declared - seen:,.2f} of {declared:,.2f} ha not seen cropped"
        )
    if crop.mismatch:
        share = crop.declared_share if crop.declared_share is not None else 0.0
        reasons.append(
            f"crop mismatch: the satellite sees {crop.satellite_crop} on "
            f"{crop.share:.0%} of the plot, {crop.declared_crop} on {share:.0%}"
        )
    if y50 is None:
        # No forecast: only the unsupported part of the declaration is at risk.
        expected = full * (1.0 - seen * share / declared) if declared > 0 else 0.0
        if not reasons:
            reasons.append(f"no yield outlook ({evidence.outlook.note})")
    else:
        made = y50 * float(area_in_yield_unit(seen, unit)) * share * price
        expected = max(0.0, full - made)
        if loss.indemnity is not None and loss.indemnity[1] > 0:
            reasons.append(
                f"yield shortfall: plot P50 {y50:,.4g} {unit} under the guarantee "
                f"{guarantee:,.4g} ({loss.indemnity[1]:,.0f} {cur})"
            )
    flood = evidence.flood
    if flood.flooded:
        extra = (flood.flooded_share or 0.0) * (full - expected)
        expected += extra
        reasons.append(f"flooded in season: {flood.flooded_share:.0%} of the plot")
    if not reasons:
        reasons.append("no discrepancy and no expected shortfall")
    return Priority(round(max(expected, 0.0), 2), tuple(reasons))


def reference_mask(maps: AreaMaps, crop: str) -> tuple[NDArray[np.bool_], str]:
    """The county reference pixels for ``crop``: the area's cropland the crop map calls
    ``crop``; all cropland when the crop is not mapped there; every pixel without a
    cropland map. Returns the (H, W) mask and what it is in words."""
    shape = maps.fine_plots.shape
    cropped = maps.cropped if maps.cropped is not None else np.ones(shape, bool)
    if maps.crop_map is not None and crop in maps.crop_map.classes:
        mask = cropped & (maps.crop_map.label_map == maps.crop_map.classes.index(crop))
        if mask.any():
            return mask, f"{crop} on the area's cropland (crop map)"
    if maps.cropped is not None:
        return cropped, "all of the area's cropland"
    return cropped, "the whole area (no cropland map)"


def policy_curve(
    maps: AreaMaps, plots: NDArray, plot_id: int, crop: str, season: tuple[date, date]
) -> NdviCurve:
    """The NDVI curve of one plot (``plot_id`` on raster ``plots``) against the county
    reference of ``crop`` over ``season``.

    Raises:
        ValidationError: the area's imagery is not loaded (rgb_series or dates missing).
    """
    if maps.rgb_series is None or len(maps.dates) != len(maps.rgb_series):
        raise ValidationError(
            f"the imagery of {maps.aoi_id} is not loaded with its dates; load the area with "
            "load_area_maps"
        )
    mask, words = reference_mask(maps, crop)
    rows = ndvi_curves(
        maps.rgb_series, maps.dates, plots, np.array([plot_id]), mask, season=season,
        ndvi=maps.ndvi_series,
    )  # fmt: skip
    return NdviCurve(tuple(maps.dates), rows[0], rows[1], words, curve_ratio(rows[0], rows[1]))
