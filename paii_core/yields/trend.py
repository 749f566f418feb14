"""The trend model: county yields forecast from past yields alone, when no features exist.

log(yield) = county level + crop slope x year, the same pooled within-county trend that
the LightGBM model starts from (:mod:`.model`), so a user's feature table can only add to
it. The P10..P90 range is the 10th..90th percentile of the fit's log residuals. It knows
nothing of the season: every as-of date gets the same forecast.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from paii_core.errors import PaiiWarning, ValidationError
from paii_core.yields.backtest import accuracy
from paii_core.yields.model import _trend_fit

__all__ = ["TREND_VERSION", "TrendModel", "fit_trend_model", "trend_backtest"]

TREND_VERSION = "yield-trend-1"
MIN_OBSERVED = 10
"""Observed county-years a crop needs, as for the LightGBM model."""


@dataclass(frozen=True)
class _CropTrend:
    slope: float
    level: float
    county_level: pd.Series
    low: float  # 10th percentile of the log residuals
    high: float  # 90th percentile


def _rows(panel: pd.DataFrame, target: str | None) -> pd.DataFrame:
    missing = {"county_id", "year"} - set(panel.columns)
    if missing:
        raise ValidationError(f"yields lack column(s) {', '.join(sorted(missing))}")
    if target is not None and target not in panel.columns:
        raise ValidationError(f"yields have no {target!r} column")
    out = panel.copy()
    out["county_id"] = out["county_id"].astype(str)
    out["crop"] = out["crop"].astype(str) if "crop" in out.columns else ""
    out["year"] = pd.to_numeric(out["year"], errors="coerce")
    out = out[out["year"].notna()].astype({"year": "int64"})
    if target is not None:
        value = pd.to_numeric(out[target], errors="coerce")
        out = out.assign(**{target: value.where(value > 0)})
    return out


@dataclass
class TrendModel:
    """Fitted trends per crop ("" for a crop-less panel); same outputs as YieldModel."""

    crops: dict[str, _CropTrend]
    notes: list[str] = field(default_factory=list)
    version: str = TREND_VERSION

    def predict(self, panel: pd.DataFrame) -> pd.DataFrame:
        """county_id, year, crop, trend, p10, p50 (= trend), p90 for every row.

        Raises:
            ValidationError: a crop the model was not fitted on.
        """
        frame = _rows(panel, None)
        unknown = sorted(set(frame["crop"]) - set(self.crops))
        if unknown:
            raise ValidationError(f"no trend for crop(s) {unknown}; it knows {sorted(self.crops)}")
        parts = []
        for crop, rows in frame.groupby("crop", sort=False):
            fit = self.crops[crop]
            level = fit.county_level.reindex(rows["county_id"]).to_numpy(dtype=float)
            base = np.where(np.isnan(level), fit.level, level) + fit.slope * rows["year"].to_numpy(
                dtype=float
            )
            parts.append(
                pd.DataFrame(
                    {
                        "county_id": rows["county_id"].to_numpy(),
                        "year": rows["year"].to_numpy(),
                        "crop": crop,
                        "trend": np.exp(base),
                        "p10": np.exp(base + fit.low),
                        "p50": np.exp(base),
                        "p90": np.exp(base + fit.high),
                    },
                    index=rows.index,
                )
            )
        return pd.concat(parts).sort_index().reset_index(drop=True)

    def contributions(self, panel: pd.DataFrame) -> pd.DataFrame:
        """The trend has no drivers: one "trend" row of 0 log points per forecast."""
        pred = self.predict(panel)
        return pred[["county_id", "year", "crop"]].assign(driver="trend", contribution=0.0)


def fit_trend_model(panel: pd.DataFrame, *, target: str = "yield") -> TrendModel:
    """Fit each crop's trend on the observed rows of ``panel`` (county_id, year[, crop],
    ``target``).

    A crop with fewer than 10 observed county-years is left out (a PaiiWarning names it).

    Raises:
        ValidationError: missing columns, or no crop with 10 observed county-years.
    """
    frame = _rows(panel, target)
    frame = frame[frame[target].notna()]
    counts = frame.groupby("crop", sort=True).size()
    thin = counts[counts < MIN_OBSERVED]
    if len(thin) and len(thin) == len(counts):
        raise ValidationError(
            f"no crop has {MIN_OBSERVED} observed county-years to fit a trend on ("
            + ", ".join(f"crop {c or '(none)'} has {n}" for c, n in thin.items())
            + "); import more years of county yields (`paii yields import`)"
        )
    if len(thin):  # a real Quick Stats export holds sparse crops: forecast the others
        warnings.warn(
            "no yield trend for "
            + ", ".join(f"{c or '(none)'} ({n} observed county-years)" for c, n in thin.items())
            + f": a crop needs {MIN_OBSERVED}; the other crops are forecast",
            PaiiWarning,
            stacklevel=2,
        )
    crops = {}
    for crop, rows in frame.groupby("crop", sort=True):
        if len(rows) < MIN_OBSERVED:
            continue
        logy = np.log(rows[target].to_numpy(dtype=float))
        slope, level, county = _trend_fit(rows, logy)
        fitted = county.reindex(rows["county_id"]).to_numpy() + slope * rows["year"].to_numpy(
            dtype=float
        )
        low, high = np.quantile(logy - fitted, [0.1, 0.9])
        crops[crop] = _CropTrend(slope, level, county, float(low), float(high))
    if not crops:
        raise ValidationError(f"no observed {target}: nothing to fit a trend on")
    return TrendModel(crops)


def trend_backtest(
    yields: pd.DataFrame,
    *,
    target: str = "yield",
    progress: Callable[[float, str], None] | None = None,
) -> pd.DataFrame:
    """Leave-one-year-out backtest of the trend model, in :func:`backtest`'s columns
    (accuracy and trend_accuracy are the same here).

    Raises:
        ValidationError: fewer than 3 years with observations, or a crop too thin to fit.
    """
    frame = _rows(yields, target)
    observed = frame[frame[target].notna()]
    years = np.sort(observed["year"].unique())
    if len(years) < 3:
        raise ValidationError(
            f"a leave-one-year-out backtest needs at least 3 years with {target}; "
            f"the yields have {len(years)}"
        )
    parts = []
    for i, year in enumerate(years):
        model = fit_trend_model(observed[observed["year"] != year], target=target)
        test = observed[(observed["year"] == year) & observed["crop"].isin(list(model.crops))]
        pred = model.predict(test)
        pred["obs"] = test[target].to_numpy(dtype=float)
        parts.append(pred)
        if progress is not None:
            progress((i + 1) / len(years), f"trend backtest year {year}")
    out = pd.concat(parts, ignore_index=True)
    out["accuracy"] = accuracy(out["p50"], out["obs"])
    out["trend_accuracy"] = out["accuracy"]
    out["covered"] = (out["p10"] <= out["obs"]) & (out["obs"] <= out["p90"])
    cols = ["county_id", "crop", "year", "obs", "trend", "p10", "p50", "p90"]
    return out[[*cols, "accuracy", "trend_accuracy", "covered"]]
