"""The windowed mapper agrees with the in-memory one, writes the same bands; its errors."""

import re
from pathlib import Path

import numpy as np
import pytest
from affine import Affine
from rasterio.warp import Resampling, reproject

from paii_core import io
from paii_core.demo import flood, landscape, phenology, sar, terrain
from paii_core.errors import InputFileError, PaiiWarning
from paii_core.flood.files import map_flood_files
from paii_core.flood.stream import map_flood_stream

UTM = "EPSG:32650"
GRID = Affine(10, 0, 500_000, 0, -10, 3_300_000)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("stream")
    rng = np.random.default_rng(44)
    ter = terrain.make_terrain((300, 300), 10.0, rng, hills=0.4)
    land = landscape.make_landscape((300, 300), 10.0, rng, crops=("maize",), terrain=ter)
    truth = flood.simulate_flood(
        ter.dem, ter.river_mask, 10.0, 1, rng, peak_index=0,
        peak_stage_m=ter.bankfull_depth_m * 1.2,
    ).flooded[0]  # fmt: skip
    ndvi = phenology.landcover_ndvi(
        land.land_cover, land.crop_type, land.fine_parcels, land.parcels, 200, rng
    )
    post = sar.simulate_sar(land.land_cover, land.crop_type, ndvi, ter.dem, 10.0, rng,
                            flooded=truth)  # fmt: skip
    post[:, :15, :15] = np.nan
    s1 = io.write_sentinel1(tmp / "s1.tif", post, crs=UTM, transform=GRID, date="2020-07-10",
                            units="linear")  # fmt: skip
    dem = io.write_dem(tmp / "dem.tif", ter.dem, crs=UTM, transform=GRID)
    return tmp, s1, dem


def test_windows_agree_with_the_in_memory_map(files):
    tmp, s1, dem = files
    whole, _ = map_flood_files(s1, dem)
    summary = map_flood_stream(s1, tmp / "out.tif", dem, window_px=128)
    r = io.read_geotiff(summary.path)
    assert r.band_names == ("water", "flooded", "depth_m", "likelihood")
    assert r.tags["TERRAIN"] == "HAND/slope" and summary.threshold_db == whole.threshold_db
    water = r.data[0] == 1
    assert (water & whole.water).sum() / (water | whole.water).sum() > 0.97
    assert np.isnan(r.data[0, :15, :15]).all()
    assert summary.water_share == pytest.approx(water.sum() / np.isfinite(r.data[0]).sum())
    bare = map_flood_stream(s1, tmp / "bare.tif", window_px=128, pre_path=s1)
    assert bare.terrain == "none: no DEM" and bare.flooded_share < 0.01  # same image before


def test_stream_errors_leave_no_output(files, tmp_path):
    _, s1, _ = files
    r = io.read_sentinel1(s1)
    degrees = Affine(1e-4, 0, 113, 0, -1e-4, 30)
    geo = io.write_sentinel1(tmp_path / "geo.tif", r.data, crs="EPSG:4326", transform=degrees,
                             date="2020-07-10")  # fmt: skip
    with pytest.raises(InputFileError, match="is in degrees"):
        map_flood_stream(geo, tmp_path / "a.tif")
    moved = Affine.translation(10, 0) @ GRID
    shifted = io.write_sentinel1(tmp_path / "pre.tif", r.data, crs=UTM, transform=moved,
                                 date="2020-06-10")  # fmt: skip
    with pytest.raises(InputFileError, match="not on the grid") as refused:
        map_flood_stream(s1, tmp_path / "b.tif", pre_path=shifted)
    # The fix is the command that puts it on the grid (QA session 18: it named none); the
    # scene it gives, made here as gdalwarp would, is taken.
    said = str(refused.value)
    command = re.search(r"`(gdalwarp [^`]*)`", said).group(1).split()
    assert command[1:3] == ["-t_srs", UTM] and "300 x 300 px in EPSG:32650" in said
    west, south, east, north = (float(v) for v in command[4:8])
    width, height = int(command[9]), int(command[10])
    assert (west, north, width, height) == (500_000, 3_300_000, 300, 300)
    on_grid = np.full((r.data.shape[0], height, width), np.nan, np.float32)
    for band in range(r.data.shape[0]):
        reproject(r.data[band], on_grid[band], src_transform=moved, src_crs=UTM,
                  dst_transform=Affine((east - west) / width, 0, west, 0,
                                       (south - north) / height, north),
                  dst_crs=UTM, resampling=Resampling.bilinear, src_nodata=np.nan,
                  dst_nodata=np.nan)  # fmt: skip
    warped = io.write_sentinel1(tmp_path / "pre_on_post_grid.tif", on_grid, crs=UTM,
                                transform=GRID, date="2020-06-10")  # fmt: skip
    map_flood_stream(s1, tmp_path / "b2.tif", pre_path=warped)
    elsewhere = io.write_sentinel1(tmp_path / "far_pre.tif", r.data, crs=UTM,
                                   transform=Affine.translation(1e6, 0) @ GRID,
                                   date="2020-06-10")  # fmt: skip
    with pytest.raises(InputFileError, match=r"far_pre\.tif: does not overlap the post-event "
                       "scene: it is an image of another place"):  # fmt: skip
        map_flood_stream(s1, tmp_path / "b3.tif", pre_path=elsewhere)
    far = io.write_dem(tmp_path / "far.tif", np.zeros((50, 50)), crs=UTM,
                       transform=Affine.translation(1e6, 0) @ GRID)  # fmt: skip
    with pytest.raises(InputFileError, match="does not overlap"):
        map_flood_stream(s1, tmp_path / "c.tif", far)
    assert not any((tmp_path / n).exists() for n in ("a.tif", "b.tif", "c.tif"))


def test_command_maps_big_projected_scenes_window_by_window(files, tmp_path, monkeypatch, capsys):
    from paii_core.cli import main
    from paii_core.flood import cli as flood_cli

    _, s1, dem = files
    monkeypatch.setattr(flood_cli, "STREAM_MIN_PX", 1)
    out = tmp_path / "big.tif"
    assert main(["flood", "--post", str(s1), "--dem", str(dem), str(out)]) == 0
    assert io.read_geotiff(out).tags["SOURCE"] == "paii flood (windowed)"
    assert "terrain: HAND/slope" in capsys.readouterr().out
    # The scene as an RTC product's zip (one GeoTIFF per polarisation): the windowed path
    # reads it through the VRT stack, to the same map.
    import zipfile

    import rasterio

    rtc = tmp_path / "S1A_IW_20200710T000000_DVP_RTC10_G_gpuned_9C3D.zip"
    with rasterio.open(s1) as src, zipfile.ZipFile(rtc, "w") as z:
        for i, pol in enumerate(("VV", "VH"), 1):
            part = tmp_path / f"{rtc.stem}_{pol}.tif"
            with rasterio.open(part, "w", **src.profile | {"count": 1}) as dst:
                dst.write(src.read(i), 1)
            z.write(part, part.name)
    zipped = tmp_path / "big_rtc.tif"
    assert main(["flood", "--post", str(rtc), "--dem", str(dem), str(zipped)]) == 0
    a, b = io.read_geotiff(out), io.read_geotiff(zipped)
    assert b.tags["SOURCE"] == "paii flood (windowed)"
    np.testing.assert_array_equal(a.data, b.data)


def test_command_says_when_a_scene_has_no_water_contrast(tmp_path, capsys):
    from paii_core.cli import main

    rng = np.random.default_rng(3)
    land = np.stack([rng.normal(-8, 1, (128, 128)), rng.normal(-15, 1, (128, 128))])
    s1 = io.write_sentinel1(tmp_path / "dry.tif", land.astype(np.float32), crs="EPSG:32650",
                            transform=Affine(10, 0, 500_000, 0, -10, 3_300_000),
                            date="2020-07-10")  # fmt: skip
    assert main(["flood", "--post", str(s1), str(tmp_path / "out.tif")]) == 0
    printed = capsys.readouterr().out
    assert "Water 0.00 km² (0.0% of the scene)" in printed
    assert "no water contrast in the scene, so no water threshold" in printed
    assert "None dB" not in printed


def test_command_says_when_a_scene_is_all_water(tmp_path, capsys):
    from paii_core.cli import main

    rng = np.random.default_rng(4)  # wind-roughened water: VV -12 dB, VH -26 dB everywhere
    wet = np.stack([rng.normal(-12, 1, (128, 128)), rng.normal(-26, 1, (128, 128))])
    s1 = io.write_sentinel1(tmp_path / "wet.tif", wet.astype(np.float32), crs="EPSG:32650",
                            transform=Affine(10, 0, 500_000, 0, -10, 3_300_000),
                            date="2020-07-10")  # fmt: skip
    assert main(["flood", "--post", str(s1), str(tmp_path / "out.tif")]) == 0
    printed = capsys.readouterr().out
    assert "water threshold -15.0 dB on the VV/VH mean, level (the scene is water" in printed
    water_share = float(printed.split("km² (")[1].split("%")[0])
    assert water_share > 95.0


def test_a_dem_under_part_of_a_big_scene_is_said_as_in_memory(files, tmp_path):
    """The windowed path (full scenes) summarised a DEM under part of the scene as full
    terrain; it now warns and notes the share, as the in-memory path does."""
    tmp, s1, _ = files
    dem = io.read_dem(tmp / "dem.tif")
    west = io.write_dem(tmp_path / "west.tif", dem.data[0][:, :90], crs=UTM, transform=GRID)
    with pytest.warns(PaiiWarning, match=r"west\.tif: has data under 30% of the SAR scene"):
        summary = map_flood_stream(s1, tmp_path / "out.tif", west, window_px=128)
    note = "HAND/slope on 30% of the scene (the DEM's data); none elsewhere"
    assert summary.terrain == note and io.read_geotiff(summary.path).tags["TERRAIN"] == note


def test_command_takes_the_dem_as_its_tiles(files, tmp_path, capsys):
    """`--dem WEST --dem EAST`: the scene across two DEM tiles maps as with the whole DEM."""
    import rasterio

    from paii_core.cli import main

    _, s1, dem = files
    with rasterio.open(dem) as src:
        z, profile = src.read(1), src.profile
    tiles = []
    for name, start, stop in (("west", 0, 160), ("east", 150, z.shape[1])):
        t = profile["transform"] * Affine.translation(start, 0)
        path = tmp_path / f"dem_{name}.tif"
        with rasterio.open(path, "w", **profile | {"width": stop - start, "transform": t}) as d:
            d.write(z[:, start:stop], 1)
        tiles.append(str(path))
    whole, tiled = tmp_path / "whole.tif", tmp_path / "tiled.tif"
    assert main(["flood", "--post", str(s1), "--dem", str(dem), str(whole)]) == 0
    assert main(["flood", "--post", str(s1), "--dem", tiles[0], "--dem", tiles[1], str(tiled)]) == 0
    a, b = io.read_geotiff(whole), io.read_geotiff(tiled)
    assert b.tags["TERRAIN"] == "HAND/slope"
    np.testing.assert_array_equal(a.data, b.data)
    assert main(["flood", "--post", str(s1), "--dem", tiles[0], str(tmp_path / "w.tif")]) == 0
    assert "none elsewhere" in capsys.readouterr().out  # one tile: terrain on half the scene


def test_command_gives_the_water_and_flood_in_km2(tmp_path, capsys):
    """`paii flood` gave shares alone ("Water 50.3% of the scene"): the area is what a
    claims analyst reports. The real Nigeria chip is in degrees (EPSG:4326, about 9.08 N):
    its water pixels are measured on the sphere, each about 10.0 x 9.87 m."""
    from paii_core.cli import main

    chip = Path(__file__).resolve().parents[2] / "data/real/sen1floods11_dev"
    out = tmp_path / "nigeria.tif"
    assert main(["flood", "--post", str(chip / "Nigeria_812045_S1Hand.tif"), str(out)]) == 0
    printed = capsys.readouterr().out
    water = int(np.nansum(io.read_geotiff(out).data[0]))
    assert 12.9 < water * 10.0 * 9.87 / 1e6 < 13.1
    assert printed.startswith("Water 12.96 km² (50.3% of the scene), flooded 12.96 km² (50.3%) (")
