"""Tests of paii_core.io.sentinel1: dB and linear input, band order, units and errors."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from numpy.testing import assert_allclose, assert_array_equal

from paii_core.errors import FormatError, PaiiWarning, ValidationError
from paii_core.io import read_sentinel1, sigma0_units, write_geotiff, write_sentinel1
from paii_core.io.sentinel1 import inspect_sentinel1

from .conftest import ORIGIN, UTM50


def _db() -> np.ndarray:
    db = np.stack([np.linspace(-20, -5, 12), np.linspace(-28, -12, 12)]).reshape(2, 3, 4)
    db[1, 0, 0] = np.nan
    return db.astype(np.float32)


def test_db_round_trip_exact(tmp_path, grid):
    path = write_sentinel1(tmp_path / "s1.tif", _db(), date="2020-07-10", **grid)
    r = read_sentinel1(path)
    assert r.band_names == ("VV", "VH")
    assert_array_equal(r.data, _db())
    assert r.tags["SIGMA0_UNITS"] == "db" and r.tags["DATE"] == "2020-07-10"


def test_linear_round_trip(tmp_path, grid):
    path = write_sentinel1(tmp_path / "lin.tif", _db(), date="2020-07-10", units="linear", **grid)
    with rasterio.open(path) as src:
        assert src.tags()["SIGMA0_UNITS"] == "linear"
        assert_allclose(src.read(1)[0, 0], 0.01, rtol=1e-6)  # -20 dB
    r = read_sentinel1(path)
    assert r.data.dtype == np.float32
    assert_allclose(r.data, _db(), atol=1e-5)
    assert np.isnan(r.data[1, 0, 0])


def _plain(path, data, names=None, tags=None):
    return write_geotiff(path, data, crs=UTM50, transform=ORIGIN, band_names=names, tags=tags)


def test_band_order_from_descriptions(tmp_path):
    path = _plain(tmp_path / "r.tif", _db()[::-1], ("Sigma0_VH_db", "Sigma0_VV_db"))
    assert_array_equal(read_sentinel1(path).data, _db())


def test_units_inferred_from_values(tmp_path):
    db_path = _plain(tmp_path / "db.tif", _db())
    assert_array_equal(read_sentinel1(db_path).data, _db())
    linear = np.float32(10.0) ** (_db() / np.float32(10.0))
    lin_path = _plain(tmp_path / "lin.tif", linear)
    assert_allclose(read_sentinel1(lin_path).data, _db(), atol=1e-5)


def test_nonpositive_linear_becomes_nan(tmp_path):
    linear = np.full((2, 2, 2), 0.05, np.float32)
    linear[0, 0, 0] = 0.0
    path = _plain(tmp_path / "zero.tif", linear, tags={"SIGMA0_UNITS": "LINEAR"})
    with pytest.warns(PaiiWarning, match="1 linear sigma0 values <= 0"):
        r = read_sentinel1(path)
    assert np.isnan(r.data[0, 0, 0]) and r.data[1, 1, 1] == np.float32(
        10 * np.log10(np.float64(np.float32(0.05)))
    )


def test_a_label_file_is_not_backscatter():
    """The real Sen1Floods11 hand label (-1, 0, 1) given as --post was read as linear
    sigma0 and mapped to 0 % water with a warning; it is refused. So is a label of mostly
    water (India_pxs10: 65 % ones), whose 0/1 passed the share of values <= 0: `paii
    flood` mapped it as a scene and exited 0."""
    real = Path(__file__).resolve().parents[2] / "data/real"
    for label, values in (
        ("sen1floods11_dev/Spain_6860600_LabelHand.tif", "3 distinct values (-1, 0, 1)"),
        ("stac_overflow_dev/India_pxs10_LabelHand.tif", "2 distinct values (0, 1)"),
    ):
        with pytest.raises(FormatError, match=rf"LabelHand\.tif: holds only {re.escape(values)}, "
                           r"as a class raster does .* Fix: pass the Sentinel-1 VV .* "
                           r"\*_S1Hand\.tif rather than its \*_LabelHand\.tif"):  # fmt: skip
            read_sentinel1(real / label, allow_vv_only=True)
        with pytest.raises(FormatError, match=re.escape(values)):  # the windowed reader's
            inspect_sentinel1(real / label, allow_vv_only=True)


def test_few_values_over_a_small_scene_are_judged_by_the_values(tmp_path):
    """Under 256 pixels a scene is too small to call a class raster by its values."""
    path = _plain(tmp_path / "flat.tif", np.full((2, 8, 8), -12.0, np.float32))
    assert read_sentinel1(path).data.shape == (2, 8, 8)


def test_mapping_of_files(tmp_path):
    vv = _plain(tmp_path / "vv.tif", _db()[:1], tags={"SIGMA0_UNITS": "db"})
    vh = _plain(tmp_path / "vh.tif", _db()[1:])
    assert_array_equal(read_sentinel1({"vh": vh, "VV": vv}).data, _db())
    with pytest.raises(ValidationError, match="sentinel-1 source lacks VH"):
        read_sentinel1({"VV": vv})
    moved = write_geotiff(tmp_path / "moved.tif", _db()[1], crs=UTM50,
                          transform=ORIGIN @ Affine.translation(0, 1))  # fmt: skip
    with pytest.raises(FormatError, match=r"moved\.tif: is not on the grid of vv\.tif"):
        read_sentinel1({"VV": vv, "VH": moved})


def test_wrong_band_count(tmp_path):
    path = _plain(tmp_path / "three.tif", np.zeros((3, 2, 2)) - 10)
    with pytest.raises(FormatError, match=r"three\.tif: has 3 bands, expected 2"):
        read_sentinel1(path)


def test_descriptions_not_vv_vh(tmp_path):
    path = _plain(tmp_path / "vvvv.tif", _db(), ("VV", "Sigma0_VV"))
    with pytest.raises(FormatError, match="do not name one VV and one VH band"):
        read_sentinel1(path)


@pytest.mark.parametrize("names", [("VV", "HH"), ("HH", "HV"), ("Sigma0_HH_db", "x")])
def test_hh_hv_scenes_are_refused_not_read_as_vv(tmp_path, names):
    path = _plain(tmp_path / "hh.tif", _db(), names)
    with pytest.raises(FormatError, match=r"hh\.tif: holds H[HV].* polarisation"):
        read_sentinel1(path)
    one = _plain(tmp_path / "hv1.tif", _db()[:1], ("HV",))
    with pytest.raises(FormatError, match="holds HV polarisation"):
        read_sentinel1(one, allow_vv_only=True)


def test_vv_only_scene(tmp_path):
    path = _plain(tmp_path / "vv.tif", _db()[:1], ("VV",))
    with pytest.raises(FormatError, match=r"vv\.tif: has 1 band; expected 2"):
        read_sentinel1(path)
    r = read_sentinel1(path, allow_vv_only=True)
    assert_array_equal(r.data[0], _db()[0])
    assert np.isnan(r.data[1]).all() and r.tags["POLARISATIONS"] == "VV"
    assert read_sentinel1({"VV": path}, allow_vv_only=True).tags["POLARISATIONS"] == "VV"
    vh = _plain(tmp_path / "vh1.tif", _db()[:1], ("VH",))
    with pytest.raises(FormatError, match="one-band scene must be VV"):
        read_sentinel1(vh, allow_vv_only=True)


def test_units_stated_override_the_values(tmp_path):
    linear = np.float32(10.0) ** (_db() / np.float32(10.0))
    path = _plain(tmp_path / "lin.tif", linear, tags={"SIGMA0_UNITS": "db"})
    assert_allclose(read_sentinel1(path, units="linear").data, _db(), atol=1e-5)
    assert_allclose(read_sentinel1(path).data, linear)
    with pytest.raises(ValidationError, match="units 'amplitude' is unknown"):
        read_sentinel1(path, units="amplitude")


@pytest.mark.parametrize(
    ("data", "tags", "match"),
    [
        (_db(), {"SIGMA0_UNITS": "amplitude"}, "SIGMA0_UNITS tag is 'amplitude'"),
        (np.full((2, 2, 2), 5.0), None, "non-negative with median 5, which is neither"),
        (np.full((2, 2, 2), np.nan), None, "has no valid pixel and no SIGMA0_UNITS tag"),
    ],
)
def test_units_errors(tmp_path, data, tags, match):
    path = _plain(tmp_path / "u.tif", data, tags=tags)
    with pytest.raises(FormatError, match=match):
        read_sentinel1(path)


def test_sigma0_units_rule():
    assert sigma0_units(np.array([-12.0, -3.0, 2.0]), {}) == "db"
    assert sigma0_units(np.array([0.02, 0.3, 1.5]), {}) == "linear"
    assert sigma0_units(np.array([5.0]), {"sigma0_units": "Decibel"}) == "db"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sigma0_db": np.zeros((3, 2, 2))}, r"should be \(2, H, W\) VV, VH"),
        ({"units": "amplitude"}, "units 'amplitude' is unknown"),
        ({"date": "10/07/2020"}, "date '10/07/2020' is not ISO 8601"),
    ],
)
def test_writer_rejects(tmp_path, grid, kwargs, match):
    args = {"sigma0_db": np.zeros((2, 2, 2)), "date": "2020-07-10"} | grid | kwargs
    with pytest.raises(ValidationError, match=match):
        write_sentinel1(tmp_path / "x.tif", **args)


REAL_CHIP = (
    Path(__file__).resolve().parents[2] / "data/real/sen1floods11_dev/Nigeria_812045_S1Hand.tif"
)


def _variant(path: Path, values: np.ndarray, **profile) -> Path:
    with rasterio.open(REAL_CHIP) as src:
        kw, names = src.profile | profile, src.descriptions
    with rasterio.open(path, "w", **kw) as dst:
        dst.write(values)
        dst.descriptions = names
    return path


def test_values_no_sigma0_takes_are_refused_and_linear_read_as_db_is_warned(tmp_path):
    """The real chip stored as int16 dB x 100 (a common packing) was read as dB with a
    median near -1445 dB: 'no water contrast', water 0 %, and an output written. Its
    linear copy read with --units db gave the same silent 0 %: now it is warned."""
    with rasterio.open(REAL_CHIP) as src:
        db = src.read()
    packed = np.where(np.isnan(db), -32768, np.round(db * 100)).astype(np.int16)
    path = _variant(tmp_path / "db100.tif", packed, dtype="int16", nodata=-32768)
    with pytest.raises(FormatError, match=r"db100\.tif: has a median VV of -1\d{3} dB \(read as "
                       r"db\), which sigma0 never is \(mostly -30 to 0 dB\).*Fix: write sigma0 "
                       r"in dB or linear power first"):  # fmt: skip
        read_sentinel1(path)
    from paii_core.io.sentinel1 import inspect_sentinel1

    with pytest.raises(FormatError, match=r"has a median VV of -1\d{3} dB"):
        inspect_sentinel1(path)
    linear = _variant(tmp_path / "lin.tif", (10.0 ** (db / 10.0)).astype(np.float32))
    warned = (
        r"lin\.tif: is read as dB \(as --units or its SIGMA0_UNITS tag say\), but its VV "
        r"values look like linear power \(0\.0% negative, median 0\.0\d+\); if they are, "
        r"pass --units linear"
    )
    with pytest.warns(PaiiWarning, match=warned):
        read_sentinel1(linear, units="db")
    assert_allclose(read_sentinel1(linear).data, db, atol=1e-4)  # auto: linear, no warning
