"""Sub-windows of the development chips as development scenes (bench.flood.water_windows)."""

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from bench.flood import water_variants, water_windows
from paii_core.errors import ValidationError


def test_window_offsets_first_middle_last():
    assert water_windows.window_offsets(512, 256) == [0, 128, 256]
    assert water_windows.window_offsets(512, 384) == [0, 64, 128]
    assert water_windows.window_offsets(512, 512) == [0]
    with pytest.raises(ValidationError, match="window size 600 px should be 16 to 512 px"):
        water_windows.window_offsets(512, 600)
    with pytest.raises(ValidationError, match="window size 8 px should be 16 to 512 px"):
        water_windows.window_offsets(512, 8)


def _chip(folder, h=40, w=50):
    sar = np.arange(2 * h * w, dtype=np.float32).reshape(2, h, w) / -100.0
    label = (np.arange(h * w).reshape(h, w) % 3 - 1).astype(np.int16)
    tr = from_origin(10.0, 20.0, 0.0001, 0.0001)
    chip = folder / "Test_1_S1Hand.tif"
    common = {"driver": "GTiff", "height": h, "width": w, "crs": "EPSG:4326", "transform": tr}
    with rasterio.open(chip, "w", count=2, dtype="float32", **common) as dst:
        dst.write(sar)
        dst.descriptions = ("VV", "VH")
        dst.update_tags(SOURCE="test")
    with rasterio.open(folder / "Test_1_LabelHand.tif", "w", count=1, dtype="int16", **common) as d:
        d.write(label[None])
    return chip, sar, label


def test_write_window_keeps_values_georeference_and_names(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    chip, sar, label = _chip(tmp_path / "in")
    out = water_windows.write_window(chip, 8, 12, 20, tmp_path / "out")
    assert out.name == "Test_1_S1Hand.tif"
    with rasterio.open(out) as src:
        assert np.array_equal(src.read(), sar[:, 8:28, 12:32])
        assert src.descriptions == ("VV", "VH") and src.tags()["SOURCE"] == "test"
        assert src.transform.c == pytest.approx(10.0 + 12 * 0.0001)
        assert src.transform.f == pytest.approx(20.0 - 8 * 0.0001)
        assert src.crs.to_epsg() == 4326
    with rasterio.open(tmp_path / "out" / "Test_1_LabelHand.tif") as src:
        assert np.array_equal(src.read(1), label[8:28, 12:32])
    with pytest.raises(
        ValidationError, match=r"window 20 px at row 30, column 0 leaves the 40 x 50"
    ):
        water_windows.write_window(chip, 30, 0, 20, tmp_path / "out")


def test_false_distance_near_and_far():
    label = np.zeros((1, 20), dtype=np.int16)
    label[0, 0] = 1
    valid = np.ones_like(label, dtype=bool)
    called = np.zeros_like(valid)
    called[0, [1, 3, 12, 15]] = True  # 1 and 3 px from the water, 12 and 15 px away
    r = water_windows.false_distance(called, label, valid)
    assert r == {"fp near %": 50.0, "fp far %": 50.0}
    assert water_windows.false_distance(np.zeros_like(valid), label, valid)["fp near %"] is None
    dry = np.zeros_like(label)
    assert water_windows.false_distance(called, dry, valid) == {"fp near %": 0.0, "fp far %": 100.0}


def test_summary_counts_losses_and_pools():
    rows = [
        {"water %": 50.0, "iou": 0.5, "otsu": 0.6, "false %": 4.0,
         "counts": [5, 10, 1, 10], "otsu counts": [6, 10, 1, 10]},
        {"water %": 90.0, "iou": 0.9, "otsu": 0.5, "false %": 30.0,
         "counts": [9, 10, 1, 2], "otsu counts": [5, 10, 0, 2]},
        {"water %": 0.0, "iou": 0.0, "otsu": 0.0, "false %": 2.0,
         "counts": [0, 4, 4, 100], "otsu counts": [0, 40, 40, 100]},
    ]  # fmt: skip
    for r, otsu_false in zip(rows, (5.0, 20.0, 40.0), strict=True):
        r["otsu false %"] = otsu_false
    s = water_windows.summary(rows)
    assert (s["windows"], s["with water"], s["large-water"]) == (3, 2, 1)
    assert s["mean iou"] == pytest.approx(0.7) and s["mean otsu"] == pytest.approx(0.55)
    assert s["pooled iou"] == pytest.approx(14 / 24) and s["pooled otsu"] == pytest.approx(11 / 60)
    assert (s["lose to otsu"], s["large lose to otsu"]) == (1, 1)
    assert s["large false % mean"] == pytest.approx(4.0)
    assert (s["all-water"], s["all-dry"]) == (0, 1)
    assert np.isnan(s["all-water iou"]) and s["all-dry false %"] == pytest.approx(2.0)
    rows.append(
        {
            "water %": 100.0,
            "iou": 0.8,
            "otsu": 0.4,
            "false %": 0.0,
            "otsu false %": 0.0,
            "counts": [8, 10, 0, 0],
            "otsu counts": [4, 10, 0, 0],
        }
    )
    s = water_windows.summary(rows)
    assert (s["all-water"], s["all-water iou"], s["all-water otsu"]) == (1, 0.8, 0.4)
    assert (s["all-dry false %"], s["all-dry max false %"], s["all-dry otsu false %"]) == (
        2.0,
        2.0,
        40.0,
    )
    from bench.registry import flood_windows

    water_row, dry_row = flood_windows({"size": 256, "summary": s})
    assert water_row[1:] == ("0.800", "global Otsu VV: 0.400", "> baseline", True)
    assert dry_row[1:] == ("2.00 (2.00)", "global Otsu VV: 40.0", "< baseline", True)
    assert "all-water windows (1, 256 px)" in water_row[0] and "DEV" in dry_row[0]


def test_dark_objects_decides_each_body_as_a_whole():
    db = np.full((5, 9), -20.0)
    db[:, 4] = 0.0  # a bright column splits two bodies
    db[0:2, 5:9] = -10.0  # the right body: 8 px at -10 dB, 12 px at -20 dB
    mask = np.ones_like(db, dtype=bool)
    mask[:, 4] = False
    # right body mean power: (8 * 0.1 + 12 * 0.01) / 20 = 0.046 -> -13.37 dB
    out = water_variants.dark_objects(mask, db, -13.0)
    assert out[:, :4].all() and out[:, 5:].all()
    out = water_variants.dark_objects(mask, db, -14.0)
    assert out[:, :4].all() and not out[:, 5:].any()
    assert not water_variants.dark_objects(np.zeros_like(mask), db, -13.0).any()
    with pytest.raises(
        ValidationError, match=r"mask \(5, 9\) and db \(5, 8\) should have one shape"
    ):
        water_variants.dark_objects(mask, db[:, :8], -13.0)


def test_cross_pol_parts_counts_pixels_dark_in_vh_but_not_in_vv():
    sar = np.zeros((2, 20, 20), dtype=np.float32)
    sar[0], sar[1] = -8.1, -15.1  # land (values off the 0.25 dB bin edges)
    sar[0, :6], sar[1, :6] = -22.1, -29.1  # water, dark in both (a land strip below it)
    sar[0, 10:16, :10], sar[1, 10:16, :10] = -9.1, -27.9  # VH-dark, VV-bright: the part
    label = np.zeros((20, 20), dtype=np.int16)
    label[:6] = 1
    label[10:13, :10] = 1  # the part's upper half is water, its lower half dry
    valid = np.ones_like(label, dtype=bool)
    called = np.zeros_like(valid)
    called[10:16, :5] = True
    base = np.zeros_like(valid)
    r = water_windows.cross_pol_parts(sar, label, valid, called, base)
    # the 3 x 3 mean lifts VH above its split on the part's rim beside land, so the part
    # is rows 11-14 x columns 0-8: water rows 11-12, dry rows 13-14
    assert (r["water"], r["dry"], r["water called"], r["dry called"]) == (18, 18, 10, 10)
    assert r["dry otsu"] == r["water otsu"] == 0
    sar[1] = np.nan
    assert set(water_windows.cross_pol_parts(sar, label, valid, called, base).values()) == {0}
    with pytest.raises(ValidationError, match="VV, VH"):
        water_windows.cross_pol_parts(sar[0], label, valid, called, base)


def test_cross_pol_summary_keeps_the_test_events_windows_apart():
    part = {"dry": 10, "water": 30, "dry called": 1, "water called": 15, "dry otsu": 0,
            "water otsu": 3}  # fmt: skip
    rows = [
        {"chip": "Nigeria_812045", "water %": 50.0, "cross-pol": part},
        {"chip": "Somalia_699062", "water %": 5.0, "cross-pol": part},  # under 25 %: left out
        {"chip": "India_pxs10", "water %": 60.0,
         "cross-pol": {**part, "dry": 40, "dry called": 20}},
        {"chip": "Spain_6860600", "water %": 90.0, "cross-pol": None},  # no VH
    ]  # fmt: skip
    s = water_windows.cross_pol_summary(rows)
    assert s["cross-pol other"] == {"dry": 10, "water": 30, "dry called %": 10.0,
                                    "water called %": 50.0, "dry otsu %": 0.0,
                                    "water otsu %": 10.0}  # fmt: skip
    assert s["cross-pol same event"]["dry"] == 40
    assert s["cross-pol same event"]["dry called %"] == 50.0
    assert np.isnan(water_windows.cross_pol_summary(rows[1:2])["cross-pol other"]["dry called %"])
