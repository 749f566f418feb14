"""Areas as data: an area of interest is a set of co-registered input files in a region.

``add_area`` records an area and its input files (Sentinel-2 L2A, Sentinel-1, DEM, plot
registry) in one transaction; its grid, sensors and dates come from those files, its
county from where it lies. Readers of imagery (``paii area add``) and the demo builder
both call it, so the engine finds every area's files the same way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from os import PathLike
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import rasterio
import shapely
from rasterio.errors import RasterioIOError
from rasterio.transform import array_bounds
from rasterio.warp import transform_bounds

from paii_core.errors import FormatError, InputNotFoundError, ValidationError
from paii_core.store import workspace as ws_store
from paii_core.workspace.layout import data_root, resolve, stored_path
from paii_core.workspace.regions import _check_id, get_region

__all__ = [
    "INPUT_KINDS",
    "AreaInput",
    "AreaRecord",
    "add_area",
    "area_facts",
    "area_file",
    "area_files",
    "county_under",
    "flood_areas",
    "get_area",
    "list_areas",
]

INPUT_KINDS: dict[str, str] = {
    "s2_l2a": "Sentinel-2 L2A reflectance (one GeoTIFF per date)",
    "s2_l1c": (
        "Sentinel-2 L1C reflectance (one GeoTIFF per date, s2cloudless clouds in an SCL-coded "
        "mask beside it)"
    ),
    "s1_grd": "Sentinel-1 sigma0 VV, VH (one GeoTIFF per date)",
    "dem": "elevation in metres",
    "plots": "the insurer's plot registry (bands plot_id, block_id)",
    "crop_reference": "a reference crop-type raster (class index per pixel, -1 or NaN none; "
    "details['classes'] names the classes), e.g. a survey or a national crop map",
}
"""Kinds of area input files; every one lies on the area's grid."""
_DATED = ("s2_l2a", "s2_l1c", "s1_grd")
_OPTICAL = ("s2_l2a", "s2_l1c")
_IMAGERY = (*_OPTICAL, "s1_grd")
"""What an area's grid can come from: Sentinel-2 first, else Sentinel-1 (a flood area)."""
_SENSOR = {"s2_l2a": "S2", "s2_l1c": "S2", "s1_grd": "S1", "dem": "DEM"}


@dataclass(frozen=True)
class AreaInput:
    """One input file of an area."""

    kind: str
    """One of :data:`INPUT_KINDS`."""
    path: Path
    acquired: date | None = None
    """Acquisition date (required for s2_l2a and s1_grd)."""
    details: Mapping[str, object] = field(default_factory=dict)
    """Reader facts kept with the file, e.g. {"scl": "<stored path>"} for an S2 cloud
    mask or {"flood_event": true} for an S1 date of a flood."""
    input_hash: str | None = None
    """sha256 of the file; computed when None."""


@dataclass(frozen=True)
class AreaRecord:
    """A stored area: what it is, where its files are, on what grid, and its provenance."""

    aoi_id: str
    region_id: str
    county_id: str
    name: str
    crops: tuple[str, ...]
    has_flood: bool
    folder: str
    """Its files' folder, relative to the data folder when inside it."""
    sensors: tuple[str, ...]
    first_date: date | None
    last_date: date | None
    n_dates: int
    crs: str
    pixel_size_m: float
    width: int
    height: int
    bounds: tuple[float, float, float, float]
    """west, south, east, north in degrees."""
    source: str
    warnings: tuple[str, ...]
    simulated: bool


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _grid(path: Path) -> tuple[rasterio.crs.CRS, object, int, int]:
    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                raise FormatError(path, "has no CRS", "write the file with its CRS (a GeoTIFF)")
            return src.crs, src.transform, src.width, src.height
    except RasterioIOError as e:
        raise FormatError(path, f"is not a raster GDAL can read ({e})", "pass a GeoTIFF") from e


def _date(value: object) -> date | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return None
    return value.date() if hasattr(value, "date") else value


def _record(row: dict) -> AreaRecord:
    def tup(v: object) -> tuple[str, ...]:
        return tuple(str(x) for x in (v if v is not None else ()))

    return AreaRecord(
        aoi_id=str(row["aoi_id"]),
        region_id=str(row["region_id"]),
        county_id=str(row["county_id"]),
        name=str(row["name"]),
        crops=tup(row["crops"]),
        has_flood=bool(row["has_flood"]),
        folder=str(row["folder"]),
        sensors=tup(row["sensors"]),
        first_date=_date(row["first_date"]),
        last_date=_date(row["last_date"]),
        n_dates=int(row["n_dates"]),
        crs=str(row["crs"]),
        pixel_size_m=float(row["pixel_size_m"]),
        width=int(row["width"]),
        height=int(row["height"]),
        bounds=(float(row["west"]), float(row["south"]), float(row["east"]), float(row["north"])),
        source=str(row["source"]),
        warnings=tup(row["warnings"]),
        simulated=bool(row["simulated"]),
    )


def list_areas(con: duckdb.DuckDBPyConnection, region_id: str | None = None) -> list[AreaRecord]:
    """Stored areas of a region (all when ``region_id`` is None), by id."""
    return [_record(r) for r in ws_store.area_frame(con, region_id).to_dict("records")]


def get_area(con: duckdb.DuckDBPyConnection, aoi_id: str) -> AreaRecord:
    """One stored area.

    Raises:
        ValidationError: no such area; the message lists the stored ones.
    """
    hit = [a for a in list_areas(con) if a.aoi_id == aoi_id]
    if not hit:
        known = ", ".join(a.aoi_id for a in list_areas(con)) or "none yet"
        raise ValidationError(
            f"area {aoi_id!r} is not in the store (stored: {known}); add it with "
            "`paii area add` (or build the demo with `paii demo build`)"
        )
    return hit[0]


def flood_areas(con: duckdb.DuckDBPyConnection, region_id: str | None = None) -> list[str]:
    """Ids of the areas with a flood event (Sentinel-1 dates marked as flooded)."""
    return [a.aoi_id for a in list_areas(con, region_id) if a.has_flood]


def area_files(
    con: duckdb.DuckDBPyConnection,
    aoi_id: str,
    kind: str,
    *,
    data_dir: str | PathLike[str] | None = None,
) -> pd.DataFrame:
    """An area's input files of one kind, by date: acquired, path (resolved), input_hash,
    details (dict), simulated."""
    frame = ws_store.area_products(con, aoi_id, kind)
    frame["path"] = [resolve(p, data_dir) for p in frame["path"]]
    frame["details"] = [json.loads(d or "{}") for d in frame["details"]]
    return frame


def area_file(
    con: duckdb.DuckDBPyConnection,
    aoi_id: str,
    kind: str,
    *,
    data_dir: str | PathLike[str] | None = None,
) -> Path:
    """The one file of ``kind`` (a DEM, a plot registry) of an area.

    Raises:
        InputNotFoundError: the area has no file of that kind; says how to add one.
    """
    files = area_files(con, aoi_id, kind, data_dir=data_dir)
    if files.empty:
        raise InputNotFoundError(
            f"area {aoi_id!r} has no {INPUT_KINDS.get(kind, kind)} ({kind}) file in the store; "
            f"add it with `paii area add {aoi_id} ... --replace` or rebuild the demo"
        )
    return Path(files["path"].iloc[-1])


def _check_inputs(inputs: Sequence[AreaInput], root: Path) -> None:
    if not any(i.kind in _IMAGERY for i in inputs):
        raise ValidationError(
            "an area needs at least one Sentinel-2 input (kind 's2_l2a' or 's2_l1c') or, "
            "for a flood area, a Sentinel-1 input (kind 's1_grd'); pass --s2 ITEM or --s1 ITEM"
        )
    for item in inputs:
        if item.kind not in INPUT_KINDS:
            raise ValidationError(
                f"input kind {item.kind!r} ({item.path}) is unknown; use one of: "
                f"{', '.join(INPUT_KINDS)}"
            )
        if item.kind in _DATED and item.acquired is None:
            raise ValidationError(
                f"{item.path}: a {item.kind} input needs its acquisition date (acquired=)"
            )
        if not resolve(str(item.path), root).exists():
            raise InputNotFoundError(f"{item.path}: area input file not found; check the path")


def area_facts(products: pd.DataFrame) -> dict:
    """What an area's input files (``products`` rows: kind, acquired, details as JSON) say
    of it: its sensors, first and last dated input, Sentinel-2 dates and whether an S1 date
    is marked as a flood event. ``add_area`` and ``paii area add`` both record these."""
    kinds = products["kind"]
    dated = products.loc[kinds.isin(_DATED), "acquired"].dropna()
    return {
        "sensors": sorted({_SENSOR[k] for k in kinds if k in _SENSOR}),
        "first_date": min(dated) if len(dated) else None,
        "last_date": max(dated) if len(dated) else None,
        "n_dates": int(products.loc[kinds.isin(_OPTICAL), "acquired"].nunique()),
        "has_flood": any(
            bool(json.loads(d or "{}").get("flood_event"))
            for k, d in zip(kinds, products["details"], strict=True)
            if k == "s1_grd"
        ),
    }


def add_area(
    con: duckdb.DuckDBPyConnection,
    aoi_id: str,
    *,
    region_id: str,
    inputs: Sequence[AreaInput],
    county_id: str | None = None,
    crops: Sequence[str] = (),
    name: str = "",
    folder: str | PathLike[str] | None = None,
    has_flood: bool | None = None,
    source: str = "",
    warnings: Sequence[str] = (),
    simulated: bool = False,
    model_version: str = "input",
    data_dir: str | PathLike[str] | None = None,
    replace: bool = False,
) -> AreaRecord:
    """Record an area and its input files in the store, all or nothing.

    Args:
        aoi_id: new id (lower-case letters, digits, '-', '_').
        region_id: a stored region; the area must lie in one of its counties.
        inputs: its files (at least one Sentinel-2 or, for a flood area, one Sentinel-1
            file), all on one grid (CRS, transform, size). Relative paths are under the
            data folder.
        county_id: the county it lies in; default the county holding its centre.
        crops: crops grown there, the main one first (a hint for labelling).
        folder: where its files are (default: the first S2 file's parent's parent; the
            first S1 file's without S2).
        has_flood: default True when an s1_grd input has ``details["flood_event"]``.
        source: how the files came (a STAC item, a SAFE folder, "demo world ...").
        warnings: the readers' warnings, shown on the Data page.
        simulated: the files are simulated (the demo world), not observed.

    Raises:
        ValidationError: bad id, unknown region or county, the area is outside the
            region, taken id (without ``replace``), neither S2 nor S1 input, unknown
            kind, a dated input without a date.
        InputNotFoundError: a missing file. FormatError: a file off the area's grid, or
            not a raster with a CRS.
    """
    _check_id(aoi_id, "area id")
    region = get_region(con, region_id)
    root = data_root(data_dir)
    _check_inputs(inputs, root)
    taken = not ws_store.area_frame(con).query("aoi_id == @aoi_id").empty
    if taken and not replace:
        raise ValidationError(
            f"area {aoi_id!r} already exists; pick another id or replace it with --replace"
        )
    imagery = sorted((i for i in inputs if i.kind in _IMAGERY), key=lambda i: i.kind == "s1_grd")
    first = resolve(str(imagery[0].path), root)
    crs, transform, width, height = _grid(first)
    for item in inputs:
        path = resolve(str(item.path), root)
        other = _grid(path)
        if (other[0], other[2], other[3]) != (crs, width, height) or not other[1].almost_equals(
            transform
        ):
            raise FormatError(
                path,
                f"is not on the area's grid ({crs}, {width}x{height} px from {first.name})",
                f"resample every input onto {first.name}'s grid first",
            )
    west, south, east, north = transform_bounds(
        crs, "EPSG:4326", *array_bounds(height, width, transform)
    )
    county_id = _county_of(con, region.region_id, county_id, (west, south, east, north))
    rows = []
    for item in inputs:
        path = resolve(str(item.path), root)
        rel = stored_path(path, root)
        rows.append(
            {
                "product_id": f"{item.kind}:{rel}",
                "kind": item.kind,
                "aoi_id": aoi_id,
                "region_id": region.region_id,
                "acquired": item.acquired,
                "path": rel,
                "input_hash": item.input_hash or _sha256(path),
                "model_version": model_version,
                "simulated": bool(simulated),
                "details": json.dumps(dict(item.details), sort_keys=True, default=str),
            }
        )
    products = pd.DataFrame(rows)
    facts = area_facts(products)
    if has_flood is not None:
        facts["has_flood"] = bool(has_flood)
    area = {
        **facts,
        "aoi_id": aoi_id,
        "region_id": region.region_id,
        "county_id": county_id,
        "name": name or aoi_id,
        "crops": [str(c) for c in crops],
        "folder": stored_path(folder if folder is not None else first.parent.parent, root),
        "crs": crs.to_string(),
        "pixel_size_m": float(abs(transform.a)),
        "width": int(width),
        "height": int(height),
        "west": west,
        "south": south,
        "east": east,
        "north": north,
        "source": source,
        "warnings": [str(w) for w in warnings],
        "simulated": bool(simulated),
    }
    ws_store.insert_area(con, area, products, replace=taken and replace)
    return get_area(con, aoi_id)


def _county_of(
    con: duckdb.DuckDBPyConnection,
    region_id: str,
    county_id: str | None,
    bounds: tuple[float, float, float, float],
) -> str:
    counties = ws_store.county_frame(con, region_id)
    if county_id is not None:
        if county_id not in set(counties["county_id"]):
            raise ValidationError(
                f"county {county_id!r} is not in region {region_id!r}; pass one of its "
                "county ids (see `paii region list`) or leave it out to find it from the imagery"
            )
        return county_id
    west, south, east, north = bounds
    centre = shapely.Point((west + east) / 2, (south + north) / 2)
    found = county_under(counties, centre)
    if found is None:
        raise ValidationError(
            f"the area's centre ({centre.x:.4f}, {centre.y:.4f}) is in no county of region "
            f"{region_id!r}; check the imagery's CRS, or add the area to the region it lies in"
        )
    return found


def county_under(counties: pd.DataFrame, point: shapely.Point) -> str | None:
    """The id of the first of ``counties`` (county_id, geometry_wkb; lon/lat) that covers
    ``point``, or None."""
    geoms = shapely.from_wkb([bytes(b) for b in counties["geometry_wkb"]])
    hit = np.flatnonzero(shapely.covers(geoms, point))
    return str(counties["county_id"].to_numpy()[hit[0]]) if len(hit) else None
