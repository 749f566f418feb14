"""Every error PAII raises: a root class and subclasses that are also builtins.

Messages name the file or argument, the problem and the fix, so a user can act on
them without reading the code.
"""

from __future__ import annotations

from os import PathLike

__all__ = [
    "AccessDeniedError",
    "AuthenticationError",
    "BandOrderError",
    "DemoWorldMissingError",
    "FormatError",
    "ImportRejectedError",
    "InputFileError",
    "InputNotFoundError",
    "PaiiError",
    "PaiiWarning",
    "StoreError",
    "StoreLockedError",
    "ValidationError",
    "name_file_as",
]


class PaiiError(Exception):
    """Root of every error PAII raises on purpose; the UI catches only this."""


class InputNotFoundError(PaiiError, FileNotFoundError):
    """An input file or folder does not exist."""


class InputFileError(PaiiError, ValueError):
    """An input file exists but cannot be used (truncated, wrong bands, no CRS, ...)."""

    def __init__(self, path: str | PathLike[str] | None, problem: str, fix: str) -> None:
        self.path = None if path is None else str(path)
        self.problem = problem
        self.fix = fix
        where = f"{self.path}: " if self.path else ""
        super().__init__(f"{where}{problem}. Fix: {fix}")


class FormatError(InputFileError):
    """A file is not in the format the reader expects (not a GeoTIFF, not NetCDF4...)."""


class BandOrderError(FormatError):
    """A raster's bands do not say which is blue, green, red and NIR (no band names, or
    not four bands): the caller may know a way to say it (`paii sr --bands`)."""


class ValidationError(PaiiError, ValueError):
    """An argument has a value PAII cannot work with."""


class ImportRejectedError(ValidationError):
    """A user's file failed validation; nothing was written. ``problems`` lists every
    problem found (row, column, problem, fix), not only the first."""

    def __init__(self, message: str, problems: list) -> None:
        self.problems = list(problems)
        super().__init__(message)


class StoreError(PaiiError, RuntimeError):
    """The DuckDB store could not be read or written."""


class StoreLockedError(StoreError):
    """Another process holds the store's write lock (DuckDB allows one writing process).
    ``holder`` names it ("PID 4242: streamlit run app.py") when DuckDB says which, else ""."""

    def __init__(self, message: str, holder: str = "") -> None:
        self.holder = holder
        super().__init__(message)


class ClusterError(PaiiError, RuntimeError):
    """A dask cluster a batch job runs on lost every worker mid-run."""


class DemoWorldMissingError(PaiiError, FileNotFoundError):
    """The demo world or its database has not been built yet."""


class PaiiWarning(UserWarning):
    """Legal but suspicious input (for example reflectance above 1.5)."""


class AuthenticationError(PaiiError, PermissionError):
    """A sign-in failed: unknown user, wrong password, disabled or locked account."""


class AccessDeniedError(PaiiError, PermissionError):
    """The signed-in principal's role does not allow what was asked."""


def name_file_as(error: PaiiError, path: str | PathLike[str], name: str) -> PaiiError:
    """``error`` with ``path`` replaced by ``name`` in its message (and ``.path``), in place.

    Uploads are read from a temporary copy; the user knows the file by the name they
    uploaded, not by ``/tmp/...``. Returns ``error`` so a caller can ``raise`` it.
    """
    old = str(path)
    error.args = tuple(a.replace(old, name) if isinstance(a, str) else a for a in error.args)
    if getattr(error, "path", None) == old:
        error.path = name
    return error
