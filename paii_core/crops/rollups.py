"""County areas from a crop map, and parcels as polygons (GeoJSON / GeoParquet, EPSG:4326)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from affine import Affine
from numpy.typing import NDArray
from rasterio import features
from rasterio.crs import CRS
from scipy import ndimage
from shapely.geometry import shape
from shapely.ops import unary_union

from paii_core.crops.recognize import CropMap
from paii_core.errors import ValidationError

__all__ = [
    "county_rollups",
    "parcel_crops",
    "parcel_polygons",
    "pixel_area_m2",
    "write_parcels",
]


def pixel_area_m2(transform: Affine, crs: CRS | str) -> float:
    """Area of one pixel in m2 from a projected grid: ``|a e - b d|`` of the affine.

    Raises:
        ValidationError: a geographic CRS (degrees: reproject to UTM first).
    """
    if CRS.from_user_input(crs).is_geographic:
        raise ValidationError(
            f"crs {crs} is geographic (degrees); pixel areas need a projected grid such as UTM"
        )
    return float(abs(transform.a * transform.e - transform.b * transform.d))


def county_rollups(
    crop_map: CropMap,
    cropland: NDArray,
    *,
    county_id: str,
    transform: Affine,
    crs: CRS | str,
    season: tuple[date, date],
    simulated: bool,
) -> pd.DataFrame:
    """County rows for ``county_metrics``: ``cropland_area_km2`` (crop '') from the
    cropland probability > 0.5, and ``crop_area_km2`` per crop of the map.

    The area lies in one county (the aois table's county_id), so each figure is the
    area mapped inside it. Columns: county_id, metric, crop, period_start, period_end,
    value, unit, simulated.
    """
    km2 = pixel_area_m2(transform, crs) / 1e6
    crop_px = np.bincount(
        crop_map.label_map[crop_map.label_map >= 0].ravel(), minlength=len(crop_map.classes)
    )
    rows = [("cropland_area_km2", "", float((np.nan_to_num(cropland) > 0.5).sum()) * km2)]
    rows += [
        ("crop_area_km2", c, float(n) * km2) for c, n in zip(crop_map.classes, crop_px, strict=True)
    ]
    return pd.DataFrame(
        [
            {
                "county_id": county_id,
                "metric": metric,
                "crop": crop,
                "period_start": season[0],
                "period_end": season[1],
                "value": value,
                "unit": "km2",
                "simulated": simulated,
            }
            for metric, crop, value in rows
        ]
    )


def parcel_polygons(
    fine: NDArray,
    coarse: NDArray,
    *,
    transform: Affine,
    crs: CRS | str,
    crop_map: CropMap | None = None,
    simplify_m: float = 0.0,
) -> gpd.GeoDataFrame:
    """Fine parcels ``(H, W)`` int as polygons in EPSG:4326.

    Columns: parcel_id, coarse_id, area_ha, crop (majority class of its pixels, '' without
    a map), confidence (mean probability of that class), geometry. ``simplify_m`` > 0
    simplifies outlines (Douglas-Peucker, in CRS units) before reprojection.
    """
    fine = np.asarray(fine, np.int32)
    if fine.shape != np.shape(coarse):
        raise ValidationError(f"fine {fine.shape} and coarse {np.shape(coarse)} parcels differ")
    ids = np.arange(1, int(fine.max()) + 1)
    geoms: dict[int, list] = {}
    for geom, value in features.shapes(fine, mask=fine > 0, transform=transform):
        geoms.setdefault(int(value), []).append(shape(geom))
    pix = np.bincount(fine.ravel(), minlength=len(ids) + 1)[1:]
    coarse_id = ndimage.maximum(np.asarray(coarse), fine, ids) if len(ids) else []
    frame = pd.DataFrame(
        {
            "parcel_id": ids,
            "coarse_id": np.asarray(coarse_id, np.int64),
            "area_ha": pix * pixel_area_m2(transform, crs) / 1e4,
        }
    )
    frame["crop"], frame["confidence"] = "", np.nan
    if crop_map is not None and len(ids):
        frame["crop"], frame["confidence"] = parcel_crops(fine, crop_map)
    polys = [g[0] if len(g) == 1 else unary_union(g) for g in (geoms.get(i, []) for i in ids)]
    out = gpd.GeoDataFrame(frame, geometry=polys, crs=crs)
    if simplify_m > 0:  # drop the pixel staircase's collinear vertices, keep the shape
        out["geometry"] = out.geometry.simplify(simplify_m, preserve_topology=True)
    return out.to_crs("EPSG:4326")


def parcel_crops(fine: NDArray, crop_map: CropMap) -> tuple[NDArray, NDArray]:
    """Per fine parcel 1..N: the majority crop of its pixels ('' if none) ``(N,)`` object
    and the mean probability of the chosen class ``(N,)`` float64, rounded to 0.001."""
    fine = np.asarray(fine, np.int64)
    n, k = int(fine.max()), len(crop_map.classes)
    lab = crop_map.label_map.astype(np.int64)
    ok = (fine > 0) & (lab >= 0)
    votes = np.bincount(fine[ok] * k + lab[ok], minlength=(n + 1) * k).reshape(-1, k)[1:]
    names = np.array(crop_map.classes, dtype=object)[votes.argmax(axis=1)]
    crop = np.where(votes.sum(axis=1) > 0, names, "")
    conf = np.asarray(ndimage.mean(crop_map.confidence, fine, np.arange(1, n + 1)), float)
    return crop, np.round(conf, 3)


def write_parcels(parcels: gpd.GeoDataFrame, path: str | Path) -> Path:
    """Write parcels as GeoJSON (``.geojson``/``.json``) or GeoParquet (``.parquet``).

    Raises:
        ValidationError: another file extension.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".geojson", ".json", ".parquet"):
        raise ValidationError(f"{p}: write parcels as .geojson or .parquet, not {suffix!r}")
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".part")
    if suffix == ".parquet":
        parcels.to_parquet(tmp)
    else:
        tmp.write_text(parcels.to_json())
    tmp.replace(p)
    return p
