"""A copy of the tiny demo world with one more region, a user's, that has no area yet."""

from __future__ import annotations

import shutil
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
