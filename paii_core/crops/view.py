"""Drawing and export helpers for crop maps: parcel GeoJSON with crop colours, GeoTIFF bytes."""

from __future__ import annotations

import colorsys
import hashlib
import tempfile
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from affine import Affine
from numpy.typing import NDArray
from rasterio.crs import CRS
from shapely.geometry import mapping

from paii_core.crops.recognize import CropMap
from paii_core.io import write_geotiff

__all__ = [
    "CROP_COLOURS",
    "coloured_parcels",
    "crop_colour",
    "crop_map_geotiff",
    "parcel_geojson",
    "parcel_shapes",
]

CROP_COLOURS: dict[str, tuple[int, int, int]] = {
    "wheat": (230, 190, 60),
    "maize": (240, 120, 40),
    "corn": (240, 120, 40),
    "peanut": (170, 110, 200),
    "rice": (40, 170, 200),
    "rapeseed": (250, 240, 80),
    "soybean": (90, 180, 70),
    "hay": (150, 120, 80),
    "": (200, 200, 200),
}
"""Colours of common crops; any other crop gets one from its name (:func:`crop_colour`)."""


def crop_colour(crop: str) -> tuple[int, int, int]:
    """The map colour of ``crop``: its :data:`CROP_COLOURS` entry, else a stable mid-tone
    colour derived from the name (the same crop is the same colour on every map)."""
    if crop in CROP_COLOURS:
        return CROP_COLOURS[crop]
    h = int(hashlib.sha256(crop.encode()).hexdigest()[:6], 16)
    r, g, b = colorsys.hsv_to_rgb((h % 360) / 360.0, 0.55, 0.85)
    return int(r * 255), int(g * 255), int(b * 255)


_M_PER_DEGREE = 111_320.0
"""Metres per degree of latitude (and of longitude at the equator), near enough for a
simplification tolerance."""


def parcel_shapes(
    parcels: gpd.GeoDataFrame, points: NDArray, *, simplify_m: float = 0.0, decimals: int = 6
) -> tuple[dict, ...]:
    """The parts of :func:`parcel_geojson`'s features that do not depend on the crop map,
    built once per parcel map: each parcel's geometry and its parcel_id, coarse_id,
    area_ha, row and col properties.

    Geometries are in EPSG:4326, simplified (Douglas-Peucker, topology kept) by
    ``simplify_m`` metres of latitude, which east-west is ``simplify_m`` x cos(latitude),
    never more (a browser draws a map of thousands of parcels in software WebGL: fewer
    vertices, less to draw), then rounded to ``decimals`` (6: about 0.1 m; the map's JSON
    carries about half the characters of full doubles)."""
    geoms = np.asarray(parcels.geometry.values, dtype=object)
    if simplify_m > 0:
        geoms = shapely.simplify(geoms, simplify_m / _M_PER_DEGREE, preserve_topology=True)
    geoms = shapely.transform(geoms, lambda xy: np.round(xy, decimals))
    ids = parcels["parcel_id"].to_numpy(np.int64)
    coarse = parcels["coarse_id"].to_numpy(np.int64)
    area = np.round(parcels["area_ha"].to_numpy(np.float64), 2)
    pts = np.asarray(points, np.int64).reshape(-1, 2)
    return tuple(
        {
            "geometry": mapping(g),
            "parcel_id": int(ids[i]),
            "coarse_id": int(coarse[i]),
            "area_ha": float(area[i]),
            "row": int(pts[i, 0]),
            "col": int(pts[i, 1]),
        }
        for i, g in enumerate(geoms)
    )


def coloured_parcels(
    shapes: Sequence[dict],
    crops: NDArray,
    confidence: NDArray,
    *,
    selected: int | None = None,
) -> dict:
    """A FeatureCollection of :func:`parcel_shapes` coloured by crop, fainter where the
    map is unsure: properties parcel_id, coarse_id, area_ha, crop, confidence, row, col
    (the point a label goes to) and fill / line colours. The geometries are shared with
    ``shapes``, not copied."""
    colours = {c: crop_colour(c) for c in {str(c) for c in crops}}
    feats = []
    for i, s in enumerate(shapes):
        crop = str(crops[i]) if len(crops) else ""
        conf = float(confidence[i]) if len(confidence) and np.isfinite(confidence[i]) else 0.0
        alpha = int(60 + 170 * min(max(conf, 0.0), 1.0)) if crop else 40
        feats.append(
            {
                "type": "Feature",
                "geometry": s["geometry"],
                "properties": {
                    "parcel_id": s["parcel_id"],
                    "coarse_id": s["coarse_id"],
                    "area_ha": s["area_ha"],
                    "crop": crop or "unknown",
                    "confidence": round(conf, 2),
                    "row": s["row"],
                    "col": s["col"],
                    "fill": [*(colours.get(crop) or crop_colour(crop)), alpha],
                    "line": [255, 0, 0, 255] if s["parcel_id"] == selected else _LINE,
                },
            }
        )
    return {"type": "FeatureCollection", "features": feats}


_LINE = [255, 255, 255, 160]


def parcel_geojson(
    parcels: gpd.GeoDataFrame,
    crops: NDArray,
    confidence: NDArray,
    points: NDArray,
    *,
    selected: int | None = None,
) -> dict:
    """A FeatureCollection of the parcels (EPSG:4326) coloured by crop, fainter where the
    map is unsure; properties parcel_id, coarse_id, area_ha, crop, confidence, row, col
    (the point a label goes to) and fill / line colours. A page that redraws the same
    parcels keeps :func:`parcel_shapes` and calls :func:`coloured_parcels`."""
    return coloured_parcels(parcel_shapes(parcels, points), crops, confidence, selected=selected)


def crop_map_geotiff(
    crop_map: CropMap, *, transform: Affine, crs: CRS | str, simulated: bool
) -> bytes:
    """The crop map as a 2-band GeoTIFF (class index, -1 none; confidence), class names and
    SIMULATED in its tags."""
    data = np.stack([crop_map.label_map.astype(np.float32), crop_map.confidence])
    tags = {
        "CLASSES": ",".join(f"{i}={c}" for i, c in enumerate(crop_map.classes)),
        "SIMULATED": "SIMULATED demo data" if simulated else "false",
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "crop_map.tif"
        write_geotiff(
            path,
            data,
            crs=crs,
            transform=transform,
            nodata=-1.0,
            band_names=("crop_class", "confidence"),
            tags=tags,
        )
        return path.read_bytes()
