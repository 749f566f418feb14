"""`paii dehaze` and `paii sr` on GeoTIFFs: georeferencing kept, bad files explained."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine

from paii_core.cli import main
from paii_core.config import paths
from paii_core.enhance.files import read_bgrn
from paii_core.errors import FormatError, InputFileError
from paii_core.io import write_geotiff

T = Affine(10, 0, 300000, 0, -10, 4000000)


def _bgrn(tmp_path, scene, name="in.tif", **kw):
    data = scene.clear[0].copy()
    data[:, :2, :2] = np.nan
    return write_geotiff(tmp_path / name, data, crs="EPSG:32650", transform=T, **kw)


def test_sr_keeps_crs_scales_transform_and_keeps_nodata(tmp_path, scene, capsys):
    src = _bgrn(tmp_path, scene, tags={"DATE": "2020-07-01"})
    assert main(["sr", str(src), str(tmp_path / "out.tif")]) == 0
    with rasterio.open(tmp_path / "out.tif") as out:
        assert out.crs.to_epsg() == 32650 and out.shape == (192, 192)
        assert out.transform == T @ Affine.scale(0.25)
        assert out.tags()["DATE"] == "2020-07-01"
        assert re.fullmatch(r"[0-9a-f]{12}(\+box\.[0-9a-f]{12})?", out.tags()["PAII_MODEL_VERSION"])
        assert out.tags()["PAII_SENSOR_MODEL"].endswith("(estimated from the image)")
        data = out.read()
    assert np.isnan(data[:, :8, :8]).all() and not np.isnan(data[:, 8:, 8:]).any()
    assert "sr: tile 1/1" in capsys.readouterr().err


def test_sr_records_a_given_sensor_model(tmp_path, scene):
    src = _bgrn(tmp_path, scene)
    assert main(["sr", str(src), str(tmp_path / "out.tif"), "--psf-sigma", "0"]) == 0
    with rasterio.open(tmp_path / "out.tif") as out:
        assert out.tags()["PAII_SENSOR_MODEL"] == "box 4x area average (given)"
        assert out.tags()["PAII_SR_DETAIL"] == "1.00"  # the shipped weights read the blur


def test_dehaze_on_a_demo_l2a_file(tiny_world, tmp_path):
    src = sorted((tiny_world / "demo").glob("*/s2/*_L2A.tif"))[0]
    assert main(["dehaze", str(src), str(tmp_path / "d.tif"), "--method", "dcp"]) == 0
    ref, out = read_bgrn(src), read_bgrn(tmp_path / "d.tif")
    assert out.crs == ref.crs and out.transform == ref.transform
    assert out.data.shape == ref.data.shape


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_bad_geotiffs_give_clear_errors(tmp_path, scene, capsys):
    three = write_geotiff(tmp_path / "rgb.tif", scene.clear[0][:3], crs="EPSG:32650", transform=T)
    empty = write_geotiff(
        tmp_path / "empty.tif",
        np.full((4, 8, 8), np.nan, np.float32),
        crs="EPSG:32650",
        transform=T,
    )
    nocrs = tmp_path / "nocrs.tif"
    with rasterio.open(
        nocrs, "w", driver="GTiff", width=8, height=8, count=4, dtype="float32"
    ) as dst:
        dst.write(np.full((4, 8, 8), 0.1, np.float32))
    for path, err, match in (
        (three, FormatError, "has 3 bands, expected 4"),
        (empty, InputFileError, "all nodata"),
        (nocrs, FormatError, "no CRS"),
    ):
        with pytest.raises(err, match=match):
            read_bgrn(path)
        assert main(["sr", str(path), str(tmp_path / "x.tif")]) == 2
        assert match.split()[0] in capsys.readouterr().err
    assert not (tmp_path / "x.tif").exists()


def test_paii_train_writes_weights_and_reports_version(tmp_path, capsys):
    out = tmp_path / "sr"
    assert main(["train", "sr", "--max-steps", "1", "--threads", "1", "--out", str(out)]) == 0
    assert (out / "weights.pt").is_file() and (out / "meta.json").is_file()
    assert "1 steps" in capsys.readouterr().out


def test_paii_train_passes_the_sr_loss(tmp_path):
    out = tmp_path / "sr"
    args = ["train", "sr", "--max-steps", "1", "--threads", "1", "--out", str(out)]
    assert main([*args, "--sensor", "random", "--sr-loss", "rmse"]) == 0
    assert json.loads((out / "meta.json").read_text())["sr_loss"] == "rmse"


def test_paii_train_passes_the_cap_on_other_dates(tmp_path):
    out = tmp_path / "sr"
    args = ["train", "sr", "--max-steps", "1", "--threads", "1", "--out", str(out)]
    assert main([*args, "--sensor", "random", "--others", "0"]) == 0
    assert json.loads((out / "meta.json").read_text())["sr_others"] == 0


REAL_TOA = paths().root / "data/real/slovenia_s2_l1c_eolearn/S2_L1C_TOA_20150711.tif"


@pytest.mark.parametrize("command", ["dehaze", "sr"])
def test_a_float_file_that_is_not_reflectance_is_refused(tmp_path, capsys, command):
    """The real Slovenian TOA stack saved as float DN x 10000 (a common export) was
    dehazed and upsampled as reflectance near 1000 without a word; one with an infinite
    pixel gave NaN patches and numpy overflow warnings. Both are now refused."""
    with rasterio.open(REAL_TOA) as src:
        data, profile, names = src.read(), src.profile, src.descriptions
    variants = {"dn.tif": data * 10000}
    variants["inf.tif"] = data.copy()
    variants["inf.tif"][:, 50, 50] = np.inf
    expected = {
        "dn.tif": r"dn\.tif: is read as reflectance \(a float GeoTIFF of 4 bands\), but its "
        r"median is 717 and reflectance is mostly 0 to 1\. Fix: if it holds DN, "
        r"radiance or percent, say how .*--scale 0\.0001 for DN x 10000",
        "inf.tif": r"inf\.tif: holds 4 infinite values; reflectance is finite\. Fix: set them",
    }
    for name, values in variants.items():
        path = tmp_path / name
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(values)
            dst.descriptions = names
        out = tmp_path / f"out_{name}"
        assert main([command, str(path), str(out)]) == 2
        err = capsys.readouterr().err
        assert re.search(expected[name], err), err
        assert not out.exists()
    assert main([command, str(REAL_TOA), str(tmp_path / "ok.tif")]) == 0


@pytest.mark.parametrize("value", ["-1", "nan", "2", "wide"])
def test_a_psf_sigma_out_of_range_is_named_as_the_option(tmp_path, capsys, value):
    """`paii sr IN OUT --psf-sigma -1` said 'sensor blur sigma must be within 0..1.5
    coarse pixels, got -1.0, None' (the engine's fields, not the option)."""
    with pytest.raises(SystemExit) as stop:
        main(["sr", str(REAL_TOA), str(tmp_path / "o.tif"), "--psf-sigma", value])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert (
        f"argument --psf-sigma: '{value}' should be a number of input pixels from 0 to 1.5" in err
    )
    assert not (tmp_path / "o.tif").exists()


def test_dehaze_and_reflectance_say_what_they_wrote_and_name_their_source(tmp_path, capsys):
    """`paii dehaze` printed the output path alone and `paii reflectance` "OUT: TOA 4 x
    310 x 287"; neither file said what it was made from."""
    product = Path(__file__).resolve().parents[2] / "data/real/rstoolbox_landsat5_tm"
    assert main(["dehaze", str(product), str(tmp_path / "d.tif")]) == 0
    said = capsys.readouterr().out
    assert said.startswith(
        f"Dehazed {product} (Landsat-5, 1988-08-14, top-of-atmosphere reflectance) by the "
        "path method: 287 x 310 px at 30 m, EPSG:32622; haze too thick to recover on 0.0% "
    )
    assert said.rstrip().endswith(
        f"wrote {tmp_path / 'd.tif'} (float32 B2, B3, B4, B8, THICK_HAZE, NaN nodata)"
    )
    assert main(["reflectance", f"{product}/", str(tmp_path / "r.tif")]) == 0
    assert capsys.readouterr().out.startswith(f"Read {product}")
    for name in ("d.tif", "r.tif"):
        with rasterio.open(tmp_path / name) as out:
            assert out.tags()["PAII_SOURCE"] == "rstoolbox_landsat5_tm"
