"""A policy's plot on a small map: season imagery, PAII's crop map and the plot outline."""

from __future__ import annotations

import base64
import html
import io as _io
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pydeck as pdk
from affine import Affine
from numpy.typing import NDArray
from PIL import Image
from rasterio.warp import transform_bounds

from paii_core import maps as deck_maps
from paii_core.crops.labelling import rgb_data_url
from paii_core.crops.rollups import parcel_polygons
from paii_core.crops.view import crop_colour
from paii_core.errors import ValidationError
from paii_core.insurance.area import AreaMaps, geometry_plots

__all__ = ["MARGIN_PX", "crop_legend_html", "plot_mask", "policy_deck"]

MARGIN_PX = 12
"""Pixels of surroundings shown around a plot, at least."""


def plot_mask(maps: AreaMaps, policy: Mapping[str, Any]) -> NDArray[np.bool_]:
    """(H, W) bool: the insured plot of ``policy`` (its parcel, its whole block, or its
    polygon from the policy file).

    Raises:
        ValidationError: the policy's plot is not on the area's grid.
    """
    if policy.get("level") == "plot":
        wkb = policy.get("geometry_wkb")
        mask = geometry_plots(maps, [bytes(wkb)]) > 0 if wkb is not None else None
        if mask is None or not mask.any():
            raise ValidationError(
                f"policy {policy.get('policy_id')}: its plot is not on the grid of {maps.aoi_id}"
            )
        return mask
    fine = policy.get("level") == "fine"
    key = policy.get("parcel_id" if fine else "coarse_id")
    ident = 0 if key is None or pd.isna(key) else int(key)
    mask = (maps.fine_plots if fine else maps.coarse_plots) == ident
    if ident <= 0 or not mask.any():
        raise ValidationError(
            f"policy {policy.get('policy_id')}: its plot is not on the grid of {maps.aoi_id}"
        )
    return mask


def _crop_png(label_map: NDArray, classes: list[str]) -> str:
    palette = np.array([(*crop_colour(c), 150) for c in classes], np.uint8)
    rgba = np.zeros((*label_map.shape, 4), np.uint8)
    ok = label_map >= 0
    rgba[ok] = palette[label_map[ok]]
    buf = _io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def policy_deck(maps: AreaMaps, policy: Mapping[str, Any], *, height_px: int = 360) -> pdk.Deck:
    """A deck zoomed on the policy's plot: the season's true-colour composite, PAII's crop
    map (when there is one, in :func:`crop_colour`) and the plot outlined in red, on the
    offline blank style.

    Raises:
        ValidationError: the policy's plot is not on the area's grid.
    """
    mask = plot_mask(maps, policy)
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    pad = max(MARGIN_PX, (rows[-1] - rows[0] + cols[-1] - cols[0]) // 4)
    r0, c0 = max(rows[0] - pad, 0), max(cols[0] - pad, 0)
    r1, c1 = min(rows[-1] + pad + 1, mask.shape[0]), min(cols[-1] + pad + 1, mask.shape[1])
    window = maps.transform @ Affine.translation(c0, r0)
    left, top = window @ (0, 0)
    right, bottom = window @ (c1 - c0, r1 - r0)
    west, south, east, north = transform_bounds(
        maps.crs,
        "EPSG:4326",
        min(left, right),
        min(bottom, top),
        max(left, right),
        max(bottom, top),
    )
    bounds = [west, south, east, north]
    layers = []
    if maps.rgb_series is not None:
        image = rgb_data_url(maps.rgb_series[:, :, r0:r1, c0:c1])
        layers.append(
            pdk.Layer("BitmapLayer", id="imagery", image=pdk.types.String(image), bounds=bounds)
        )
    if maps.crop_map is not None:
        crops = _crop_png(maps.crop_map.label_map[r0:r1, c0:c1], maps.crop_map.classes)
        layers.append(
            pdk.Layer("BitmapLayer", id="crop-map", image=pdk.types.String(crops), bounds=bounds)
        )
    outline = parcel_polygons(
        mask.astype(np.int32),
        np.zeros(mask.shape, np.int32),
        transform=maps.transform,
        crs=maps.crs,
    )
    layers.append(
        pdk.Layer(
            "GeoJsonLayer",
            id="plot",
            data=outline.__geo_interface__,
            get_fill_color=[255, 255, 255, 30],
            get_line_color=[220, 20, 60, 255],
            line_width_min_pixels=3,
        )
    )
    view = deck_maps.view_for_bounds(west, south, east, north, height_px=height_px)
    return deck_maps.CompactDeck(
        layers=layers, initial_view_state=view, map_style=deck_maps.BLANK_STYLE, map_provider=None
    )


def crop_legend_html(maps: AreaMaps) -> str:
    """A one-line HTML legend of the crop map's colours, crop names escaped; empty
    without a crop map."""
    if maps.crop_map is None:
        return ""
    items = []
    for crop in maps.crop_map.classes:
        r, g, b = crop_colour(crop)
        swatch = f"display:inline-block;width:12px;height:12px;background:rgb({r},{g},{b})"
        # crop names are free text (Crop labels: "another crop..."), drawn as raw HTML
        items.append(f"<span style='{swatch}'></span>&nbsp;{html.escape(crop)}")
    return "<div style='font-size:0.85rem'>" + " &nbsp; ".join(items) + "</div>"
