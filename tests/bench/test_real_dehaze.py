"""bench.enhance.real_dehaze scores dehazed TOA captures as issue 11 states its criterion."""

from __future__ import annotations

import numpy as np

from bench.enhance.real_dehaze import REAL, SAME, dehaze_metrics, toa_summary


def _scene(rng: np.random.Generator) -> np.ndarray:
    img = np.empty((4, 32, 32), np.float32)
    img[:3] = rng.uniform(0.02, 0.08, (3, 32, 32))
    img[3] = rng.uniform(0.2, 0.4, (32, 32))
    return img


def test_metrics_skip_flagged_pixels_and_report_their_share():
    rng = np.random.default_rng(0)
    clear = _scene(rng)
    out = clear.copy()
    out[2, :8] += 0.2  # a wrong red quarter ...
    out[:, :8] = np.nan  # ... flagged as too thick: not scored
    m = dehaze_metrics(clear + 0.1, clear, out, clear)
    assert m["flagged_share"] == 0.25
    assert m["ndvi_consistency"] == 0.0 and m["negative_share"] == 0.0
    out[2, 8:16] += 0.02  # an unflagged error counts
    assert dehaze_metrics(clear + 0.1, clear, out, clear)["ndvi_consistency"] > 0.01


def test_metrics_judge_ndvi_on_land_and_report_the_water_left_out():
    """N + R > 0.05 alone would score a sea bright in the visible; water (clear NIR below
    green) is left out of the judged NDVI terms, its share and the figure with it reported."""
    rng = np.random.default_rng(1)
    clear = _scene(rng)
    clear[:, :8] = np.array([0.12, 0.12, 0.09, 0.014], np.float32)[:, None, None]  # a bright sea
    out_clear = clear.copy()
    out = clear.copy()
    out[3, :8] = 0.03  # the sea's NIR off by 0.016: its NDVI moves by about 0.3
    m = dehaze_metrics(clear + 0.1, clear, out, out_clear)
    assert m["water_left_out_share"] == 0.25
    assert m["ndvi_consistency"] == 0.0 and m["ndvi_consistency_with_water"] > 0.05
    assert m["ndvi_mae_model"] == 0.0  # the sea's NDVI error is not the land's
    only_sea = np.broadcast_to(clear[:, :1, :1], clear.shape).copy()
    m = dehaze_metrics(only_sea, only_sea, only_sea, only_sea)
    assert m["water_left_out_share"] == 1.0 and np.isnan(m["ndvi_consistency"])


def test_summary_judges_same_scene_by_005_and_real_haze_by_its_floor():
    base = {"flagged_share": 0.1, "negative_share": 0.0, "ssim_model": 0.9, "ssim_hazy": 0.8}
    drawn = {"true_thick_share": 0.0, "tau_drawn_mean": 0.5, "water_left_out_share": 0.0,
             "ndvi_consistency_with_water": 0.04}  # fmt: skip
    rows = [
        {**base, **drawn, "scene": "a", "haze": "t 0.5", "criterion": SAME, "target": 0.05,
         "ndvi_consistency": 0.04, "met": True},
        {**base, "scene": "a", "haze": "t 1.0", "criterion": SAME, "target": 0.05,
         "ndvi_consistency": 0.07, "met": False, "flagged_share": 0.6,
         "true_thick_share": 0.55, "tau_drawn_mean": 1.9, "water_left_out_share": 0.26,
         "ndvi_consistency_with_water": 0.03},
        {**base, "scene": "s", "haze": "real", "criterion": REAL, "target": 0.11,
         "ndvi_consistency": 0.10, "met": True, "floor_inputs": 0.06, "floor_dehazed": 0.08,
         "cloud_mask_share": 1.0},
        {"scene": "italy", "level": "L2A", "ndvi_consistency": 0.9},  # not a TOA row
    ]  # fmt: skip
    s = toa_summary(rows)
    same, real = s[SAME], s[REAL]
    assert (same["rows"], same["met_rows"], same["worst_ndvi_consistency"]) == (2, 1, 0.07)
    assert same["worst_row"] == "a, t 1.0" and same["max_flagged_share"] == 0.6
    # the worst case's flags read beside how much of it was truly too thick
    assert same["worst_row_flagged_share"] == 0.6 and same["worst_row_true_thick_share"] == 0.55
    assert same["worst_row_tau_drawn_mean"] == 1.9
    assert same["worst_row_water_left_out_share"] == 0.26
    assert same["worst_ndvi_consistency_with_water"] == 0.04  # the worst with water, any row
    assert (real["met_rows"], real["target"], real["floor_inputs"]) == (1, 0.11, 0.06)
    assert real["cloud_mask_share"] == 1.0 and same["ssim_no_lower_than_hazy"]
