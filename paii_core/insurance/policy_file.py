"""An insurer's policy file read as text columns: CSV (WKT or plot ids), an Excel workbook,
GeoPackage, GeoJSON, shapefile."""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import pandas as pd

from paii_core.errors import FormatError, InputNotFoundError
from paii_core.io.tables import CSV_SUFFIXES, EXCEL_SUFFIXES, cell_text, read_text_table
from paii_core.io.vectors import read_one_layer

__all__ = [
    "ALIASES",
    "CSV_SUFFIXES",
    "EXCEL_SUFFIXES",
    "POLICY_COLUMNS",
    "VECTOR_SUFFIXES",
    "read_policy_file",
]

POLICY_COLUMNS: dict[str, str] = {
    "policy_id": "required; unique text id of the policy",
    "insured": "required; name of the insured person or business",
    "declared_crop": "required; any crop name (open classes: 'winter barley' is fine)",
    "declared_area_ha": "required; insured area in hectares (> 0)",
    "coverage_level": "required; 0.50..0.85 or 50..85 (percent)",
    "guaranteed_yield": "required; coverage x expected yield, in the region's yield unit",
    "price": "required; price per unit of the yield unit's mass (USD/bu, CNY/kg, CNY/t)",
    "start_date": "required; YYYY-MM-DD, start of the insurance period",
    "end_date": "required; YYYY-MM-DD, after start_date",
    "premium": "premium in the currency; or give premium_rate",
    "premium_rate": "premium / sum insured, 0..1; used when premium is absent",
    "sum_insured": "optional; default guaranteed_yield x area (yield unit's area) x price",
    "geometry": "the plot as WKT in longitude/latitude (CSV), or the layer's geometry",
    "county_id": "zero-padded county id; optional with a geometry (found from it)",
    "aoi_id": "with parcel_id or coarse_id: an area of the region with a plot registry",
    "parcel_id": "plot id of a fine parcel in the area's plot registry",
    "coarse_id": "plot id of a whole block in the area's plot registry",
    "yield_unit": "optional; must be the region's yield unit",
    "currency": "optional for CN (CNY) and US (USD) regions, required elsewhere",
    "region_id": "optional; when present must equal --region",
}
"""The columns of a policy file and what each holds (README.md shows the same table)."""

ALIASES: dict[str, str] = {
    "wkt": "geometry",
    "geom": "geometry",
    "crop": "declared_crop",
    "area_ha": "declared_area_ha",
    "coverage": "coverage_level",
}
"""Other names accepted for a column (after lower-casing and spaces to underscores)."""

SHAPEFILE_NAMES: dict[str, str] = {n[:10]: n for n in POLICY_COLUMNS if len(n) > 10}
"""A shapefile (dBase) keeps 10 characters of a column name: declared_c is declared_crop."""

VECTOR_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp")


def _normalise(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    names = [str(c).strip().lower().replace(" ", "_") for c in frame.columns]
    if path.suffix.lower() == ".shp":
        names = [SHAPEFILE_NAMES.get(n, n) for n in names]
    names = [ALIASES.get(n, n) for n in names]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise FormatError(
            path,
            f"has several columns that mean {', '.join(dup)} (aliases: {ALIASES})",
            "keep one column of each",
        )
    frame.columns = names
    return frame


def read_policy_file(path: str | PathLike[str]) -> pd.DataFrame:
    """The rows of a policy file, every column as text except ``geometry``.

    CSV: a ``geometry`` (or ``wkt``) column of WKT text in EPSG:4326, or plot ids
    (``aoi_id`` with ``parcel_id``/``coarse_id``). Excel (.xlsx): the same columns in the
    workbook's one sheet with data (dates and numbers as typed). GeoPackage / GeoJSON / shapefile:
    the layer's geometry, reprojected to EPSG:4326, as shapely objects. Column names are
    lower-cased, spaces become underscores and :data:`ALIASES` apply; a shapefile's
    names cut to 10 characters are read as the whole names (:data:`SHAPEFILE_NAMES`).

    Raises:
        InputNotFoundError: no such file.
        FormatError: an unknown extension, an unreadable or empty file, a vector file of
            several layers or a workbook of several sheets with data, a vector layer
            without a CRS, two columns with one meaning.
    """
    p = Path(path)
    if p.is_dir():
        raise FormatError(
            p,
            "is a folder, not a policy file",
            "pass the CSV, Excel workbook, GeoPackage or GeoJSON itself",
        )
    if not p.is_file():
        raise InputNotFoundError(f"{p}: policy file not found; check the path")
    suffix = p.suffix.lower()
    if suffix in (*CSV_SUFFIXES, *EXCEL_SUFFIXES, ".xls"):
        frame = read_text_table(p, "the policies")
    elif suffix in VECTOR_SUFFIXES:
        try:
            gdf = read_one_layer(p, "the policies", "policies.gpkg")
        except FormatError:
            raise
        except Exception as e:  # GDAL/pyogrio raise many unrelated types for a bad file
            raise FormatError(
                p, f"is not a readable vector file ({type(e).__name__}: {e})", "re-export it"
            ) from e
        if gdf.crs is None:
            raise FormatError(p, "has no CRS", "set the layer's CRS (EPSG:4326 or its own)")
        geoms = gdf.to_crs(4326).geometry
        frame = pd.DataFrame(
            {c: [cell_text(v) for v in gdf[c]] for c in gdf.columns if c != gdf.geometry.name}
        )
        frame["geometry"] = list(geoms)
    else:
        known = ", ".join(CSV_SUFFIXES + EXCEL_SUFFIXES + VECTOR_SUFFIXES)
        raise FormatError(p, f"has the unknown extension {suffix!r}", f"use one of {known}")
    if frame.empty:
        raise FormatError(p, "has a header but no rows", "export a file with policies")
    return _normalise(frame, p)
