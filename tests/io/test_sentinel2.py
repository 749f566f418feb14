"""Tests of paii_core.io.sentinel2: DN scaling, band selection, SCL masking, errors."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from numpy.testing import assert_array_equal
from rasterio.crs import CRS

from paii_core.errors import BandOrderError, FormatError, PaiiWarning, ValidationError
from paii_core.io import (
    S2_BANDS,
    read_geotiff,
    read_scl,
    read_sentinel2_l2a,
    write_geotiff,
    write_scl,
    write_sentinel2_l2a,
)

from .conftest import ORIGIN, UTM50


def _reflectance(h: int = 4, w: int = 6) -> np.ndarray:
    refl = (np.arange(4 * h * w, dtype=np.float64).reshape(4, h, w) * 17 % 5000 + 1) / 10000
    refl[1, 0, 0] = np.nan
    return refl


def test_round_trip_is_exact(tmp_path, grid):
    refl = _reflectance()
    path = write_sentinel2_l2a(
        tmp_path / "s2.tif", refl, date="2021-06-01T03:05:59Z", tile_id="50SKE", **grid
    )
    r = read_sentinel2_l2a(path)
    assert r.band_names == S2_BANDS
    assert r.data.dtype == np.float32
    assert_array_equal(r.data, refl.astype(np.float32))
    assert r.tags["TILE_ID"] == "50SKE"
    assert r.tags["DATE"] == "2021-06-01"


def test_written_file_is_l2a_like(tmp_path, grid):
    refl = np.full((4, 2, 2), 0.1234)
    refl[0, 0, 0] = np.nan
    path = write_sentinel2_l2a(tmp_path / "s2.tif", refl, date="2021-06-01", **grid)
    with rasterio.open(path) as src:
        assert src.dtypes == ("uint16",) * 4
        assert src.nodata == 0
        assert src.descriptions == S2_BANDS
        assert src.read(1)[0, 0] == 0
        assert src.read(1)[0, 1] == 2234  # 0.1234 * 10000 + 1000
        tags = src.tags()
    assert tags["PROCESSING_BASELINE"] == "05.10"
    assert tags["BOA_ADD_OFFSET"] == "-1000"
    assert tags["QUANTIFICATION_VALUE"] == "10000"
    assert tags["DATATAKE_SENSING_START"] == "2021-06-01"


def test_old_baseline_has_no_offset(tmp_path, grid):
    refl = _reflectance()
    path = write_sentinel2_l2a(
        tmp_path / "old.tif", refl, date="2020-07-10", processing_baseline="02.14", **grid
    )
    with rasterio.open(path) as src:
        assert src.tags()["BOA_ADD_OFFSET"] == "0"
        assert src.read(1)[0, 0] == round(refl[0, 0, 0] * 10000)
    assert_array_equal(read_sentinel2_l2a(path).data, refl.astype(np.float32))


def _dn_file(path, dn, names=None, tags=None, describe=True):
    if names is None and describe and len(dn) == 4:
        names = S2_BANDS
    return write_geotiff(
        path, dn, crs=UTM50, transform=ORIGIN, dtype="uint16", nodata=0,
        band_names=names, tags=tags,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"BOA_ADD_OFFSET": "-1000"}, 0.1),
        ({"PROCESSING_BASELINE": "04.00"}, 0.1),
        ({"PROCESSING_BASELINE": "03.01"}, 0.2),
        ({"BOA_ADD_OFFSET": "0", "QUANTIFICATION_VALUE": "1000"}, 2.0),
    ],
)
def test_offset_from_tags(tmp_path, tags, expected):
    path = _dn_file(tmp_path / "t.tif", np.full((4, 1, 1), 2000), tags=tags)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PaiiWarning)  # 2.0 is out of range on purpose
        r = read_sentinel2_l2a(path)
    assert r.data[0, 0, 0] == np.float32(expected)


def test_offset_from_safe_name_or_refused(tmp_path):
    safe = tmp_path / "S2B_MSIL2A_20220601T030549_N0400_R075_T50SKE_20220601T060000.SAFE"
    path = _dn_file(safe / "stack.tif", np.full((4, 1, 1), 2000))
    assert read_sentinel2_l2a(path).data[0, 0, 0] == np.float32(0.1)
    bare = _dn_file(tmp_path / "bare.tif", np.full((4, 1, 1), 2000))
    with pytest.raises(
        FormatError,
        match=r"bare\.tif: has no BOA_ADD_OFFSET or PROCESSING_BASELI"
        r"NE tag .* Fix: tag it: `rio edit-info --tag PROCESSING_BASELINE.*harmonised .*"
        r"`--tag BOA_ADD_OFFSET=0`",
    ):
        read_sentinel2_l2a(bare)


def test_bands_picked_by_description(tmp_path):
    dn = np.stack([np.full((2, 2), v) for v in (1800, 1400, 1300, 1100, 1200)])
    names = ("B08", "B04", "B11", "B03", "B02")
    path = _dn_file(tmp_path / "five.tif", dn, names, {"BOA_ADD_OFFSET": "-1000"})
    r = read_sentinel2_l2a(path)
    assert_array_equal(r.data[:, 0, 0], np.float32([0.02, 0.01, 0.04, 0.08]))


def test_dn_zero_is_nodata(tmp_path):
    dn = np.full((4, 1, 2), 1500)
    path = write_geotiff(
        tmp_path / "z.tif", dn, crs=UTM50, transform=ORIGIN, dtype="uint16", nodata=65535,
        tags={"BOA_ADD_OFFSET": "-1000"}, band_names=S2_BANDS,
    )  # fmt: skip
    with rasterio.open(path, "r+") as dst:
        dst.write(np.zeros((1, 2), np.uint16), 3, window=((0, 1), (0, 1)))
    r = read_sentinel2_l2a(path)
    assert np.isnan(r.data[2, 0, 0]) and r.data[2, 0, 1] == np.float32(0.05)


def test_an_undeclared_negative_fill_is_no_data_with_the_fix(tmp_path):
    """An int16 stack whose fill is -9999 without a nodata tag (FORCE, some GEE exports):
    those pixels were read as reflectance -1.1 and enhanced."""
    dn = np.full((4, 2, 3), 1500, np.int16)
    dn[:, 0, :2] = -9999
    path = tmp_path / "int16.tif"
    with rasterio.open(path, "w", driver="GTiff", width=3, height=2, count=4, dtype="int16",
                       crs=UTM50, transform=ORIGIN) as dst:  # no nodata declared  # fmt: skip
        dst.write(dn)
        dst.descriptions = S2_BANDS
        dst.update_tags(BOA_ADD_OFFSET="-1000")
    with pytest.warns(PaiiWarning, match=r"int16\.tif: 8 values are negative DN \(-9999\), .*"
                      r"gdal_edit\.py -a_nodata -9999 FILE"):  # fmt: skip
        r = read_sentinel2_l2a(path)
    assert np.isnan(r.data[:, 0, :2]).all() and (r.data[:, 1] == np.float32(0.05)).all()


def test_missing_band_descriptions(tmp_path):
    path = _dn_file(tmp_path / "m.tif", np.ones((4, 2, 2)), ("B2", "B3", "B4", "B5"))
    with pytest.raises(BandOrderError, match=r"m\.tif: band descriptions .* lack B8 \(names "
                       r"are read as Sentinel-2's: B5 is its red edge, while a Landsat 8/9 "
                       r"stack's B5 is NIR\)\. Fix: stack bands B2"):  # fmt: skip
        read_sentinel2_l2a(path)


def test_wrong_band_count_without_descriptions(tmp_path):
    path = _dn_file(tmp_path / "three.tif", np.ones((3, 2, 2)))
    with pytest.raises(FormatError, match="has 3 bands without descriptions naming Sentinel-2"):
        read_sentinel2_l2a(path)


def test_one_band_file_is_one_band(tmp_path):
    """A Landsat band file (LT05_..._B1.TIF) uploaded on the Imagery page: "has 1 bands"."""
    path = _dn_file(tmp_path / "LT05_B1.tif", np.ones((1, 2, 2)), describe=False)
    with pytest.raises(FormatError, match="has 1 band without descriptions naming Sentinel-2"):
        read_sentinel2_l2a(path)


def test_four_bands_without_descriptions_are_never_read_by_position(tmp_path):
    path = _dn_file(tmp_path / "four.tif", np.ones((4, 2, 2)), describe=False,
                    tags={"BOA_ADD_OFFSET": "0"})  # fmt: skip
    with pytest.raises(
        FormatError,
        match=r"four\.tif: has 4 bands without descriptions .*"
        r"swaps red and blue\)\. Fix: name each band",
    ):
        read_sentinel2_l2a(path)


@pytest.mark.parametrize(
    ("tags", "match"),
    [
        ({"PROCESSING_BASELINE": "baseline five"}, "PROCESSING_BASELINE tag 'baseline five'"),
        ({"BOA_ADD_OFFSET": "minus a thousand"}, "BOA_ADD_OFFSET tag 'minus a thousand'"),
        ({"QUANTIFICATION_VALUE": "0"}, "QUANTIFICATION_VALUE tag '0' is not a positive"),
        ({"QUANTIFICATION_VALUE": "ten"}, "QUANTIFICATION_VALUE tag 'ten' is not a positive"),
    ],
)
def test_garbage_tags(tmp_path, tags, match):
    path = _dn_file(tmp_path / "g.tif", np.ones((4, 2, 2)), tags=tags)
    with pytest.raises(FormatError, match=match):
        read_sentinel2_l2a(path)


def test_per_band_files_geotiff_and_jp2(tmp_path):
    files = {}
    for i, band in enumerate(("B02", "B03", "B04")):
        tags = {"PROCESSING_BASELINE": "05.09"} if band == "B02" else None
        files[band] = _dn_file(tmp_path / f"{band}.tif", np.full((1, 3, 3), 2000 + i), tags=tags)
    jp2 = tmp_path / "T50SKE_B08_10m.jp2"
    profile = {"driver": "JP2OpenJPEG", "height": 3, "width": 3, "count": 1, "dtype": "uint16"}
    with rasterio.open(
        jp2, "w", crs=UTM50, transform=ORIGIN, QUALITY=100, REVERSIBLE="YES", **profile
    ) as dst:
        dst.write(np.full((1, 3, 3), 4000, np.uint16))
    files["B8"] = jp2
    r = read_sentinel2_l2a(files)
    assert_array_equal(r.data[:, 1, 1], np.float32([0.1, 0.1001, 0.1002, 0.3]))
    assert r.tags["PROCESSING_BASELINE"] == "05.09"


def test_per_band_files_errors(tmp_path):
    a = _dn_file(tmp_path / "a.tif", np.ones((1, 3, 3)), tags={"BOA_ADD_OFFSET": "0"})
    with pytest.raises(ValidationError, match="per-band source lacks B8"):
        read_sentinel2_l2a({"B2": a, "B3": a, "B4": a})
    shifted = write_geotiff(
        tmp_path / "b.tif", np.ones((3, 3)), crs=UTM50, transform=ORIGIN @ Affine.translation(1, 0),
        dtype="uint16", nodata=0,
    )  # fmt: skip
    with pytest.raises(FormatError, match=r"b\.tif: is not on the grid of a\.tif"):
        read_sentinel2_l2a({"B2": a, "B3": a, "B4": a, "B8": shifted})


def test_scl_upsampled_and_clouds_masked(tmp_path, grid):
    refl = np.full((4, 4, 4), 0.2)
    path = write_sentinel2_l2a(tmp_path / "s2.tif", refl, date="2021-06-01", **grid)
    scl = np.array([[4, 8], [3, 5]], dtype=np.uint8)  # veg, cloud / shadow, bare
    scl_path = write_scl(tmp_path / "scl.tif", scl, crs=UTM50, transform=ORIGIN @ Affine.scale(2))
    r = read_sentinel2_l2a(path)
    classes = read_scl(scl_path, r)
    assert classes.dtype == np.uint8
    assert_array_equal(classes, np.kron(scl, np.ones((2, 2), np.uint8)))
    masked = read_sentinel2_l2a(path, scl=scl_path, mask_clouds=True)
    expect_nan = np.kron([[0, 1], [1, 0]], np.ones((2, 2))).astype(bool)
    assert_array_equal(np.isnan(masked.data[0]), expect_nan)
    assert np.isnan(masked.data[:, expect_nan]).all()
    assert masked.tags["SCL_FILE"] == str(scl_path)
    kept = read_sentinel2_l2a(path, scl=scl_path)
    assert not np.isnan(kept.data).any()


def test_scl_outside_gives_zero(tmp_path, grid):
    like = read_sentinel2_l2a(
        write_sentinel2_l2a(tmp_path / "s2.tif", np.full((4, 2, 2), 0.1), date="2021-06-01",
                            **grid)
    )  # fmt: skip
    far = write_scl(tmp_path / "far.tif", np.full((2, 2), 9), crs=CRS.from_epsg(32650),
                    transform=ORIGIN @ Affine.translation(1000, 0))  # fmt: skip
    assert_array_equal(read_scl(far, like), np.zeros((2, 2)))


def test_scl_errors(tmp_path, grid):
    path = write_sentinel2_l2a(tmp_path / "s2.tif", np.full((4, 2, 2), 0.1), date="2021-06-01",
                               **grid)  # fmt: skip
    with pytest.raises(ValidationError, match="mask_clouds=True needs scl="):
        read_sentinel2_l2a(path, mask_clouds=True)
    bad = write_geotiff(tmp_path / "bad_scl.tif", np.full((2, 2), 40), dtype="uint8", nodata=0,
                        **grid)  # fmt: skip
    with pytest.raises(FormatError, match=r"bad_scl\.tif: has values 40\.\.40, outside the SCL"):
        read_sentinel2_l2a(path, scl=bad)
    local = CRS.from_wkt('LOCAL_CS["local",UNIT["metre",1]]')
    odd = write_scl(tmp_path / "local.tif", np.full((2, 2), 4), crs=local, transform=ORIGIN)
    with pytest.raises(FormatError, match=r"local\.tif: has a CRS that cannot be placed"):
        read_sentinel2_l2a(path, scl=odd)


def test_reflectance_out_of_range_warns(tmp_path, grid):
    refl = np.full((4, 1, 2), 0.3)
    refl[0, 0, 0] = 2.0
    path = write_sentinel2_l2a(tmp_path / "bright.tif", refl, date="2021-06-01", **grid)
    with pytest.warns(PaiiWarning, match="1 reflectance values outside -0.1..1.5"):
        r = read_sentinel2_l2a(path)
    assert r.data[0, 0, 0] == np.float32(2.0)


def test_writer_clips_with_warning(tmp_path, grid):
    refl = np.full((4, 1, 2), 0.3)
    refl[0, 0, 0] = 7.0
    refl[1, 0, 0] = -0.5
    with pytest.warns(PaiiWarning, match="2 reflectance values fall outside"):
        path = write_sentinel2_l2a(tmp_path / "c.tif", refl, date="2021-06-01", **grid)
    with rasterio.open(path) as src:
        assert src.read(1)[0, 0] == 65535 and src.read(2)[0, 0] == 1


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"reflectance": np.zeros((3, 2, 2))}, r"should be \(4, H, W\)"),
        ({"processing_baseline": "5.1"}, "processing_baseline '5.1' is not like"),
        ({"date": "June 1st"}, "date 'June 1st' is not ISO 8601"),
    ],
)
def test_writer_rejects(tmp_path, grid, kwargs, match):
    args = {"reflectance": np.zeros((4, 2, 2)), "date": "2021-06-01"} | grid | kwargs
    with pytest.raises(ValidationError, match=match):
        write_sentinel2_l2a(tmp_path / "x.tif", **args)


@pytest.mark.parametrize(
    ("scl", "match"),
    [(np.zeros((1, 2, 2)), r"should be \(H, W\)"), (np.full((2, 2), 12), "classes 0..11")],
)
def test_write_scl_rejects(tmp_path, grid, scl, match):
    with pytest.raises(ValidationError, match=match):
        write_scl(tmp_path / "scl.tif", scl, **grid)


def test_l1c_stack_offset_from_radio_add_offset():
    """A real L1C stack tagged RADIO_ADD_OFFSET=0 (L1C's name for the offset) reads as TOA
    reflectance equal to eo-learn's float TOA of the same date; it was refused for lacking
    BOA_ADD_OFFSET, which no L1C product has."""
    real = Path(__file__).resolve().parents[2] / "data/real"
    raster = read_sentinel2_l2a(real / "slovenia_s2_l1c_13band/S2_L1C_20150731_13band.tif")
    toa = read_geotiff(real / "slovenia_s2_l1c_eolearn/S2_L1C_TOA_20150731.tif")
    np.testing.assert_allclose(raster.data, toa.data, atol=6e-5)


def test_bad_radio_add_offset_refused(tmp_path):
    path = _dn_file(tmp_path / "l1c.tif", np.full((4, 1, 1), 2000), tags={"RADIO_ADD_OFFSET": "x"})
    with pytest.raises(FormatError, match=r"l1c\.tif: RADIO_ADD_OFFSET tag 'x' is not a number"):
        read_sentinel2_l2a(path)
