"""Leave-one-year-out backtests of the yield model against the trend-only baseline."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from paii_core.errors import ValidationError
from paii_core.yields.features import build_panel, prepare_panel
from paii_core.yields.model import fit_yield_model

__all__ = ["ASOF_DATES", "accuracy", "backtest", "lead_time_backtest", "summarize_backtest"]

ASOF_DATES: tuple[str, ...] = ("06-01", "07-01", "08-01", "09-01")
"""In-season forecast dates (month-day) of the lead-time backtest."""

Progress = Callable[[float, str], None]


def accuracy(pred: np.ndarray, obs: np.ndarray) -> np.ndarray:
    """Forecast accuracy in percent, 100 x (1 - |pred - obs| / obs), as the seed reported."""
    pred, obs = np.asarray(pred, dtype=float), np.asarray(obs, dtype=float)
    return 100.0 * (1.0 - np.abs(pred - obs) / obs)


def backtest(
    panel: pd.DataFrame,
    *,
    target: str = "yield",
    threads: int = 1,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Leave-one-year-out: for each year, fit on every other year and forecast it.

    Args:
        panel: as for :func:`fit_yield_model`.
        target: the observed column.
        threads: LightGBM threads per fit.
        progress: called with (fraction done, message) after each year.

    Returns:
        One row per observed county-year: county_id, crop, year, obs, trend, p10, p50,
        p90, accuracy, trend_accuracy (of the trend-only baseline), covered (obs within
        P10..P90). ``attrs["notes"]`` holds the panel's notes.

    Raises:
        ValidationError: a bad panel, or fewer than 3 years with observations.
    """
    prepared = prepare_panel(panel, target=target)
    frame = prepared.frame
    observed = frame[frame[target].notna()]
    years = np.sort(observed["year"].unique())
    if len(years) < 3:
        raise ValidationError(
            f"a leave-one-year-out backtest needs at least 3 years with {target}; "
            f"the panel has {len(years)}"
        )
    parts = []
    for i, year in enumerate(years):
        model = fit_yield_model(frame[frame["year"] != year], target=target, threads=threads)
        test = observed[observed["year"] == year]
        known = test[test["crop"].isin(list(model.crops))]
        pred = model.predict(known)
        obs = known[target].to_numpy(dtype=float)
        pred["obs"] = obs
        parts.append(pred)
        if progress is not None:
            progress((i + 1) / len(years), f"backtest year {year}")
    out = pd.concat(parts, ignore_index=True)
    out["accuracy"] = accuracy(out["p50"], out["obs"])
    out["trend_accuracy"] = accuracy(out["trend"], out["obs"])
    out["covered"] = (out["p10"] <= out["obs"]) & (out["obs"] <= out["p90"])
    cols = ["county_id", "crop", "year", "obs", "trend", "p10", "p50", "p90"]
    out = out[[*cols, "accuracy", "trend_accuracy", "covered"]]
    out.attrs["notes"] = prepared.notes
    return out


def lead_time_backtest(
    features: pd.DataFrame,
    yields: pd.DataFrame,
    *,
    asofs: Sequence[str] = ASOF_DATES,
    threads: int = 1,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """:func:`backtest` at each as-of date; the result gains an ``asof`` column.

    ``features`` holds every cut-off (an ``asof`` column); each backtest sees only its own.
    """
    parts, notes = [], []
    for i, asof in enumerate(asofs):

        def step(frac: float, msg: str, i: int = i, asof: str = asof) -> None:
            if progress is not None:
                progress((i + frac) / len(asofs), f"as of {asof}: {msg}")

        bt = backtest(build_panel(features, yields, asof=asof), threads=threads, progress=step)
        notes = bt.attrs.get("notes", notes)
        parts.append(bt.assign(asof=asof))
    out = pd.concat(parts, ignore_index=True)
    out.attrs["notes"] = notes
    return out


def summarize_backtest(bt: pd.DataFrame) -> pd.DataFrame:
    """Headline figures per crop (and as-of date when present).

    Columns: crop[, asof], counties, years, accuracy (mean over counties of each county's
    mean accuracy), trend_accuracy (same for the trend baseline), rmse, trend_rmse and
    coverage (share of outcomes inside P10..P90).
    """
    keys = ["crop"] + (["asof"] if "asof" in bt.columns else [])
    rows = []
    for key, g in bt.groupby(keys, sort=True):
        by_county = g.groupby("county_id")[["accuracy", "trend_accuracy"]].mean()
        rows.append(
            {
                **dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True)),
                "counties": int(g["county_id"].nunique()),
                "years": int(g["year"].nunique()),
                "accuracy": float(by_county["accuracy"].mean()),
                "trend_accuracy": float(by_county["trend_accuracy"].mean()),
                "rmse": float(np.sqrt(np.mean((g["p50"] - g["obs"]) ** 2))),
                "trend_rmse": float(np.sqrt(np.mean((g["trend"] - g["obs"]) ** 2))),
                "coverage": float(g["covered"].mean()),
            }
        )
    return pd.DataFrame(rows)
