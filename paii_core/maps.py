"""pydeck layers shared by pages: county choropleths on an offline blank basemap."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pydeck as pdk
import shapely
from pydeck.bindings.json_tools import default_serialize

__all__ = [
    "BLANK_STYLE",
    "COORD_GRID_DEG",
    "MISSING_RGBA",
    "CompactDeck",
    "Legend",
    "colour_scale",
    "county_features",
    "view_for_bounds",
]

BLANK_STYLE = "/app/static/blank_style.json"
"""A background-only MapLibre style served by Streamlit's static serving: no tiles, so
no request leaves the machine."""

MISSING_RGBA = (190, 190, 190, 140)
COORD_GRID_DEG = 1e-5
"""Map coordinates are snapped to this grid (about 1 m): finer digits only lengthen the
JSON sent to every browser on every page load."""


class CompactDeck(pdk.Deck):
    """A pydeck Deck whose JSON has no indentation. pydeck writes ``indent=2``, which puts
    every coordinate on its own indented line: a county map's spec grows about four
    times (1.6 MB instead of 0.3 MB for Henan's 157 counties), and the dashboard sends
    and the browser parses it on every page load."""

    def to_json(self) -> str:
        return json.dumps(self, default=default_serialize, separators=(",", ":"))


# Perceptually ordered sequential ramp (light yellow-green to dark green-blue), sampled
# from the ColorBrewer YlGnBu scheme (Brewer, 2003); diverging ramp from RdBu.
_SEQUENTIAL = np.array(
    [
        [255, 255, 217],
        [199, 233, 180],
        [127, 205, 187],
        [65, 182, 196],
        [29, 145, 192],
        [34, 94, 168],
        [12, 44, 132],
    ],
    dtype=float,
)
_DIVERGING = np.array(
    [
        [178, 24, 43],
        [239, 138, 98],
        [253, 219, 199],
        [247, 247, 247],
        [209, 229, 240],
        [103, 169, 207],
        [33, 102, 172],
    ],
    dtype=float,
)


@dataclass(frozen=True)
class Legend:
    """What a page needs to draw a colour bar: value range, unit and colour stops."""

    label: str
    unit: str
    vmin: float
    vmax: float
    stops: tuple[str, ...]
    """Hex colours from vmin to vmax."""


def _ramp(diverging: bool, high_is_bad: bool) -> np.ndarray:
    if not diverging:
        return _SEQUENTIAL
    return _DIVERGING[::-1] if high_is_bad else _DIVERGING


def colour_scale(
    values: np.ndarray,
    *,
    diverging: bool = False,
    alpha: int = 200,
    value_range: tuple[float, float] | None = None,
    high_is_bad: bool = False,
) -> tuple[np.ndarray, float, float]:
    """Map ``values`` to RGBA rows (N, 4) uint8; NaN rows get :data:`MISSING_RGBA`.

    The range is ``value_range`` (so several layers can share one scale), else the
    2nd..98th percentile so one outlier county does not wash out the map; a diverging
    scale is centred on zero, blue for high values, or red with ``high_is_bad`` (a CO2
    excess). Returns (rgba, vmin, vmax); vmin == vmax when every value is one and the same
    (one county with a figure): each is coloured as the low end, and no span is invented.
    """
    values = np.asarray(values, dtype=float)
    rgba = np.tile(np.array(MISSING_RGBA, dtype=np.uint8), (values.size, 1))
    finite = np.isfinite(values)
    if not finite.any():
        return rgba, float("nan"), float("nan")
    if value_range is not None:
        lo, hi = (float(v) for v in value_range)
    else:
        lo, hi = np.percentile(values[finite], [2, 98])
    if diverging:
        hi = max(abs(lo), abs(hi)) or 1.0
        lo = -hi
    one_value = bool(hi <= lo)
    ramp = _ramp(diverging, high_is_bad)
    pos = np.clip((values[finite] - lo) / (1.0 if one_value else hi - lo), 0, 1) * (len(ramp) - 1)
    i = np.minimum(pos.astype(int), len(ramp) - 2)
    frac = (pos - i)[:, None]
    rgb = ramp[i] * (1 - frac) + ramp[i + 1] * frac
    rgba[finite, :3] = np.round(rgb).astype(np.uint8)
    rgba[finite, 3] = alpha
    return rgba, float(lo), float(lo if one_value else hi)


def _hex(rgb: Sequence[float]) -> str:
    return "#" + "".join(f"{round(float(c)):02x}" for c in rgb[:3])


@functools.lru_cache(maxsize=8192)
def _geojson(wkb: bytes, simplify_deg: float) -> dict:
    """A county's GeoJSON geometry, simplified and snapped to :data:`COORD_GRID_DEG`,
    computed once per process (county outlines do not change between page visits; the
    dict is shared, so callers must not modify it)."""
    geom = shapely.from_wkb(wkb)
    if simplify_deg > 0:
        geom = shapely.simplify(geom, simplify_deg, preserve_topology=True)
    return shapely.geometry.mapping(shapely.set_precision(geom, COORD_GRID_DEG))


def county_features(
    frame: pd.DataFrame,
    *,
    value_column: str = "value",
    label: str,
    unit: str,
    diverging: bool = False,
    decimals: int = 2,
    simplify_deg: float = 0.002,
    value_range: tuple[float, float] | None = None,
    high_is_bad: bool = False,
) -> tuple[list[dict], list[dict], Legend]:
    """GeoJSON features for counties with a value and for those without.

    ``frame`` has county_id, name, geometry_wkb and ``value_column``. Colours and the
    tooltip text are computed here as properties, so the layer only reads them;
    ``value_range`` and ``high_is_bad`` as :func:`colour_scale`.
    Returns (valued features, missing features, legend).
    """
    values = frame[value_column].to_numpy(dtype=float)
    rgba, vmin, vmax = colour_scale(
        values, diverging=diverging, value_range=value_range, high_is_bad=high_is_bad
    )
    geoms = [_geojson(bytes(b), simplify_deg) for b in frame["geometry_wkb"]]
    valued, missing = [], []
    for row, geom, colour, value in zip(
        frame.itertuples(index=False), geoms, rgba, values, strict=True
    ):
        has = bool(np.isfinite(value))
        text = f"{value:,.{decimals}f} {unit}".strip() if has else "no data"
        feature = {
            "type": "Feature",
            "geometry": geom,
            "properties": {
                "county_id": row.county_id,
                "name": row.name,
                "value_text": text,
                "metric": label,
                "fill": [int(c) for c in colour],
            },
        }
        (valued if has else missing).append(feature)
    ramp = _ramp(diverging, high_is_bad)
    if vmin == vmax:  # one value: its one colour, not a ramp to a value no county has
        ramp = ramp[:1]
    legend = Legend(label, unit, vmin, vmax, tuple(_hex(c) for c in ramp))
    return valued, missing, legend


def view_for_bounds(
    west: float,
    south: float,
    east: float,
    north: float,
    *,
    width_px: int = 800,
    height_px: int = 560,
) -> pdk.ViewState:
    """A view that fits a lon/lat box into a map of ``width_px`` x ``height_px``.

    Web Mercator: at zoom z the world is 512 * 2**z pixels wide, and a degree of latitude
    is 1/cos(lat) times longer on screen than a degree of longitude.
    """
    lat = np.radians((south + north) / 2)
    span_x = max(east - west, 1e-6)
    span_y = max((north - south) / np.cos(lat), 1e-6)
    pixels_per_degree = min(0.9 * width_px / span_x, 0.9 * height_px / span_y)
    zoom = float(np.clip(np.log2(pixels_per_degree * 360.0 / 512.0), 1, 18))
    return pdk.ViewState(
        longitude=(west + east) / 2, latitude=(south + north) / 2, zoom=zoom, pitch=0, bearing=0
    )
