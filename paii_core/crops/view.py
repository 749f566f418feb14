"""Drawing and export helpers for crop maps: parcel GeoJSON with crop colours, GeoTIFF bytes."""

from __future__ import annotations

import colorsys
import hashlib
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
from affine import Affine
from numpy.typing import NDArray
from rasterio.crs import CRS

from paii_core.crops.recognize import CropMap
from paii_core.io import write_geotiff

__all__ = ["CROP_COLOURS", "crop_colour", "crop_map_geotiff", "parcel_geojson"]

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
    (the point a label goes to) and fill / line colours."""
    feats = []
    geo = parcels.geometry.__geo_interface__["features"]
    for i, g in enumerate(geo):
        crop = str(crops[i]) if len(crops) else ""
        conf = float(confidence[i]) if len(confidence) and np.isfinite(confidence[i]) else 0.0
        pid = int(parcels["parcel_id"].iat[i])
        alpha = int(60 + 170 * min(max(conf, 0.0), 1.0)) if crop else 40
        feats.append(
            {
                "type": "Feature",
                "geometry": g["geometry"],
                "properties": {
                    "parcel_id": pid,
                    "coarse_id": int(parcels["coarse_id"].iat[i]),
                    "area_ha": round(float(parcels["area_ha"].iat[i]), 2),
                    "crop": crop or "unknown",
                    "confidence": round(conf, 2),
                    "row": int(points[i, 0]),
                    "col": int(points[i, 1]),
                    "fill": [*crop_colour(crop), alpha],
                    "line": [255, 0, 0, 255] if pid == selected else [255, 255, 255, 160],
                },
            }
        )
    return {"type": "FeatureCollection", "features": feats}


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
