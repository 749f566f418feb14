"""`paii flood` on GeoTIFFs and its errors; the demo event mapped into the store."""

import json
import os
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine

from paii_core import io, store, workspace
from paii_core.access import local_operator
from paii_core.cli import main
from paii_core.errors import AccessDeniedError, InputFileError, PaiiWarning
from paii_core.flood import impact
from paii_core.flood.event import run_flood_event
from paii_core.flood.files import map_flood_files
from paii_core.store import flood as flood_store
from tests.conftest import sign_up


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
    assert r.band_names == ("water", "flooded", "depth_m", "likelihood")
    assert np.nanmax(r.data[1]) == 1.0
    assert (r.data[0] >= r.data[1])[np.isfinite(r.data[0])].all()  # flood is water
    assert np.nanmin(r.data[3]) >= 0 and np.nanmax(r.data[3]) <= 100
    assert r.tags["TERRAIN"] == "HAND/slope"
    assert "SIMULATED" not in r.tags  # a file passed by hand has no provenance to say so
    assert "flooded" in capsys.readouterr().out
    bare = tmp_path / "no_dem.tif"
    assert main(["flood", "--post", str(post), str(bare)]) == 0
    r = io.read_geotiff(bare)
    assert r.tags["TERRAIN"] == "none: no DEM" and np.isnan(r.data[2]).all()
    assert np.nanmax(r.data[0]) == 1.0


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
    with pytest.raises(InputFileError, match=r"other\.tif: does not overlap"):
        map_flood_files(post, other)
    assert main(["flood", "--post", str(post), "--dem", str(other), str(tmp_path / "o.tif")]) == 2
    assert "does not overlap" in capsys.readouterr().err
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
    con = store.connect(tiny_world / "paii.duckdb")
    try:
        assert workspace.flood_areas(con) == ["hubei-jianli"]
        assert workspace.flood_areas(con, "hubei") == ["hubei-jianli"]
        assert workspace.flood_areas(con, "iowa") == []
        event_id = run_flood_event(con, "hubei-jianli", data_dir=tiny_world)
        events = flood_store.events(con, "hubei")
        products = flood_store.event_frame(con, "flood_products", event_id)
        counties = flood_store.event_frame(con, "flood_county_impacts", event_id)
        hits = flood_store.event_frame(
            con, "flood_policy_impacts", event_id, principal=local_operator()
        )
        # Policy rows and declared crops need a principal allowed policy data.
        esg = sign_up(con, "esg", "esg_analyst")
        for table in ("flood_policy_impacts", "flood_crop_impacts"):
            with pytest.raises(AccessDeniedError, match="sign in first"):
                flood_store.event_frame(con, table, event_id)
            with pytest.raises(AccessDeniedError, match=r"'esg' \(esg_analyst\) may not see"):
                flood_store.event_frame(con, table, event_id, principal=esg)
    finally:
        con.close()
    assert events["event_id"].tolist() == [event_id]
    assert len(products) == 5 and products["flooded_km2"].max() > 0
    for path in products["path"]:  # demo inputs: the name and the tags say simulated
        assert path.endswith("_SIMULATED.tif")
        assert io.read_geotiff(path).tags["SIMULATED"].startswith("yes")
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


def _geographic_chip(tmp_path, bands=2):
    """A 256 x 256 chip in EPSG:4326 (~10 m), a river of water, VV/VH in dB."""
    rng = np.random.default_rng(5)
    truth = np.zeros((256, 256), dtype=bool)
    truth[:, 100:160] = True
    vv = np.where(truth, -21.0, -9.0) + 10 * np.log10(rng.gamma(4.4, 1 / 4.4, truth.shape))
    data = np.stack([vv, vv - 7.0]).astype(np.float32)[:bands]
    data[:, :20, :20] = np.nan  # nodata corner
    transform = Affine(0.0001, 0, 113.0, 0, -0.0001, 30.0)
    names = ("VV", "VH")[:bands]
    path = io.write_geotiff(
        tmp_path / f"chip{bands}.tif", data, crs="EPSG:4326", transform=transform,
        band_names=names,
    )  # fmt: skip
    return path, truth


def test_geographic_vv_only_chip_is_mapped_on_its_own_grid(tmp_path, capsys):
    for bands in (2, 1):
        path, truth = _geographic_chip(tmp_path, bands)
        out = tmp_path / f"out{bands}.tif"
        assert main(["flood", "--post", str(path), str(out)]) == 0
        r = io.read_geotiff(out)
        assert r.crs.to_epsg() == 4326 and r.data.shape == (4, 256, 256)
        water = r.data[0] == 1
        assert (water & truth).sum() / (water | truth).sum() > 0.9
        assert np.isnan(r.data[0, :20, :20]).all() and r.tags["TERRAIN"] == "none: no DEM"
    assert "terrain: none: no DEM" in capsys.readouterr().out


def test_hh_scene_is_refused_by_the_command(tmp_path, capsys):
    path = io.write_geotiff(
        tmp_path / "hh.tif", np.full((2, 32, 32), -10.0, np.float32), crs="EPSG:32650",
        transform=Affine(10, 0, 0, 0, -10, 0), band_names=("HH", "HV"),
    )  # fmt: skip
    assert main(["flood", "--post", str(path), str(tmp_path / "o.tif")]) == 2
    assert "holds HH/HV polarisation" in capsys.readouterr().err
    assert not (tmp_path / "o.tif").exists()


def test_an_area_without_an_event_says_where_events_are(tiny_world, monkeypatch):
    """With no flood area at all the message ended 'pick one of the flood areas: none'."""
    from paii_core.errors import ValidationError

    con = store.connect(tiny_world / "paii.duckdb")
    try:
        iowa = next(a.aoi_id for a in workspace.list_areas(con) if a.region_id == "iowa")
        with pytest.raises(ValidationError, match=r"has no flood event .*; pick one of the "
                           r"flood areas: hubei-jianli$"):  # fmt: skip
            run_flood_event(con, iowa, data_dir=tiny_world)
        monkeypatch.setattr(workspace, "flood_areas", lambda con, region=None: [])
        with pytest.raises(ValidationError, match=r"no area has one yet: add the event's "
                           rf"Sentinel-1 dates with `paii area add {iowa} --replace \.\.\. "
                           r"--s1 ITEM\.\.\. --flood-date YYYY-MM-DD`"):  # fmt: skip
            run_flood_event(con, iowa, data_dir=tiny_world)
    finally:
        con.close()


REAL_CHIP = (
    Path(__file__).resolve().parents[2] / "data/real/sen1floods11_dev/Nigeria_812045_S1Hand.tif"
)


def _dem_over(chip, path, *, cols=None):
    """A gently sloping DEM (metres) on the chip's own grid; only its first ``cols``
    columns when given, as a DEM tile that covers part of the scene."""
    with rasterio.open(chip) as src:
        h, w, crs, transform = src.height, src.width, src.crs, src.transform
    cols = w if cols is None else cols
    z = 100.0 + 0.05 * np.arange(cols, dtype=np.float32)[None, :].repeat(h, axis=0)
    return io.write_dem(path, z, crs=crs, transform=transform)


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc")
def test_an_unwritable_hand_cache_is_refused_before_any_work(tmp_path, capsys):
    """`paii flood --hand-cache /proc/x` (or a file) ended in a FileNotFoundError /
    FileExistsError traceback after HAND was computed; now it is refused first."""
    dem = _dem_over(REAL_CHIP, tmp_path / "dem.tif")
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    out = tmp_path / "o.tif"
    for cache, problem in (("/proc/paii_hand", "folder /proc/paii_hand cannot be written ("),
                           (str(a_file), f"{a_file} is a file, not a folder")):  # fmt: skip
        args = ["flood", "--post", str(REAL_CHIP), "--dem", str(dem), "--hand-cache", cache]
        assert main([*args, str(out)]) == 2
        err = capsys.readouterr().err
        assert f"hand cache {problem}" in err and "Traceback" not in err
        assert "Fix: pass a folder you may write to as --hand-cache, or leave it out" in err
        assert not out.exists()
    assert main([*args[:-2], "--hand-cache", str(tmp_path / "hand"), str(out)]) == 0
    assert len(list((tmp_path / "hand").glob("hand_*.npy"))) == 1


def test_a_dem_under_part_of_the_scene_is_said_in_the_warning_tag_and_summary(tmp_path, capsys):
    """A DEM tile under the western 150 of the real chip's 512 columns gave a map with
    terrain exclusion and depth on that strip only, tagged and summarised as
    'terrain: HAND/slope' like a full DEM."""
    dem = _dem_over(REAL_CHIP, tmp_path / "dem.tif", cols=150)
    warned = (
        r"dem\.tif: has data under 29% of the SAR scene; elsewhere no pixel is excluded by "
        r"HAND or slope and none gets a depth\. Fix: pass a DEM \(mosaic\) that covers"
    )
    with pytest.warns(PaiiWarning, match=warned):
        fm, _ = map_flood_files(REAL_CHIP, dem)
    note = "HAND/slope on 29% of the scene (the DEM's data); none elsewhere"
    assert fm.terrain == note
    out = tmp_path / "o.tif"
    with pytest.warns(PaiiWarning):
        assert main(["flood", "--post", str(REAL_CHIP), "--dem", str(dem), str(out)]) == 0
    assert f"terrain: {note}" in capsys.readouterr().out
    assert io.read_geotiff(out).tags["TERRAIN"] == note
    full = _dem_over(REAL_CHIP, tmp_path / "full.tif")
    assert map_flood_files(REAL_CHIP, full)[0].terrain == "HAND/slope"


def test_the_command_prints_paii_warnings_without_engine_source_lines(tmp_path):
    """`paii flood --dem DEM_IN_FEET.tif` printed 'paii_core/flood/files.py:228:
    PaiiWarning: ...' and the source line `dem = io.read_dem(dem_path)`: the engine's
    code, not the user's. Python's own warning display only shows outside pytest."""
    import subprocess
    import sys

    dem = _dem_over(REAL_CHIP, tmp_path / "dem_ft.tif")
    with rasterio.open(dem, "r+") as dst:
        dst.units = ("ft",)
    args = ["flood", "--post", str(REAL_CHIP), "--dem", str(dem), str(tmp_path / "o.tif")]
    run = subprocess.run(
        [sys.executable, "-m", "paii_core.cli", *args], capture_output=True, text=True,
        cwd=Path(__file__).resolve().parents[2], timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert f"paii: warning: {dem}: elevations are in 'ft'; converted to metres\n" in run.stderr
    assert "PaiiWarning" not in run.stderr and "read_dem(" not in run.stderr


@pytest.mark.parametrize("streamed", [False, True])
def test_the_command_says_whether_the_sar_was_read_as_db_or_linear(
    tmp_path, capsys, monkeypatch, streamed
):
    """`paii flood` did not say how it read the input (the Flood page does), nor did its
    output's tags: a linear-power scene misread as dB maps nothing, silently."""
    from paii_core.flood import cli as flood_cli

    if streamed:  # a big scene: mapped window by window, by another writer
        monkeypatch.setattr(flood_cli, "STREAM_MIN_PX", 0)
    chip, _ = _geographic_chip(tmp_path, 2)
    db = io.read_geotiff(chip)
    utm = Affine(10, 0, 300_000, 0, -10, 3_300_000)  # streaming takes a projected grid
    for units, data in (("db", db.data), ("linear", 10 ** (db.data / 10))):
        path = io.write_geotiff(
            tmp_path / f"{units}.tif", data.astype(np.float32), crs="EPSG:32650",
            transform=utm, band_names=("VV", "VH"),
        )  # fmt: skip
        out = tmp_path / f"out_{units}.tif"
        assert main(["flood", "--post", str(path), str(out)]) == 0
        said = capsys.readouterr().out
        how = "linear power, converted to dB" if units == "linear" else "dB (decibels)"
        assert f"; {path} read as {how}; wrote {out}" in said, said
        assert io.read_geotiff(out).tags["SIGMA0_UNITS_READ"] == units
    path = tmp_path / "db.tif"
    assert main(["flood", "--post", str(path), "--units", "db", "--overwrite", str(out)]) == 0
    assert f"{path} read as dB (decibels) (--units db); wrote" in capsys.readouterr().out
