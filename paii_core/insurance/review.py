"""A region's portfolio reviewed: evidence and flags per policy, filters, export, decisions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from paii_core.access import Principal
from paii_core.errors import ValidationError
from paii_core.insurance.area import AreaMaps, load_area_maps
from paii_core.insurance.evidence import (
    FLAGS,
    AreaCheck,
    CropCheck,
    PolicyEvidence,
    flood_check,
    yield_outlook,
)
from paii_core.insurance.loss import (
    LossRange,
    NdviCurve,
    Priority,
    curve_ratio,
    loss_range,
    review_priority,
)
from paii_core.insurance.plot_evidence import plot_evidence
from paii_core.store import insurance as ins_store

__all__ = [
    "SIMULATED_TAG",
    "PortfolioReview",
    "assess_portfolio",
    "evidence_summary",
    "filter_review",
    "loss_summary",
    "record_decision",
    "review_csv",
    "review_portfolio",
    "season_ratio",
]

SIMULATED_TAG = "SIMULATED demo data"

COLUMNS = (
    "policy_id", "insured", "county_id", "county_name", "declared_crop", "satellite_crop",
    "crop_share", "curve_crop", "declared_area_ha", "mapped_area_ha", "mapped_area_max_ha",
    "area_difference", "area_excess", "flooded_share",
    "guaranteed_yield", "forecast_p50", "yield_unit", "implied_indemnity", "ndvi_ratio",
    "loss_p90", "loss_p50", "loss_p10", "currency", "priority", "priority_reasons", "flags",
    "n_flags", "last_decision", "simulated",
)  # fmt: skip
"""Columns of :attr:`PortfolioReview.table`, in order."""


@dataclass(frozen=True, eq=False)
class PortfolioReview:
    """A region's policies with their evidence, as of one date."""

    region_id: str
    asof: date
    table: pd.DataFrame
    """One row per policy (:data:`COLUMNS`), highest review priority first. implied_indemnity
    is at the county P50; loss_p90 / loss_p50 / loss_p10 at the county P90 / P50 / P10
    scaled by the plot's NDVI ratio (loss_p10 is the largest)."""
    evidence: dict[str, PolicyEvidence]
    policies: pd.DataFrame
    """The policies' own rows (the ``policies`` table with county_name)."""
    maps: dict[str, AreaMaps]
    notes: tuple[str, ...]
    """Per area: what is mapped, or what to do so the crop and area checks can run."""
    curves: dict[str, NdviCurve]
    """Per policy with imagery: its NDVI curve against the county's (whole series)."""
    losses: dict[str, LossRange]
    priorities: dict[str, Priority]


def review_portfolio(
    con: duckdb.DuckDBPyConnection,
    region_id: str,
    *,
    asof: date,
    principal: Principal | None,
    maps: Mapping[str, AreaMaps] | None = None,
    data_dir: Path | None = None,
) -> PortfolioReview:
    """Check every policy of a region against PAII's maps, floods and yield forecasts.

    ``maps`` gives already loaded :class:`AreaMaps` by area id (a page caches them);
    the other areas are loaded with :func:`load_area_maps`.

    Raises:
        AccessDeniedError: ``principal`` may not see policy data.
        ValidationError: the region has no policies.
        StoreError, PaiiError subclasses: from the store and the area loaders.
    """
    policies = ins_store.policies(con, region_id, principal=principal)
    if policies.empty:
        raise ValidationError(
            f"region {region_id!r} has no policies in the store; import the insurer's "
            f"policies (`paii policies import POLICIES.csv --region {region_id}`, or the Data "
            "page's import) or pick a region with an insurance portfolio"
        )
    floods = ins_store.policy_floods(con, region_id, principal=principal)
    forecasts = ins_store.policy_forecasts(con, region_id)
    last = ins_store.decisions(con, principal=principal, region_id=region_id).drop_duplicates(
        "policy_id"
    )
    loaded = dict(maps or {})
    for aoi_id in policies["aoi_id"].dropna().unique():
        if aoi_id not in loaded:
            loaded[aoi_id] = load_area_maps(con, aoi_id, data_dir=data_dir)
    return assess_portfolio(
        policies, loaded, floods=floods, forecasts=forecasts, decisions=last, asof=asof
    )


def assess_portfolio(
    policies: pd.DataFrame,
    maps: Mapping[str, AreaMaps],
    *,
    floods: pd.DataFrame,
    forecasts: pd.DataFrame,
    decisions: pd.DataFrame,
    asof: date,
) -> PortfolioReview:
    """The review of ``policies`` (rows of the ``policies`` table with county_name and
    simulated) against already loaded ``maps`` by area id, their rows of
    ``flood_policy_impacts`` and the region's ``yield_forecasts``; ``decisions`` holds
    each policy's latest decision (policy_id, decision). Reads no store: a benchmark can
    score simulated portfolios with it."""
    region_id = str(policies["region_id"].iloc[0]) if len(policies) else ""
    checks = plot_evidence(policies, maps)
    by_policy = dict(tuple(floods.groupby("policy_id"))) if len(floods) else {}
    # Each policy's county, crop and season rows, split once: filtering the region's whole
    # forecast table per policy took 70 % of a 400-policy review.
    by_county: dict[tuple[str, str, int], list[dict]] = {}
    for row in forecasts.to_dict("records"):
        key = (str(row["county_id"]), str(row["crop"]), int(row["year"]))
        by_county.setdefault(key, []).append(row)
    evidence, curves, losses, priorities = {}, {}, {}, {}
    for i, policy in enumerate(policies.to_dict("records")):
        pid = policy["policy_id"]
        crop, area, curve = checks[i]
        flood = flood_check(policy, by_policy.get(pid, floods.iloc[:0]), asof=asof)
        key = (str(policy["county_id"]), str(policy["declared_crop"]), policy["end_date"].year)
        outlook = yield_outlook(policy, by_county.get(key, []), asof=asof)
        evidence[pid] = PolicyEvidence(pid, crop, area, flood, outlook)
        ratio = None
        if curve is not None:
            curves[pid] = curve
            ratio = season_ratio(curve, (policy["start_date"], min(policy["end_date"], asof)))
        losses[pid] = loss_range(evidence[pid], policy, ratio)
        priorities[pid] = review_priority(evidence[pid], policy, losses[pid])
    last = decisions.set_index("policy_id")["decision"] if len(decisions) else pd.Series()
    table = _table(policies, evidence, last, losses, priorities)
    notes = tuple(f"{a}: {m.note}" for a, m in sorted(maps.items()))
    return PortfolioReview(
        region_id, asof, table, evidence, policies, dict(maps), notes, curves, losses, priorities
    )


def season_ratio(curve: NdviCurve, season: tuple[date, date]) -> float | None:
    """The curve's plot/county NDVI ratio over the dates within ``season`` (inclusive)."""
    inside = np.array([season[0] <= d <= season[1] for d in curve.dates], bool)
    if not inside.any():
        return None
    ratio = curve_ratio(curve.plot[inside], curve.county[inside])
    return ratio if ratio is None or ratio > 0 else None


def _table(
    policies: pd.DataFrame,
    evidence: Mapping[str, PolicyEvidence],
    last: pd.Series,
    losses: Mapping[str, LossRange],
    priorities: Mapping[str, Priority],
) -> pd.DataFrame:
    rows = []
    for p in policies.itertuples(index=False):
        ev = evidence[p.policy_id]
        diff = ev.area.relative_difference
        pays = losses[p.policy_id].indemnity or (None, None, None)
        rows.append(
            {
                "policy_id": p.policy_id,
                "insured": p.insured,
                "county_id": p.county_id,
                "county_name": p.county_name,
                "declared_crop": p.declared_crop,
                "satellite_crop": ev.crop.satellite_crop,
                "crop_share": ev.crop.share,
                "curve_crop": ev.crop.curve_crop,
                "declared_area_ha": p.declared_area_ha,
                "mapped_area_ha": ev.area.mapped_ha,
                "mapped_area_max_ha": ev.area.mapped_max_ha,
                "area_difference": diff,
                "area_excess": ev.area.excess,
                "flooded_share": ev.flood.flooded_share if ev.flood.in_period else None,
                "guaranteed_yield": p.guaranteed_yield,
                "forecast_p50": ev.outlook.p50,
                "yield_unit": p.yield_unit,
                "implied_indemnity": ev.outlook.indemnity,
                "ndvi_ratio": losses[p.policy_id].ratio,
                **dict(zip(("loss_p10", "loss_p50", "loss_p90"), pays, strict=True)),
                "currency": p.currency,
                "priority": priorities[p.policy_id].score,
                "priority_reasons": "; ".join(priorities[p.policy_id].reasons),
                "flags": ", ".join(FLAGS[k] for k in ev.flags),
                "n_flags": len(ev.flags),
                "last_decision": last.get(p.policy_id),
                "simulated": bool(p.simulated),
            }
        )
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    for col in (
        "crop_share", "mapped_area_ha", "mapped_area_max_ha", "area_difference", "area_excess",
        "flooded_share",
    ):  # fmt: skip
        table[col] = table[col].astype(float)
    for col in ("forecast_p50", "implied_indemnity", "ndvi_ratio", "loss_p10", "loss_p50"):
        table[col] = table[col].astype(float)
    table["loss_p90"] = table["loss_p90"].astype(float)
    # The expected payout given the evidence ranks the review; flags break ties.
    order = table.sort_values(["priority", "n_flags", "policy_id"], ascending=[False, False, True])
    return order.reset_index(drop=True)


def evidence_summary(evidence: PolicyEvidence) -> list[tuple[str, str, str]]:
    """The evidence as (label, value, how it was found) rows for a panel or a report."""
    ev, na = evidence, "n/a"
    crop = ev.crop.satellite_crop
    diff = ev.area.relative_difference
    mapped = ev.area.mapped_ha
    flood = ev.flood.flooded_share
    out = ev.outlook
    loss = "n/a"
    if out.indemnity is not None:
        loss = (
            f"{out.indemnity:,.0f} {out.currency} "
            f"({out.indemnity_low:,.0f} .. {out.indemnity_high:,.0f})"
        )
    forecast = na
    if out.p50 is not None:
        forecast = f"{out.p50:,.4g} {out.unit} (P10 {out.p10:,.4g} .. P90 {out.p90:,.4g})"
    return [
        (
            "Satellite crop",
            na if crop is None else f"{crop} ({ev.crop.share:.0%})",
            f"declared {ev.crop.declared_crop}; {ev.crop.note}{_curve_words(ev.crop)}",
        ),
        (
            "Mapped area",
            na if mapped is None else f"{mapped:,.2f}{_upto(ev.area)} ha ({_percent(diff)})",
            f"declared {ev.area.declared_ha:,.3f} ha; {ev.area.note}",
        ),
        ("Flooded", na if flood is None else f"{flood:.0%}", ev.flood.note),
        (
            f"County forecast {out.year}",
            forecast,
            f"issued {out.issued}; {out.note}" if out.issued else out.note,
        ),
        ("Implied indemnity", loss, f"guarantee {out.guaranteed_yield:,.4g} {out.unit}"),
    ]


def loss_summary(loss: LossRange, priority: Priority, currency: str) -> list[tuple[str, str, str]]:
    """The plot's loss range and review priority as (label, value, basis) rows."""
    value = "n/a"
    if loss.indemnity is not None:
        p10, p50, p90 = loss.indemnity
        value = f"{p50:,.0f} {currency} (P90 {p90:,.0f} .. P10 {p10:,.0f})"
    # a priority of 0 with no loss range is "nothing known", not "no payout expected"
    unknown = loss.indemnity is None and priority.score == 0
    score = "n/a" if unknown else f"{priority.score:,.0f} {currency}"
    return [
        ("Plot loss range", value, loss.note),
        ("Review priority", score, "; ".join(priority.reasons)),
    ]


def _curve_words(crop: CropCheck) -> str:
    if crop.curve_crop is None:
        return ""
    return f"; the plot's season NDVI curve is nearest the county's {crop.curve_crop}"


def _upto(area: AreaCheck) -> str:
    top = area.mapped_max_ha
    return "" if top is None or top <= (area.mapped_ha or 0) else f" to {top:,.2f}"


def _percent(diff: float) -> str:
    return f"declared {diff:+.0%}" if np.isfinite(diff) else "none cropped"


def filter_review(
    table: pd.DataFrame, *, flags: Sequence[str] = (), counties: Sequence[str] = ()
) -> pd.DataFrame:
    """Rows with any of ``flags`` (keys or words of :data:`FLAGS`) in any of ``counties``
    (ids); an empty selection keeps everything.

    Raises:
        ValidationError: an unknown flag.
    """
    words = []
    for f in flags:
        if f in FLAGS:
            words.append(FLAGS[f])
        elif f in FLAGS.values():
            words.append(f)
        else:
            raise ValidationError(f"flag {f!r} is unknown; use one of {', '.join(FLAGS)}")
    keep = np.ones(len(table), bool)
    if words:
        keep &= table["flags"].map(lambda s: any(w in s.split(", ") for w in words)).to_numpy()
    if counties:
        keep &= table["county_id"].isin([str(c) for c in counties]).to_numpy()
    return table[keep].reset_index(drop=True)


def review_csv(table: pd.DataFrame) -> bytes:
    """The review table as CSV, with a data_note column saying whether data are simulated."""
    note = np.where(table["simulated"], SIMULATED_TAG, "observed data")
    return table.assign(data_note=note).to_csv(index=False, float_format="%.4f").encode()


def record_decision(
    con: duckdb.DuckDBPyConnection,
    evidence: PolicyEvidence,
    decision: str,
    *,
    principal: Principal | None,
    note: str = "",
) -> int:
    """Store the signed-in ``principal``'s decision on ``evidence.policy_id`` with a
    snapshot of the evidence, and log it in the audit trail; returns the decision id.

    Raises:
        AccessDeniedError: ``principal`` may not decide on policies.
        ValidationError: unknown decision or policy. StoreError: the write failed
            (nothing is stored).
    """
    return ins_store.save_decision(
        con,
        evidence.policy_id,
        decision,
        principal=principal,
        note=note,
        evidence=evidence.snapshot(),
    )
