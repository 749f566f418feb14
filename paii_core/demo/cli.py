"""`paii demo ...`: build the simulated demo world and prepare its products."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from paii_core.config import paths
from paii_core.progress import progress_printer

__all__ = ["progress_printer", "register"]


def _build(args: argparse.Namespace) -> int:
    from paii_core.demo import build_demo

    data = Path(args.out) if args.out else paths().data
    start = time.perf_counter()
    manifest = build_demo(
        data,
        size=args.size,
        seed=args.seed,
        progress=None if args.quiet else progress_printer,
        replace_user_data=args.replace_user_data,
    )
    elapsed = time.perf_counter() - start
    print(
        f"Built the {args.size} demo world (seed {args.seed}) in {elapsed:.1f} s: "
        f"{len(manifest['files'])} files under {data / 'demo'}, database {data / 'paii.duckdb'}. "
        "All of it is simulated."
    )
    return 0


def _prepare(args: argparse.Namespace) -> int:
    from paii_core.demo.prepare import prepare_demo

    data = Path(args.data_dir) if args.data_dir else paths().data
    start = time.perf_counter()
    steps = prepare_demo(
        data,
        with_backtest=not args.no_backtest,
        on_step=lambda step: print(step.line(), flush=True),
    )
    done = sum(s.status == "done" for s in steps)
    print(
        f"Prepared the demo world under {data} in {time.perf_counter() - start:.1f} s: "
        f"{done} step(s) computed, {len(steps) - done} already stored. All of it is simulated."
    )
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add `paii demo build` and `paii demo prepare` to the `paii` parser."""
    demo = commands.add_parser("demo", help="the simulated demo world")
    demo_commands = demo.add_subparsers(dest="demo_command", required=True)
    build = demo_commands.add_parser(
        "build", help="generate the demo world in real formats and ingest it into DuckDB"
    )
    build.add_argument("--size", choices=("full", "tiny"), default="full")
    build.add_argument("--seed", type=int, default=0, help="same seed, same world (default 0)")
    build.add_argument(
        "--replace-user-data",
        action="store_true",
        help="rebuild even if the database holds regions you added (they are dropped)",
    )
    build.add_argument(
        "--out", help="data folder to write demo/ and paii.duckdb into (default data/)"
    )
    build.add_argument("--quiet", action="store_true", help="no progress output")
    build.set_defaults(run=_build)
    prepare = demo_commands.add_parser(
        "prepare",
        help="map parcels, save a simulated survey label set, forecast yields, map the flood "
        "and aggregate XCO2 of a built demo world, so every page opens with results",
    )
    prepare.add_argument(
        "--data-dir", help="data folder holding demo/ and paii.duckdb (default data/)"
    )
    prepare.add_argument(
        "--no-backtest",
        action="store_true",
        help="skip the yield backtests (the Yield page's track record); most of the time",
    )
    prepare.set_defaults(run=_prepare)
