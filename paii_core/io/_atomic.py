"""Atomic file replacement shared by every PAII writer, the checks of an output path, and
the check that an input file may be read."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from os import PathLike
from pathlib import Path

from paii_core.errors import InputFileError, ValidationError

__all__ = ["GEOTIFF_SUFFIXES", "atomic_path", "check_output", "check_readable"]

GEOTIFF_SUFFIXES = (".tif", ".tiff")
"""Names a GeoTIFF output may end in (``check_output(suffixes=...)``)."""


def check_output(
    path: str | PathLike[str],
    *,
    inputs: Iterable[str | PathLike[str] | None] = (),
    argument: str = "the output",
    suffixes: tuple[str, ...] = (),
    overwrite: bool | None = None,
) -> Path:
    """Refuse an output path that cannot be written, before any work is done.

    Raises ValidationError when ``path`` is a folder, when a folder above it is a file,
    when its folder (or the nearest one that exists) cannot be written, or when it is
    one of ``inputs`` (writing it would destroy that input), or when
    ``suffixes`` are given (e.g. ``(".tif", ".tiff")``) and its name ends otherwise.
    ``overwrite=False`` (a command without ``--overwrite``) also refuses a file that
    exists already; None leaves that to the caller. Returns it.
    """
    target = Path(path)
    if target.is_dir():
        raise ValidationError(
            f"{target}: {argument} is a folder, not a file. Fix: give a file name, e.g. "
            f"{target / 'out.tif'}"
        )
    if suffixes and target.suffix.lower() not in suffixes:
        raise ValidationError(
            f"{target}: {argument} must end in {' or '.join(suffixes)}: that is the kind of "
            f"file written, whatever the name says. Fix: name it "
            f"{target.with_suffix(suffixes[0]).name}"
        )
    for parent in target.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ValidationError(
                    f"{target}: {argument}'s folder {parent} is a file, not a folder. "
                    "Fix: write the output elsewhere"
                )
            _check_writable(target, parent, argument)
            break
    if target.exists():
        for given in inputs:
            if given is not None and Path(given).exists() and os.path.samefile(target, given):
                raise ValidationError(
                    f"{target}: {argument} is also the input {given}; writing it would "
                    "destroy that input. Fix: give another output path"
                )
        if overwrite is False:
            raise ValidationError(
                f"{target}: {argument} exists already and would be replaced. Fix: pass "
                "--overwrite to replace it, or give another output path"
            )
    return target


def check_readable(path: str | PathLike[str]) -> None:
    """Refuse a file this process may not read (its mode, its owner), naming the fix.

    Readers would otherwise report the library's own failure ("not recognized as being
    in a supported file format", "not a readable raster ... re-download the file if it is
    damaged"), which sends the user after a damaged file. Opening is the test, not
    ``os.access``, which says yes to root whatever the file system does.

    Raises:
        InputFileError: the file exists but cannot be opened for reading.
    """
    target = Path(path)
    if not target.is_file():
        return  # missing files and folders are the readers' to report
    try:
        with open(target, "rb"):
            pass
    except PermissionError:
        raise InputFileError(
            target,
            "cannot be read: permission denied (the file's mode or owner does not let this "
            "user read it)",
            f"make it readable, e.g. `chmod u+r '{target}'` as its owner, or run as a user "
            "who may read it",
        ) from None


def _check_writable(target: Path, folder: Path, argument: str) -> None:
    """Refuse ``folder`` when a file cannot be created in it (read-only, no permission).

    A file is created and removed at once: ``os.access`` says yes to root even where
    the file system refuses, and the writer would fail only after the work is done."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        raise ValidationError(
            f"{target}: {argument}'s folder {folder} cannot be written ({e.strerror}). "
            "Fix: write the output in a folder you may write to"
        ) from None


@contextmanager
def atomic_path(path: str | PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it over ``path`` only on success.

    The temporary file lives in the same folder so ``os.replace`` is an atomic rename on
    the same file system: readers see the old file or the new one, never half of one.
    On any exception the temporary file is removed and ``path`` is left untouched.
    The parent folder is created when missing. Raises ValidationError (before writing)
    when ``path`` is a folder or a folder above it is a file.
    """
    target = check_output(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # A unique name (not mkstemp) so the writer creates the file with the usual permissions.
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
