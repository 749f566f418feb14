"""`paii flood` on GeoTIFFs and its errors; the demo event mapped into the store."""

import json

import numpy as np
import pytest
from affine import Affine

from paii_core import io, store
from paii_core.cli import main
from paii_core.errors import InputFileError
from paii_core.flood import impact
from paii_core.flood.event import demo_flood_aois, run_demo_event
from paii_core.flood.files import map_flood_files
from paii_core.store import flood as flood_store


def _aoi(world):
    manifest = json.loads((world / "demo" / "MANIFEST.json").read_text())
    aoi = next(a for a in manifest["aois"] if a["aoi_id"] == "hubei-jianli")
    days = [s["date"].replace("-", "") for s in aoi["s1"] if s["flood_event"]]
    s1 = world / "demo" / "hubei-jianli" / "s1"
    return (
        s1 / f"S1_hubei-jianli_{days[2]}_sigma0.tif",
        world / "demo/hubei-jianli/dem/DEM_hubei-jianli.tif",
    )


def test_cli_writes_mask_and_depth(tiny_world, tmp_path, capsys):
    post, dem = _aoi(tiny_world)
    out = tmp_path / "flood.tif"
    assert main(["flood", "--post", str(post), "--dem", str(dem), str(out)]) == 0
    r = io.read_geotiff(out)
    assert r.band_names == ("flooded", "depth_m")
    assert np.nanmax(r.data[0]) == 1.0
    assert "Flooded" in capsys.readouterr().out


def test_dem_elsewhere_other_crs_or_empty_is_a_clear_error(tiny_world, tmp_path, capsys):
    post, dem_path = _aoi(tiny_world)
    dem = io.read_dem(dem_path)
    far = tmp_path / "far.tif"
    io.write_dem(
        far, dem.data[0], crs=dem.crs, transform=Affine.translation(5e5, 0) @ dem.transform
    )
    with pytest.raises(InputFileError, match="does not overlap"):
        map_flood_files(post, far)
    other = tmp_path / "other.tif"
    io.write_dem(other, dem.data[0], crs="EPSG:32650", transform=dem.transform)
    with pytest.raises(InputFileError, match="reproject-dem"):
        map_flood_files(post, other)
    assert main(["flood", "--post", str(post), "--dem", str(other), str(tmp_path / "o.tif")]) == 2
    assert "EPSG:32650" in capsys.readouterr().err
    empty = tmp_path / "empty.tif"
    io.write_dem(empty, np.full(dem.data[0].shape, np.nan), crs=dem.crs, transform=dem.transform)
    with pytest.raises(InputFileError, match="holds no data"):
        map_flood_files(post, empty)
    with pytest.raises(InputFileError, match="not on the grid"):
        map_flood_files(post, dem_path, pre_path=far_sar(tmp_path, post))


def far_sar(tmp_path, post):
    r = io.read_sentinel1(post)
    p = tmp_path / "shifted_s1.tif"
    io.write_sentinel1(
        p, r.data, crs=r.crs, transform=Affine.translation(10, 0) @ r.transform, date="2020-06-25"
    )
    return p


def test_demo_event_is_stored_with_impacts(tiny_world):
    assert demo_flood_aois(tiny_world) == ["hubei-jianli"]
    assert demo_flood_aois(tiny_world, "hubei") == ["hubei-jianli"]
    assert demo_flood_aois(tiny_world, "iowa") == []
    con = store.connect(tiny_world / "paii.duckdb")
    try:
        event_id = run_demo_event(con, tiny_world, "hubei-jianli")
        events = flood_store.events(con, "hubei")
        products = flood_store.event_frame(con, "flood_products", event_id)
        counties = flood_store.event_frame(con, "flood_county_impacts", event_id)
        hits = flood_store.event_frame(con, "flood_policy_impacts", event_id)
    finally:
        con.close()
    assert events["event_id"].tolist() == [event_id]
    assert len(products) == 5 and products["flooded_km2"].max() > 0
    assert (counties["cropland_flooded_km2"] <= counties["flooded_km2"] + 1e-9).all()
    assert hits["peak_flooded_share"].between(0, 1).all()


def test_days_flooded_and_impact_errors():
    from datetime import date

    days = [date(2020, 7, 1), date(2020, 7, 13), date(2020, 7, 25)]
    got = impact.days_flooded(np.array([[True, True, False]]), days)
    assert got[0] == pytest.approx(24.0)
    with pytest.raises(Exception, match="one plane per date"):
        impact.county_totals(
            np.zeros((2, 4, 4)), days, county_id="1", cropland=np.zeros((4, 4)), pixel_size_m=10
        )
    with pytest.raises(Exception, match="increasing order"):
        impact.county_totals(
            np.zeros((3, 4, 4)),
            days[::-1],
            county_id="1",
            cropland=np.zeros((4, 4)),
            pixel_size_m=10,
        )
    with pytest.raises(Exception, match="cropland"):
        impact.county_totals(
            np.zeros((3, 4, 4)), days, county_id="1", cropland=np.zeros((5, 4)), pixel_size_m=10
        )


def test_unknown_flood_table_is_an_error(tiny_world):
    con = store.connect(tiny_world / "paii.duckdb")
    try:
        with pytest.raises(Exception, match="not a flood table"):
            flood_store.event_frame(con, "policies", "x")
    finally:
        con.close()
