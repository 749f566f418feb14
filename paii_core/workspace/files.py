"""Region-wide input files (county yield CSVs, feature tables) recorded in the store."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path

import duckdb
import pandas as pd

from paii_core.errors import InputNotFoundError, ValidationError
from paii_core.store import workspace as ws_store
from paii_core.store import write_frame
from paii_core.workspace.layout import data_root, resolve, stored_path
from paii_core.workspace.regions import get_region

__all__ = ["REGION_FILE_KINDS", "add_region_file", "region_file", "sounding_files"]

REGION_FILE_KINDS: dict[str, str] = {
    "yield_csv": "county yields as a NASS Quick Stats CSV",
    "yield_features": "county as-of features (Parquet: county_id, year, crop, asof, ...)",
    "county_stats": "county cropland and crop shares (CSV)",
}
"""Kinds of region-wide files."""


def add_region_file(
    con: duckdb.DuckDBPyConnection,
    region_id: str,
    kind: str,
    path: str | PathLike[str],
    *,
    simulated: bool,
    details: Mapping[str, object] | None = None,
    model_version: str = "input",
    data_dir: str | PathLike[str] | None = None,
) -> str:
    """Record a region-wide file (replacing the region's earlier file of that kind);
    returns the stored path.

    Raises:
        ValidationError: unknown region or kind. InputNotFoundError: no such file.
    """
    region = get_region(con, region_id)
    if kind not in REGION_FILE_KINDS:
        raise ValidationError(
            f"region file kind {kind!r} is unknown; use one of: {', '.join(REGION_FILE_KINDS)}"
        )
    root = data_root(data_dir)
    full = resolve(str(path), root)
    if not full.is_file():
        raise InputNotFoundError(f"{full}: region file not found; check the path")
    rel = stored_path(full, root)
    row = {
        "product_id": f"{kind}:{region.region_id}",
        "kind": kind,
        "aoi_id": None,
        "region_id": region.region_id,
        "acquired": None,
        "path": rel,
        "input_hash": hashlib.sha256(full.read_bytes()).hexdigest(),
        "model_version": model_version,
        "simulated": bool(simulated),
        "created_at": datetime.now(UTC).replace(tzinfo=None),
        "details": json.dumps(dict(details or {}), sort_keys=True, default=str),
    }
    write_frame(
        con, "products", pd.DataFrame([row]), replace_where={"product_id": row["product_id"]}
    )
    return rel


def region_file(
    con: duckdb.DuckDBPyConnection,
    region_id: str,
    kind: str,
    *,
    data_dir: str | PathLike[str] | None = None,
) -> tuple[Path, bool]:
    """The region's file of ``kind`` and whether it is simulated.

    Raises:
        InputNotFoundError: the region has none; says which command adds it.
    """
    frame = ws_store.region_products(con, region_id, kind)
    if frame.empty:
        raise InputNotFoundError(
            f"region {region_id!r} has no {REGION_FILE_KINDS.get(kind, kind)} in the store; "
            f"import it (e.g. `paii yields import FILE --region {region_id}`) or rebuild the demo"
        )
    row = frame.iloc[0]
    return resolve(str(row["path"]), data_dir), bool(row["simulated"])


def sounding_files(
    con: duckdb.DuckDBPyConnection, *, data_dir: str | PathLike[str] | None = None
) -> tuple[list[Path], bool]:
    """The OCO-2 Lite files the store lists (kind ``oco2_lite``) and whether any is
    simulated.

    Raises:
        InputNotFoundError: the store lists none; says how to add them.
    """
    frame = ws_store.kind_products(con, "oco2_lite")
    if frame.empty:
        raise InputNotFoundError(
            "the store lists no OCO-2 Lite files; run `paii carbon run --soundings DIR` on "
            "your files (or build the demo)"
        )
    paths_ = [resolve(str(p), data_dir) for p in frame["path"]]
    return paths_, bool(frame["simulated"].any())
