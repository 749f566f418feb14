"""Accuracy of county-month XCO2 means and of gap filling, against the generator's truth.

Aggregation is scored on the demo world (data/demo, seed 0) against ``xco2_true_sampled``:
the weighted mean of the true field at the county's good soundings, which is what a perfect
retrieval averages. OCO-2 passes a county on one day a month (16-day repeat, cloud gaps), and
in June-August the seasonal drawdown moves XCO2 by 1-2 ppm within the month, so the measured
mean stands for that day, not for the month (``xco2_true``, also reported).

Gap filling (:func:`paii_core.carbon.gapfill_xco2`) is scored on the county-months with
fewer than 20 good soundings (those the page shows as interpolated) against ``xco2_true``,
the month-and-county mean, which is what it estimates. Coverage is the share within the
stated 90% interval (``INTERVAL_Z`` sd) and within 1 sd; it is measured on the demo world
and on held-out worlds (other seeds of :mod:`paii_core.demo.soundings`, never used to set
anything in the method).
"""

from __future__ import annotations

from datetime import date, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd

from paii_core.carbon import aggregate_xco2, gapfill_xco2, read_oco2_lite
from paii_core.carbon.gapfill import INTERVAL_Z
from paii_core.config import REPO_ROOT, paths
from paii_core.demo import soundings as gen
from paii_core.demo.regions import DEMO_REGIONS as REGIONS
from paii_core.io import read_boundaries

MIN_GOOD = 20
START = date(2019, 6, 1)


def region_counties() -> gpd.GeoDataFrame:
    """The three demo regions' counties with a region_id column."""
    frames = []
    for region in REGIONS.values():
        gdf = read_boundaries(REPO_ROOT / "data" / "boundaries" / region.boundary_file)
        frames.append(gdf[["county_id", "geometry"]].assign(region_id=region.region_id))
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=4326)


def score_aggregation(soundings: pd.DataFrame, counties, truth: pd.DataFrame) -> dict:
    """Measured means vs the sampled and the monthly truth where n >= MIN_GOOD."""
    agg = aggregate_xco2(soundings, counties[["county_id", "geometry"]])
    t = truth.assign(
        county_id=truth["county_id"].astype(str), period=pd.to_datetime(truth["period"])
    )
    m = agg.merge(t, on=["county_id", "period"])
    m = m[m["n_soundings"] >= MIN_GOOD]
    err_s = (m["xco2_mean"] - m["xco2_true_sampled"]).abs()
    err_t = (m["xco2_mean"] - m["xco2_true"]).abs()
    return {
        "county_months": len(m),
        "within_0.3_sampled": float((err_s <= 0.3).mean()),
        "mae_sampled": float(err_s.mean()),
        "within_0.3_monthly": float((err_t <= 0.3).mean()),
        "mae_monthly": float(err_t.mean()),
    }


def score_gapfill(soundings: pd.DataFrame, counties, truth: pd.DataFrame) -> pd.DataFrame:
    """Per interpolated county-month: error against xco2_true and the stated sd."""
    good = soundings[soundings["xco2_quality_flag"] == 0]
    t = truth.assign(
        county_id=truth["county_id"].astype(str), period=pd.to_datetime(truth["period"])
    )
    rows = []
    for region_id, sub in counties.groupby("region_id"):
        filled = gapfill_xco2(good, gpd.GeoDataFrame(sub, crs=4326)).counties
        m = filled.merge(t, on=["county_id", "period"])
        m = m[(m["n_good"] < MIN_GOOD) & m["xco2_interp"].notna()]
        rows.append(
            pd.DataFrame(
                {
                    "region_id": region_id,
                    "err": m["xco2_interp"] - m["xco2_true"],
                    "sd": m["xco2_interp_sd"],
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def summarize_gapfill(e: pd.DataFrame) -> dict:
    a = e["err"].abs()
    return {
        "county_months": len(e),
        "mae": float(a.mean()),
        "within_1sd": float((a <= e["sd"]).mean()),
        "within_stated_90": float((a <= INTERVAL_Z * e["sd"]).mean()),
        "mean_sd": float(e["sd"].mean()),
    }


def demo_world() -> tuple[dict, dict]:
    """Aggregation and gap-fill scores on the built demo world."""
    data = paths().data
    soundings = read_oco2_lite(data / "demo" / "oco2")
    truth = pd.read_csv(
        data / "demo" / "truth" / "oco2" / "county_month_xco2.csv", dtype={"county_id": str}
    )
    counties = region_counties()
    return (
        score_aggregation(soundings, counties, truth),
        summarize_gapfill(score_gapfill(soundings, counties, truth)),
    )


def held_out(seed: int, days: int = 61) -> tuple[dict, dict]:
    """The same scores on a world of soundings drawn with another seed (June-July 2019)."""
    counties = region_counties()
    bboxes = [tuple(g.total_bounds) for _, g in counties.groupby("region_id")]
    end = START + timedelta(days=days)
    tracks = gen.oco2_ground_tracks(START, end, bboxes)
    soundings = gen.simulate_soundings(tracks, np.random.default_rng(seed))
    months = pd.date_range(START, end, freq="MS", inclusive="left")
    truth = gen.county_month_truth(counties, months, soundings=soundings)
    return (
        score_aggregation(soundings, counties, truth),
        summarize_gapfill(score_gapfill(soundings, counties, truth)),
    )
