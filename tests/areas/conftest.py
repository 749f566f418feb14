"""A non-demo region (Kansas counties) in a fresh store, and a season of generated items."""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from paii_core import store
from paii_core.config import REPO_ROOT

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "io"))
import make_s2_items as items

KANSAS_COUNTIES = ("20079", "20155", "20173")  # Harvey, Reno, Sedgwick


def add_kansas(con) -> None:
    """Region 'kansas' with three real counties (US Census, data/boundaries), written the
    way a region enters the store (regions + counties rows)."""
    gdf = gpd.read_parquet(REPO_ROOT / "data" / "boundaries" / "us_counties_all.parquet")
    gdf = gdf[gdf["county_id"].isin(KANSAS_COUNTIES)]
    centre = gdf.geometry.representative_point()
    store.write_frame(
        con,
        "regions",
        pd.DataFrame(
            [
                {
                    "region_id": "kansas",
                    "name": "Kansas (US)",
                    "country": "US",
                    "utm_epsg": 32614,
                    "yield_unit": "bu/acre",
                }
            ]
        ),
    )
    store.write_frame(
        con,
        "counties",
        pd.DataFrame(
            {
                "county_id": gdf["county_id"].astype(str),
                "region_id": "kansas",
                "name": gdf["name"],
                "parent": "Kansas",
                "area_km2": gdf.to_crs("EPSG:6933").area / 1e6,
                "centroid_lon": centre.x,
                "centroid_lat": centre.y,
                "geometry_wkb": shapely.to_wkb(gdf.geometry.to_numpy()),
            }
        ),
    )


@pytest.fixture
def kansas_store(tmp_path, monkeypatch):
    """(connection, data dir) of a fresh store holding only the Kansas region."""
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("PAII_DATA_DIR", str(data))
    con = store.connect(data / "paii.duckdb")
    add_kansas(con)
    yield con, data
    con.close()


@pytest.fixture(scope="session")
def season_items(tmp_path_factory) -> dict[str, list[Path]]:
    """The generated season in every form: a STAC catalog of all dates, and the same dates
    spread over a stack, band folders and L2A / L1C SAFEs (one zipped)."""
    root = tmp_path_factory.mktemp("s2-items")
    days = items.SEASON
    mixed: list[Path] = []
    for i, day in enumerate(days):
        if i % 4 == 0:
            mixed.append(items.write_stack(root / f"S2_{day:%Y%m%d}_L2A.tif", day,
                                           names=("B02", "B03", "B04", "B08", "SCL")))  # fmt: skip
        elif i % 4 == 1:
            mixed.append(items.write_band_folder(root / f"bands_{day:%Y%m%d}", day))
        elif i % 4 == 2:
            mixed.append(items.write_safe(root, day, level="L2A"))
        elif i == 7:  # as downloaded: zipped
            mixed.append(items.zip_safe(items.write_safe(root, day, level="L1C")))
        else:
            mixed.append(items.write_safe(root, day, level="L1C"))
    catalog = items.write_stac(root / "stac", days)
    return {"stac": [catalog], "mixed": mixed}
