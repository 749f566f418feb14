"""County choropleths as Vega-Lite specs: polygons drawn on a 2D canvas, no WebGL.

The county overview maps (Home, Yield, Carbon, Flood's county figures) have no basemap and
only county polygons. Drawn with deck.gl they cost each browser a WebGL context, shader
compilation and a software rasteriser where there is no GPU (headless, virtual desktops):
about 4-5 s of the browser's main thread per visit on this machine under load, against
0.2-0.3 s for the same polygons as a Vega-Lite ``geoshape`` on a canvas (measured with
bench/pages). Maps with imagery under them (Flood extent, Insurance parcels, Crop labels)
stay on deck.gl, where panning and zooming over the pixels matter.

The features are those of :func:`paii_core.maps.county_features` (colours and tooltip text
are properties computed once, server side); the spec names each layer, like the deck's
layer ids, so tests and pages can find one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from paii_core.maps import MISSING_RGBA

__all__ = ["MapLayer", "choropleth_chart", "css_colour"]

OUTLINE = "rgba(60,60,60,0.63)"
"""County outlines: the deck maps' [60, 60, 60, 160]."""


def css_colour(rgba: Sequence[int]) -> str:
    """An RGBA row (0-255 each) as a CSS colour Vega draws as given."""
    r, g, b, a = (int(c) for c in rgba)
    return f"rgba({r},{g},{b},{round(a / 255, 3)})"


@dataclass(frozen=True)
class MapLayer:
    """County features drawn one way: each filled with its ``properties.fill`` RGBA (or
    ``fill`` for all of them), outlined with ``stroke``."""

    name: str
    features: list[dict]
    fill: str | None = None
    opacity: float = 1.0
    stroke: str = OUTLINE
    stroke_width: float = 0.5
    extra: dict = field(default_factory=dict)


def _values(layer: MapLayer) -> list[dict]:
    # New feature and property dicts: the geometries are shared (maps._geojson caches them).
    out = []
    for f in layer.features:
        props = dict(f["properties"])
        if layer.fill is None:
            props["colour"] = css_colour(props["fill"])
        out.append({"type": "Feature", "geometry": f["geometry"], "properties": props})
    return out


def _layer(layer: MapLayer) -> dict:
    metric = next((f["properties"].get("metric") for f in layer.features), None) or "Value"
    mark = {
        "type": "geoshape",
        "stroke": layer.stroke,
        "strokeWidth": layer.stroke_width,
        "fillOpacity": layer.opacity,
        **({"fill": layer.fill} if layer.fill else {}),
        **layer.extra,
    }
    encoding: dict = {
        "tooltip": [
            {"field": "properties.name", "type": "nominal", "title": "County"},
            {"field": "properties.county_id", "type": "nominal", "title": "ID"},
            {"field": "properties.value_text", "type": "nominal", "title": metric},
        ]
    }
    if layer.fill is None:
        encoding["color"] = {
            "field": "properties.colour",
            "type": "nominal",
            "scale": None,
            "legend": None,
        }
    return {"name": layer.name, "data": {"values": _values(layer)}, "mark": mark,
            "encoding": encoding}  # fmt: skip


def choropleth_chart(
    valued: list[dict],
    missing: list[dict],
    *,
    height_px: int = 560,
    layer_id: str = "counties",
    extra_layers: Sequence[MapLayer] = (),
) -> dict:
    """A Vega-Lite spec of a county choropleth (for ``st.vega_lite_chart``): counties
    without a value grey at the bottom (layer ``<layer_id>-missing``), the valued ones in
    their colour (``<layer_id>``), then ``extra_layers``; Mercator, fitted to all of them;
    a tooltip with county, id and value."""
    layers = [
        MapLayer(f"{layer_id}-missing", missing, fill=css_colour(MISSING_RGBA)),
        MapLayer(layer_id, valued),
        *extra_layers,
    ]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "height": height_px,
        "width": "container",
        "projection": {"type": "mercator"},
        "layer": [_layer(la) for la in layers],
        "config": {"view": {"stroke": None}},
        # Always a canvas (Streamlit picks SVG for small data): one element, not a DOM
        # node per county, and the same drawing whatever the region's size.
        "usermeta": {"embedOptions": {"renderer": "canvas"}},
    }
