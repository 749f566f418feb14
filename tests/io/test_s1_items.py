"""Sentinel-1 as downloaded: one GeoTIFF per polarisation in a folder or a zip (an ASF
HyP3 RTC product), read in place by `paii flood` and `paii area add`; a raw GRD .SAFE
refused with how to get backscatter."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
import rasterio

from paii_core.cli import main
from paii_core.config import REPO_ROOT
from paii_core.errors import FormatError
from paii_core.io.s1_items import polarisation_files, sentinel1_stack

CHIP = REPO_ROOT / "data" / "real" / "sen1floods11_dev" / "Nigeria_812045_S1Hand.tif"
"""A real Sentinel-1 chip (VV, VH in dB, EPSG:4326; development data, not a test chip)."""
RTC = "S1A_IW_20180926T181000_DVP_RTC10_G_gpuned_4F2A"
"""An ASF HyP3 RTC product's name (its date is the chip's event's month, not its day)."""


def _rtc(folder: Path) -> Path:
    """The chip as an RTC product folder: linear power per polarisation (nodata 0, as HyP3
    writes it) beside the files an RTC product carries that are no polarisation."""
    product = folder / RTC
    product.mkdir(parents=True)
    with rasterio.open(CHIP) as src:
        profile = src.profile | {"count": 1, "nodata": 0.0}
        for i, pol in enumerate(("VV", "VH"), 1):
            db = src.read(i)
            power = np.where(np.isfinite(db), 10 ** (db / 10), 0).astype(np.float32)
            with rasterio.open(product / f"{RTC}_{pol}.tif", "w", **profile) as dst:
                dst.write(power, 1)
        with rasterio.open(product / f"{RTC}_ls_map.tif", "w", **profile | {"dtype": "uint8",
                           "nodata": None}) as dst:  # fmt: skip
            dst.write(np.zeros((1, src.height, src.width), np.uint8))
    (product / f"{RTC}.README.md.txt").write_text("ASF HyP3 RTC product")
    return product


def _zip(folder: Path) -> Path:
    archive = folder.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w") as z:
        for part in sorted(folder.rglob("*")):
            z.write(part, part.relative_to(folder.parent).as_posix())
    return archive


def _flood(post: Path, out: Path) -> np.ndarray:
    assert main(["flood", "--post", str(post), str(out)]) == 0
    with rasterio.open(out) as r:
        assert r.descriptions[0] == "water"
        return r.read(1)


def test_an_rtc_zip_or_folder_maps_as_the_stacked_chip(tmp_path, capsys):
    product = _rtc(tmp_path / "rtc")
    archive = _zip(product)
    stacked = _flood(CHIP, tmp_path / "stacked.tif")
    for item in (product, archive):
        water = _flood(item, tmp_path / f"{item.suffix or 'folder'}.tif")
        both = np.isfinite(stacked) & np.isfinite(water)
        assert both.mean() > 0.99 and (water[both] == stacked[both]).mean() > 0.999
        assert 0.05 < np.nanmean(water) < 0.95  # the chip has water and land
    assert "wrote" in capsys.readouterr().out
    assert not list(tmp_path.glob("rtc/*.vrt")) and not (tmp_path / RTC).exists()


def test_stacking_keeps_the_files_on_their_grid_and_names_them(tmp_path):
    archive = _zip(_rtc(tmp_path / "rtc"))
    files = polarisation_files(archive)
    assert sorted(files) == ["VH", "VV"]
    assert files["VV"] == f"/vsizip/{{{archive}}}/{RTC}/{RTC}_VV.tif"
    with sentinel1_stack(archive) as vrt, rasterio.open(vrt) as stack, rasterio.open(CHIP) as chip:
        assert vrt.name == f"{RTC}.vrt" and stack.descriptions == ("VV", "VH")
        assert stack.transform == chip.transform and stack.crs == chip.crs
        power = stack.read(1, masked=True)
        db = 10 * np.ma.log10(power)
        np.testing.assert_allclose(db.filled(np.nan), chip.read(1), rtol=0, atol=1e-4)
    assert not vrt.exists()
    assert polarisation_files(CHIP) is None  # a GeoTIFF is read as it is


def test_refusals_name_the_item_and_the_fix(tmp_path):
    grd = tmp_path / "S1A_IW_GRDH_1SDV_20180926T181000_20180926T181025_023872_029A94_3F2E.SAFE"
    (grd / "measurement").mkdir(parents=True)
    (grd / "manifest.safe").write_text("<xfdu/>")
    (grd / "measurement" / "s1a-iw-grd-vv-20180926t181000-001.tiff").write_bytes(b"II*\0")
    with pytest.raises(FormatError, match=r"_3F2E\.zip: is a raw Sentinel-1 GRD product .*"
                       r"Fix: PAII reads calibrated, terrain-corrected backscatter"):  # fmt: skip
        polarisation_files(_zip(grd))
    with pytest.raises(FormatError, match="is a raw Sentinel-1 GRD product"):
        polarisation_files(grd)
    product = _rtc(tmp_path / "rtc")
    (product / f"{RTC}_VV.tif").rename(product / f"{RTC}_HH.tif")
    with pytest.raises(FormatError, match=r"holds no VV GeoTIFF .*found: HH: .*_HH\.tif, VH: "):
        polarisation_files(product)
    (product / f"{RTC}_HH.tif").rename(product / f"{RTC}_VV.tif")
    (product / "copy").mkdir()
    (product / "copy" / "VV.tif").write_bytes((product / f"{RTC}_VV.tif").read_bytes())
    with pytest.raises(FormatError, match=r"holds 2 VV files \(.*\); which one to read"):
        polarisation_files(product)
    (product / "copy" / "VV.tif").unlink()
    with rasterio.open(product / f"{RTC}_VH.tif") as src:
        data, profile = src.read(), src.profile
    with rasterio.open(product / f"{RTC}_VH.tif", "w", **profile | {"width": 500}) as dst:
        dst.write(data[:, :, :500])
    out = tmp_path / "out.tif"
    assert main(["flood", "--post", str(product), str(out)]) == 2
    assert not out.exists()
    with pytest.raises(FormatError, match=r"_4F2A: has VV and VH files on different grids"):
        with sentinel1_stack(product):
            pass
