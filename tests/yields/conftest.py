"""A small simulated county panel (seed 11, squares near Wuhan) shared by the yield tests."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from paii_core.demo.panels import CountyPanel, simulate_county_panel


def square_counties(n_side: int, lon0: float, lat0: float, size: float = 0.25) -> gpd.GeoDataFrame:
    """n_side x n_side square counties of ``size`` degrees from (lon0, lat0)."""
    rows = [
        (
            f"42{i:02d}{j:02d}",
            f"county {i}-{j}",
            box(lon0 + i * size, lat0 + j * size, lon0 + (i + 1) * size, lat0 + (j + 1) * size),
        )
        for i in range(n_side)
        for j in range(n_side)
    ]
    return gpd.GeoDataFrame(rows, columns=["county_id", "name", "geometry"], crs=4326)


@pytest.fixture(scope="session")
def small_panel() -> CountyPanel:
    """25 counties x 12 seasons of Hubei rice, never the demo (0) or test (7) seed."""
    return simulate_county_panel(
        square_counties(5, 112.5, 29.8), "hubei", range(2009, 2021), np.random.default_rng(11)
    )
