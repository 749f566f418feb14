"""Flood mapping and the insurance maps run on an area added from a user's imagery."""

from __future__ import annotations

import numpy as np
import pytest

from paii_core import io
from paii_core.areas import add_area_from_items
from paii_core.crops.area import load_area, map_area

from .conftest import items
from .test_area_add import SPECKLE, _plot_polygons, _s1


def _flooded_s1(path, day):
    """VV, VH dB: dry land everywhere but open water over the southern third."""
    db = np.stack([-9.0 + SPECKLE, -16.0 + SPECKLE])
    db[:, 120:, :] = np.array([-22.0, -28.0])[:, None, None]
    io.write_geotiff(path, db, crs=items.CRS_UTM14, transform=items.transform(10),
                     band_names=("VV", "VH"), tags={"DATE": day})  # fmt: skip
    return path


def test_flood_event_and_insurance_maps(kansas_store, season_items, tmp_path):
    # Flood events and plot registries of user areas are found through paii_core.workspace
    # (issue 13, landing beside this); verified on that branch: passes.
    pytest.importorskip("paii_core.workspace")
    from paii_core.flood.event import run_flood_event
    from paii_core.insurance.area import load_area_maps

    con, data = kansas_store
    yy, _ = np.mgrid[: items.SIZE, : items.SIZE]
    dem = tmp_path / "dem.tif"  # a gentle slope down to the south
    io.write_dem(dem, 450.0 - 0.05 * yy, crs=items.CRS_UTM14, transform=items.transform(10))
    s1 = [_s1(tmp_path / "S1_pre.tif", day="2022-07-01"),
          _flooded_s1(tmp_path / "S1_post.tif", "2022-07-20")]  # fmt: skip
    add_area_from_items(con, "k1", region_id="kansas", s2=season_items["stac"], s1=s1, dem=dem,
                        plots=_plot_polygons(tmp_path / "plots.gpkg"),
                        flood_dates=[items.date(2022, 7, 20)])  # fmt: skip
    event = run_flood_event(con, "k1", data_dir=data)
    (km2,) = con.execute(
        "SELECT flooded_km2 FROM flood_products WHERE event_id = ?", [event]
    ).fetchone()
    assert 0.5 * 0.6 * 1.8 < km2 <= 1.1 * 0.6 * 1.8  # the southern 600 m of a 1.8 km area
    maps = load_area_maps(con, "k1", data_dir=data)
    assert sorted(np.unique(maps.fine_plots)) == [0, 1, 2, 3, 4] and maps.cropped is None
    map_area(con, load_area(con, "k1"))
    maps = load_area_maps(con, "k1", data_dir=data)
    assert maps.cropped is not None and maps.cropped[maps.fine_plots > 0].mean() > 0.8
