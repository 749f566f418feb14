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
