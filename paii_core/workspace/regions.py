"""Regions as data: a region is a set of real county boundaries a user adds to the store.

``add_region`` reads a GeoJSON, GeoPackage or shapefile, keeps county ids as zero-padded
text, moves the geometry to EPSG:4326 and derives the UTM zone from where the counties
are; nothing about a region is written in code.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from paii_core import io
from paii_core.config import REPO_ROOT
from paii_core.errors import FormatError, PaiiWarning, ValidationError
from paii_core.store import workspace as ws_store
from paii_core.yields.units import UNITS

__all__ = [
    "REGION_ID_PATTERN",
    "Region",
    "add_region",
    "county_rows",
    "get_region",
    "list_regions",
    "read_counties",
    "utm_epsg",
]

REGION_ID_PATTERN = r"[a-z0-9][a-z0-9_-]{0,39}"
"""Region and area ids: lower-case letters, digits, '-' and '_', up to 40 characters."""

_EQUAL_AREA = "EPSG:6933"  # WGS 84 / NSIDC EASE-Grid 2.0 Global: equal-area, for county km2
_PARENT_COLUMNS = ("city", "state", "province", "STATE_NAME", "STATE", "NAME_1")
GCJ02_NOTE = (
    "Chinese boundaries from Amap, Baidu or Tencent are in GCJ-02, offset 300-700 m from "
    "WGS84; if these are, add the region again with --source-crs GCJ-02 (see "
    "data/boundaries/PROVENANCE.md)"
)


@dataclass(frozen=True)
class Region:
    """A province, state or any set of counties, with the units its users read."""

    region_id: str
    name: str
    country: str
    """ISO 3166-1 alpha-2 code, e.g. "US", "CN", "IN"."""
    utm_epsg: int
    """UTM zone (WGS 84) at the counties' centre, derived from the boundaries."""
    yield_unit: str
    yield_crops: tuple[str, ...]
    """Crops whose county yields the region reports, the first being the main one."""
    counties_file: str
    n_counties: int
    note: str
    simulated: bool
    """True when the boundaries themselves are simulated (never for real county files)."""


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the WGS 84 UTM zone holding ``(lon, lat)`` (326zz north, 327zz south).

    Raises:
        ValidationError: a coordinate outside -180..180 / -90..90.
    """
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise ValidationError(
            f"({lon}, {lat}) is not a longitude/latitude; pass degrees in EPSG:4326"
        )
    zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    return (32600 if lat >= 0 else 32700) + zone


def _check_id(value: str, what: str) -> str:
    if not re.fullmatch(REGION_ID_PATTERN, value or ""):
        raise ValidationError(
            f"{what} {value!r} is not a valid id; use lower-case letters, digits, '-' or '_' "
            "(up to 40 characters), e.g. 'kansas' or 'punjab-2024'"
        )
    return value


def read_counties(
    counties_file: str | PathLike[str],
    *,
    id_column: str | None = None,
    name_column: str | None = None,
    source_crs: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a county file: ``county_id`` (zero-padded text), ``name`` and polygons in EPSG:4326.

    Invalid polygons are repaired (``shapely.make_valid``) with a :class:`PaiiWarning`.

    Raises:
        InputNotFoundError: no such file.
        FormatError: unreadable file, no CRS, no or bad id column (see
            :func:`paii_core.io.read_boundaries`), a missing name column, or a county with
            an empty or non-polygon geometry.
    """
    path = Path(counties_file)
    gdf = io.read_boundaries(path, id_column=id_column, source_crs=source_crs)
    if name_column is not None:
        if name_column not in gdf.columns:
            raise FormatError(
                path,
                f"name column {name_column!r} is not a column; columns are "
                f"{', '.join(map(str, gdf.columns))}",
                "pass one of the listed columns with --name-column",
            )
        gdf["name"] = gdf[name_column].astype(str)
    geom = gdf.geometry
    empty = geom.isna() | geom.is_empty
    if empty.any():
        row = int(np.flatnonzero(empty.to_numpy())[0])
        raise FormatError(
            path,
            f"county {gdf['county_id'].iloc[row]!r} (row {row}) has no geometry",
            "give every county its polygon, or drop the row",
        )
    kinds = geom.geom_type
    bad = ~kinds.isin(["Polygon", "MultiPolygon"])
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise FormatError(
            path,
            f"county {gdf['county_id'].iloc[row]!r} (row {row}) is a {kinds.iloc[row]}, "
            "not a polygon",
            "pass county polygons (not points or lines)",
        )
    invalid = ~geom.is_valid
    if invalid.any():
        warnings.warn(
            f"{path}: {int(invalid.sum())} county polygon(s) were invalid (self-crossing "
            f"rings, e.g. {gdf['county_id'][invalid].iloc[0]}) and were repaired",
            PaiiWarning,
            stacklevel=2,
        )
        fixed = shapely.make_valid(geom.to_numpy())
        gdf = gdf.set_geometry(gpd.GeoSeries(fixed, crs=gdf.crs).buffer(0))
    return gdf


def _default_name(region_id: str, counties: gpd.GeoDataFrame) -> str:
    """The one state or province every county names (North Dakota for `nd`), else the
    id in title case."""
    for col in _PARENT_COLUMNS[1:]:  # not "city": a province holds several
        if col in counties.columns:
            values = counties[col].dropna().astype(str).str.strip().unique()
            if len(values) == 1 and values[0]:
                return str(values[0])
    return region_id.replace("-", " ").title()


def county_rows(region_id: str, counties: gpd.GeoDataFrame) -> pd.DataFrame:
    """The store's counties rows of a region from :func:`read_counties` output."""
    parent_col = next((c for c in _PARENT_COLUMNS if c in counties.columns), None)
    area = counties.to_crs(_EQUAL_AREA).area / 1e6
    centre = counties.geometry.representative_point()
    return pd.DataFrame(
        {
            "county_id": counties["county_id"].astype(str),
            "region_id": region_id,
            "name": counties["name"].astype(str),
            "parent": counties[parent_col].astype(str) if parent_col else None,
            "area_km2": area.to_numpy(),
            "centroid_lon": centre.x.to_numpy(),
            "centroid_lat": centre.y.to_numpy(),
            "geometry_wkb": shapely.to_wkb(counties.geometry.to_numpy()),
        }
    )


def _display_path(path: Path) -> str:
    """The county file as recorded: relative to the repository when inside it."""
    try:
        return path.absolute().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(path.absolute())


def _to_region(row: dict) -> Region:
    return Region(
        region_id=str(row["region_id"]),
        name=str(row["name"]),
        country=str(row["country"]),
        utm_epsg=int(row["utm_epsg"]),
        yield_unit=str(row["yield_unit"]),
        yield_crops=tuple(
            str(c) for c in (row["yield_crops"] if row["yield_crops"] is not None else ())
        ),
        counties_file=str(row["counties_file"]),
        n_counties=int(row["n_counties"]),
        note=str(row["note"]),
        simulated=bool(row["simulated"]),
    )


def list_regions(con: duckdb.DuckDBPyConnection) -> list[Region]:
    """Every region in the store, by id (empty for a new store)."""
    return [_to_region(r) for r in ws_store.region_frame(con).to_dict("records")]


def get_region(con: duckdb.DuckDBPyConnection, region_id: str) -> Region:
    """One stored region.

    Raises:
        ValidationError: no such region; the message lists the stored ones and the command
            that adds one.
    """
    frame = ws_store.region_frame(con, region_id)
    if frame.empty:
        known = ", ".join(r.region_id for r in list_regions(con)) or "none yet"
        raise ValidationError(
            f"region {region_id!r} is not in the store (stored: {known}); add it with "
            "`paii region add ID --counties FILE --country CC --yield-unit UNIT`"
        )
    return _to_region(frame.iloc[0].to_dict())


def add_region(
    con: duckdb.DuckDBPyConnection,
    region_id: str,
    counties_file: str | PathLike[str],
    *,
    country: str,
    yield_unit: str,
    name: str | None = None,
    id_column: str | None = None,
    name_column: str | None = None,
    source_crs: str | None = None,
    yield_crops: tuple[str, ...] = (),
    simulated: bool = False,
    replace: bool = False,
    source: str | None = None,
) -> Region:
    """Add a region and its counties to the store, all or nothing.

    Args:
        region_id: new id (:data:`REGION_ID_PATTERN`).
        counties_file: GeoJSON, GeoPackage, shapefile or GeoParquet of county polygons.
        country: ISO 3166-1 alpha-2 code ("US", "CN"...).
        yield_unit: unit the region's users read yields in (one of ``yields.units.UNITS``).
        name: display name (default: the id, title-cased).
        id_column, name_column: columns of the county id and name (default: guessed from
            :data:`paii_core.io.boundaries.ID_CANDIDATES` / ``NAME_CANDIDATES``).
        source_crs: CRS of a file without one, or "GCJ-02" for Chinese GCJ-02 files.
        yield_crops: crops with county yields, the main one first (lower case).
        simulated: the boundaries are simulated (real county files: False).
        replace: replace a stored region of this id (its counties too).
        source: what to record as the counties file (e.g. an uploaded file's own name,
            not its temporary copy); default the path.

    Raises:
        ValidationError: a bad id, country, unit or crop; the id is taken (without
            ``replace``); a county id already belongs to another region.
        InputNotFoundError, FormatError: see :func:`read_counties`.
    """
    _check_id(region_id, "region id")
    if not re.fullmatch(r"[A-Z]{2}", country or ""):
        raise ValidationError(
            f"country {country!r} is not an ISO 3166-1 alpha-2 code; pass two capital "
            "letters such as US, CN or IN"
        )
    if yield_unit not in UNITS:
        raise ValidationError(
            f"yield unit {yield_unit!r} is unknown; use one of: {', '.join(UNITS)}"
        )
    for crop in yield_crops:
        if not re.fullmatch(r"[a-z][a-z0-9 _-]*", crop):
            raise ValidationError(
                f"crop {crop!r} should be a lower-case name such as 'corn' or 'winter wheat'"
            )
    exists = not ws_store.region_frame(con, region_id).empty
    if exists and not replace:
        raise ValidationError(
            f"region {region_id!r} already exists; pick another id, or replace it with "
            "--replace (replace=True)"
        )
    path = Path(counties_file)
    counties = read_counties(
        path, id_column=id_column, name_column=name_column, source_crs=source_crs
    )
    owners = ws_store.county_owners(con, counties["county_id"].tolist())
    taken = owners[owners["region_id"] != region_id]
    if not taken.empty:
        first = taken.iloc[0]
        raise ValidationError(
            f"{path}: {len(taken)} county id(s) of column {id_column or 'county_id'!r} already "
            f"belong to another region (e.g. {first['county_id']} in {first['region_id']!r}); "
            "a county belongs to one region: remove those rows from the file or pick the "
            "other region"
        )
    centre = counties.dissolve().geometry.iloc[0].representative_point()
    note = ""
    if country == "CN" and source_crs is None:
        note = GCJ02_NOTE
    row = {
        "region_id": region_id,
        "name": name or _default_name(region_id, counties),
        "country": country,
        "utm_epsg": utm_epsg(centre.x, centre.y),
        "yield_unit": yield_unit,
        "yield_crops": list(yield_crops),
        "counties_file": source or _display_path(path),
        "id_column": id_column or "",
        "name_column": name_column or "",
        "n_counties": len(counties),
        "note": note,
        "simulated": bool(simulated),
    }
    ws_store.insert_region(con, row, county_rows(region_id, counties), replace=replace)
    return get_region(con, region_id)
