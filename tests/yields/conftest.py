"""Shared by the yield tests: a small simulated county panel (seed 11, squares near Wuhan)
and a store with a region of real counties to import yields into."""

from __future__ import annotations

import shutil

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from paii_core import store
from paii_core.demo.panels import CountyPanel, simulate_county_panel
from tests.conftest import REPO

ARKANSAS = ("05001", "05111", "05085")


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


@pytest.fixture()
def con(tiny_world, tmp_path):
    """A copy of the tiny world's store (Henan in kg/mu, Iowa in bu/acre, with real county
    names) with an Arkansas region (bu/acre, three real counties) beside them."""
    for name in ("paii.duckdb", "paii.duckdb.wal"):
        if (tiny_world / name).exists():
            shutil.copy(tiny_world / name, tmp_path / name)
    connection = store.connect(tmp_path / "paii.duckdb")
    region = {"region_id": "arkansas", "name": "Arkansas (US)", "country": "US"}
    store.write_frame(
        connection,
        "regions",
        pd.DataFrame([{**region, "utm_epsg": 32615, "yield_unit": "bu/acre"}]),
    )
    gdf = gpd.read_parquet(REPO / "data" / "boundaries" / "us_counties_all.parquet")
    gdf = gdf[gdf["county_id"].isin(ARKANSAS)].reset_index(drop=True)  # real US Census outlines
    centre = gdf.geometry.representative_point()
    counties = pd.DataFrame(
        {
            "county_id": gdf["county_id"].astype(str),
            "region_id": "arkansas",
            "name": gdf["name"],
            "parent": "Arkansas",
            "area_km2": gdf.to_crs("EPSG:6933").area / 1e6,
            "centroid_lon": centre.x,
            "centroid_lat": centre.y,
            "geometry_wkb": shapely.to_wkb(gdf.geometry.to_numpy()),
        }
    )
    store.write_frame(connection, "counties", counties)
    yield connection
    connection.close()
