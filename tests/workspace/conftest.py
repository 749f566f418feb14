"""A real non-demo region (Alabama's counties) and a small area in Autauga County."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from affine import Affine

from paii_core import store, workspace
from paii_core.config import REPO_ROOT

AUTAUGA = "01001"
UTM16 = "EPSG:32616"
# A 20 x 20 px 10 m grid in Autauga County, AL (UTM 16N).
ORIGIN = (551000.0, 3598000.0)


@pytest.fixture(scope="session")
def alabama_file(tmp_path_factory) -> Path:
    """Alabama's counties as a shapefile whose FIPS ids are integers (leading zero lost)."""
    counties = gpd.read_parquet(REPO_ROOT / "data" / "boundaries" / "us_counties_all.parquet")
    al = counties[counties["county_id"].str.startswith("01")].copy()
    al = al.rename(columns={"county_id": "GEOID", "name": "NAMELSAD"})
    al["GEOID"] = al["GEOID"].astype(int)
    al = al.to_crs("EPSG:5070")  # a projected file: the reader must move it to EPSG:4326
    path = tmp_path_factory.mktemp("alabama") / "alabama.shp"
    al.to_file(path)
    return path


def write_raster(path: Path, bands: int = 4, *, origin=ORIGIN, size: int = 20, crs=UTM16) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    transform = Affine(10.0, 0, origin[0], 0, -10.0, origin[1])
    data = np.random.default_rng(0).random((bands, size, size)).astype("float32")
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=size,
        height=size,
        count=bands,
        dtype="float32",
        crs=crs,
        transform=transform,
    ) as dst:
        dst.write(data)
    return path


@pytest.fixture()
def con(tmp_path):
    c = store.connect(tmp_path / "paii.duckdb")
    yield c
    c.close()


@pytest.fixture()
def alabama(con, alabama_file):
    return workspace.add_region(
        con, "alabama", alabama_file, country="US", yield_unit="bu/acre", yield_crops=("corn",)
    )


@pytest.fixture()
def area_inputs(tmp_path) -> list[workspace.AreaInput]:
    folder = workspace.area_folder("autauga-1", tmp_path)
    s2 = [
        workspace.AreaInput(
            "s2_l2a", write_raster(folder / "s2" / f"S2_{d:%Y%m%d}.tif"), d, {"scl": None}
        )
        for d in (date(2023, 5, 1), date(2023, 6, 10))
    ]
    s1 = [
        workspace.AreaInput(
            "s1_grd", write_raster(folder / "s1" / f"S1_{d:%Y%m%d}.tif", 2), d, {"flood_event": f}
        )
        for d, f in ((date(2023, 5, 3), False), (date(2023, 6, 12), True))
    ]
    dem = workspace.AreaInput("dem", write_raster(folder / "dem" / "dem.tif", 1))
    return [*s2, *s1, dem]
