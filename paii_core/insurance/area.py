"""The maps behind a policy check: the insurer's plots, PAII's cropland and crop map of an area."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path

import duckdb
import numpy as np
from affine import Affine
from numpy.typing import NDArray
from rasterio.crs import CRS

from paii_core import io, workspace
from paii_core.crops import area as crop_area
from paii_core.crops.features import season_gap
from paii_core.crops.recognize import CropMap, recognize_prepared
from paii_core.errors import InputNotFoundError, ValidationError
from paii_core.insurance.evidence import AreaCheck, CropCheck
from paii_core.insurance.pixels import boundary, shifted, touches
from paii_core.io.plots import read_plot_registry
from paii_core.store import crops as crop_store

__all__ = [
    "CROPLAND_THRESHOLD",
    "MIXED_MIN",
    "REGISTRATION_PX",
    "AreaMaps",
    "PlotStats",
    "geometry_areas",
    "geometry_plots",
    "insured_plots",
    "load_area_maps",
    "plot_checks",
    "plot_stats",
]

CROPLAND_THRESHOLD = 0.5
"""Cropland probability above which a pixel counts as cropped (as in the county rollups)."""

MIXED_MIN = 0.1
"""A plot pixel below :data:`CROPLAND_THRESHOLD` but above this cropland probability is a
mixed pixel: the 10 m footprint of a field edge blends crop with what lies beyond, so it
may be partly or wholly crop. Such pixels widen the measured area's upper bound (chosen
on the harder benchmark's tuning seeds only: 0.05 / 0.1 / 0.2)."""

REGISTRATION_PX = 1
"""A plot given as a polygon is also drawn up to this many pixels off in each direction,
and the offset that finds the most possible crop is kept (a boundary drawn by hand or
from another map is often a pixel off the imagery)."""

EDGE_RING = True
"""Whether a boundary pixel of the plot that touches a cropped pixel of the same plot also
counts as possibly cropped whatever its probability: its footprint straddles the plot's
edge, so the 10 m pixel cannot say how much of it is crop (chosen on tuning seeds only)."""


def series_ndvi(series: NDArray) -> NDArray[np.float64]:
    """(T, ...) NDVI of a (T, 4, ...) BGRN series, NaN where it is undefined."""
    red, nir = series[:, 2].astype(np.float64), series[:, 3].astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (nir - red) / (nir + red)
    return np.where(np.isfinite(out), out, np.nan)


@dataclass(frozen=True, eq=False)
class AreaMaps:
    """One area's insured plots and what PAII has mapped there."""

    aoi_id: str
    fine_plots: NDArray[np.int64]
    """(H, W) int64 the insurer's fine parcel ids, 0 where none."""
    coarse_plots: NDArray[np.int64]
    """(H, W) int64 the insurer's block ids, 0 where none."""
    transform: Affine
    crs: CRS
    cropped: NDArray[np.bool_] | None
    """(H, W) bool cropland seen by PAII (probability > 0.5 or on a mapped parcel);
    None when cropland and parcels are not mapped yet."""
    crop_map: CropMap | None
    """PAII's crop map from the latest saved label set; None when there is none."""
    label_set_id: str | None
    rgb_series: NDArray[np.float32] | None
    """(T, 4, H, W) float32 the season's BGRN, for drawing; None when not loaded."""
    note: str
    """What is mapped, or what to do to map it."""
    dates: tuple[date, ...] = ()
    """Acquisition dates of ``rgb_series``."""
    cropland: NDArray[np.float32] | None = None
    """(H, W) float32 PAII's cropland probability (0 where unknown); None when not mapped."""

    @cached_property
    def ndvi_series(self) -> NDArray[np.float64] | None:
        """(T, H, W) NDVI of ``rgb_series`` (NaN where undefined), read-only, computed once
        per area: a portfolio review reads it once per map level and crop. None when the
        imagery is not loaded."""
        if self.rgb_series is None:
            return None
        ndvi = series_ndvi(self.rgb_series)
        ndvi.flags.writeable = False
        return ndvi

    @property
    def pixel_ha(self) -> float:
        return abs(self.transform.a * self.transform.e - self.transform.b * self.transform.d) / 1e4


@dataclass(frozen=True)
class PlotStats:
    """Pixel counts over plots ``(N,)`` of one level."""

    pixels: NDArray[np.int64]
    cropped: NDArray[np.int64] | None
    votes: NDArray[np.int64] | None
    """(N, K) crop-map pixels of each class, None without a crop map."""
    mixed: NDArray[np.int64] | None = None
    """Pixels not cropped but possibly partly crop: above :data:`MIXED_MIN` cropland
    probability, or on the plot's edge beside its cropped pixels (:data:`EDGE_RING`);
    None without a cropland probability."""


def insured_plots(
    con: duckdb.DuckDBPyConnection, aoi_id: str, data_dir: Path | None = None
) -> tuple[NDArray, NDArray, io.Raster]:
    """The insurer's plot registry of an area: plot and block ids ``(H, W)`` int64 (0 =
    none) and the raster they came from (for its grid).

    The registry is the area's ``plots`` input file in the store (bands plot_id,
    block_id), the insurer's own data beside its policies; the crop and area evidence
    come from PAII's maps, never from the registry.

    Raises:
        ValidationError: unknown area.
        InputNotFoundError: the store lists no registry for the area, or its file is
            missing. FormatError: it is not a 2-band registry raster.
    """
    workspace.get_area(con, aoi_id)
    return read_plot_registry(workspace.area_file(con, aoi_id, "plots", data_dir=data_dir))


def load_area_maps(
    con: duckdb.DuckDBPyConnection,
    aoi_id: str,
    *,
    data_dir: Path | None = None,
    area: crop_area.Area | None = None,
) -> AreaMaps:
    """The area's insured plots, PAII's cropland (the stored parcels product, never
    computed here) and the crop map of the latest saved label set. ``area``: the area's
    season already read by :func:`paii_core.crops.area.load_area` (a dashboard shares one
    between pages), else it is read here.

    A missing product is not an error: the maps are None and ``note`` says which page
    makes them. A label set the recogniser rejects is reported in ``note`` too.

    Raises:
        ValidationError: an unknown area. InputNotFoundError: no plot registry.
        InputNotFoundError, FormatError: the area's imagery is missing or unreadable.
    """
    if area is None:
        area = crop_area.load_area(con, aoi_id, data_dir)
    elif area.aoi_id != aoi_id:
        raise ValidationError(
            f"load_area_maps was given the season of area {area.aoi_id} for area {aoi_id}; "
            f"pass the one load_area read for {aoi_id}, or none"
        )
    try:
        fine, coarse, grid = insured_plots(con, aoi_id, data_dir)
        transform, crs = grid.transform, grid.crs
    except InputNotFoundError:
        # An area of a user's own imagery has no plot registry: its policies name their
        # plots by geometry (`paii policies import`), drawn onto the imagery's grid.
        fine = np.zeros(area.series.shape[-2:], np.int64)
        coarse, transform, crs = fine.copy(), area.transform, area.crs
    if area.series.shape[-2:] != fine.shape:
        raise ValidationError(
            f"the parcel registry of {aoi_id} is {fine.shape} but its imagery is "
            f"{area.series.shape[-2:]}; put the registry on the imagery's grid and add the "
            f"area again (`paii area add {aoi_id} ... --replace`)"
        )
    parcels = crop_area.map_area(con, area, data_dir=data_dir, compute=False)
    kw = dict(aoi_id=aoi_id, fine_plots=fine, coarse_plots=coarse, transform=transform)
    kw.update(crs=crs, rgb_series=area.series, dates=tuple(area.dates))
    gap = season_gap(aoi_id, area.region_id, len(area.dates))
    if gap is not None:  # "press 'Map cropland'" would only meet the same refusal
        return AreaMaps(**kw, cropped=None, crop_map=None, label_set_id=None, note=gap)
    if parcels is None:
        note = (
            f"cropland and parcels of {aoi_id} are not mapped yet: open Crop labels and "
            f"press 'Map cropland and parcels' (or run `paii crops map {aoi_id}`)"
        )
        return AreaMaps(**kw, cropped=None, crop_map=None, label_set_id=None, note=note)
    prob = np.nan_to_num(parcels.cropland).astype(np.float32)
    cropped = (prob > CROPLAND_THRESHOLD) | (parcels.fine > 0)
    kw.update(cropland=prob)
    sets = crop_store.label_sets(con, aoi_id)
    if sets.empty:
        note = (
            f"no crop map of {aoi_id}: label parcels on the Crop labels page and save the label set"
        )
        return AreaMaps(**kw, cropped=cropped, crop_map=None, label_set_id=None, note=note)
    set_id = str(sets["label_set_id"].iloc[0])
    try:
        prep = crop_area.prepared_for(area, parcels)
        cmap = recognize_prepared(prep, crop_store.label_set(con, set_id), region=area.region_id)
    except ValidationError as e:
        note = f"label set {set_id} gives no crop map ({e}); save a new one on Crop labels"
        return AreaMaps(**kw, cropped=cropped, crop_map=None, label_set_id=None, note=note)
    who = sets["who"].iloc[0]
    note = f"crop map from label set {set_id} ({sets['n_labels'].iloc[0]} labels by {who})"
    return AreaMaps(**kw, cropped=cropped, crop_map=cmap, label_set_id=set_id, note=note)


def geometry_plots(maps: AreaMaps, geometries_wkb: list[bytes]) -> NDArray[np.int64]:
    """(H, W) int64 raster of policy plots given as WKB polygons in EPSG:4326 on the
    area's grid: plot i+1 where geometry i covers a pixel centre (later plots win where
    two overlap), 0 elsewhere."""
    import geopandas as gpd
    import shapely
    from rasterio.features import rasterize

    geoms = gpd.GeoSeries(shapely.from_wkb(geometries_wkb), crs=4326).to_crs(maps.crs)
    shapes = [(g, i + 1) for i, g in enumerate(geoms) if g is not None and not g.is_empty]
    shape = maps.fine_plots.shape
    if not shapes:
        return np.zeros(shape, np.int64)
    return rasterize(shapes, out_shape=shape, transform=maps.transform, dtype="int32").astype(
        np.int64
    )


def geometry_areas(maps: AreaMaps, geometries_wkb: list[bytes]) -> NDArray[np.float64]:
    """Hectares of WKB polygons in EPSG:4326, measured in the area's projected grid CRS
    (0 for an empty geometry)."""
    import geopandas as gpd
    import shapely

    geoms = gpd.GeoSeries(shapely.from_wkb(geometries_wkb), crs=4326).to_crs(maps.crs)
    return geoms.area.fillna(0.0).to_numpy(np.float64) / 1e4


def area_counts(
    maps: AreaMaps, plots: NDArray, ids: NDArray[np.int64], size: int
) -> tuple[NDArray[np.int64], NDArray[np.int64] | None, NDArray[np.int64] | None]:
    """Pixels, cropped pixels and possibly cropped pixels (see :class:`PlotStats`) of
    plots ``ids`` of raster ``plots`` (``size`` > every id)."""
    flat = plots.ravel()
    pixels = np.where(ids > 0, np.bincount(flat, minlength=size)[ids], 0)
    cropped = mixed = None
    if maps.cropped is not None:
        cropped = np.bincount(flat, weights=maps.cropped.ravel(), minlength=size)[ids]
        cropped = cropped.astype(np.int64)
        if maps.cropland is not None:
            edge = boundary(plots) & touches(plots, maps.cropped) if EDGE_RING else False
            part = (~maps.cropped & ((maps.cropland > MIXED_MIN) | edge)).ravel()
            mixed = np.bincount(flat, weights=part, minlength=size)[ids].astype(np.int64)
    return pixels, cropped, mixed


def plot_stats(
    maps: AreaMaps, level: str, ids: NDArray, *, plots: NDArray | None = None
) -> PlotStats:
    """Pixels, cropped pixels and crop-map votes of plots ``ids`` at ``level`` ("plot":
    of ``plots``, a raster from :func:`geometry_plots`).

    Raises:
        ValidationError: a level other than "fine", "coarse" or "plot" (with ``plots``).
    """
    if level not in ("fine", "coarse", "plot") or (level == "plot") != (plots is not None):
        raise ValidationError(
            f"level should be 'fine' or 'coarse' (or 'plot' with a plots raster), not {level!r}"
        )
    if plots is None:
        plots = maps.fine_plots if level == "fine" else maps.coarse_plots
    ids = np.asarray(ids, np.int64)
    size = max(int(plots.max()), int(ids.max(initial=0))) + 1
    pixels, cropped, mixed = area_counts(maps, plots, ids, size)
    if level == "plot" and cropped is not None and mixed is not None:
        # A drawn outline may sit a pixel off the field (hand-drawn, another map's
        # registration): keep, per plot, the offset of up to REGISTRATION_PX that finds
        # the most possible crop; no offset wins ties.
        best = cropped + mixed
        for dr in range(-REGISTRATION_PX, REGISTRATION_PX + 1):
            for dc in range(-REGISTRATION_PX, REGISTRATION_PX + 1):
                if dr or dc:
                    moved = area_counts(maps, shifted(plots, dr, dc), ids, size)
                    better = moved[1] + moved[2] > best
                    pixels, cropped, mixed = (
                        np.where(better, m, o)
                        for m, o in zip(moved, (pixels, cropped, mixed), strict=True)
                    )
                    best = np.where(better, moved[1] + moved[2], best)
    votes = None
    flat = plots.ravel()
    if maps.crop_map is not None:
        k = len(maps.crop_map.classes)
        lab = maps.crop_map.label_map.ravel().astype(np.int64)
        ok = (flat > 0) & (lab >= 0)
        votes = np.bincount(flat[ok] * k + lab[ok], minlength=size * k).reshape(size, k)[ids]
    return PlotStats(pixels=pixels, cropped=cropped, votes=votes, mixed=mixed)


def plot_checks(
    maps: AreaMaps | None,
    *,
    level: str,
    declared_crop: str,
    declared_ha: float,
    pixels: int,
    cropped: int | None,
    votes: NDArray | None,
    mixed: int | None = None,
    outline_ha: float | None = None,
) -> tuple[CropCheck, AreaCheck]:
    """The crop and area checks of one plot from its :class:`PlotStats` row.

    Mapped area: the plot's cropped pixels; for a block (``level`` "coarse"), whose policy
    covers only its main crop's parcels, times that crop's share of the block's crop map.
    Without a crop map a block's mapped area is the whole block, so only a declaration
    above all of its cropland is flagged. Its upper bound adds the ``mixed`` pixels (field
    edges the 10 m pixels cannot resolve). A plot given as a polygon ("plot") has its own
    ``outline_ha``: the pixels drawn from it give only the share cropped, since the drawn
    count misses the outline's area by up to √(boundary pixels) (`python -m
    bench.insurance.raster_margin`), 10-15 % of a 0.2 ha plot.
    """
    if maps is None:
        note = "no maps of this policy's area"
        return CropCheck(declared_crop, None, None, note), AreaCheck(declared_ha, None, note)
    if pixels == 0:
        note = f"the plot is not on the grid of {maps.aoi_id}"
        return CropCheck(declared_crop, None, None, note), AreaCheck(declared_ha, None, note)
    crop, share, shares = None, None, None
    if votes is not None and votes.sum() > 0:
        best = int(np.argmax(votes))
        crop, share = maps.crop_map.classes[best], float(votes[best] / votes.sum())
        total = votes.sum()
        shares = {c: float(v / total) for c, v in zip(maps.crop_map.classes, votes, strict=True)}
        crop_note = f"{share:.0%} of the plot's mapped pixels are {crop}"
    elif votes is not None:
        crop_note = "the crop map classifies no pixel of this plot"
    else:
        crop_note = maps.note
    if cropped is None:
        return CropCheck(declared_crop, crop, share, crop_note, shares), AreaCheck(
            declared_ha, None, maps.note
        )
    mapped = cropped * maps.pixel_ha
    top = min(cropped + (mixed or 0), pixels) * maps.pixel_ha
    area_note = f"{cropped} of {pixels} pixels cropped"
    if mixed:
        area_note += f", {mixed} more possibly (mixed or edge pixels 10 m cannot resolve)"
    if outline_ha is not None:
        mapped, top = (
            outline_ha * mapped / (pixels * maps.pixel_ha),
            outline_ha * top / (pixels * maps.pixel_ha),
        )
        area_note += f", of the polygon's {outline_ha:,.3f} ha"
    if level == "coarse":
        if share is not None:
            mapped, top = mapped * share, top * share
            area_note += f", {share:.0%} of them {crop} (the block's insured crop)"
        else:
            area_note += " (whole block, all crops: no crop map to isolate the insured crop)"
    return CropCheck(declared_crop, crop, share, crop_note, shares), AreaCheck(
        declared_ha, round(mapped, 4), area_note, round(top, 4)
    )
