"""Per-plot evidence of policies on their area's maps: crop and area checks, NDVI curves."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from paii_core.insurance.area import AreaMaps, geometry_plots, plot_checks, plot_stats
from paii_core.insurance.loss import NdviCurve, ndvi_curves, reference_mask

__all__ = ["plot_evidence"]


def plot_evidence(policies: pd.DataFrame, maps: Mapping[str, AreaMaps]) -> list:
    """(CropCheck, AreaCheck, NdviCurve | None) of each policy row, in order; a policy
    whose area has no maps gets checks that say so."""
    out: list = [None] * len(policies)
    for (aoi_id, level), part in policies.groupby(["aoi_id", "level"], dropna=False):
        area_maps = maps.get(aoi_id) if isinstance(aoi_id, str) else None
        stats = raster = None
        if level == "plot":  # a polygon from the policy file, drawn on the area's grid
            ids = np.arange(1, len(part) + 1, dtype=np.int64)
            if area_maps is not None:
                raster = geometry_plots(area_maps, [bytes(g) for g in part["geometry_wkb"]])
                stats = plot_stats(area_maps, "plot", ids, plots=raster)
        else:
            column = "parcel_id" if level == "fine" else "coarse_id"
            ids = part[column].fillna(0).astype(np.int64).to_numpy()
            if area_maps is not None:
                raster = area_maps.fine_plots if level == "fine" else area_maps.coarse_plots
                stats = plot_stats(area_maps, level, ids)
        curves = _curves(area_maps, raster, ids, part["declared_crop"].astype(str).to_numpy())
        for j, idx in enumerate(part.index):
            pos = policies.index.get_loc(idx)
            out[pos] = (
                *plot_checks(
                    area_maps,
                    level=level,
                    declared_crop=str(part.at[idx, "declared_crop"]),
                    declared_ha=float(part.at[idx, "declared_area_ha"]),
                    pixels=int(stats.pixels[j]) if stats else 0,
                    cropped=None
                    if stats is None or stats.cropped is None
                    else int(stats.cropped[j]),
                    votes=None if stats is None or stats.votes is None else stats.votes[j],
                ),
                curves[j],
            )
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
        rows = ndvi_curves(maps.rgb_series, maps.dates, raster, ids[sel], mask)
        for k, j in enumerate(sel):
            if ids[j] > 0:
                out[j] = NdviCurve(tuple(maps.dates), rows[k], rows[-1], words, None)
    return out
