"""A copy of the tiny demo world with one more region, a user's, that has no area yet."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import geopandas as gpd
import pytest

from paii_core import store, workspace
from tests.conftest import REPO


def world_with_new_region(
    tiny_world: Path,
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    region_id: str,
    county_ids: list[str],
) -> None:
    """Make ``folder`` the data folder: the tiny world's store copied (the shared world
    stays as it is), its demo files linked, and region ``region_id`` added from real US
    counties ``county_ids`` the way `paii region add` adds one."""
    for name in ("paii.duckdb", "paii.duckdb.wal"):
        if (tiny_world / name).exists():
            shutil.copy(tiny_world / name, folder / name)
    (folder / "demo").symlink_to(tiny_world / "demo")
    counties = gpd.read_parquet(REPO / "data" / "boundaries" / "us_counties_all.parquet")
    path = folder / f"{region_id}.geojson"
    counties[counties["county_id"].isin(county_ids)].to_file(path)
    con = store.connect(folder / "paii.duckdb")
    workspace.add_region(con, region_id, path, country="US", yield_unit="bu/acre")
    con.close()
    monkeypatch.setenv("PAII_DATA_DIR", str(folder))


SLOVENIA_L1C = REPO / "data" / "real" / "slovenia_s2_l1c_13band"
"""Five real Sentinel-2 L1C captures of one Slovenian km² (eo-learn; see its PROVENANCE)."""
SLOVENIA_DAYS = ("20150711", "20150731", "20150820", "20150830", "20150909")


def real_area_with_dates(folder: Path, monkeypatch: pytest.MonkeyPatch, days: list[str]) -> Path:
    """Make ``folder`` the data folder of a user with their own imagery only: region 'si',
    whose one "county" is the outline (convex hull) of the real Slovenian land-use register
    patch (data/real/slovenia_lulc_parcels: no Slovenian municipality boundary is stored
    here), and area 'si-patch' added by `paii area add` from the real L1C captures of
    ``days`` (YYYYMMDD of :data:`SLOVENIA_DAYS`; none: no area). Returns ``folder``."""
    from paii_core.areas import add_area_from_items

    lulc = gpd.read_file(REPO / "data" / "real" / "slovenia_lulc_parcels" / "LULC.gpkg")
    outline = gpd.GeoDataFrame(
        {"county_id": ["00001"], "name": ["RABA patch"]},
        geometry=[lulc.union_all().convex_hull],
        crs=lulc.crs,
    )
    outline.to_file(folder / "si.geojson")
    monkeypatch.setenv("PAII_DATA_DIR", str(folder))
    con = store.connect(folder / "paii.duckdb")
    try:
        workspace.add_region(con, "si", folder / "si.geojson", country="SI", yield_unit="t/ha",
                             name="Slovenia patch")  # fmt: skip
        if days:
            s2 = [SLOVENIA_L1C / f"S2_L1C_{day}_13band.tif" for day in days]
            add_area_from_items(con, "si-patch", region_id="si", s2=s2, data_dir=folder)
    finally:
        con.close()
    return folder


NIGERIA_CHIP = REPO / "data" / "real" / "sen1floods11_dev" / "Nigeria_812045_S1Hand.tif"
"""A real Sentinel-1 chip of the September 2018 Nigeria flood (Sen1Floods11 development
chip, EPSG:4326, VV/VH dB; see its PROVENANCE)."""
NIGERIA_DAY = "2018-09-21"
"""The date tagged on the test's copy: the chip carries none (Sen1Floods11's Nigeria event
is of September 2018; the test needs a date, not this exact one)."""


def nigeria_chip(folder: Path) -> Path:
    """A copy of :data:`NIGERIA_CHIP` in ``folder``, its date (:data:`NIGERIA_DAY`) in its
    name as a user would give it."""
    chip = folder / f"Nigeria_812045_S1_{NIGERIA_DAY.replace('-', '')}.tif"
    shutil.copy(NIGERIA_CHIP, chip)
    return chip


def real_sar_area(folder: Path, monkeypatch: pytest.MonkeyPatch, *, add: bool = True) -> Path:
    """Make ``folder`` the data folder of a claims analyst with one real Sentinel-1 scene
    and nothing else: region 'ng', whose one "county" is the chip's outline, and area
    'ng-chip' added by `paii area add` from the chip alone (no Sentinel-2, no DEM, no
    plots), its date marked as the flood (``add`` False: the region alone). Returns
    ``folder``."""
    import rasterio
    import shapely
    from rasterio.warp import transform_bounds

    from paii_core.areas import add_area_from_items

    chip = nigeria_chip(folder)
    with rasterio.open(NIGERIA_CHIP) as src:
        outline = shapely.box(*transform_bounds(src.crs, "EPSG:4326", *src.bounds))
    gpd.GeoDataFrame(
        {"county_id": ["00001"], "name": ["Nigeria chip"]}, geometry=[outline], crs="EPSG:4326"
    ).to_file(folder / "ng.geojson")
    monkeypatch.setenv("PAII_DATA_DIR", str(folder))
    con = store.connect(folder / "paii.duckdb")
    try:
        workspace.add_region(con, "ng", folder / "ng.geojson", country="NG", yield_unit="t/ha",
                             name="Nigeria chip")  # fmt: skip
        if add:
            flood = [date.fromisoformat(NIGERIA_DAY)]
            add_area_from_items(con, "ng-chip", region_id="ng", s2=[], s1=[chip],
                                data_dir=folder, flood_dates=flood)  # fmt: skip
    finally:
        con.close()
    return folder
