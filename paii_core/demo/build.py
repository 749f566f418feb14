"""`paii demo build`: write the demo world, then ingest it into a fresh database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

import duckdb

from paii_core import store
from paii_core.config import make_private_folder
from paii_core.demo.ingest import ingest_world
from paii_core.demo.world import build_world
from paii_core.errors import StoreError, ValidationError

__all__ = ["build_demo"]


def build_demo(
    data_dir: Path | str,
    *,
    size: Literal["full", "tiny"] = "full",
    seed: int = 0,
    progress: Callable[[float, str], None] | None = None,
    replace_user_data: bool = False,
) -> dict:
    """Build ``data_dir``/demo and ``data_dir``/paii.duckdb; return the world's manifest.

    Both are swapped in whole: if generation or ingest fails, the previous world and
    database stay as they were (the audit trail, accounts, label sets and decisions carry
    over a successful rebuild).

    Raises:
        ValidationError: the database holds a user's own regions (added with `paii region
            add`), which a rebuild would drop, and ``replace_user_data`` is False.
    """
    data = Path(data_dir)
    make_private_folder(data)  # before the world's files: the store will live here
    if not replace_user_data:
        _refuse_to_drop_user_regions(data / "paii.duckdb")
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


def _refuse_to_drop_user_regions(db: Path) -> None:
    """A rebuild replaces the whole store: refuse while it holds regions a user added."""
    if not db.exists():
        return
    try:
        con = store.connect(db, read_only=True)
    except StoreError:
        return  # an older schema (no user regions possible) or a file held by the dashboard
    try:
        mine = [r for (r,) in con.execute("SELECT region_id FROM regions WHERE NOT simulated")
                .fetchall()]  # fmt: skip
    except duckdb.Error:
        mine = []
    finally:
        con.close()
    if mine:
        raise ValidationError(
            f"{db} holds your own regions ({', '.join(sorted(mine))}); `paii demo build` "
            "replaces the whole database and would drop them with their areas, policies and "
            "yields. Fix: build the demo elsewhere (`paii demo build --out DIR`), or pass "
            "--replace-user-data to drop them"
        )
