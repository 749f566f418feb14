"""The `paii` command: the engine on files, for people and scripts."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from paii_core.config import paths
from paii_core.errors import PaiiError

__all__ = ["main"]


def _progress(fraction: float, message: str) -> None:
    width = 30
    done = round(fraction * width)
    print(
        f"\r[{'#' * done}{'.' * (width - done)}] {fraction:5.1%} {message:<60}", end="", flush=True
    )
    if fraction >= 1.0:
        print()


def _demo_build(args: argparse.Namespace) -> int:
    from paii_core.demo import build_demo

    data = Path(args.out) if args.out else paths().data
    start = time.perf_counter()
    manifest = build_demo(
        data, size=args.size, seed=args.seed, progress=None if args.quiet else _progress
    )
    elapsed = time.perf_counter() - start
    print(
        f"Built the {args.size} demo world (seed {args.seed}) in {elapsed:.1f} s: "
        f"{len(manifest['files'])} files under {data / 'demo'}, database {data / 'paii.duckdb'}. "
        "All of it is simulated."
    )
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="paii", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    commands = parser.add_subparsers(dest="command", required=True)

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
    build.add_argument("--quiet", action="store_true", help="no progress bar")
    build.set_defaults(run=_demo_build)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `paii` console script; returns the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s"
    )
    try:
        return args.run(args)
    except PaiiError as e:
        print(f"\npaii: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\npaii: interrupted; earlier outputs are intact", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
