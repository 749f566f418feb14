"""Map colours: percentile and shared ranges, diverging scales and their direction, NaN."""

from __future__ import annotations

import numpy as np

from paii_core.maps import MISSING_RGBA, colour_scale


def test_diverging_scale_is_centred_and_blue_for_high_unless_high_is_bad():
    values = np.array([-2.0, 0.0, 2.0, np.nan])
    rgba, lo, hi = colour_scale(values, diverging=True, value_range=(-2.0, 2.0))
    assert (lo, hi) == (-2.0, 2.0)
    assert rgba[2, 2] > rgba[2, 0] and rgba[0, 0] > rgba[0, 2]  # high blue, low red
    flipped, _, _ = colour_scale(values, diverging=True, value_range=(-2, 2), high_is_bad=True)
    assert flipped[2, 0] > flipped[2, 2] and flipped[0, 2] > flipped[0, 0]  # high red
    assert tuple(rgba[3]) == tuple(MISSING_RGBA)


def test_a_shared_range_gives_equal_values_equal_colours():
    a, _, _ = colour_scale(np.array([1.0, 5.0]), value_range=(0.0, 10.0))
    b, _, _ = colour_scale(np.array([5.0, 9.0]), value_range=(0.0, 10.0))
    assert np.array_equal(a[1], b[0])
    c, _, _ = colour_scale(np.array([5.0, 9.0]))  # own percentile range: 5 is its low end
    assert not np.array_equal(a[1], c[0])


def test_county_map_json_is_compact_snapped_and_the_same_spec():
    import json

    import pandas as pd
    import pydeck as pdk
    import shapely

    from paii_core.maps import (
        BLANK_STYLE,
        COORD_GRID_DEG,
        CompactDeck,
        county_features,
        view_for_bounds,
    )

    square = shapely.Polygon([(113.123456789, 34.1), (113.5, 34.1), (113.5, 34.4), (113.1, 34.4)])
    frame = pd.DataFrame(
        {"county_id": ["410101"], "name": ["A"], "value": [1.5], "geometry_wkb": [square.wkb]}
    )
    valued, missing, _ = county_features(frame, label="x", unit="t/ha")
    layers = [
        pdk.Layer("GeoJsonLayer", id=lid, data={"type": "FeatureCollection", "features": f})
        for lid, f in (("missing", missing), ("counties", valued))
    ]
    deck = CompactDeck(
        layers=layers, initial_view_state=view_for_bounds(113, 34, 114, 35),
        map_style=BLANK_STYLE, map_provider=None,
    )  # fmt: skip
    text = deck.to_json()
    assert "\n" not in text and ": " not in text  # pydeck's own JSON is indented
    spec = json.loads(text)
    assert spec == json.loads(pdk.Deck.to_json(deck))  # the same spec as pydeck's own
    ring = spec["layers"][1]["data"]["features"][0]["geometry"]["coordinates"][0]
    assert all(
        abs(c / COORD_GRID_DEG - round(c / COORD_GRID_DEG)) < 1e-6 for xy in ring for c in xy
    )
    assert any(abs(x - 113.12346) < 1e-9 for x, _ in ring)


def test_one_value_gets_one_colour_and_a_legend_of_that_value():
    """QA session 18: a region of one county (11.8 km² flooded) had a legend from 11.8 to
    12.8, a span no county has."""
    import pandas as pd
    import shapely
    from streamlit.testing.v1 import AppTest

    from paii_core.maps import county_features

    rgba, lo, hi = colour_scale(np.array([11.8, np.nan, 11.8]))
    assert (lo, hi) == (11.8, 11.8) and np.array_equal(rgba[0], rgba[2])
    square = shapely.to_wkb(shapely.box(0, 0, 1, 1))
    frame = pd.DataFrame(
        {"county_id": ["1"], "name": ["One"], "geometry_wkb": [square], "value": [11.8]}
    )
    valued, _, legend = county_features(frame, label="Flooded", unit="km²")
    assert (legend.vmin, legend.vmax) == (11.8, 11.8) and len(legend.stops) == 1
    fill = valued[0]["properties"]["fill"][:3]
    assert legend.stops[0] == "#" + "".join(f"{c:02x}" for c in fill)

    def page(vmin: float, vmax: float, stops: tuple[str, ...]) -> None:
        from ui.common import legend as draw

        draw("Flooded", "km²", vmin, vmax, stops)

    at = AppTest.from_function(
        page, args=(legend.vmin, legend.vmax, legend.stops), default_timeout=60
    ).run()
    text = at.markdown[0].value
    assert "11.8: every county with a figure" in text and "12.8" not in text
