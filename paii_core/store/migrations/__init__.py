"""Versioned schema migrations, one module each: ``vNNNN_<name>.py``.

Each module defines ``VERSION`` (int), ``NAME`` (str) and ``STATEMENTS`` (SQL strings,
or a function of the connection for a step SQL cannot say well, such as hashing every
audit event in order; all applied in one transaction). Released migrations are never
edited; a change is a new module. One file per migration lets work on different features
add tables without touching a shared list.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

import duckdb

__all__ = ["Step", "load_migrations"]

Step = str | Callable[[duckdb.DuckDBPyConnection], None]


def load_migrations() -> tuple[tuple[int, str, tuple[Step, ...]], ...]:
    """Every migration as (version, name, statements), in version order."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("v"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.append((int(module.VERSION), str(module.NAME), tuple(module.STATEMENTS)))
    found.sort()
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a version number: {versions}")
    return tuple(found)
