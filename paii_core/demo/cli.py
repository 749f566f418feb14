"""`paii demo ...`: build the simulated demo world."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from paii_core.config import paths

__all__ = ["progress_printer", "register"]


def progress_printer(fraction: float, message: str) -> None:
    """A progress bar on a terminal; one line per step in a log file."""
    width = 30
    done = round(fraction * width)
    bar = f"[{'#' * done}{'.' * (width - done)}] {fraction:5.1%} {message}"
    if sys.stdout.isatty():
        print(f"\r{bar:<100}", end="" if fraction < 1.0 else "\n", flush=True)
    else:
        print(bar, flush=True)


def _build(args: argparse.Namespace) -> int:
    from paii_core.demo import build_demo

    data = Path(args.out) if args.out else paths().data
    start = time.perf_counter()
    manifest = build_demo(
        data, size=args.size, seed=args.seed, progress=None if args.quiet else progress_printer
    )
    elapsed = time.perf_counter() - start
    print(
        f"Built the {args.size} demo world (seed {args.seed}) in {elapsed:.1f} s: "
        f"{len(manifest['files'])} files under {data / 'demo'}, database {data / 'paii.duckdb'}. "
        "All of it is simulated."
    )
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add `paii demo build` to the `paii` parser."""
    demo = commands.add_parser("demo", help="the simulated demo world")
    demo_commands = demo.add_subparsers(dest="demo_command", required=True)
    build = demo_commands.add_parser(
        "build", help="generate the demo world in real formats and ingest it into DuckDB"
    )
    build.add_argument("--size", choices=("full", "tiny"), default="full")
    build.add_argument("--seed", type=int, default=0, help="same seed, same world (default 0)")
    build.add_argument(
        "--out", help="data folder to write demo/ and paii.duckdb into (default data/)"
    )
    build.add_argument("--quiet", action="store_true", help="no progress output")
    build.set_defaults(run=_build)
