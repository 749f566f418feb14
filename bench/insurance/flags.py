"""Benchmark: do the Insurance page's declaration flags find the misdeclared policies?

Run: .venv/bin/python -m bench.insurance.flags [--asof 2020-10-31]
On the prepared demo world (`make run` / `paii demo prepare`: PAII's own cropland,
parcels and a crop map from the 40-point simulated survey of each area), each policy's
"crop mismatch" / "area over-declared" flags are compared with the portfolio truth
(demo/truth/insurance/policies_truth.csv, which the engine never reads). Stop the
dashboard first: DuckDB allows one writer.
"""

from __future__ import annotations

import argparse
from datetime import date

import pandas as pd

from paii_core import store
from paii_core.access import local_operator
from paii_core.config import paths
from paii_core.insurance import review_portfolio

DECLARATION_FLAGS = "crop mismatch|area over-declared"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--asof", type=date.fromisoformat, default=date(2020, 10, 31))
    args = parser.parse_args()
    data = paths().data
    truth = pd.read_csv(data / "demo" / "truth" / "insurance" / "policies_truth.csv")
    con = store.connect(data / "paii.duckdb")
    print("| region | policies | misdeclared | flagged | found (TP) | false flags | missed |")
    print("|---|---|---|---|---|---|---|")
    try:
        for region in sorted(truth["policy_id"].str[3:5].unique()):  # PA-HA-0001 -> HA
            region_id = {"HA": "henan", "HB": "hubei", "IA": "iowa"}.get(region)
            if region_id is None:
                continue
            table = review_portfolio(
                con, region_id, asof=args.asof, principal=local_operator()
            ).table
            both = table.merge(truth, on="policy_id")
            flagged = both["flags"].str.contains(DECLARATION_FLAGS, na=False)
            wrong = both["misdeclared"].astype(bool)
            print(
                f"| {region_id} | {len(both)} | {int(wrong.sum())} | {int(flagged.sum())} | "
                f"{int((flagged & wrong).sum())} | {int((flagged & ~wrong).sum())} | "
                f"{int((~flagged & wrong).sum())} |"
            )
    finally:
        con.close()


if __name__ == "__main__":
    main()
