"""The `paii` command: the engine on files, for people and scripts."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from paii_core.errors import PaiiError

__all__ = ["main"]


COMMAND_MODULES: tuple[str, ...] = (
    "paii_core.demo.cli",
    "paii_core.workspace.cli",
    "paii_core.flood.cli",
    "paii_core.enhance.cli",
    "paii_core.carbon.cli",
    "paii_core.yields.cli",
    "paii_core.crops.cli",
    "paii_core.insurance.cli",
    "paii_core.areas.cli",
    "paii_core.batch.cli",
    "paii_core.access.cli",
)
"""Modules that add subcommands: each has ``register(subparsers)``; a feature adds its
own module here instead of growing this file."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="paii", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    commands = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(commands)
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
