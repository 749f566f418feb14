"""The grid of a new area: 10 m in the UTM zone of its centre, over a bbox or the items."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import rasterio
import shapely
import shapely.geometry
from affine import Affine
from pyproj import Transformer
from rasterio.crs import CRS
from rasterio.errors import NotGeoreferencedWarning
from rasterio.warp import transform_bounds

from paii_core.errors import FormatError, ValidationError
from paii_core.io.s2_scene import Grid, S2Scene

__all__ = [
    "MAX_SIDE_PX",
    "PIXEL_M",
    "area_grid",
    "footprints_grid",
    "raster_footprint",
    "scene_footprint",
    "utm_crs",
]

PIXEL_M = 10.0
MAX_SIDE_PX = 2000
"""Largest side of an area (20 km at 10 m): a season of it stays near 1 GB in memory."""


def utm_crs(lon: float, lat: float) -> CRS:
    """The WGS 84 / UTM zone CRS of a point (EPSG 326zz north, 327zz south)."""
    zone = min(max(math.floor((lon + 180.0) / 6.0) + 1, 1), 60)
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def _reproject(geom: shapely.Geometry, src: CRS | str, dst: CRS | str) -> shapely.Geometry:
    """``geom`` from ``src`` to ``dst``, its edges densified first so they stay true."""
    fwd = Transformer.from_crs(src, dst, always_xy=True)
    step = max(shapely.length(geom) / 400.0, 1e-9)
    dense = shapely.segmentize(geom, step)
    return shapely.transform(dense, lambda xy: np.column_stack(fwd.transform(xy[:, 0], xy[:, 1])))


def scene_footprint(scene: S2Scene) -> shapely.Geometry:
    """Lon/lat outline of a scene's blue band (its file's bounds, or the STAC geometry)."""
    if scene.stac is not None and getattr(scene.stac, "geometry", None):
        return shapely.geometry.shape(scene.stac.geometry)
    return raster_footprint(scene.bands["B02"].path)


def raster_footprint(path: str) -> shapely.Geometry:
    """Lon/lat outline of a georeferenced raster file (its bounds, in any CRS).

    Raises FormatError: the file has no CRS."""
    with warnings.catch_warnings():  # no georeferencing: refused below, by name
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        src = rasterio.open(path)
    with src:
        if src.crs is None:
            raise FormatError(
                path,
                "has no coordinate reference system, so where it lies is unknown",
                "pass the product as delivered (GeoTIFF with its CRS), or set one: "
                "`rio edit-info --crs EPSG:4326 FILE`",
            )
        return _reproject(shapely.box(*src.bounds), src.crs, "EPSG:4326")


def area_grid(
    scenes: Sequence[S2Scene], bbox: Sequence[float] | None = None
) -> tuple[Grid, shapely.Polygon]:
    """The area's 10 m UTM grid over Sentinel-2 ``scenes`` (see :func:`footprints_grid`)."""
    by_day: dict = {}
    for s in scenes:
        by_day.setdefault(s.day, []).append(scene_footprint(s))
    return footprints_grid(by_day, bbox, sensor="Sentinel-2")


def footprints_grid(
    by_day: Mapping[object, Sequence[shapely.Geometry]],
    bbox: Sequence[float] | None = None,
    *,
    sensor: str,
) -> tuple[Grid, shapely.Polygon]:
    """The area's 10 m UTM grid, snapped to multiples of 10 m (the Sentinel-2 grid).

    Over ``bbox`` (west, south, east, north in degrees) when given, else over the part
    every date covers: ``by_day`` maps a date to the lon/lat footprints of its items
    (joined within a date, intersected across dates). ``sensor`` names the items in
    errors ("Sentinel-2", "Sentinel-1").

    Returns:
        The grid and its lon/lat footprint.

    Raises:
        ValidationError: a bad bbox, dates that share no ground, or an area wider than
            :data:`MAX_SIDE_PX` pixels (pass a smaller --bbox).
    """
    if bbox is not None:
        west, south, east, north = (float(v) for v in bbox)
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise ValidationError(
                f"--bbox {west} {south} {east} {north} is not WEST SOUTH EAST NORTH in degrees "
                "with west < east and south < north"
            )
        shape = shapely.box(west, south, east, north)
    else:
        shape = None
        for parts in by_day.values():
            day_shape = shapely.union_all(list(parts))
            shape = day_shape if shape is None else shapely.intersection(shape, day_shape)
        if shape is None or shape.is_empty or shape.area == 0:
            raise ValidationError(
                f"the {sensor} items share no ground (their footprints do not overlap); "
                "pass items of one place, or --bbox WEST SOUTH EAST NORTH inside all of them"
            )
    centre = shape.centroid
    crs = utm_crs(centre.x, centre.y)
    x0, y0, x1, y1 = _reproject(shape, "EPSG:4326", crs).bounds
    # Inward to whole 10 m pixels: every pixel lies on ground the items (or bbox) cover.
    x0, y0 = math.ceil(x0 / PIXEL_M - 1e-6) * PIXEL_M, math.ceil(y0 / PIXEL_M - 1e-6) * PIXEL_M
    x1, y1 = math.floor(x1 / PIXEL_M + 1e-6) * PIXEL_M, math.floor(y1 / PIXEL_M + 1e-6) * PIXEL_M
    width, height = round((x1 - x0) / PIXEL_M), round((y1 - y0) / PIXEL_M)
    if max(width, height) > MAX_SIDE_PX:
        raise ValidationError(
            f"the area would be {width} x {height} px at 10 m, more than {MAX_SIDE_PX} px a "
            "side; pass --bbox WEST SOUTH EAST NORTH (degrees) of at most 20 km a side"
        )
    if min(width, height) < 16:
        raise ValidationError(
            f"the area would be {width} x {height} px at 10 m; pass a --bbox of at least 160 m"
        )
    grid = Grid(crs, Affine(PIXEL_M, 0.0, x0, 0.0, -PIXEL_M, y1), width, height)
    footprint = shapely.box(*transform_bounds(crs, "EPSG:4326", x0, y0, x1, y1))
    return grid, footprint
