"""Carbon benchmark: county-month accuracy, gap-fill coverage, read and aggregate speed.

Run: .venv/bin/python -m bench.carbon.run [--seeds 11 12] [--read N ...] [--aggregate N ...]
     [--parts accuracy speed]
Needs the demo world (``paii demo build``) and data/boundaries/*_counties_all.parquet.
Prints one JSON line per measurement.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from bench.carbon import accuracy
from bench.jsonout import write_json


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="*", default=[11, 12])
    parser.add_argument("--read", type=int, nargs="*", default=[1_000_000])
    parser.add_argument("--aggregate", type=int, nargs="*", default=[1_000_000, 30_000_000])
    parser.add_argument(
        "--parts", nargs="+", choices=("accuracy", "speed"), default=["accuracy", "speed"],
        help="accuracy (demo world + --seeds) and/or speed (--read, --aggregate); `make "
        "bench` times speed on its own",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    report: dict = {"worlds": [], "speed": []}
    if "accuracy" in args.parts:
        agg, gap = accuracy.demo_world()
        report["worlds"].append({"world": "demo seed 0", "aggregation": agg, "gapfill": gap})
        print(json.dumps(report["worlds"][-1]), flush=True)
    for seed in args.seeds if "accuracy" in args.parts else ():
        agg, gap = accuracy.held_out(seed)
        report["worlds"].append(
            {"world": f"held-out seed {seed}", "aggregation": agg, "gapfill": gap}
        )
        print(json.dumps(report["worlds"][-1]))
    cases = [("read", n) for n in args.read] + [("aggregate", n) for n in args.aggregate]
    if "speed" not in args.parts:
        cases = []
    for case, n in cases:
        cmd = [sys.executable, "-m", "bench.carbon.speed", case, str(n)]
        sys.stdout.flush()
        done = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True)
        print(done.stdout, end="", flush=True)
        report["speed"].append(json.loads(done.stdout.strip().splitlines()[-1]))
    write_json(args.json, report)


if __name__ == "__main__":
    main()
