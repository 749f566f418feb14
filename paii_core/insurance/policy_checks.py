"""Cell checks of a policy file: numbers, dates, plot ids, polygons and their counties."""

from __future__ import annotations

import re
from datetime import date, datetime

import geopandas as gpd
import numpy as np
import shapely
from shapely.validation import explain_validity

from paii_core.importing import Problem
from paii_core.io.tables import THOUSANDS

__all__ = ["Rows", "blank", "check_geometry", "locate"]

_OGR_DATE = re.compile(r"\d{4}/\d{2}/\d{2}(?: \d{2}:\d{2}:\d{2}(?:\.\d+)?)?")
"""Year first, so not ambiguous: ``2020/03/15`` or ``2020/03/15 00:00:00`` (OGR)."""


class Rows:
    """Collects the problems of one file and parses its cells."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, row: int | None, column: str, problem: str, fix: str) -> None:
        self.problems.append(Problem(row, column, problem, fix))

    def number(self, row: int, column: str, text: str, *, positive: bool = False) -> float | None:
        if "," in text and not THOUSANDS.fullmatch(text.strip()):
            # "3,88" is a decimal comma: read as 388, a price 100 times too high
            self.add(
                row,
                column,
                f"{text!r} is not a number: a comma only groups thousands (1,234.5)",
                f"write decimals with a point in {column}, e.g. {text.replace(',', '.')!r}",
            )
            return None
        try:
            value = float(text.replace(",", ""))
        except ValueError:
            what = "is empty" if not text else f"{text!r} is not a number"
            self.add(row, column, what, f"write a number in {column}")
            return None
        if not np.isfinite(value) or value < 0 or (positive and value == 0):
            rule = "> 0" if positive else ">= 0"
            self.add(row, column, f"{text} is not a finite number {rule}", f"correct {column}")
            return None
        return value

    def day(self, row: int, column: str, text: str) -> date | None:
        if _OGR_DATE.fullmatch(text):  # how GDAL writes a date into a shapefile or CSV
            text = text.replace("/", "-")
        try:
            return datetime.fromisoformat(text).date()
        except ValueError:
            what = "is empty" if not text else f"{text!r} is not a date"
            self.add(row, column, what, "write the date as YYYY-MM-DD, e.g. 2020-05-01")
            return None

    def plot_id(self, row: int, column: str, text: str) -> int | None:
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not (np.isfinite(value) and value.is_integer() and value > 0):
            self.add(row, column, f"{text!r} is not a positive whole number", "give the plot id")
            return None
        return int(value)


def blank(value: object) -> bool:
    return isinstance(value, str) and not value.strip()


def check_geometry(rows: Rows, row: int, value: object) -> shapely.Geometry | None:
    if isinstance(value, str):
        if not value:
            return None
        geom = shapely.from_wkt(value, on_invalid="ignore")
        if geom is None:
            rows.add(
                row, "geometry", f"{value[:40]!r} is not WKT", "write POLYGON ((lon lat, ...))"
            )
            return None
    else:
        geom = value
    fix = "give the plot's outline as a POLYGON or MULTIPOLYGON in longitude/latitude"
    if geom is None or geom.is_empty:
        rows.add(row, "geometry", "is empty", fix)
        return None
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        rows.add(row, "geometry", f"is a {geom.geom_type}, not a polygon", fix)
        return None
    x0, y0, x1, y1 = geom.bounds
    if -90 <= x0 and x1 <= 90 and -180 <= y0 and y1 <= 180 and (y0 < -90 or y1 > 90):
        rows.add(
            row,
            "geometry",
            f"coordinates look like latitude, longitude (the second of each pair reaches "
            f"{y0 if y0 < -90 else y1:g}, beyond +-90)",
            "write each point as longitude then latitude: POLYGON ((lon lat, ...))",
        )
        return None
    if x0 < -180 or x1 > 180 or y0 < -90 or y1 > 90:
        rows.add(
            row,
            "geometry",
            "coordinates are not longitude/latitude (outside +-180, +-90)",
            "reproject the plots to EPSG:4326 (a GeoPackage may keep its own CRS)",
        )
        return None
    if not geom.is_valid:
        rows.add(
            row,
            "geometry",
            f"is an invalid polygon ({explain_validity(geom)})",
            "repair it (QGIS 'Fix geometries', shapely.make_valid) and import again",
        )
        return None
    return geom


def locate(geoms: list, counties: gpd.GeoDataFrame) -> list[str | None]:
    """The county holding each geometry's representative point (None if no county)."""
    out: list[str | None] = [None] * len(geoms)
    have = [i for i, g in enumerate(geoms) if g is not None]
    if not have:
        return out
    points = shapely.point_on_surface(np.array([geoms[i] for i in have], dtype=object))
    left, right = counties.sindex.query(points, predicate="intersects")
    ids = counties["county_id"].to_numpy()
    for i, j in zip(left, right, strict=True):
        if out[have[i]] is None:
            out[have[i]] = str(ids[j])
    return out
