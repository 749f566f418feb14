"""The `paii` command: the engine on files, for people and scripts."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import warnings
from collections.abc import Sequence
from typing import NoReturn

from paii_core.errors import PaiiError, PaiiWarning

__all__ = ["main"]


COMMAND_NAMES: dict[str, str] = {
    "demo": "paii_core.demo.cli",
    "region": "paii_core.workspace.cli",
    "flood": "paii_core.flood.cli",
    "flood-event": "paii_core.flood.cli",
    "dehaze": "paii_core.enhance.cli",
    "sr": "paii_core.enhance.cli",
    "train": "paii_core.enhance.cli",
    "reflectance": "paii_core.enhance.cli",
    "carbon": "paii_core.carbon.cli",
    "yield": "paii_core.yields.cli",
    "yields": "paii_core.yields.cli",
    "crops": "paii_core.crops.cli",
    "insurance": "paii_core.insurance.cli",
    "policies": "paii_core.insurance.cli",
    "area": "paii_core.areas.cli",
    "batch": "paii_core.batch.cli",
    "users": "paii_core.access.cli",
    "audit": "paii_core.access.cli",
}
"""Each command and the module that registers it (``register(subparsers)``), so `paii
COMMAND` imports that module alone: importing them all costs seconds (torch, LightGBM,
scikit-learn, DuckDB), which `paii batch` would pay before its workers start. A feature
adds its commands here instead of growing this file."""

COMMAND_MODULES: tuple[str, ...] = tuple(dict.fromkeys(COMMAND_NAMES.values()))
"""Every command module once, in order: the parser of `paii --help` and unknown commands."""


def _parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or of ``command`` alone when its module is known."""
    parser = argparse.ArgumentParser(prog="paii", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    commands = parser.add_subparsers(dest="command", required=True)
    modules = (COMMAND_NAMES[command],) if command in COMMAND_NAMES else COMMAND_MODULES
    for name in modules:
        importlib.import_module(name).register(commands)
    return parser


def _command(argv: Sequence[str]) -> str | None:
    """The command named in ``argv``: its first word that is not an option (the only
    global option, -v/--verbose, takes no value)."""
    return next((a for a in argv if not a.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `paii` console script; returns the exit status.

    Run as the process's own command (``argv`` None), a command that sets
    ``exit_at_once`` (`paii batch`) ends the process as soon as it returns, its output
    flushed: everything it wrote is closed by then, and Python's teardown of dask and
    the raster libraries (0.2-0.3 s measured under load) would only keep the shell
    waiting."""
    own = argv is None
    argv = sys.argv[1:] if argv is None else list(argv)
    args = _parser(_command(argv)).parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s"
    )
    # GDAL's warnings about real files ("CPLE_AppDefined in X.tif: TIFFReadDirectory: Sum
    # of Photometric type-related color channels ...", a dozen times per openEO GeoTIFF)
    # say nothing a user can act on; what matters is raised as PaiiError. -v shows them.
    logging.getLogger("rasterio").setLevel(logging.NOTSET if args.verbose else logging.ERROR)
    formatwarning = warnings.formatwarning
    warnings.formatwarning = _format_warning
    try:
        status = args.run(args)
    except PaiiError as e:
        print(f"\npaii: error: {e}", file=sys.stderr)
        status = 2
    except PermissionError as e:  # a file no reader checked first (an MTL, a CSV)
        print(f"\npaii: error: {_permission_message(e)}", file=sys.stderr)
        status = 2
    except KeyboardInterrupt:
        print("\npaii: interrupted; earlier outputs are intact", file=sys.stderr)
        status = 130
    finally:
        warnings.formatwarning = formatwarning
    if own and getattr(args, "exit_at_once", False):
        _exit_now(status)
    return status


def _permission_message(error: PermissionError) -> str:
    """A file this user may not read or write, as a user's error with its fix (the
    traceback named the engine's line, not what to do)."""
    name = error.filename or "a file"
    return (
        f"{name}: cannot be opened: permission denied for this user. Fix: make it readable "
        f"(an input) or writable (an output or its folder) for this user, e.g. `chmod u+rw "
        f"'{name}'` as its owner, or run as a user who may"
    )


def _format_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    line: str | None = None,
) -> str:
    """PAII's own warnings as the user's (``paii: warning: ...``): Python's format adds
    the engine's file, line number and source line, which say nothing to a user."""
    if issubclass(category, PaiiWarning):
        return f"paii: warning: {message}\n"
    return _FORMAT_WARNING(message, category, filename, lineno, line)


_FORMAT_WARNING = warnings.formatwarning


def _exit_now(status: int) -> NoReturn:
    """End the process with ``status`` after flushing its output and logs, without
    Python's interpreter teardown (no atexit handlers run: use only when nothing is
    left to close)."""
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(status)


if __name__ == "__main__":
    sys.exit(main())
