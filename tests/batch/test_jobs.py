"""paii batch parcels and flood, and the `paii batch` command with county rollups."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from shapely.geometry import box

from paii_core import io
from paii_core.batch import run_batch
from paii_core.cli import main
from paii_core.flood.files import BAND_NAMES
from tests.batch.conftest import CRS, transform


def test_parcels_in_windows_agree_with_one_pass(cluster, l2a_season, tmp_path):
    from paii_core.crops import delineate_parcels

    paths, scene = l2a_season
    res = run_batch("parcels", paths, tmp_path, scheduler=cluster.scheduler_address, tile=32)
    assert len(res.computed) == 4 and not res.failed
    mosaic = io.read_geotiff(res.mosaics[0]).data[0].astype(int)
    series = np.stack([io.read_sentinel2_l2a(p).data for p in paths])
    whole = delineate_parcels(series, scene.dates)
    assert ((mosaic > 0) == (whole > 0)).mean() > 0.95
    n_mosaic, n_whole = len(np.unique(mosaic)) - 1, len(np.unique(whole)) - 1
    assert abs(n_mosaic - n_whole) <= max(2, 0.2 * n_whole), (n_mosaic, n_whole)
    # Ids are compact 1..N across the four tiles.
    assert sorted(np.unique(mosaic))[-1] == n_mosaic


def test_cli_flood_whole_file_equals_paii_flood_with_county_totals(
    cluster, l2a_season, tmp_path, capsys
):
    _, scene = l2a_season
    sar = io.write_sentinel1(
        tmp_path / "S1_post.tif", scene.sar[0], crs=CRS, transform=transform(), date="2020-03-05"
    )
    dem = io.write_dem(tmp_path / "dem.tif", scene.dem, crs=CRS, transform=transform())
    with rasterio.open(sar) as src:
        left, bottom, right, top = src.bounds
    counties = tmp_path / "counties.geojson"
    gpd.GeoDataFrame(
        {"GEOID": ["19169"]}, geometry=[box(left, bottom, right, top)], crs="EPSG:32650"
    ).to_crs("EPSG:4326").to_file(counties)
    code = main(
        [
            "batch",
            "flood",
            "--inputs",
            str(sar),
            "--dem",
            str(dem),
            "--out",
            str(tmp_path / "o"),
            "--counties",
            str(counties),
            "--scheduler",
            cluster.scheduler_address,
        ]
    )
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "1/1 tiles" in out.err and "1 tiles computed" in out.out
    assert main(["flood", "--post", str(sar), "--dem", str(dem), str(tmp_path / "ref.tif")]) == 0
    got = io.read_geotiff(tmp_path / "o" / "tiles" / "S1_post" / "whole.tif")
    ref = io.read_geotiff(tmp_path / "ref.tif")
    assert got.band_names == BAND_NAMES and BAND_NAMES[1] == "flooded"
    np.testing.assert_array_equal(got.data, ref.data)
    import pandas as pd

    totals = pd.read_parquet(tmp_path / "o" / "county_totals_flood.parquet")
    assert totals["county_id"].tolist() == ["19169"]
    flooded = np.nansum(ref.data[1]) * 0.01
    assert abs(totals["flooded_ha"].iloc[0] - flooded) < 0.05
    # A rerun does nothing and says so.
    assert (
        main(
            [
                "batch",
                "flood",
                "--inputs",
                str(sar),
                "--dem",
                str(dem),
                "--out",
                str(tmp_path / "o"),
                "--scheduler",
                cluster.scheduler_address,
            ]
        )
        == 0
    )
    assert "0 tiles computed, 1 already done" in capsys.readouterr().out


def test_batch_flood_takes_a_real_chip_in_degrees_without_a_dem_as_paii_flood_does(
    cluster, tmp_path
):
    """A hand-labelled Sentinel-1 chip as Sen1Floods11 ships it (EPSG:4326, VV and VH in
    dB, no DEM): `paii batch flood` maps it as `paii flood --post` does, and its county
    totals are areas on the ground (per-row cell areas of the degree grid)."""
    import pandas as pd

    from paii_core.config import paths

    chip = paths().root / "data" / "real" / "sen1floods11_dev" / "Pakistan_849790_S1Hand.tif"
    with rasterio.open(chip) as src:
        bounds = src.bounds
    counties = tmp_path / "counties.geojson"
    gpd.GeoDataFrame(
        {"GEOID": ["99001"]}, geometry=[box(*bounds).buffer(0.01)], crs="EPSG:4326"
    ).to_file(counties)
    out = tmp_path / "o"
    args = ["--inputs", str(chip), "--out", str(out), "--counties", str(counties)]
    assert main(["batch", "flood", *args, "--scheduler", cluster.scheduler_address]) == 0
    assert main(["flood", "--post", str(chip), str(tmp_path / "ref.tif")]) == 0
    got = io.read_geotiff(out / "tiles" / "Pakistan_849790_S1Hand" / "whole.tif")
    ref = io.read_geotiff(tmp_path / "ref.tif")
    np.testing.assert_array_equal(got.data, ref.data)
    assert got.crs == ref.crs == "EPSG:4326"
    totals = pd.read_parquet(out / "county_totals_flood.parquet")
    ground_ha = (
        gpd.GeoSeries([box(*bounds)], crs="EPSG:4326").to_crs("EPSG:6933").area.iloc[0] / 1e4
    )
    assert totals["valid_ha"].iloc[0] == pytest.approx(ground_ha, rel=0.005)
    km2 = ground_ha / 100
    flooded_share = np.nanmean(ref.data[1])
    assert totals["flooded_ha"].iloc[0] == pytest.approx(flooded_share * km2 * 100, rel=0.02)


def test_batch_flood_takes_an_rtc_zip_as_downloaded_as_paii_flood_does(cluster, tmp_path):
    """An ASF HyP3 RTC product (one linear-power GeoTIFF per polarisation, in its zip) goes
    into `paii batch flood` as it came: a VV/VH stack in OUT/inputs, mapped as `paii flood
    --post ZIP` maps it."""
    from paii_core.batch.stac import expand_inputs
    from tests.io.test_s1_items import RTC, _rtc, _zip

    archive = _zip(_rtc(tmp_path / "rtc"))
    out = tmp_path / "o"
    (stack,) = expand_inputs([archive], stacks=out / "inputs")
    assert stack == out / "inputs" / f"{RTC}.vrt"
    with rasterio.open(stack) as src:
        assert src.descriptions == ("VV", "VH") and "/vsizip/" in src.files[1]
    res = run_batch("flood", [stack], out, scheduler=cluster.scheduler_address)
    assert not res.failed and len(res.computed) == 1
    assert main(["flood", "--post", str(archive), str(tmp_path / "ref.tif")]) == 0
    (tile,) = (out / "tiles" / RTC).glob("*.tif")  # a stack is read in windows: one here
    got = io.read_geotiff(tile)
    np.testing.assert_array_equal(got.data, io.read_geotiff(tmp_path / "ref.tif").data)


def test_batch_flood_with_a_pre_event_scene_equals_paii_flood_pre(cluster, l2a_season, tmp_path):
    """--pre pairs each input with the pre-event scene on its grid, window by window, for
    the change detection `paii flood --pre` does; a pre-event scene on no input's grid, or
    --pre for another job, is refused before anything runs."""
    from paii_core.errors import ValidationError

    _, scene = l2a_season
    post, pre = (
        io.write_sentinel1(
            tmp_path / f"S1_{n}.tif", scene.sar[k], crs=CRS, transform=transform(), date=day
        )
        for n, k, day in (("post", 6, "2020-07-01"), ("pre", 0, "2020-03-05"))
    )
    dem = io.write_dem(tmp_path / "dem.tif", scene.dem, crs=CRS, transform=transform())
    out = tmp_path / "o"
    res = run_batch("flood", [post], out, pre=[pre], dem=dem, scheduler=cluster.scheduler_address)
    assert not res.failed and len(res.computed) == 1
    args = ["--post", str(post), "--dem", str(dem)]
    assert main(["flood", *args, "--pre", str(pre), str(tmp_path / "ref.tif")]) == 0
    assert main(["flood", *args, str(tmp_path / "alone.tif")]) == 0
    ref = io.read_geotiff(tmp_path / "ref.tif").data
    got = io.read_geotiff(out / "tiles" / "S1_post" / "whole.tif").data
    np.testing.assert_array_equal(got, ref)
    # the pre-event image changes this scene's map, so the equality shows it was used
    assert not np.array_equal(ref, io.read_geotiff(tmp_path / "alone.tif").data)
    moved = io.write_sentinel1(
        tmp_path / "S1_elsewhere.tif", scene.sar[0], crs=CRS, transform=transform(x0=1000),
        date="2020-03-05",
    )  # fmt: skip
    elsewhere = r"S1_elsewhere\.tif: on the grid of no input"
    with pytest.raises(ValidationError, match=elsewhere):
        run_batch(
            "flood", [post], tmp_path / "o2", pre=[moved], scheduler=cluster.scheduler_address
        )
    from paii_core.errors import PaiiWarning

    lone = io.write_sentinel1(
        tmp_path / "S1_lone.tif", scene.sar[3], crs=CRS, transform=transform(x0=1000),
        date="2020-07-01",
    )  # fmt: skip
    with pytest.warns(PaiiWarning, match=r"1 of 2 inputs .* \(S1_lone\): mapped without change"):
        run_batch(
            "flood", [post, lone], tmp_path / "o4", pre=[pre], scheduler=cluster.scheduler_address
        )
    with pytest.raises(ValidationError, match="--pre is for flood"):
        run_batch("dehaze", [post], tmp_path / "o3", pre=[pre])
