"""Flood products drawn for people: depth images, map layers, SAR previews, polygon exports."""

from __future__ import annotations

import base64
import io as _io
import json
import tempfile
from pathlib import Path

import numpy as np
import pydeck as pdk
from numpy.typing import ArrayLike, NDArray
from PIL import Image
from rasterio import features
from rasterio.crs import CRS
from rasterio.warp import transform_bounds, transform_geom

from paii_core import io, maps
from paii_core.errors import ValidationError
from paii_core.flood.area import polygon_area_m2
from paii_core.flood.files import write_flood
from paii_core.flood.mapping import FloodMap

__all__ = [
    "DEPTH_MAX_M",
    "DEPTH_STOPS",
    "depth_png_url",
    "flood_deck",
    "flood_geojson",
    "flood_geotiff_bytes",
    "geojson_bytes",
    "lonlat_bounds",
    "sar_grey",
]

DEPTH_STOPS = ("#c6dbef", "#6baed6", "#2171b5", "#08306b")
"""Light to dark blue: shallow to deep water (ColorBrewer Blues, Harrower & Brewer 2003)."""
DEPTH_MAX_M = 3.0
"""Top of the depth colour scale: one scale for every date so that dates compare."""
_RAMP = np.array([[int(h[i : i + 2], 16) for i in (1, 3, 5)] for h in DEPTH_STOPS], np.float32)
SAR_RANGE_DB = (-25.0, 0.0)
"""VV sigma0 shown from black (calm water) to white (bright urban / slopes facing the radar)."""


def _check(flooded: ArrayLike, depth_m: ArrayLike) -> tuple[NDArray[np.bool_], NDArray]:
    f = np.asarray(flooded, dtype=bool)
    d = np.asarray(depth_m, dtype=np.float32)
    if f.ndim != 2 or f.shape != d.shape:
        raise ValidationError(
            f"flooded {f.shape} and depth_m {d.shape} should be (H, W) arrays of one shape"
        )
    return f, d


def depth_png_url(
    flooded: ArrayLike, depth_m: ArrayLike, *, max_depth_m: float, max_px: int = 1024
) -> str:
    """A PNG data URL: flooded cells in the blue ramp by depth (0..max_depth_m), dry cells
    transparent. ``flooded`` and ``depth_m`` are ``(H, W)``; the image is at most
    ``max_px`` on its longer side (nearest neighbour, so the extent stays crisp)."""
    f, d = _check(flooded, depth_m)
    if not max_depth_m > 0:
        raise ValidationError(f"max_depth_m should be above 0, got {max_depth_m}")
    x = np.clip(np.nan_to_num(d, nan=0.0) / max_depth_m, 0.0, 1.0) * (len(_RAMP) - 1)
    lo = np.minimum(x.astype(np.int64), len(_RAMP) - 2)
    t = (x - lo)[..., None]
    rgb = _RAMP[lo] * (1 - t) + _RAMP[lo + 1] * t
    rgba = np.concatenate([rgb, np.where(f, 220.0, 0.0)[..., None]], axis=-1).astype(np.uint8)
    pic = Image.fromarray(rgba, "RGBA")
    if max(pic.size) > max_px:
        pic.thumbnail((max_px, max_px), Image.Resampling.NEAREST)
    buf = _io.BytesIO()
    pic.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def lonlat_bounds(raster: io.Raster) -> tuple[float, float, float, float]:
    """West, south, east, north in degrees (EPSG:4326) of a raster's extent."""
    return tuple(float(v) for v in transform_bounds(raster.crs, "EPSG:4326", *raster.bounds))


def flood_deck(
    flooded: ArrayLike, depth_m: ArrayLike, raster: io.Raster, *, max_depth_m: float
) -> pdk.Deck:
    """A deck with the flood as a BitmapLayer over the area's lon/lat box on the offline
    basemap, with the area outlined. ``raster`` gives the grid (CRS, transform)."""
    west, south, east, north = lonlat_bounds(raster)
    box = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    layers = [
        pdk.Layer(
            "PolygonLayer",
            id="flood-area",
            data=[{"polygon": box}],
            get_polygon="polygon",
            get_fill_color=[235, 228, 210, 255],
            get_line_color=[90, 90, 90, 200],
            line_width_min_pixels=1,
        ),
        pdk.Layer(
            "BitmapLayer",
            id="flood",
            # A plain str would be read by pydeck as an accessor expression.
            image=pdk.types.String(depth_png_url(flooded, depth_m, max_depth_m=max_depth_m)),
            bounds=[west, south, east, north],
        ),
    ]
    return maps.CompactDeck(
        layers=layers,
        initial_view_state=maps.view_for_bounds(west, south, east, north, height_px=480),
        map_style=maps.BLANK_STYLE,
        map_provider=None,
    )


def sar_grey(vv_db: ArrayLike, *, max_px: int = 600) -> NDArray[np.uint8]:
    """(h, w) uint8 grey image of VV sigma0 in dB over :data:`SAR_RANGE_DB` (NaN black),
    reduced to at most ``max_px`` on its longer side."""
    x = np.asarray(vv_db, dtype=np.float32)
    if x.ndim != 2:
        raise ValidationError(f"vv_db should be an (H, W) array, got shape {x.shape}")
    lo, hi = SAR_RANGE_DB
    grey = (np.clip((np.nan_to_num(x, nan=lo) - lo) / (hi - lo), 0, 1) * 255).astype(np.uint8)
    pic = Image.fromarray(grey, "L")
    if max(pic.size) > max_px:
        pic.thumbnail((max_px, max_px))
    return np.asarray(pic)


def flood_geojson(flooded: ArrayLike, raster: io.Raster, *, properties: dict | None = None) -> dict:
    """Flooded patches as a GeoJSON FeatureCollection in EPSG:4326.

    Polygons trace the pixel edges of ``flooded`` ``(H, W)`` on ``raster``'s grid
    (rasterio.features.shapes, 8-connected), reprojected to lon/lat. Every feature
    carries ``properties`` plus its area in hectares (on the ground, also on a grid in
    degrees: :func:`area.polygon_area_m2`); demo data gets its note here.
    """
    f = np.asarray(flooded, dtype=bool)
    if f.shape != raster.data.shape[1:]:
        raise ValidationError(f"flooded {f.shape} should be on the grid {raster.data.shape[1:]}")
    out = []
    for geom, _ in features.shapes(
        f.astype(np.uint8), mask=f, transform=raster.transform, connectivity=8
    ):
        area = polygon_area_m2(geom["coordinates"], raster.crs)
        lonlat = transform_geom(raster.crs, CRS.from_epsg(4326), geom)
        props = {**(properties or {}), "area_ha": round(area / 1e4, 4)}
        out.append({"type": "Feature", "geometry": lonlat, "properties": props})
    return {"type": "FeatureCollection", "features": out}


def flood_geotiff_bytes(
    flood: FloodMap, like: io.Raster, *, inputs: dict[str, str | None] | None = None
) -> bytes:
    """The mask + depth GeoTIFF of :func:`files.write_flood` as bytes (for a download);
    ``inputs`` names the files it was mapped from (tags ``INPUT_POST``, ``_PRE``, ``_DEM``)."""
    with tempfile.TemporaryDirectory(prefix="paii_flood_") as tmp:
        return write_flood(Path(tmp) / "flood.tif", flood, like, inputs=inputs).read_bytes()


def geojson_bytes(collection: dict) -> bytes:
    """A FeatureCollection serialised for a download."""
    return json.dumps(collection, separators=(",", ":")).encode()
