"""The Home page's numbers: region KPIs and county metrics read from the store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from paii_core import store
from paii_core.access import Principal
from paii_core.errors import ValidationError
from paii_core.store import insurance as ins_store
from paii_core.workspace import get_region

__all__ = [
    "MetricOption",
    "Portfolio",
    "RegionSummary",
    "metric_frame",
    "metric_options",
    "portfolio",
    "region_summary",
]


@dataclass(frozen=True)
class MetricOption:
    """One choice of the county map: a stored metric, optionally for one crop."""

    key: str
    label: str
    metric: str
    crop: str = ""
    diverging: bool = False
    decimals: int = 1


@dataclass(frozen=True)
class RegionSummary:
    """Headline figures of a region as of a date, from county data only: pages cache it
    for every session, whatever the role, so it holds no policy figure (see
    :func:`portfolio`)."""

    region_id: str
    counties: int
    counties_with_data: int
    cropland_km2: float
    """NaN when no county of the region has a cropland share."""
    yield_crop: str
    yield_year: int | None
    yield_mean: float
    yield_change_pct: float
    yield_unit: str
    built_at: str | None
    """When `paii demo build` built the store (UTC); None for a store it did not build."""
    simulated: bool
    """Whether its county figures (cropland, yields) are simulated."""


@dataclass(frozen=True)
class Portfolio:
    """A region's insured portfolio in two figures."""

    policies: int
    insured_area_ha: float


def _yield_crops(con: duckdb.DuckDBPyConnection, region_id: str) -> list[str]:
    """The region's declared yield crops first, then any other crop with stored yields."""
    declared = list(get_region(con, region_id).yield_crops)
    stored = store.metric_crops(con, region_id, "yield")
    return declared + [c for c in stored if c not in declared]


def metric_options(con: duckdb.DuckDBPyConnection, region_id: str) -> list[MetricOption]:
    """The county metrics the Home map offers for a region."""
    options = [MetricOption("cropland_share", "Cropland share", "cropland_share")]
    for crop in _yield_crops(con, region_id):
        options.append(
            MetricOption(f"yield:{crop}", f"{crop.title()} yield, latest year", "yield", crop)
        )
        options.append(
            MetricOption(
                f"yield_anomaly:{crop}",
                f"{crop.title()} yield vs previous 5-year mean",
                "yield_anomaly",
                crop,
                diverging=True,
            )
        )
    return options


def _option(con: duckdb.DuckDBPyConnection, region_id: str, key: str) -> MetricOption:
    options = {o.key: o for o in metric_options(con, region_id)}
    if key not in options:
        raise ValidationError(
            f"metric {key!r} is not offered for {region_id}; use one of {sorted(options)}"
        )
    return options[key]


def metric_frame(
    con: duckdb.DuckDBPyConnection, region_id: str, key: str, *, asof: date
) -> pd.DataFrame:
    """Every county of the region with the chosen metric's latest value up to ``asof``.

    Columns as :func:`paii_core.store.county_metric_frame`; counties with no value keep
    NaN so the map can draw them grey rather than drop them.
    """
    option = _option(con, region_id, key)
    if option.metric != "yield_anomaly":
        return store.county_metric_frame(con, region_id, option.metric, crop=option.crop, asof=asof)
    frame = store.county_metric_frame(con, region_id, "yield", crop=option.crop, asof=asof)
    history = store.county_metric_history(con, region_id, "yield", crop=option.crop, asof=asof)
    anomalies = []
    for row in frame.itertuples(index=False):
        past = history[
            (history.county_id == row.county_id) & (history.period_start < row.period_start)
        ]
        past = past.sort_values("period_start").tail(5)["value"].dropna()
        ok = len(past) >= 3 and np.isfinite(row.value)
        anomalies.append(100.0 * (row.value / past.mean() - 1.0) if ok else np.nan)
    return frame.assign(value=anomalies, unit="%")


def region_summary(con: duckdb.DuckDBPyConnection, region_id: str, *, asof: date) -> RegionSummary:
    """KPIs for the Home page: counties, cropland area, latest yield and its change."""
    region = get_region(con, region_id)
    share = store.county_metric_frame(con, region_id, "cropland_share", asof=asof)
    cropland_km2 = (  # no county with a share is "not known", not 0 km²
        float(np.nansum(share["area_km2"] * share["value"] / 100.0))
        if share["value"].notna().any()
        else float("nan")
    )
    crops = _yield_crops(con, region_id)
    crop = crops[0] if crops else ""
    history = store.county_metric_history(con, region_id, "yield", crop=crop, asof=asof)
    by_year = (
        history.assign(year=pd.to_datetime(history["period_start"]).dt.year)
        .groupby("year")["value"]
        .mean()
    )
    by_year = by_year.dropna()
    year = int(by_year.index.max()) if len(by_year) else None
    mean = float(by_year.iloc[-1]) if len(by_year) else float("nan")
    change = (
        float(100.0 * (by_year.iloc[-1] / by_year.iloc[-2] - 1.0))
        if len(by_year) > 1
        else float("nan")
    )
    meta = store.read_meta(con)
    return RegionSummary(
        region_id=region_id,
        counties=len(share),
        counties_with_data=int(share["value"].notna().sum()),
        cropland_km2=cropland_km2,
        yield_crop=crop,
        yield_year=year,
        yield_mean=mean,
        yield_change_pct=change,
        yield_unit=region.yield_unit,
        built_at=meta.get("built_at"),
        simulated=bool(
            share["simulated"].fillna(False).any() or history["simulated"].fillna(False).any()
        ),
    )


def portfolio(
    con: duckdb.DuckDBPyConnection, region_id: str, *, principal: Principal | None
) -> Portfolio:
    """Number of policies and declared hectares of a region, for a principal allowed to
    see policy data (read on every call, never cached across sessions).

    Raises AccessDeniedError for any other principal.
    """
    return Portfolio(*ins_store.portfolio_totals(con, region_id, principal=principal))
