"""An area from Sentinel-1 alone (no Sentinel-2, no DEM, no plots), its SAR in geographic
coordinates: added on a 10 m UTM grid, its flood mapped and stored, the Flood page drawn."""

from __future__ import annotations

import json
import zipfile
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.warp import transform_bounds

from paii_core import io, store
from paii_core.areas import add_area_from_items, area_folder
from paii_core.cli import main
from paii_core.errors import FormatError, ValidationError
from paii_core.flood.event import inputs_digest, is_stale, run_flood_event
from paii_core.store import flood as flood_store
from paii_core.workspace.areas import get_area
from paii_core.workspace.inventory import region_data

from .conftest import items

PRE, POST = date(2022, 7, 2), date(2022, 7, 14)
PX_DEG = 1e-4  # about 9 m east-west, 11 m north-south at 38 N
SIZE = 220


def _footprint() -> tuple[float, float, float, float]:
    """Lon/lat bounds of the Kansas items' ground (Harvey county)."""
    t = items.transform(10)
    x0, y1 = t.c, t.f
    x1, y0 = x0 + 10 * items.SIZE, y1 - 10 * items.SIZE
    return transform_bounds(items.CRS_UTM14, "EPSG:4326", x0, y0, x1, y1)


def _sar(path: Path, day: date, flooded: bool, seed: int, east_deg: float = 0.0) -> Path:
    """A VV+VH scene in EPSG:4326, linear power with 4-look speckle: land, a river along
    the west edge, and (``flooded``) a flood over the river's east bank; ``east_deg``
    moves it east."""
    west, _, _, north = _footprint()
    west += east_deg
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:SIZE, :SIZE]
    water = xx < 30
    if flooded:
        water |= (xx < 110) & (yy > 40) & (yy < 180)
    vv = np.where(water, -22.0, -9.0)
    vh = np.where(water, -29.0, -16.0)
    speckle = rng.gamma(4.0, 1 / 4.0, size=(2, SIZE, SIZE))
    linear = 10 ** (np.stack([vv, vh]) / 10) * speckle
    io.write_geotiff(path, linear.astype(np.float32), crs="EPSG:4326",
                     transform=Affine(PX_DEG, 0, west, 0, -PX_DEG, north),
                     band_names=("VV", "VH"), tags={"DATE": day.isoformat()})  # fmt: skip
    return path


@pytest.fixture
def sar(tmp_path) -> list[Path]:
    return [_sar(tmp_path / "pre.tif", PRE, False, 1), _sar(tmp_path / "post.tif", POST, True, 2)]


def test_sentinel1_alone_makes_a_flood_area(kansas_store, sar):
    con, data = kansas_store
    added = add_area_from_items(con, "harvey-sar", region_id="kansas", s2=[], s1=sar,
                                flood_dates=[POST])  # fmt: skip
    g = added.grid
    assert g.crs.to_epsg() == 32614 and g.pixel_size == 10.0 and added.county_id == "20079"
    # the SAR's ground (220 x 1e-4 deg: 1.93 km x 2.44 km; its UTM bounds a little more,
    # the grid turned by the meridian convergence), inward to whole 10 m pixels
    assert 192 <= g.width <= 200 and 243 <= g.height <= 250, (g.width, g.height)
    assert added.dates == [] and added.n_s1 == 2 and not added.has_dem
    assert any("has Sentinel-1 only: it maps floods" in w for w in added.warnings)
    area = get_area(con, "harvey-sar")
    assert area.sensors == ("S1",) and area.n_dates == 0 and area.has_flood
    names = sorted(p.name for p in (area_folder("harvey-sar", data) / "s1").iterdir())
    assert names == ["S1_harvey-sar_20220702_sigma0.tif", "S1_harvey-sar_20220714_sigma0.tif"]
    said = region_data(con, "kansas").warnings
    assert any(w.startswith("area harvey-sar has Sentinel-1 only") for w in said), said

    event = run_flood_event(con, "harvey-sar", data_dir=data)
    products = flood_store.event_frame(con, "flood_products", event)
    # the flood (80 x 140 px of 1e-4 deg, ~0.95 km2); the river is permanent water
    px_km2 = (PX_DEG * 111.32 * np.cos(np.deg2rad(38.05))) * (PX_DEG * 111.0)
    truth_km2 = 80 * 140 * px_km2
    flooded = float(products["flooded_km2"].iloc[0])
    assert abs(flooded - truth_km2) < 0.15 * truth_km2, (flooded, truth_km2)
    assert products["mean_depth_m"].isna().all()  # no DEM: no depth
    counties = flood_store.county_impacts(con, event, "kansas", POST).set_index("county_id")
    assert counties.loc["20079", "flooded_km2"] == pytest.approx(flooded)
    assert np.isnan(counties.loc["20079", "value"])  # no plots: flooded cropland unknown
    stored = con.execute("SELECT count(*) FROM flood_county_impacts WHERE event_id = ? "
                         "AND cropland_flooded_km2 IS NULL", [event]).fetchone()[0]  # fmt: skip
    assert stored == 1  # NULL, not NaN or 0

    # The area rebuilt with both dates marked as the flood: the event is out of date, and
    # mapping it again leaves one event, the new one.
    def stored_hash() -> str:
        return flood_store.events(con).set_index("event_id").loc[event, "input_hash"]

    assert not is_stale(stored_hash(), inputs_digest(con, "harvey-sar", data_dir=data))
    add_area_from_items(con, "harvey-sar", region_id="kansas", s2=[], s1=sar,
                        flood_dates=[PRE, POST], replace=True)  # fmt: skip
    assert is_stale(stored_hash(), inputs_digest(con, "harvey-sar", data_dir=data))
    again = run_flood_event(con, "harvey-sar", data_dir=data)
    assert again != event and flood_store.events(con)["event_id"].tolist() == [again]
    assert not flood_store.event_frame(con, "flood_county_impacts", event).shape[0]


def _as_rtc_zip(scene: Path, day: date) -> Path:
    """``scene`` as an ASF HyP3 RTC product's zip: one GeoTIFF per polarisation, the date
    in the product's name only (no DATE tag)."""
    name = f"S1A_IW_{day:%Y%m%d}T001500_DVP_RTC10_G_gpuned_77AB"
    archive = scene.with_name(f"{name}.zip")
    with rasterio.open(scene) as src, zipfile.ZipFile(archive, "w") as z:
        for i, pol in enumerate(("VV", "VH"), 1):
            part = scene.with_name(f"{name}_{pol}.tif")
            with rasterio.open(part, "w", **src.profile | {"count": 1}) as dst:
                dst.write(src.read(i), 1)
            z.write(part, f"{name}/{part.name}")
    return archive


def test_rtc_zips_as_downloaded_make_the_same_flood_area(kansas_store, sar):
    con, data = kansas_store
    zips = [_as_rtc_zip(path, day) for path, day in zip(sar, (PRE, POST), strict=True)]
    args = ["area", "add", "harvey-rtc", "--region", "kansas", "--quiet", "--db",
            str(data / "paii.duckdb"), "--s1", *map(str, zips),
            "--flood-date", str(POST)]  # fmt: skip
    con.close()
    assert main(args) == 0
    con = store.connect(data / "paii.duckdb")
    try:
        add_area_from_items(con, "harvey-tif", region_id="kansas", s2=[], s1=sar,
                            flood_dates=[POST])  # fmt: skip
        for day in (PRE, POST):
            a, b = (
                area_folder(aoi, data) / "s1" / f"S1_{aoi}_{day:%Y%m%d}_sigma0.tif"
                for aoi in ("harvey-rtc", "harvey-tif")
            )
            with rasterio.open(a) as ra, rasterio.open(b) as rb:
                np.testing.assert_array_equal(ra.read(), rb.read())
        details = con.execute("SELECT details FROM products WHERE aoi_id = 'harvey-rtc' "
                              "AND kind = 's1_grd' ORDER BY acquired").fetchall()  # fmt: skip
        assert [json.loads(d)["source"] for (d,) in details] == list(map(str, zips))
    finally:
        con.close()


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")  # the bare file
def test_sentinel1_area_refusals(kansas_store, sar, tmp_path, capsys):
    con, data = kansas_store
    said = r"--flood-date 2022-07-20 is no Sentinel-1 date of the area \(its Sentinel-1 dates: "
    with pytest.raises(ValidationError, match=said + r"2022-07-02, 2022-07-14\)"):
        add_area_from_items(con, "k1", region_id="kansas", s2=[], s1=sar,
                            flood_dates=[date(2022, 7, 20)])  # fmt: skip
    far = _sar(tmp_path / "far.tif", POST, True, 3, east_deg=0.5)
    with pytest.raises(ValidationError, match="the Sentinel-1 items share no ground"):
        add_area_from_items(con, "k1", region_id="kansas", s2=[], s1=[sar[0], far])
    bare = tmp_path / "bare.tif"
    profile = dict(driver="GTiff", width=20, height=20, count=2, dtype="float32")
    with rasterio.open(bare, "w", **profile) as dst:
        dst.write(np.ones((2, 20, 20), np.float32))
        dst.descriptions = ("VV", "VH")
        dst.update_tags(DATE="2022-07-14")
    with pytest.raises(FormatError, match=r"bare\.tif: has no coordinate reference system"):
        add_area_from_items(con, "k1", region_id="kansas", s2=[], s1=[bare])
    assert con.execute("SELECT count(*) FROM aois").fetchone()[0] == 0
    assert not area_folder("k1", data).exists()
    con.close()
    assert main(["area", "add", "k1", "--region", "kansas", "--s1", *map(str, sar),
                 "--flood-date", POST.isoformat()]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "no Sentinel-2, 2 Sentinel-1, DEM no" in out and "EPSG:32614" in out
