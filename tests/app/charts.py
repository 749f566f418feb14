"""Reading the county choropleths (Vega-Lite specs, paii_core.county_chart) an AppTest drew."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest


def county_maps(at: AppTest) -> list[dict[str, list[dict]]]:
    """Each county map the page drew, in order: layer name -> its GeoJSON features."""
    maps = []
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        if spec.get("projection", {}).get("type") != "mercator":
            continue
        maps.append({la["name"]: la["data"]["values"] for la in spec["layer"]})
    return maps
