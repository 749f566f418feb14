"""Crop queries: an area's input files, cached crop products, label sets, county rollups."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import duckdb
import pandas as pd

from paii_core.errors import StoreError, ValidationError
from paii_core.store.core import write_frame
from paii_core.store.workspace import area_products

__all__ = [
    "ROLLUP_SOURCE",
    "aoi_row",
    "aois",
    "area_inputs",
    "find_product",
    "label_set",
    "label_sets",
    "save_label_set",
    "save_product",
    "write_rollups",
]

ROLLUP_SOURCE = "PAII crop map"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _read(con: duckdb.DuckDBPyConnection, what: str, sql: str, params: list) -> pd.DataFrame:
    try:
        return con.execute(sql, params).df()
    except duckdb.Error as e:
        raise StoreError(f"could not read {what}: {e}") from e


def aois(con: duckdb.DuckDBPyConnection, region_id: str | None = None) -> pd.DataFrame:
    """Areas of interest (all regions when ``region_id`` is None), by id."""
    sql = "SELECT * FROM aois WHERE ? IS NULL OR region_id = ? ORDER BY aoi_id"
    return _read(con, "areas of interest", sql, [region_id, region_id])


def aoi_row(con: duckdb.DuckDBPyConnection, aoi_id: str) -> dict:
    """One area of interest as a dict; ValidationError naming the known ones if absent."""
    frame = aois(con)
    hit = frame[frame["aoi_id"] == aoi_id]
    if hit.empty:
        known = ", ".join(frame["aoi_id"]) or "none (run `paii demo build`)"
        raise ValidationError(f"area {aoi_id!r} is not in the store; known areas: {known}")
    return hit.iloc[0].to_dict()


def area_inputs(con: duckdb.DuckDBPyConnection, aoi_id: str) -> pd.DataFrame:
    """The area's S2 L2A, S1 and DEM products: kind, acquired, path, input_hash, details."""
    files = area_products(con, aoi_id)
    files = files[files["kind"].isin(["s2_l2a", "s2_l1c", "s1_grd", "dem"])]
    return files.drop(columns="created_at").reset_index(drop=True)


def find_product(
    con: duckdb.DuckDBPyConnection,
    aoi_id: str,
    kind: str,
    input_hash: str,
    model_version: str,
    label_set_id: str = "",
) -> dict | None:
    """The stored crop product for these inputs and model, or None."""
    sql = (
        "SELECT * FROM crop_products WHERE aoi_id = ? AND kind = ? AND input_hash = ? "
        "AND model_version = ? AND label_set_id = ?"
    )
    frame = _read(
        con, "crop products", sql, [aoi_id, kind, input_hash, model_version, label_set_id]
    )
    if frame.empty:
        return None
    row = frame.iloc[0].to_dict()
    row["details"] = json.loads(row["details"] or "{}")
    return row


def save_product(
    con: duckdb.DuckDBPyConnection,
    *,
    aoi_id: str,
    kind: str,
    input_hash: str,
    model_version: str,
    path: str,
    details: dict,
    simulated: bool,
    label_set_id: str = "",
) -> None:
    """Record (replacing) the crop product file for these inputs and model."""
    row = {
        "aoi_id": aoi_id,
        "kind": kind,
        "input_hash": input_hash,
        "model_version": model_version,
        "label_set_id": label_set_id,
        "path": path,
        "details": json.dumps(details, default=str),
        "simulated": simulated,
        "created_at": _now(),
    }
    key = {k: row[k] for k in ("aoi_id", "kind", "input_hash", "model_version", "label_set_id")}
    write_frame(con, "crop_products", pd.DataFrame([row]), replace_where=key)


def save_label_set(
    con: duckdb.DuckDBPyConnection,
    aoi_id: str,
    labels: Sequence[tuple[int, int, str]],
    *,
    who: str,
    note: str = "",
    simulated: bool,
) -> str:
    """Store a label set with who made it and when; returns its new label_set_id."""
    if not who.strip():
        raise ValidationError("who should name the person saving the label set")
    if not labels:
        raise ValidationError("the label set is empty; add labels before saving")
    set_id = f"{aoi_id}-{uuid.uuid4().hex[:10]}"
    rows = pd.DataFrame(
        [
            {"label_set_id": set_id, "row": int(r), "col": int(c), "crop": str(k), "seq": i}
            for i, (r, c, k) in enumerate(labels)
        ]
    )
    write_frame(con, "crop_labels", rows)
    head = {
        "label_set_id": set_id,
        "aoi_id": aoi_id,
        "who": who.strip(),
        "created_at": _now(),
        "note": note,
        "n_labels": len(labels),
        "simulated": simulated,
    }
    write_frame(con, "crop_label_sets", pd.DataFrame([head]))
    return set_id


def label_sets(con: duckdb.DuckDBPyConnection, aoi_id: str) -> pd.DataFrame:
    """Saved label sets of an area, newest first."""
    sql = "SELECT * FROM crop_label_sets WHERE aoi_id = ? ORDER BY created_at DESC"
    return _read(con, "crop label sets", sql, [aoi_id])


def label_set(con: duckdb.DuckDBPyConnection, label_set_id: str) -> list[tuple[int, int, str]]:
    """The labels of one saved set, in the order they were added."""
    sql = 'SELECT "row", col, crop FROM crop_labels WHERE label_set_id = ? ORDER BY seq'
    frame = _read(con, "crop labels", sql, [label_set_id])
    return [(int(r), int(c), str(k)) for r, c, k in frame.itertuples(index=False)]


def write_rollups(con: duckdb.DuckDBPyConnection, rollups: pd.DataFrame) -> int:
    """Swap in county cropland / crop areas (rows of :func:`crops.rollups.county_rollups`)."""
    written = 0
    for (county, metric), rows in rollups.groupby(["county_id", "metric"]):
        key = {"county_id": county, "metric": metric, "source": ROLLUP_SOURCE}
        frame = rows.assign(source=ROLLUP_SOURCE, updated_at=_now())
        written += write_frame(con, "county_metrics", frame, replace_where=key)
    return written
