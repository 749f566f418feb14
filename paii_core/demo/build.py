"""`paii demo build`: write the demo world, then ingest it into a fresh database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

from paii_core import store
from paii_core.demo.ingest import ingest_world
from paii_core.demo.world import build_world

__all__ = ["build_demo"]


def build_demo(
    data_dir: Path | str,
    *,
    size: Literal["full", "tiny"] = "full",
    seed: int = 0,
    progress: Callable[[float, str], None] | None = None,
) -> dict:
    """Build ``data_dir``/demo and ``data_dir``/paii.duckdb; return the world's manifest.

    Both are swapped in whole: if generation or ingest fails, the previous world and
    database stay as they were (the audit trail carries over a successful rebuild).
    """
    data = Path(data_dir)
    report = progress or (lambda f, m: None)
    manifest = build_world(
        data / "demo", size=size, seed=seed, progress=lambda f, m: report(0.85 * f, m)
    )
    store.refresh_database(
        lambda con: ingest_world(con, data, progress=lambda f, m: report(0.85 + 0.15 * f, m)),
        data / "paii.duckdb",
    )
    report(1.0, "done")
    return manifest
