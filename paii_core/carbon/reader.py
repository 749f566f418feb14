"""Many OCO-2 Lite files into one soundings table, bad files reported by name."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from os import PathLike
from pathlib import Path

import pandas as pd

from paii_core.errors import InputNotFoundError, PaiiError, PaiiWarning
from paii_core.io.oco2 import OCO2_COLUMNS, iter_oco2_lite

__all__ = ["expand_paths", "iter_soundings", "read_oco2_lite"]

Paths = str | PathLike[str] | Iterable[str | PathLike[str]]


def expand_paths(paths: Paths) -> list[Path]:
    """Paths as a sorted list; a folder stands for its ``*.nc4`` files.

    Raises:
        InputNotFoundError: a folder holds no ``.nc4`` file, or no path was given.
    """
    items = [paths] if isinstance(paths, str | PathLike) else list(paths)
    out: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = sorted(p.glob("*.nc4"))
            if not found:
                raise InputNotFoundError(
                    f"{p}: folder has no OCO-2 Lite files (*.nc4); pass the folder that holds them"
                )
            out.extend(found)
        else:
            out.append(p)
    if not out:
        raise InputNotFoundError("no OCO-2 Lite files given; pass one or more .nc4 paths")
    return out


def iter_soundings(paths: Paths, *, errors: list[PaiiError]) -> Iterator[pd.DataFrame]:
    """One DataFrame per readable file; each bad file's error is appended to ``errors``
    and announced by a :class:`PaiiWarning` naming it, and reading goes on."""
    yield from iter_oco2_lite(expand_paths(paths), on_error="skip", errors=errors)
    for e in errors:
        warnings.warn(f"skipped {e}", PaiiWarning, stacklevel=2)


def read_oco2_lite(paths: Paths) -> pd.DataFrame:
    """Read OCO-2 L2 Lite NetCDF4 files (one per day) into one soundings table.

    Files are read one at a time and only their seven sounding columns are kept, so the
    memory held is the table itself. Malformed or truncated files are skipped, each named
    in a :class:`PaiiWarning` and in ``df.attrs["skipped"]`` (``"path: problem"``); the
    rest are read.

    Args:
        paths: files and/or folders of ``*.nc4`` files.

    Returns:
        DataFrame with :data:`paii_core.io.oco2.OCO2_COLUMNS` (sounding_id, time UTC,
        latitude, longitude, xco2, xco2_uncertainty, xco2_quality_flag), quality flag kept;
        ``attrs["files"]`` counts the files read.

    Raises:
        InputNotFoundError: nothing to read (no paths, or an empty folder).
        FormatError: every file given is bad (the first one's error).
    """
    errors: list[PaiiError] = []
    frames = list(iter_soundings(paths, errors=errors))
    if not frames and errors:
        raise errors[0]
    df = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame({c: pd.Series(dtype=object) for c in OCO2_COLUMNS})
    )
    df.attrs = {"skipped": [str(e) for e in errors], "files": len(frames)}
    return df
