"""Forecast a region's latest season from its panel files and store the results."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path

import duckdb
import pandas as pd

from paii_core.errors import InputNotFoundError, ValidationError
from paii_core.store import log_event
from paii_core.store.yields import write_yield_run
from paii_core.workspace import get_region
from paii_core.workspace.files import region_file
from paii_core.yields.backtest import ASOF_DATES, backtest
from paii_core.yields.features import build_panel
from paii_core.yields.model import fit_yield_model
from paii_core.yields.nass import read_yield_csv

__all__ = ["YieldRun", "forecast_files", "forecast_frames", "run_region", "store_run"]

Progress = Callable[[float, str], None]


@dataclass
class YieldRun:
    """Forecasts (and backtests) of one season at one or more as-of dates."""

    year: int
    unit: str
    forecasts: pd.DataFrame  # county_id, crop, year, asof, trend, p10, p50, p90
    drivers: pd.DataFrame  # county_id, crop, year, asof, driver, contribution
    backtests: pd.DataFrame | None  # backtest() rows with an asof column
    model_version: str
    input_hash: str
    notes: list[str] = field(default_factory=list)
    simulated: bool | None = None
    """Whether the inputs were simulated, when known from the store."""


def _hash(*files: Path) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def forecast_files(
    features_path: str | PathLike[str],
    nass_path: str | PathLike[str],
    *,
    maize: bool = False,
    year: int | None = None,
    asofs: Sequence[str] = ASOF_DATES,
    with_backtest: bool = True,
    progress: Progress | None = None,
) -> YieldRun:
    """Forecast ``year`` (default: the features' latest) at each as-of date.

    The model of each as-of date learns from the years before ``year`` only, on that
    date's features; with ``with_backtest`` a leave-one-year-out backtest of the same
    model runs over the years with yields.

    Args:
        features_path: Parquet of as-of features (county_id, year, crop, asof, ...).
        nass_path: Quick Stats CSV of county yields.
        maize: read the CSV's CORN as maize (Chinese counties).

    Raises:
        InputNotFoundError: a missing file. FormatError: an unreadable file.
        ValidationError: no features for ``year``, no earlier yields, several units.
    """
    fp = Path(features_path)
    if not fp.exists():
        raise InputNotFoundError(f"{fp}: features Parquet not found; check the path")
    try:
        features = pd.read_parquet(fp)
    except (OSError, ValueError) as e:
        raise ValidationError(
            f"{fp} is not a readable Parquet file ({e}); pass the features"
        ) from e
    yields, notes = read_yield_csv(nass_path, maize=maize)
    units = sorted(set(yields["unit"]))
    if len(units) != 1:
        raise ValidationError(f"{nass_path} mixes yield units {units}; pass one unit per file")
    year = int(features["year"].max()) if year is None else int(year)
    if not (features["year"] == year).any():
        raise ValidationError(f"{fp} has no features for {year}; pick a year it holds")
    if not (yields["year"] < year).any():
        raise ValidationError(f"{nass_path} has no yields before {year} to learn from")
    return forecast_frames(
        features,
        yields,
        year=year,
        unit=units[0],
        input_hash=_hash(fp, Path(nass_path)),
        notes=notes,
        asofs=asofs,
        with_backtest=with_backtest,
        progress=progress,
    )


def forecast_frames(
    features: pd.DataFrame,
    yields: pd.DataFrame,
    *,
    year: int,
    unit: str,
    input_hash: str,
    notes: list[str] | None = None,
    asofs: Sequence[str] = ASOF_DATES,
    with_backtest: bool = True,
    progress: Progress | None = None,
) -> YieldRun:
    """:func:`forecast_files` on tables: ``features`` (county_id, year, crop[, asof],
    numeric columns) and ``yields`` (county_id, year, crop, yield[, unit])."""
    notes = list(notes or [])
    forecasts, drivers, backtests = [], [], []
    steps = len(asofs) * (2 if with_backtest else 1)
    for i, asof in enumerate(asofs):
        panel = build_panel(features, yields, asof=asof)
        model = fit_yield_model(panel[panel["year"] < year])
        notes.extend(n for n in model.notes if n not in notes)
        season = panel[panel["year"] == year].drop(columns=["yield"])
        season = season[season["crop"].isin(list(model.crops))]
        forecasts.append(model.predict(season).assign(asof=asof))
        drivers.append(model.contributions(season).assign(asof=asof))
        if progress is not None:
            progress((i * (2 if with_backtest else 1) + 1) / steps, f"forecast as of {asof}")
        if with_backtest:

            def step(frac: float, msg: str, i: int = i, asof: str = asof) -> None:
                if progress is not None:
                    progress((2 * i + 1 + frac) / steps, f"as of {asof}: {msg}")

            backtests.append(backtest(panel, progress=step).assign(asof=asof))
    return YieldRun(
        year=year,
        unit=unit,
        forecasts=pd.concat(forecasts, ignore_index=True),
        drivers=pd.concat(drivers, ignore_index=True),
        backtests=pd.concat(backtests, ignore_index=True) if backtests else None,
        model_version=model.version,
        input_hash=input_hash,
        notes=notes,
    )


def store_run(
    con: duckdb.DuckDBPyConnection,
    region_id: str,
    run: YieldRun,
    *,
    simulated: bool,
    actor: str,
    asofs: Sequence[str],
) -> None:
    """Write a run's forecasts, drivers and backtests as the region's, and audit it.

    A forecast's unit is its crop's in ``run.forecasts["unit"]`` when present, else
    ``run.unit``."""
    now = datetime.now(UTC).replace(tzinfo=None)
    stamp = {"region_id": region_id, "model_version": run.model_version}
    units = {"unit": run.unit} if "unit" not in run.forecasts.columns else {}
    # The store names the cut-off column as_of: ASOF is a DuckDB keyword.
    fc = run.forecasts.rename(columns={"asof": "as_of"}).assign(
        **stamp, **units, input_hash=run.input_hash, simulated=simulated, created_at=now
    )
    dr = run.drivers.rename(columns={"asof": "as_of"}).assign(**stamp)
    bt = None
    if run.backtests is not None:
        bt = run.backtests.rename(columns={"asof": "as_of"})
        bt = bt.assign(**stamp, simulated=simulated, created_at=now)
        if "unit" not in bt.columns:
            bt = bt.assign(unit=run.unit)
    write_yield_run(con, region_id, fc, dr, bt)
    log_event(
        con,
        actor=actor,
        action="yield forecast",
        entity="region",
        entity_id=region_id,
        detail={"year": run.year, "asofs": list(asofs), "model": run.model_version},
    )


def run_region(
    con: duckdb.DuckDBPyConnection,
    data_dir: str | PathLike[str],
    region_id: str,
    *,
    asofs: Sequence[str] = ASOF_DATES,
    with_backtest: bool = True,
    actor: str = "paii yield forecast",
    progress: Progress | None = None,
) -> YieldRun:
    """Forecast a region from the yield CSV and feature table the store lists for it
    (kinds ``yield_csv`` and ``yield_features``) and write the results to the store.

    The results are marked simulated when either input is. A region whose yields name
    maize reads the CSV's CORN as maize.

    Raises:
        ValidationError: unknown region. InputNotFoundError: the region has no yield CSV
            or feature table. See :func:`forecast_files` for the rest.
    """
    region = get_region(con, region_id)
    features, sim_features = region_file(con, region_id, "yield_features", data_dir=data_dir)
    yields, sim_yields = region_file(con, region_id, "yield_csv", data_dir=data_dir)
    simulated = sim_features or sim_yields
    run = forecast_files(
        features,
        yields,
        maize="maize" in region.yield_crops,
        asofs=asofs,
        with_backtest=with_backtest,
        progress=progress,
    )
    run.simulated = simulated
    store_run(con, region.region_id, run, simulated=simulated, actor=actor, asofs=asofs)
    return run
