"""One area of interest for crop mapping: its season read from the store's files, and its
cropland + parcels product computed once and cached by input hash and model version."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
from affine import Affine
from numpy.typing import NDArray
from rasterio.crs import CRS

from paii_core import io
from paii_core.config import paths
from paii_core.crops.boundary import BOUNDARY_MODEL_VERSION
from paii_core.crops.cropland import CROPLAND_MODEL_VERSION, cropland_probability
from paii_core.crops.features import sar_only_note, season_gap
from paii_core.crops.parcels import delineate_parcels, merge_parcels
from paii_core.crops.recognize import CropMap, Prepared, prepare_recognition, spread_graph
from paii_core.crops.rollups import county_rollups
from paii_core.crops.units import UNITS_VERSION
from paii_core.errors import InputNotFoundError, ValidationError
from paii_core.store import crops as crop_store
from paii_core.store import log_event

__all__ = [
    "PARCELS_MODEL_VERSION",
    "Area",
    "AreaParcels",
    "area_inputs_hash",
    "load_area",
    "map_area",
    "prepared_for",
    "save_labels",
]

PARCELS_MODEL_VERSION = f"{CROPLAND_MODEL_VERSION}+{BOUNDARY_MODEL_VERSION}"
Progress = Callable[[float, str], None]


@dataclass(frozen=True, eq=False)
class Area:
    """A season over one area of interest, on its 10 m grid."""

    aoi_id: str
    region_id: str
    county_id: str
    series: NDArray[np.float32]
    """(T, 4, H, W) float32 BGRN reflectance, NaN where SCL flags cloud/shadow."""
    dates: list[date]
    sar: NDArray[np.float32] | None
    """(S, 2, H, W) float32 VV, VH dB (flood-event dates left out), or None."""
    dem: NDArray[np.float32] | None
    """(H, W) float32 metres, or None."""
    crs: CRS
    transform: Affine
    input_hash: str
    """sha256 over the input files' own hashes: a changed input gives a new product."""
    simulated: bool


@dataclass(frozen=True, eq=False)
class AreaParcels:
    """The cached cropland + parcels product of an area."""

    cropland: NDArray[np.float32]
    """(H, W) float32 cropland probability."""
    fine: NDArray[np.int32]
    coarse: NDArray[np.int32]
    path: Path
    cached: bool


def _inputs_hash(files) -> str:
    return hashlib.sha256("|".join(sorted(files["input_hash"])).encode()).hexdigest()


def area_inputs_hash(con: duckdb.DuckDBPyConnection, aoi_id: str) -> str:
    """:attr:`Area.input_hash` of the area as the store lists it now, without reading a
    raster (a cache key: an area replaced with other files gets another)."""
    return _inputs_hash(crop_store.area_inputs(con, aoi_id))


def load_area(con: duckdb.DuckDBPyConnection, aoi_id: str, data_dir: Path | None = None) -> Area:
    """Read an area's S2 L2A season (SCL clouds masked), S1 and DEM named in the store.

    Raises:
        ValidationError: unknown area. InputNotFoundError: no S2 files for it, or a
            listed file missing. FormatError: a bad file.
    """
    data = Path(data_dir) if data_dir is not None else paths().data
    aoi = crop_store.aoi_row(con, aoi_id)
    files = crop_store.area_inputs(con, aoi_id)
    s2 = files[files["kind"].isin(("s2_l2a", "s2_l1c"))].sort_values("acquired")
    if s2.empty:
        raise InputNotFoundError(
            f"the store lists no Sentinel-2 files for {aoi_id}: "
            + (
                sar_only_note(aoi_id)
                if (files["kind"] == "s1_grd").any()
                else "rebuild it with `paii demo build`, or add its imagery with `paii area "
                f"add {aoi_id} --replace --s2 ITEM...`"
            )
        )
    images = []
    for row in s2.itertuples():
        details = json.loads(row.details or "{}")
        scl = data / details["scl"] if details.get("scl") else None
        images.append(io.read_sentinel2_l2a(data / row.path, scl=scl, mask_clouds=scl is not None))
    radar = []
    for row in files[files["kind"] == "s1_grd"].itertuples():
        if not json.loads(row.details or "{}").get("flood_event", False):
            radar.append(io.read_sentinel1(data / row.path).data)
    dems = files[files["kind"] == "dem"]
    dem = io.read_dem(data / dems.iloc[0]["path"]).data[0] if not dems.empty else None
    digest = _inputs_hash(files)
    return Area(
        aoi_id=aoi_id,
        region_id=str(aoi["region_id"]),
        county_id=str(aoi["county_id"]),
        series=np.stack([im.data for im in images]).astype(np.float32),
        dates=[d.date() if hasattr(d, "date") else d for d in s2["acquired"]],
        sar=np.stack(radar).astype(np.float32) if radar else None,
        dem=dem,
        crs=images[0].crs,
        transform=images[0].transform,
        input_hash=digest,
        simulated=bool(files["simulated"].any()),
    )


def product_dir(aoi_id: str, data_dir: Path | None = None) -> Path:
    """Where an area's crop products are written: <data>/products/crops/<aoi_id>/."""
    return (
        (Path(data_dir) if data_dir is not None else paths().data) / "products" / "crops" / aoi_id
    )


def map_area(
    con: duckdb.DuckDBPyConnection,
    area: Area,
    *,
    data_dir: Path | None = None,
    progress: Progress | None = None,
    compute: bool = True,
) -> AreaParcels | None:
    """Cropland and fine/coarse parcels of ``area``: from the store when already computed
    for these inputs and models, else computed (when ``compute``) and stored.

    Returns None when nothing is stored and ``compute`` is False. The product is one
    3-band GeoTIFF (cropland probability, fine id, coarse id) under :func:`product_dir`.

    Raises:
        ValidationError: (when it would compute) the area has fewer Sentinel-2 dates than
            a season curve needs; the message says how many more (:func:`season_gap`).
    """
    gap = season_gap(area.aoi_id, area.region_id, len(area.dates))
    if gap is not None:
        if not compute:
            return None
        raise ValidationError(gap)
    data = Path(data_dir) if data_dir is not None else paths().data
    row = crop_store.find_product(
        con, area.aoi_id, "parcels", area.input_hash, PARCELS_MODEL_VERSION
    )
    if row is not None and (data / row["path"]).is_file():
        r = io.read_geotiff(data / row["path"], expected_bands=3)
        fine, coarse = r.data[1].astype(np.int32), r.data[2].astype(np.int32)
        return AreaParcels(r.data[0], fine, coarse, data / row["path"], True)
    if not compute:
        return None
    note = progress or (lambda f, m: None)
    from paii_core.crops.boundary import boundary_probability

    cropland = cropland_probability(area.series, area.dates, progress=lambda f, m: note(0.5 * f, m))
    note(0.55, "fine parcels")
    fine = delineate_parcels(area.series, area.dates, level="fine", cropland=cropland)
    note(0.8, "coarse parcels")
    edges = boundary_probability(area.series, area.dates, cropland, level="coarse")
    coarse = merge_parcels(fine, edges, threshold=0.15)
    rel = Path("products") / "crops" / area.aoi_id / f"parcels_{area.input_hash[:12]}.tif"
    io.write_geotiff(
        data / rel,
        np.stack([cropland, fine.astype(np.float32), coarse.astype(np.float32)]),
        crs=area.crs,
        transform=area.transform,
        band_names=("cropland_probability", "fine_parcel", "coarse_parcel"),
        tags={"SIMULATED": str(area.simulated), "MODEL_VERSION": PARCELS_MODEL_VERSION},
    )
    details = {"n_fine": int(fine.max()), "n_coarse": int(coarse.max())}
    crop_store.save_product(
        con,
        aoi_id=area.aoi_id,
        kind="parcels",
        input_hash=area.input_hash,
        model_version=PARCELS_MODEL_VERSION,
        path=rel.as_posix(),
        details=details,
        simulated=area.simulated,
    )
    out = AreaParcels(cropland, fine, coarse, data / rel, False)
    note(0.85, "recognition features")
    prepared_for(area, out)
    note(1.0, "parcels stored")
    return out


def prepared_for(area: Area, parcels: AreaParcels) -> Prepared:
    """Recognition units and features of an area (:func:`prepare_recognition`, ~20 s on
    400 x 400 px), cached in an .npz beside the parcels product so labelling is instant."""
    cache = parcels.path.with_name(f"{parcels.path.stem}_recognition_{UNITS_VERSION}.npz")
    if cache.is_file():
        with np.load(cache) as z:
            x = z["x"]
            graph = spread_graph(x)
            return Prepared(
                parcels.fine, z["units"], x, z["curves"], z["slope"], graph, z["evidence"]
            )
    prep = prepare_recognition(area.series, area.dates, parcels.fine, sar=area.sar, dem=area.dem)
    tmp = cache.with_name(cache.stem + ".part.npz")
    np.savez(
        tmp,
        units=prep.units,
        x=prep.x,
        curves=prep.curves,
        slope=prep.slope,
        evidence=prep.evidence,
    )
    tmp.replace(cache)
    return prep


def save_labels(
    con: duckdb.DuckDBPyConnection,
    area: Area,
    parcels: AreaParcels,
    crop_map: CropMap,
    labels: list[tuple[int, int, str]],
    *,
    who: str,
    note: str = "",
    detail: dict | None = None,
) -> str:
    """Save a label set of ``area`` with who made it, the county crop areas of the crop map
    it gives, and an audit entry; returns the label set id. Raises ValidationError for
    bad labels (from the store)."""
    set_id = crop_store.save_label_set(
        con, area.aoi_id, labels, who=who, note=note, simulated=area.simulated
    )
    rollups = county_rollups(
        crop_map,
        parcels.cropland,
        county_id=area.county_id,
        transform=area.transform,
        crs=area.crs,
        season=(area.dates[0], area.dates[-1]),
        simulated=area.simulated,
    )
    crop_store.write_rollups(con, rollups)
    log_event(
        con,
        actor=who,
        action="save_label_set",
        entity="crop_label_sets",
        entity_id=set_id,
        detail={"aoi_id": area.aoi_id, "labels": len(labels), **(detail or {})},
    )
    return set_id
