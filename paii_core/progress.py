"""Progress reporting for command-line jobs (shared by every `paii` subcommand)."""

from __future__ import annotations

import sys

__all__ = ["progress_printer"]


def progress_printer(fraction: float, message: str) -> None:
    """A progress bar on a terminal; one line per step in a log file."""
    width = 30
    done = round(fraction * width)
    bar = f"[{'#' * done}{'.' * (width - done)}] {fraction:5.1%} {message}"
    if sys.stdout.isatty():
        print(f"\r{bar:<100}", end="" if fraction < 1.0 else "\n", flush=True)
    else:
        print(bar, flush=True)
