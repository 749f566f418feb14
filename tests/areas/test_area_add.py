"""`paii area add` end to end on a non-demo region (Kansas), and each refusal."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import rasterio

from paii_core import io, store
from paii_core.areas import add_area_from_items, area_folder
from paii_core.areas.inputs import s1_on_grid
from paii_core.cli import main
from paii_core.crops.area import load_area, map_area, prepared_for
from paii_core.crops.recognize import recognize_prepared
from paii_core.errors import FormatError, InputNotFoundError, StoreLockedError, ValidationError
from paii_core.io.s2_scene import Grid
from paii_core.store.core import lock_holder
from paii_core.workspace.areas import get_area

from .conftest import items

SPECKLE = np.random.default_rng(0).uniform(-0.25, 0.25, (items.SIZE, items.SIZE))
"""dB added to the test scenes' flat backscatter: a real scene's values differ from pixel to
pixel, and a band of a few distinct values is refused as a label or mask file."""


def _s1(path, names=("VV", "VH"), units="db", day="2022-07-20"):
    db = np.stack([-9.0 + SPECKLE, -16.0 + SPECKLE])
    values = db if units == "db" else 10 ** (db / 10)
    io.write_geotiff(path, values, crs=items.CRS_UTM14, transform=items.transform(10),
                     band_names=names or None, tags={"DATE": day})  # fmt: skip
    return path


def _dem(path):
    yy, _ = np.mgrid[: items.SIZE, : items.SIZE]
    io.write_dem(path, 440.0 + 0.05 * yy, crs=items.CRS_UTM14, transform=items.transform(10))
    return path


def test_stac_area_runs_like_a_demo_area(kansas_store, season_items, tmp_path):
    con, data = kansas_store
    s1 = _s1(tmp_path / "S1_20220720.tif", units="linear")
    added = add_area_from_items(con, "kansas-harvey", region_id="kansas", s2=season_items["stac"],
                                s1=[s1], dem=_dem(tmp_path / "dem.tif"))  # fmt: skip
    assert added.county_id == "20079" and added.grid.crs.to_epsg() == 32614
    assert (added.grid.width, added.grid.height) == (items.SIZE, items.SIZE)
    assert added.dates == items.SEASON
    folder = area_folder("kansas-harvey", data)
    assert sorted(p.name for p in (folder / "s1").iterdir()) == [
        "S1_kansas-harvey_20220720_sigma0.tif"
    ]
    area = load_area(con, "kansas-harvey")
    assert area.series.shape == (10, 4, items.SIZE, items.SIZE) and not area.simulated
    np.testing.assert_allclose(area.series[0, 2], items.truth(items.SEASON[0])["B04"], atol=1e-4)
    cloudy = items.SEASON.index(items.date(2022, 6, 4))
    assert np.isnan(area.series[cloudy, 0][items.cloud_mask(items.SEASON[cloudy])]).mean() > 0.95
    np.testing.assert_allclose(area.sar[0, 0], -9.0 + SPECKLE, atol=1e-4)
    assert area.dem is not None and abs(float(area.dem[0, 0]) - 440.0) < 1e-3
    parcels = map_area(con, area)
    assert parcels.fine.max() > 0 and parcels.cropland.shape == (items.SIZE, items.SIZE)
    crops, labels, per_crop = items.field_crops(), [], {}
    for i, j in np.ndindex(crops.shape):  # two labels per crop, at field centres
        if per_crop.get(crops[i, j], 0) < 2:
            labels.append((30 * i + 15, 30 * j + 15, str(crops[i, j])))
            per_crop[crops[i, j]] = per_crop.get(crops[i, j], 0) + 1
    cmap = recognize_prepared(prepared_for(area, parcels), labels, region="kansas")
    centres = [cmap.label_map[30 * i + 15, 30 * j + 15] for i, j in np.ndindex(crops.shape)]
    said = [cmap.classes[k] if k >= 0 else None for k in centres]
    assert np.mean([s == c for s, c in zip(said, crops.ravel(), strict=True)]) >= 0.8
    rows = con.execute("SELECT kind, simulated, details FROM products WHERE aoi_id = ?",
                       ["kansas-harvey"]).fetchall()  # fmt: skip
    assert {r[0] for r in rows} == {"s2_l2a", "s1_grd", "dem"} and not any(r[1] for r in rows)
    assert json.loads(rows[0][2])["offset_rule"] == "s2:processing_baseline 05.00"


def test_mixed_forms_through_the_cli(kansas_store, season_items, capsys):
    con, data = kansas_store
    con.close()
    args = ["area", "add", "kansas-mixed", "--region", "kansas", "--quiet",
            "--db", str(data / "paii.duckdb"), "--s2",
            *map(str, season_items["mixed"])]  # fmt: skip
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "area kansas-mixed (region kansas, county 20079): 180 x 180 px" in out
    assert "10 Sentinel-2 dates 2022-04-05 .. 2022-10-02" in out
    from paii_core import store

    con2 = store.connect(data / "paii.duckdb")
    try:
        kinds = con2.execute(
            "SELECT kind, count(*) FROM products GROUP BY kind ORDER BY 1"
        ).fetchall()
        assert kinds == [("s2_l1c", 2), ("s2_l2a", 8)]
        area = load_area(con2, "kansas-mixed")
        np.testing.assert_allclose(
            area.series[1, 3], items.truth(items.SEASON[1])["B08"], atol=1e-4
        )
    finally:
        con2.close()
    assert main(args) == 2
    assert "already exists; pass --replace" in capsys.readouterr().err


def test_refusals_leave_nothing(kansas_store, season_items):
    con, data = kansas_store
    stac = season_items["stac"]
    with pytest.raises(
        ValidationError, match=r"region 'ohio' is not in the store .*paii region add"
    ):
        add_area_from_items(con, "a1", region_id="ohio", s2=stac)
    with pytest.raises(ValidationError, match="area id 'Bad Id' should be lower-case"):
        add_area_from_items(con, "Bad Id", region_id="kansas", s2=stac)
    regions = data / "workspace" / "regions" / "kansas"  # region-wide files live there
    regions.mkdir(parents=True)
    (regions / "yields.csv").write_text("kept")
    reserved = r"area id 'regions' is reserved \(<data>/workspace/regions holds"
    with pytest.raises(ValidationError, match=reserved):
        add_area_from_items(con, "regions", region_id="kansas", s2=stac)
    assert (regions / "yields.csv").read_text() == "kept"
    with pytest.raises(
        ValidationError, match="--county '19169' is not a county of region 'kansas'"
    ):
        add_area_from_items(con, "a1", region_id="kansas", s2=stac, county_id="19169")
    with pytest.raises(ValidationError, match="more than 2000 px a side; pass --bbox"):
        add_area_from_items(con, "a1", region_id="kansas", s2=stac, bbox=(-98.0, 37.5, -97.0, 38.5))
    with pytest.raises(ValidationError, match=r"--bbox .* is not WEST SOUTH EAST NORTH"):
        add_area_from_items(con, "a1", region_id="kansas", s2=stac, bbox=(-97.0, 38.0, -98.0, 38.1))
    with pytest.raises(ValidationError, match="an area needs imagery: pass --s2 with Sentinel-2"):
        add_area_from_items(con, "a1", region_id="kansas", s2=[])
    assert con.execute("SELECT count(*) FROM aois").fetchone()[0] == 0
    assert not (data / "areas").exists() or not any((data / "areas").iterdir())


def test_area_outside_the_region_refused(kansas_store, season_items):
    con, _ = kansas_store
    con.execute("DELETE FROM counties WHERE county_id = '20079'")
    with pytest.raises(ValidationError, match=r"centre \(-97\.4\d+, 38\.0\d+\) lies in no county"):
        add_area_from_items(con, "a1", region_id="kansas", s2=season_items["stac"])


def test_replace_rebuilds(kansas_store, season_items):
    """... and the area's inputs hash (the dashboard's key for its cached season) moves."""
    from paii_core.crops.area import area_inputs_hash, load_area

    con, data = kansas_store
    add_area_from_items(con, "k1", region_id="kansas", s2=season_items["mixed"][:5])
    before = area_inputs_hash(con, "k1")
    assert before == load_area(con, "k1", data).input_hash
    add_area_from_items(con, "k1", region_id="kansas", s2=season_items["mixed"][:4], replace=True)
    n = con.execute("SELECT count(*) FROM products WHERE aoi_id = 'k1'").fetchone()[0]
    assert n == 4 and len(list((area_folder("k1", data) / "s2").glob("S2_k1_*_L*.tif"))) == 4
    assert area_inputs_hash(con, "k1") == load_area(con, "k1", data).input_hash != before


GRID = Grid(items.CRS_UTM14, items.transform(10), items.SIZE, items.SIZE)


def test_s1_polarisations(tmp_path):
    day, sar = s1_on_grid(_s1(tmp_path / "s1.tif", names=("VH", "VV")), GRID)
    assert str(day) == "2022-07-20" and float(sar[0, 0, 0]) == pytest.approx(-16.0 + SPECKLE[0, 0])
    with pytest.raises(FormatError, match=r"holds HH/HV .* polarisation.*never read HH/HV"):
        s1_on_grid(_s1(tmp_path / "hh.tif", names=("HH", "HV")), GRID)
    with pytest.raises(FormatError, match="without descriptions naming the polarisation"):
        s1_on_grid(_s1(tmp_path / "bare.tif", names=()), GRID)
    with pytest.raises(FormatError, match="lacks VH"):
        s1_on_grid(_s1(tmp_path / "vv.tif", names=("VV", "X")), GRID)
    with pytest.raises(FormatError, match="has no acquisition date"):
        s1_on_grid(_s1(tmp_path / "s1_nodate.tif", day=""), GRID)
    one = tmp_path / "S1_20220720_VV.tif"
    io.write_geotiff(one, np.full((1, 8, 8), -9.0), crs=items.CRS_UTM14,
                     transform=items.transform(10), band_names=["VV"])  # fmt: skip
    with pytest.raises(FormatError, match=r"VV\.tif: has 1 band; a Sentinel-1 item needs two"):
        s1_on_grid(one, GRID)


def test_dem_must_cover(kansas_store, season_items, tmp_path):
    con, _ = kansas_store
    dem = _dem(tmp_path / "dem.tif")
    with rasterio.open(dem, "r+") as dst:
        a = dst.read(1)
        a[:, :90] = np.nan
        dst.write(a, 1)
    with pytest.raises(FormatError, match=r"dem\.tif: covers 50 % of the area"):
        add_area_from_items(con, "a1", region_id="kansas", s2=season_items["stac"], dem=dem)


def test_an_area_across_two_dem_tiles_takes_both(kansas_store, season_items, tmp_path, capsys):
    """The DEM as two tiles the area lies across (west and east halves): mosaicked, the
    area's DEM is the whole one's; either tile alone covers half the area and is refused."""
    con, data = kansas_store
    whole = _dem(tmp_path / "whole.tif")
    with rasterio.open(whole) as src:
        z, profile = src.read(1), src.profile
    tiles = []
    for name, cols in (("west", slice(0, 100)), ("east", slice(80, None))):  # 20 px overlap
        t = profile["transform"] * rasterio.Affine.translation(cols.start, 0)
        part = z[:, cols]
        path = tmp_path / f"dem_{name}.tif"
        with rasterio.open(path, "w", **profile | {"width": part.shape[1], "transform": t}) as d:
            d.write(part, 1)
        tiles.append(path)
    with pytest.raises(FormatError, match=r"dem_west\.tif: covers 5\d % of the area"):
        add_area_from_items(con, "a1", region_id="kansas", s2=season_items["stac"], dem=tiles[0])
    add_area_from_items(con, "two", region_id="kansas", s2=season_items["stac"], dem=tiles)
    add_area_from_items(con, "one", region_id="kansas", s2=season_items["stac"], dem=whole)
    a, b = (
        io.read_dem(area_folder(aoi, data) / "dem" / f"DEM_{aoi}.tif").data
        for aoi in ("two", "one")
    )
    np.testing.assert_array_equal(a, b)
    (detail,) = con.execute(
        "SELECT details FROM products WHERE aoi_id = 'two' AND kind = 'dem'"
    ).fetchone()
    assert json.loads(detail)["source"] == f"{tiles[0]} + {tiles[1]}"
    tiles[1].write_bytes(b"not a raster")
    with pytest.raises(FormatError, match=r"dem_east\.tif: is not a readable raster"):
        add_area_from_items(con, "a2", region_id="kansas", s2=season_items["stac"], dem=tiles)


def _plot_polygons(path):
    """Four plots (two blocks) as polygons in lon/lat, over the generated fields."""
    import geopandas as gpd
    import shapely

    boxes, plots, blocks = [], [], []
    for k, (i, j) in enumerate(((0, 0), (0, 1), (2, 2), (3, 3)), 1):
        x0, y1 = items.X0 + 300 * j + 20, items.Y0 - 300 * i - 20
        boxes.append(shapely.box(x0, y1 - 260, x0 + 260, y1))
        plots.append(k)
        blocks.append(1 if k <= 2 else 2)
    gdf = gpd.GeoDataFrame(
        {"plot_id": plots, "block_id": blocks}, geometry=boxes, crs=items.CRS_UTM14
    )
    gdf.to_crs("EPSG:4326").to_file(path, driver="GPKG")
    return path


def test_plots_from_polygons_or_a_registry(kansas_store, season_items, tmp_path):
    from paii_core.io.plots import read_plot_registry

    con, data = kansas_store
    gpkg = _plot_polygons(tmp_path / "plots.gpkg")
    add_area_from_items(con, "k1", region_id="kansas", s2=season_items["stac"], plots=gpkg)
    registry = area_folder("k1", data) / "plots" / "k1_plots.tif"
    plot, block, _ = read_plot_registry(registry)
    assert sorted(np.unique(plot)) == [0, 1, 2, 3, 4] and sorted(np.unique(block)) == [0, 1, 2]
    assert 640 <= int((plot == 1).sum()) <= 730  # 26 x 26 px of 10 m, edges at pixel centres
    row = con.execute("SELECT details FROM products WHERE kind = 'plots'").fetchone()
    assert json.loads(row[0])["n_plots"] == 4
    add_area_from_items(con, "k2", region_id="kansas", s2=season_items["stac"], plots=registry)
    again, _, _ = read_plot_registry(area_folder("k2", data) / "plots" / "k2_plots.tif")
    np.testing.assert_array_equal(again, plot)


def test_plot_refusals(kansas_store, season_items, tmp_path):
    import geopandas as gpd
    import shapely

    con, _ = kansas_store
    stac = season_items["stac"]
    bad = tmp_path / "bad.gpkg"
    gpd.GeoDataFrame({"id": [1]}, geometry=[shapely.box(0, 0, 1, 1)], crs=4326).to_file(bad)
    with pytest.raises(FormatError, match="has no plot_id column"):
        add_area_from_items(con, "k1", region_id="kansas", s2=stac, plots=bad)
    far = tmp_path / "far.gpkg"
    gpd.GeoDataFrame({"plot_id": [1]}, geometry=[shapely.box(0, 0, 1, 1)], crs=4326).to_file(far)
    with pytest.raises(FormatError, match="has no plot on the area"):
        add_area_from_items(con, "k1", region_id="kansas", s2=stac, plots=far)
    with pytest.raises(FormatError, match="do not name plot_id and block_id"):
        add_area_from_items(con, "k1", region_id="kansas", s2=stac, plots=_dem(tmp_path / "d.tif"))
    two = tmp_path / "two.gpkg"
    plots = _plot_polygons(tmp_path / "plots.gpkg")
    for layer in ("plots_2019", "plots_2020"):
        gpd.read_file(plots).to_file(two, layer=layer)
    with pytest.raises(FormatError, match=r"two\.gpkg: holds 2 layers \(plots_2019, plots_2020\)"):
        add_area_from_items(con, "k1", region_id="kansas", s2=stac, plots=two)
    assert con.execute("SELECT count(*) FROM aois").fetchone()[0] == 0


def test_plots_zipped_in_a_folder_are_read(kansas_store, season_items, tmp_path):
    """A zipped shapefile whose files lie in a folder inside the zip (as parcel downloads
    often are) is read where it lies."""
    import zipfile

    import geopandas as gpd

    con, _ = kansas_store
    shp = tmp_path / "shp"
    shp.mkdir()
    gpd.read_file(_plot_polygons(tmp_path / "plots.gpkg")).to_file(shp / "plots.shp")
    nested = tmp_path / "plots.zip"
    with zipfile.ZipFile(nested, "w") as archive:
        for part in sorted(shp.iterdir()):
            archive.write(part, f"farm_plots_2024/{part.name}")
    add_area_from_items(con, "k1", region_id="kansas", s2=season_items["stac"], plots=nested)
    row = con.execute("SELECT details FROM products WHERE kind = 'plots'").fetchone()
    assert json.loads(row[0])["n_plots"] == 4


def test_flood_dates_and_cli_date_check(kansas_store, season_items, tmp_path, capsys):
    con, data = kansas_store
    s1 = [_s1(tmp_path / "S1_a.tif", day="2022-07-01"), _s1(tmp_path / "S1_b.tif")]
    add_area_from_items(con, "k1", region_id="kansas", s2=season_items["stac"], s1=s1,
                        flood_dates=[items.date(2022, 7, 20)])  # fmt: skip
    rows = con.execute(
        "SELECT acquired, details FROM products WHERE kind = 's1_grd' ORDER BY acquired"
    ).fetchall()
    assert [json.loads(d)["flood_event"] for _, d in rows] == [False, True]
    con.close()
    code = main(["area", "add", "k2", "--region", "kansas", "--db", str(data / "paii.duckdb"),
                 "--s2", str(season_items["stac"][0]), "--flood-date", "20/07/2022"])  # fmt: skip
    assert (
        code == 2 and "--flood-date ['20/07/2022'] should be YYYY-MM-DD" in capsys.readouterr().err
    )


def test_grid_refusals(kansas_store, season_items, tmp_path):
    con, _ = kansas_store
    other = items.write_band_folder(tmp_path / "elsewhere_L2A", items.date(2022, 11, 1))
    with rasterio.open(other / "B02.tif", "r+") as dst:  # the same tile 5 km east
        t = dst.transform
        dst.transform = rasterio.Affine(t.a, t.b, t.c + 5000, t.d, t.e, t.f)
    with pytest.raises(ValidationError, match="the Sentinel-2 items share no ground"):
        add_area_from_items(con, "k1", region_id="kansas", s2=[*season_items["stac"], other])
    with pytest.raises(ValidationError, match="pass a --bbox of at least 160 m"):
        add_area_from_items(con, "k1", region_id="kansas", s2=season_items["stac"],
                            bbox=(-97.44, 38.04, -97.4395, 38.0405))  # fmt: skip


def test_s1_and_plot_file_refusals(kansas_store, season_items, tmp_path):
    import geopandas as gpd
    import shapely

    con, _ = kansas_store
    stac = season_items["stac"]
    with pytest.raises(InputNotFoundError, match="Sentinel-1 item not found"):
        s1_on_grid(tmp_path / "nope.tif", GRID)
    far = _s1(tmp_path / "S1_far.tif")
    with rasterio.open(far, "r+") as dst:
        dst.transform = rasterio.Affine(10, 0, 100000.0, 0, -10, 1000000.0)
    with pytest.raises(FormatError, match="does not cover the area"):
        s1_on_grid(far, GRID)
    with pytest.raises(InputNotFoundError, match="plot file not found"):
        add_area_from_items(con, "k1", region_id="kansas", s2=stac, plots=tmp_path / "p.gpkg")
    box = shapely.box(-97.44, 38.04, -97.43, 38.045)
    frac = tmp_path / "frac.gpkg"
    gpd.GeoDataFrame({"plot_id": [1.5]}, geometry=[box], crs=4326).to_file(frac)
    with pytest.raises(FormatError, match="column 'plot_id' holds non-integer ids"):
        add_area_from_items(con, "k1", region_id="kansas", s2=stac, plots=frac)
    zero = tmp_path / "zero.gpkg"
    gpd.GeoDataFrame({"plot_id": [0]}, geometry=[box], crs=4326).to_file(zero)
    with pytest.raises(FormatError, match=r"column 'plot_id' has ids outside 1\.\.2\^31"):
        add_area_from_items(con, "k1", region_id="kansas", s2=stac, plots=zero)
    junk = tmp_path / "junk.gpkg"
    junk.write_text("not a geopackage")
    with pytest.raises(FormatError, match="is not a readable vector file"):
        add_area_from_items(con, "k1", region_id="kansas", s2=stac, plots=junk)


def test_l1c_clouds_are_a_mask_beside_the_reflectance_not_nodata(kansas_store, tmp_path):
    """A hazy L1C date that s2cloudless calls cloud keeps its pixels for the Imagery page's
    dehaze; crop maps still read it without the clouds."""
    from paii_core.enhance import area_scenes

    con, data = kansas_store
    days = items.SEASON[2:6]
    day = items.date(2022, 6, 4)
    assert day in items.CLOUDY and day == days[1]
    l1c = [items.write_safe(tmp_path, d, level="L1C") for d in days]
    add_area_from_items(con, "kansas-l1c", region_id="kansas", s2=l1c)
    s2 = area_folder("kansas-l1c", data) / "s2"
    cloud = items.cloud_mask(day)
    blue = io.read_sentinel2_l2a(s2 / "S2_kansas-l1c_20220604_L1C.tif").data[0]
    np.testing.assert_allclose(blue[cloud], items.truth(day)["B02"][cloud], atol=2e-4)
    with rasterio.open(s2 / "S2_kansas-l1c_20220604_SCL.tif") as src:
        codes = src.read(1)
        assert src.descriptions == ("SCL",)
    assert (codes[cloud] == 9).mean() > 0.95 and set(np.unique(codes)) == {7, 9}
    area = load_area(con, "kansas-l1c")
    assert np.isnan(area.series[1, 0][cloud]).mean() > 0.95
    assert np.isfinite(area.series[1, 0][~cloud]).mean() > 0.7
    table = area_scenes.haze_table(area_scenes.area_scenes(con, "kansas-l1c", data_dir=data))
    assert table["haze_index"].notna().all() and len(table) == 4


def test_the_cli_says_who_holds_the_store_and_the_two_ways_out(kansas_store, season_items,
                                                               capsys):  # fmt: skip
    """`paii area add` while the dashboard runs: DuckDB lets one process write the store."""
    con, data = kansas_store
    con.close()
    db = data / "paii.duckdb"
    holder = subprocess.Popen(  # holds the store as the dashboard does, until told to stop
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
         "print('ok', flush=True); sys.stdin.read()", str(db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "ok"
        args = ["area", "add", "k-locked", "--region", "kansas", "--quiet", "--db", str(db),
                "--s2", *map(str, season_items["stac"])]  # fmt: skip
        assert main(args) == 2
        err = capsys.readouterr().err
        assert f"{db} is held by another process (PID {holder.pid}: " in err, err
        assert "most likely the dashboard" in err and "area k-locked was not added" in err
        assert "stop that process (the dashboard) and run this command again" in err
        assert 'Data page, "Add an area"' in err
        with pytest.raises(StoreLockedError, match=r"held by another PAII process \(PID \d+") as e:
            store.connect(db)
        assert e.value.holder.startswith(f"PID {holder.pid}: ")
    finally:
        holder.stdin.close()
        holder.wait(timeout=20)
    assert main(args) == 0  # the dashboard stopped: the command runs
    assert not area_folder("k-locked", data).with_name(".k-locked").exists()


def test_lock_holder_reads_duckdbs_message():
    said = ('IO Error: Could not set lock on file "/d/paii.duckdb": Conflicting lock is held '
            "in /usr/bin/python3 (PID 999999999). See also https://duckdb.org")  # fmt: skip
    assert lock_holder(said) == "PID 999999999: /usr/bin/python3"  # no such process to read
    assert lock_holder("IO Error: Could not set lock on file") == ""


def test_records_name_an_upload_by_its_own_name(kansas_store, season_items):
    con, _ = kansas_store
    first = season_items["mixed"][0]  # a stacked GeoTIFF
    added = add_area_from_items(con, "k-up", region_id="kansas", s2=season_items["mixed"][:4],
                                source_names={str(first): "my_upload.tif"})  # fmt: skip
    assert added.dates == items.SEASON[:4]
    rows = con.execute(
        "SELECT details FROM products WHERE aoi_id = 'k-up' ORDER BY acquired"
    ).fetchall()
    details = [json.loads(d) for (d,) in rows]
    assert details[0]["sources"] == ["my_upload.tif"]
    assert details[1]["sources"][0].startswith(str(season_items["mixed"][1]))  # as given


def test_the_same_id_is_added_by_one_caller_at_a_time(kansas_store, season_items):
    con, data = kansas_store
    tried: list[str] = []

    def meanwhile(fraction, message):  # another session adds the same id mid-build
        if tried:
            return
        with pytest.raises(ValidationError, match="'k-one' is being added by another session"):
            add_area_from_items(con, "k-one", region_id="kansas", s2=season_items["mixed"][:4],
                                replace=True)  # fmt: skip
        tried.append(message)

    added = add_area_from_items(con, "k-one", region_id="kansas", s2=season_items["mixed"][:4],
                                progress=meanwhile, source="Data page upload by ana")  # fmt: skip
    assert tried and added.dates == items.SEASON[:4]
    assert sorted(p.name for p in area_folder("k-one", data).iterdir()) == ["s2"]
    assert get_area(con, "k-one").source == "Data page upload by ana"
    again = add_area_from_items(
        con, "k-one", region_id="kansas", s2=season_items["mixed"][:3], replace=True
    )  # fmt: skip  (the lock was let go)
    assert again.dates == items.SEASON[:3]
    assert not list((data / "workspace").glob(".k-one*"))  # no lock file, no part folder left
    assert get_area(con, "k-one").source == "paii area add"


def test_a_killed_adds_part_folder_goes_with_the_next_add_of_its_id(kansas_store, season_items):
    """A process killed mid-add (the dashboard restarted under its background add) leaves
    its hidden part folder; the next add of that id removes it, and no other id's."""
    con, data = kansas_store
    dead = data / "workspace" / ".k-one.part-0badf00d"
    other = data / "workspace" / ".k-two.part-0badf00d"
    for folder in (dead, other):
        (folder / "s2").mkdir(parents=True)
        (folder / "s2" / "S2_half.tif").write_bytes(b"half-written")
    add_area_from_items(con, "k-one", region_id="kansas", s2=season_items["mixed"][:1])
    assert not dead.exists() and other.exists()
    assert "S2_half.tif" not in {p.name for p in (area_folder("k-one", data) / "s2").iterdir()}


def test_s1_values_no_sigma0_takes_are_refused_naming_the_item(tmp_path):
    """The real Sen1Floods11 dev chip Nigeria_812045 packed as int16 dB x 100 was added
    as a flood area; `paii flood-event` then failed naming the area's own copy under
    data/workspace, not the user's file. Now the item is refused as it is added."""
    from paii_core.config import REPO_ROOT

    real = REPO_ROOT / "data/real/sen1floods11_dev/Nigeria_812045_S1Hand.tif"
    with rasterio.open(real) as src:
        db, profile, names = src.read(), src.profile, src.descriptions
        grid = Grid(src.crs, src.transform, src.width, src.height)
    packed = np.where(np.isnan(db), -32768, np.round(db * 100)).astype(np.int16)
    path = tmp_path / "S1_20180920_db100.tif"
    with rasterio.open(path, "w", **(profile | {"dtype": "int16", "nodata": -32768})) as dst:
        dst.write(packed)
        dst.descriptions = names
    with pytest.raises(FormatError, match=r"S1_20180920_db100\.tif: has a median VV of -1\d{3} "
                       r"dB \(read as db\), which sigma0 never is"):  # fmt: skip
        s1_on_grid(path, grid)
    dated = tmp_path / "S1_20180920.tif"
    with rasterio.open(dated, "w", **profile) as dst:
        dst.write(db)
        dst.descriptions = names
    day, sar = s1_on_grid(dated, grid)
    assert str(day) == "2018-09-20" and np.nanmedian(sar[0]) == pytest.approx(-14, abs=3)
