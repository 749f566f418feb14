"""County choropleths as Vega-Lite specs: layers, colours, tooltips, shared geometries."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import shapely

from paii_core.county_chart import MapLayer, choropleth_chart, css_colour
from paii_core.maps import MISSING_RGBA, county_features


def _frame() -> pd.DataFrame:
    squares = [shapely.box(113 + i, 34, 113.9 + i, 34.9) for i in range(3)]
    return pd.DataFrame(
        {
            "county_id": ["410101", "410102", "410103"],
            "name": ["A", "B", "C"],
            "value": [1.0, 5.0, np.nan],
            "geometry_wkb": [g.wkb for g in squares],
        }
    )


def test_css_colour_keeps_the_rgba_alpha_as_a_fraction():
    assert css_colour((255, 0, 10, 255)) == "rgba(255,0,10,1.0)"
    assert css_colour(MISSING_RGBA) == "rgba(190,190,190,0.549)"


def test_chart_has_missing_valued_and_extra_layers_in_drawing_order():
    valued, missing, _ = county_features(_frame(), label="Yield", unit="t/ha", decimals=1)
    extra = MapLayer("counties-interpolated", valued[:1], opacity=0.55, stroke="white")
    spec = choropleth_chart(valued, missing, height_px=400, extra_layers=[extra])
    json.dumps(spec)  # plain JSON, as Streamlit sends it
    assert spec["projection"] == {"type": "mercator"} and spec["height"] == 400
    assert spec["usermeta"]["embedOptions"]["renderer"] == "canvas"
    names = [layer["name"] for layer in spec["layer"]]
    assert names == ["counties-missing", "counties", "counties-interpolated"]
    missing_layer, valued_layer, extra_layer = spec["layer"]
    assert [f["properties"]["name"] for f in missing_layer["data"]["values"]] == ["C"]
    assert missing_layer["mark"]["fill"] == css_colour(MISSING_RGBA)
    assert "color" not in missing_layer["encoding"]
    # Valued counties are drawn in the colour county_features computed (the legend's ramp).
    drawn = {
        f["properties"]["name"]: f["properties"]["colour"] for f in valued_layer["data"]["values"]
    }
    assert drawn == {f["properties"]["name"]: css_colour(f["properties"]["fill"]) for f in valued}
    assert drawn["A"] != drawn["B"]
    assert valued_layer["encoding"]["color"]["scale"] is None
    tooltip = valued_layer["encoding"]["tooltip"]
    assert [t["title"] for t in tooltip] == ["County", "ID", "Yield"]
    assert valued_layer["data"]["values"][0]["properties"]["value_text"] == "1.0 t/ha"
    assert extra_layer["mark"]["fillOpacity"] == 0.55 and extra_layer["mark"]["stroke"] == "white"


def test_chart_leaves_the_features_and_shared_geometries_unchanged():
    valued, missing, _ = county_features(_frame(), label="x", unit="")
    before = json.dumps(valued + missing, sort_keys=True)
    spec = choropleth_chart(valued, missing)
    assert json.dumps(valued + missing, sort_keys=True) == before
    assert "colour" not in valued[0]["properties"]
    # The geometry objects are shared (maps caches them per process), not copied.
    assert spec["layer"][1]["data"]["values"][0]["geometry"] is valued[0]["geometry"]


def test_empty_region_gives_a_chart_without_counties():
    spec = choropleth_chart([], [])
    assert [len(layer["data"]["values"]) for layer in spec["layer"]] == [0, 0]
