"""Trend model from yields alone (yield-trend-1) against LightGBM with features.

Rerun: .venv/bin/python -m bench.yield.trend_bench   (a minute; needs data/demo)

The trend model is what a region gets from an imported Quick Stats export alone; a
feature table (weather, NDVI) adds the LightGBM model. Leave-one-year-out backtests of
the trend on the demo panels (seed 0) and on held-out panels (seeds 101, 102, never the
demo's or the tests'); the LightGBM rows at 09-01 are read from the yield benchmark's
results.json (`python -m bench.yield.yield_bench`, same panels, same folds).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from paii_core.config import paths
from paii_core.demo.panels import simulate_county_panel
from paii_core.demo.regions import DEMO_REGIONS as REGIONS
from paii_core.io import read_boundaries
from paii_core.yields import summarize_backtest
from paii_core.yields.nass import read_yield_csv
from paii_core.yields.trend import trend_backtest

HERE = Path(__file__).parent
OUT = HERE / "trend_results.json"


def _yields(region_id: str, seed: int) -> pd.DataFrame:
    region = REGIONS[region_id]
    if seed == 0:
        panels = paths().data / "demo" / "panels"
        y, _ = read_yield_csv(panels / f"{region_id}_nass_yield.csv", maize=region.country == "CN")
        return y
    counties = read_boundaries(paths().data / "boundaries" / region.boundary_file)
    panel = simulate_county_panel(
        counties, region_id, range(2001, 2021), np.random.default_rng(seed)
    )
    return panel.yields[~panel.yields["withheld"]]


def main() -> None:
    lgbm = json.loads((HERE / "results.json").read_text())["backtests"]
    names = {0: "demo (seed 0)", 101: "held-out seed 101", 102: "held-out seed 102"}
    rows = []
    for seed in (0, 101, 102):
        for region_id in REGIONS:
            summary = summarize_backtest(trend_backtest(_yields(region_id, seed)))
            for rec in summary.to_dict("records"):
                ref = [
                    r for r in lgbm
                    if r["panel"] == names[seed] and r["region"] == region_id
                    and r["crop"] == rec["crop"] and r["asof"] == "09-01"
                ]  # fmt: skip
                rows.append(
                    {
                        "panel": names[seed],
                        "region": region_id,
                        "crop": rec["crop"],
                        "trend_accuracy": round(rec["accuracy"], 2),
                        "trend_coverage": round(rec["coverage"], 3),
                        "lgbm_accuracy_0901": round(ref[0]["accuracy"], 2) if ref else None,
                        "lgbm_coverage_0901": round(ref[0]["coverage"], 3) if ref else None,
                    }
                )
    table = pd.DataFrame(rows)
    OUT.write_text(json.dumps(rows, indent=1))
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()
