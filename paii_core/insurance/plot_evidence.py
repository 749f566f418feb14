"""Per-plot evidence of policies on their area's maps: crop and area checks, NDVI curves."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np
import pandas as pd

from paii_core.insurance.area import (
    AreaMaps,
    geometry_areas,
    geometry_plots,
    plot_checks,
    plot_stats,
)
from paii_core.insurance.loss import NdviCurve, ndvi_curves, reference_mask

__all__ = ["plot_evidence"]


def plot_evidence(policies: pd.DataFrame, maps: Mapping[str, AreaMaps]) -> list:
    """(CropCheck, AreaCheck, NdviCurve | None) of each policy row, in order; a policy
    whose area has no maps gets checks that say so."""
    out: list = [None] * len(policies)
    for (aoi_id, level), part in policies.groupby(["aoi_id", "level"], dropna=False):
        area_maps = maps.get(aoi_id) if isinstance(aoi_id, str) else None
        stats = raster = outlines = None
        if level == "plot":  # a polygon from the policy file, drawn on the area's grid
            ids = np.arange(1, len(part) + 1, dtype=np.int64)
            if area_maps is not None:
                wkb = [bytes(g) for g in part["geometry_wkb"]]
                raster = geometry_plots(area_maps, wkb)
                outlines = geometry_areas(area_maps, wkb)
                stats = plot_stats(area_maps, "plot", ids, plots=raster)
        else:
            column = "parcel_id" if level == "fine" else "coarse_id"
            ids = part[column].fillna(0).astype(np.int64).to_numpy()
            if area_maps is not None:
                raster = area_maps.fine_plots if level == "fine" else area_maps.coarse_plots
                stats = plot_stats(area_maps, level, ids)
        curves = _curves(area_maps, raster, ids, part["declared_crop"].astype(str).to_numpy())
        fits = _curve_fits(area_maps, raster, ids)
        for j, idx in enumerate(part.index):
            pos = policies.index.get_loc(idx)
            crop, area = plot_checks(
                area_maps,
                level=level,
                declared_crop=str(part.at[idx, "declared_crop"]),
                declared_ha=float(part.at[idx, "declared_area_ha"]),
                pixels=int(stats.pixels[j]) if stats else 0,
                cropped=None if stats is None or stats.cropped is None else int(stats.cropped[j]),
                votes=None if stats is None or stats.votes is None else stats.votes[j],
                mixed=None if stats is None or stats.mixed is None else int(stats.mixed[j]),
                outline_ha=None if outlines is None else float(outlines[j]),
            )
            if fits[j]:
                crop = replace(crop, curve_crop=min(fits[j], key=fits[j].get), curve_rmse=fits[j])
            out[pos] = (crop, area, curves[j])
    return out


def _curve_fits(
    maps: AreaMaps | None, raster: np.ndarray | None, ids: np.ndarray
) -> list[dict[str, float] | None]:
    """Per plot: the NDVI RMS difference between its curve over every date of the
    imagery and each mapped crop's county curve (the area's cropland the crop map calls
    that crop); None without imagery, crop map or a plot on the grid."""
    out: list[dict[str, float] | None] = [None] * len(ids)
    if (
        maps is None or raster is None or maps.crop_map is None or maps.cropped is None
        or maps.rgb_series is None or not maps.dates
    ):  # fmt: skip
        return out
    rows, refs = None, {}
    for k, crop in enumerate(maps.crop_map.classes):
        mask = maps.cropped & (maps.crop_map.label_map == k)
        if mask.any():
            rows = ndvi_curves(
                maps.rgb_series, maps.dates, raster, ids, mask, ndvi=maps.ndvi_series
            )
            refs[crop] = rows[-1]
    if rows is None:
        return out
    for j in np.flatnonzero(ids > 0):
        fit = {}
        for crop, ref in refs.items():
            both = np.isfinite(rows[j]) & np.isfinite(ref)
            if both.any():
                fit[crop] = float(np.sqrt(np.mean((rows[j][both] - ref[both]) ** 2)))
        out[j] = fit or None
    return out


def _curves(
    maps: AreaMaps | None, raster: np.ndarray | None, ids: np.ndarray, crops: np.ndarray
) -> list[NdviCurve | None]:
    """Each plot's whole-series NDVI curve against its declared crop's county reference."""
    out: list[NdviCurve | None] = [None] * len(ids)
    if maps is None or raster is None or maps.rgb_series is None or not maps.dates:
        return out
    for crop in np.unique(crops):
        sel = np.flatnonzero(crops == crop)
        mask, words = reference_mask(maps, str(crop))
        rows = ndvi_curves(
            maps.rgb_series, maps.dates, raster, ids[sel], mask, ndvi=maps.ndvi_series
        )
        for k, j in enumerate(sel):
            if ids[j] > 0:
                out[j] = NdviCurve(tuple(maps.dates), rows[k], rows[-1], words, None)
    return out
