"""Forecasts and backtests of any stored region: its imported yields, plus a feature table.

Without features the model is the trend (:mod:`.trend`, model version "yield-trend-1");
with a user's feature table (weather, NDVI...) it is the LightGBM model on top of the
same trend. Feature table columns: ``county_id`` (zero-padded text), ``year``, optionally
``crop`` (else the row applies to every crop) and ``asof`` ("MM-DD": the value known at
that in-season cut-off; without it the same values serve every cut-off), then any
numeric columns, each a feature. Parquet or CSV.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from os import PathLike
from pathlib import Path

import duckdb
import pandas as pd

from paii_core.errors import FormatError, InputNotFoundError, ValidationError
from paii_core.store import yields as ystore
from paii_core.yields.backtest import ASOF_DATES, lead_time_backtest
from paii_core.yields.run import YieldRun, forecast_frames, store_run
from paii_core.yields.trend import fit_trend_model, trend_backtest

__all__ = [
    "backtest_region",
    "forecast_region",
    "forecast_stored_region",
    "read_feature_table",
    "stored_region_yields",
]

Progress = Callable[[float, str], None]


def read_feature_table(path: str | PathLike[str]) -> pd.DataFrame:
    """A user's feature table (Parquet or CSV; columns in the module docstring).

    Raises:
        InputNotFoundError: no such file.
        FormatError: not Parquet/CSV, unreadable, or without county_id and year.
    """
    p = Path(path)
    if not p.is_file():
        raise InputNotFoundError(f"{p}: feature table not found; check --features")
    try:
        if p.suffix.lower() == ".parquet":
            frame = pd.read_parquet(p)
        elif p.suffix.lower() == ".csv":
            frame = pd.read_csv(p, dtype={"county_id": str, "asof": str, "crop": str})
        else:
            raise FormatError(p, f"has the extension {p.suffix!r}", "pass .parquet or .csv")
    except (OSError, ValueError, pd.errors.ParserError) as e:
        raise FormatError(p, f"is not readable ({e})", "pass a Parquet or CSV table") from e
    missing = [c for c in ("county_id", "year") if c not in frame.columns]
    if missing:
        raise FormatError(
            p,
            f"lacks column(s) {', '.join(missing)}",
            "give one row per county_id and year (optionally crop, asof) with numeric features",
        )
    frame["county_id"] = frame["county_id"].astype(str)
    return frame


def stored_region_yields(con: duckdb.DuckDBPyConnection, region_id: str) -> pd.DataFrame:
    """The region's stored yields (county_id, crop, year, yield, unit, simulated).

    Raises:
        ValidationError: none are stored (the fix names `paii yields import`).
    """
    yields = ystore.region_yields(con, region_id)
    if yields.empty:
        raise ValidationError(
            f"region {region_id!r} has no yields in the store; import county yields (a "
            "county yield table in CSV or Excel, or a Quick Stats export) with "
            f"`paii yields import FILE --region {region_id}` (or the Data page)"
        )
    return yields


def _with_crops(features: pd.DataFrame, yields: pd.DataFrame) -> pd.DataFrame:
    """A crop-less feature table repeated for every crop of the yields."""
    if "crop" in features.columns:
        return features.assign(crop=features["crop"].astype(str))
    crops = pd.DataFrame({"crop": sorted(yields["crop"].unique())})
    return features.merge(crops, how="cross")


def _digest(*frames: pd.DataFrame) -> str:
    h = hashlib.sha256()
    for f in frames:
        h.update(pd.util.hash_pandas_object(f, index=False).to_numpy().tobytes())
    return h.hexdigest()[:16]


def forecast_region(
    con: duckdb.DuckDBPyConnection,
    region_id: str,
    *,
    features: pd.DataFrame | None = None,
    features_simulated: bool = False,
    year: int | None = None,
    asofs: Sequence[str] = ASOF_DATES,
    with_backtest: bool = True,
    actor: str = "paii yield forecast",
    progress: Progress | None = None,
) -> YieldRun:
    """Forecast a region's next season from its stored yields and store the result.

    Trend only without ``features`` (``year`` defaults to the year after the last
    yield; every as-of date gets the same trend); with them, the LightGBM model per as-of
    date (``year`` defaults to the features' latest). Stored rows are simulated when any
    input is (the yields' own flags, ``features_simulated``).

    Raises:
        ValidationError: no stored yields, no yields before ``year``, a crop too thin.
    """
    yields = stored_region_yields(con, region_id)
    units = yields.groupby("crop")["unit"].agg(lambda u: u.iloc[-1])
    simulated = bool(yields["simulated"].any()) or (features is not None and features_simulated)
    if features is None:
        year = int(yields["year"].max()) + 1 if year is None else int(year)
        past = yields[yields["year"] < year]
        if past.empty:
            raise ValidationError(f"region {region_id!r} has no yields before {year}")
        model = fit_trend_model(past)
        season = past[["county_id", "crop"]].drop_duplicates().assign(year=year)
        season = season[season["crop"].isin(list(model.crops))]
        pred = model.predict(season)
        drv = model.contributions(season)
        bt = trend_backtest(past, progress=progress) if with_backtest else None
        run = YieldRun(
            year=year,
            unit=str(units.iloc[0]),
            forecasts=pd.concat([pred.assign(asof=a) for a in asofs], ignore_index=True),
            drivers=pd.concat([drv.assign(asof=a) for a in asofs], ignore_index=True),
            backtests=None if bt is None else pd.concat([bt.assign(asof=a) for a in asofs]),
            model_version=model.version,
            input_hash=_digest(past),
            notes=[f"trend model from yields alone ({model.version}): no feature table given"],
        )
    else:
        table = _with_crops(features, yields)
        year = int(table["year"].max()) if year is None else int(year)
        run = forecast_frames(
            table,
            yields.drop(columns=["simulated", "unit"]),
            year=year,
            unit=str(units.iloc[0]),
            input_hash=_digest(yields, table),
            asofs=asofs,
            with_backtest=with_backtest,
            progress=progress,
        )
    run.forecasts["unit"] = run.forecasts["crop"].map(units)
    if run.backtests is not None:
        run.backtests["unit"] = run.backtests["crop"].map(units).to_numpy()
    store_run(con, region_id, run, simulated=simulated, actor=actor, asofs=asofs)
    return run


def backtest_region(
    con: duckdb.DuckDBPyConnection,
    region_id: str,
    *,
    features: pd.DataFrame | None = None,
    asofs: Sequence[str] = ASOF_DATES,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Leave-one-year-out backtest of a region's stored yields: the trend model without
    ``features`` (one ``asof`` row set, "trend"), the LightGBM model at each of
    ``asofs`` with them. Columns as :func:`lead_time_backtest`'s, plus ``unit``."""
    yields = stored_region_yields(con, region_id)
    units = yields.groupby("crop")["unit"].agg(lambda u: u.iloc[-1])
    if features is None:
        out = trend_backtest(yields, progress=progress).assign(asof="trend")
    else:
        table = _with_crops(features, yields)
        out = lead_time_backtest(
            table, yields.drop(columns=["simulated", "unit"]), asofs=asofs, progress=progress
        )
    return out.assign(unit=out["crop"].map(units).to_numpy())


def forecast_stored_region(
    con: duckdb.DuckDBPyConnection,
    data_dir: str | PathLike[str],
    region_id: str,
    *,
    features_path: str | PathLike[str] | None = None,
    features_simulated: bool = False,
    year: int | None = None,
    asofs: Sequence[str] = ASOF_DATES,
    with_backtest: bool = True,
    actor: str = "paii yield forecast",
    progress: Progress | None = None,
) -> YieldRun:
    """What `paii yield forecast --region` and the Yield page's button run: the feature
    table at ``features_path`` when given; else the feature table and yield CSV the store
    lists for the region (kinds ``yield_features`` and ``yield_csv``, e.g. a demo region's
    simulated panels, :func:`run_region`) when both files are there; else the trend of the
    stored yields."""
    from paii_core.errors import InputNotFoundError
    from paii_core.workspace.files import region_file
    from paii_core.yields.run import run_region

    try:
        panels = [
            region_file(con, region_id, kind, data_dir=data_dir)[0].is_file()
            for kind in ("yield_features", "yield_csv")
        ]
    except InputNotFoundError:
        panels = [False]
    if features_path is None and all(panels):
        return run_region(
            con, data_dir, region_id, asofs=asofs, with_backtest=with_backtest, actor=actor,
            progress=progress,
        )  # fmt: skip
    features = read_feature_table(features_path) if features_path is not None else None
    return forecast_region(
        con, region_id, features=features, features_simulated=features_simulated, year=year,
        asofs=asofs, with_backtest=with_backtest, actor=actor, progress=progress,
    )  # fmt: skip
