"""Yield model benchmark: leave-one-year-out accuracy vs the trend-only baseline, and fit time.

Rerun: .venv/bin/python -m bench.yield.yield_bench [--quick]

1. The demo panels of all three regions (data/demo/panels, seed 0), at the four as-of dates.
2. Held-out panels simulated on the real county boundaries with seeds 101 and 102 (never
   the demo's 0 or the tests' 7/11), at 07-01 and 09-01.
3. Fit time of 3,000 counties x 20 years (one crop, Iowa corn): ten 300-county panels of
   square counties (seeds 200..209) tiled side by side.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from paii_core.config import paths
from paii_core.demo.panels import simulate_county_panel
from paii_core.demo.regions import DEMO_REGIONS as REGIONS
from paii_core.io import read_boundaries
from paii_core.yields import build_panel, fit_yield_model, lead_time_backtest, summarize_backtest
from paii_core.yields.nass import read_yield_csv

OUT = Path(__file__).parent / "results.json"


def _demo(region_id: str, asofs: tuple[str, ...] | None = None) -> pd.DataFrame:
    panels = paths().data / "demo" / "panels"
    feats = pd.read_parquet(panels / f"{region_id}_features_asof.parquet")
    yields, _ = read_yield_csv(
        panels / f"{region_id}_nass_yield.csv", maize=REGIONS[region_id].country == "CN"
    )
    kw = {} if asofs is None else {"asofs": asofs}
    return summarize_backtest(lead_time_backtest(feats, yields, **kw)).assign(
        region=region_id, panel="demo (seed 0)"
    )


def _held_out(region_id: str, seed: int, asofs: tuple[str, ...]) -> pd.DataFrame:
    region = REGIONS[region_id]
    counties = read_boundaries(paths().data / "boundaries" / region.boundary_file)
    panel = simulate_county_panel(
        counties, region_id, range(2001, 2021), np.random.default_rng(seed)
    )
    yields = panel.yields[~panel.yields["withheld"]]
    bt = lead_time_backtest(panel.features_asof, yields, asofs=asofs)
    return summarize_backtest(bt).assign(region=region_id, panel=f"held-out seed {seed}")


def _fit_time(n_tiles: int = 10, side: int = 15, years: int = 20) -> dict:
    parts = []
    for t in range(n_tiles):
        rows = [
            (
                f"T{t:02d}{i:02d}{j:02d}",
                f"c{t}-{i}-{j}",
                box(-96 + i * 0.25, 40.5 + j * 0.25, -96 + (i + 1) * 0.25, 40.5 + (j + 1) * 0.25),
            )
            for i in range(side // 1)
            for j in range(300 // side)
        ]
        gdf = gpd.GeoDataFrame(rows, columns=["county_id", "name", "geometry"], crs=4326)
        p = simulate_county_panel(
            gdf, "iowa", range(2001, 2001 + years), np.random.default_rng(200 + t)
        )
        panel = build_panel(p.features_asof, p.yields, asof="09-01")
        parts.append(panel[panel["crop"] == "corn"])
    panel = pd.concat(parts, ignore_index=True)
    t0 = time.perf_counter()
    fit_yield_model(panel, threads=1)
    seconds = time.perf_counter() - t0
    return {
        "counties": int(panel["county_id"].nunique()),
        "years": int(panel["year"].nunique()),
        "rows": len(panel),
        "fit_seconds_1_thread": round(seconds, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="held-out panels only at 09-01")
    parser.add_argument(
        "--held-out-seeds", type=int, nargs="+", default=[101, 102], help="held-out panels"
    )
    parser.add_argument(
        "--demo-asof", nargs="+", default=None, help="as-of dates of the demo panels (all)"
    )
    parser.add_argument(
        "--json", type=Path, default=None, help=f"write the figures here instead of {OUT.name}"
    )
    args = parser.parse_args()
    asofs = ("09-01",) if args.quick else ("07-01", "09-01")
    demo_asofs = tuple(args.demo_asof) if args.demo_asof else None
    tables = [_demo(r, demo_asofs) for r in REGIONS]
    tables += [_held_out(r, s, asofs) for s in args.held_out_seeds for r in REGIONS]
    table = pd.concat(tables, ignore_index=True)
    timing = _fit_time()
    (args.json or OUT).write_text(
        json.dumps({"backtests": table.round(4).to_dict("records"), "fit": timing}, indent=1)
    )
    cols = [
        "panel",
        "region",
        "crop",
        "asof",
        "counties",
        "years",
        "accuracy",
        "trend_accuracy",
        "rmse",
        "trend_rmse",
        "coverage",
    ]
    print(table[cols].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(json.dumps(timing))


if __name__ == "__main__":
    main()
