"""An area of one to three real Sentinel-2 dates: an area for the Imagery page, and every
season product (cropland, parcels, crop maps, insurance crop evidence) says what it lacks."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio

from paii_core import store
from paii_core.areas import add_area_from_items
from paii_core.cli import main
from paii_core.crops.area import load_area, map_area
from paii_core.crops.features import season_gap
from paii_core.enhance import area_scenes
from paii_core.errors import ValidationError
from paii_core.insurance import load_area_maps
from paii_core.workspace import get_area
from paii_core.workspace.inventory import region_data
from tests.app.regions import SLOVENIA_DAYS, SLOVENIA_L1C, real_area_with_dates

from .conftest import items


def test_one_real_capture_is_an_area_for_imagery_not_crop_maps(tmp_path, monkeypatch, capsys):
    real_area_with_dates(tmp_path, monkeypatch, ["20150731"])
    con = store.connect(tmp_path / "paii.duckdb")
    try:
        record = get_area(con, "si-patch")
        assert (record.n_dates, record.sensors, record.simulated) == (1, ("S2",), False)
        # said from the area's dates as they are when read, not stored at the add
        assert record.warnings == ()
        said_now = region_data(con, "si").warnings
        assert said_now == [season_gap("si-patch", "si", 1)]
        assert "Add 3 more Sentinel-2 dates of the same season" in said_now[0]
        scenes = area_scenes.area_scenes(con, "si-patch", data_dir=tmp_path)
        table = area_scenes.haze_table(scenes)
        assert [s.day.isoformat() for s in scenes] == ["2015-07-31"]
        assert np.isfinite(table["haze_index"]).all()  # the hazy date is there to dehaze
        area = load_area(con, "si-patch", tmp_path)
        assert area.series.shape[0] == 1
        assert map_area(con, area, data_dir=tmp_path, compute=False) is None
        said = r"has 1 Sentinel-2 date; cropland, parcels and crop maps need at least 4 .*Add 3"
        with pytest.raises(ValidationError, match=said):
            map_area(con, area, data_dir=tmp_path)
        maps = load_area_maps(con, "si-patch", data_dir=tmp_path)
        assert maps.cropped is None and maps.crop_map is None
        assert maps.note == season_gap("si-patch", "si", 1)
    finally:
        con.close()
    assert main(["crops", "map", "si-patch", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "paii: error: area si-patch has 1 Sentinel-2 date" in err
    assert "`paii area add si-patch --region si --s2 ITEM... --replace`" in err


def test_a_notice_stored_by_an_earlier_add_gives_way_to_the_count_now(tmp_path, monkeypatch):
    """Stores written before session 11 hold the add's too-few-dates notice, which named
    the count at the time of the add (QA session 10, "Left")."""
    real_area_with_dates(tmp_path, monkeypatch, ["20150731", "20150820"])
    con = store.connect(tmp_path / "paii.duckdb")
    try:
        old = season_gap("si-patch", "si", 3)  # as an add of three dates stored it
        con.execute("UPDATE areas SET warnings = [?, 'band order from descriptions'] "
                    "WHERE aoi_id = 'si-patch'", [old])  # fmt: skip
        said = region_data(con, "si").warnings
    finally:
        con.close()
    assert said == ["si-patch: band order from descriptions", season_gap("si-patch", "si", 2)]


def test_the_cli_adds_three_real_dates_and_says_one_more_is_needed(tmp_path, monkeypatch, capsys):
    real_area_with_dates(tmp_path, monkeypatch, [])
    s2 = [str(SLOVENIA_L1C / f"S2_L1C_{d}_13band.tif") for d in SLOVENIA_DAYS[:3]]
    assert main(["area", "add", "si-three", "--region", "si", "--s2", *s2, "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "3 Sentinel-2 dates 2015-07-11 .. 2015-08-20, 0 Sentinel-1" in out
    assert "warning: area si-three has 3 Sentinel-2 dates" in out
    assert "Add 1 more Sentinel-2 date of the same season" in out
    assert main(["area", "add", "si-four", "--region", "si", "--quiet", "--s2", *s2,
                 str(SLOVENIA_L1C / f"S2_L1C_{SLOVENIA_DAYS[3]}_13band.tif")]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "4 Sentinel-2 dates" in out and "more Sentinel-2 date" not in out


def test_one_date_said_in_the_singular(tmp_path, monkeypatch, capsys):
    real_area_with_dates(tmp_path, monkeypatch, [])
    one = str(SLOVENIA_L1C / "S2_L1C_20150711_13band.tif")
    assert main(["area", "add", "si-one", "--region", "si", "--s2", one, "--quiet"]) == 0
    assert "1 Sentinel-2 date 2015-07-11, 0 Sentinel-1" in capsys.readouterr().out


def test_an_area_needs_sentinel2_data_over_it(kansas_store, tmp_path, capsys):
    con, _ = kansas_store
    empty = items.write_stack(tmp_path / "S2_20220505_L2A.tif", items.SEASON[1])
    with rasterio.open(empty, "r+", IGNORE_COG_LAYOUT_BREAK="YES") as dst:
        dst.write(np.zeros((4, items.SIZE, items.SIZE), np.uint16))  # DN 0: no data
    with pytest.raises(ValidationError, match=r"the Sentinel-2 items \(1 scene\) have no data "
                       r"over the area; check --bbox"):  # fmt: skip
        add_area_from_items(con, "k0", region_id="kansas", s2=[empty])
    assert con.execute("SELECT count(*) FROM aois").fetchone()[0] == 0
    con.close()
    assert main(["area", "add", "k0", "--region", "kansas"]) == 2
    err = capsys.readouterr().err
    assert "an area needs imagery: pass --s2 with Sentinel-2 items" in err and "--s1" in err
