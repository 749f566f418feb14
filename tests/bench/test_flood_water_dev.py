"""The development harness of the rules' water: dev chips only, scores, steps, texture."""

import numpy as np
import pytest

from bench.flood import water_dev
from paii_core.errors import ValidationError
from paii_core.flood import mapping


def test_the_held_out_chips_are_refused():
    with pytest.raises(ValidationError, match="holds the held-out test chips"):
        water_dev.dev_chips(water_dev.HELD_OUT)
    names = [c.name for c in water_dev.dev_chips()]
    assert "Nigeria_812045_S1Hand.tif" in names and len(names) == 6
    assert not any(n.startswith(("Bolivia", "India", "Mekong", "USA")) for n in names)


def test_the_stac_overflow_chips_are_development_scenes_apart_from_the_test_chips():
    import rasterio
    from rasterio.warp import transform_bounds

    more = water_dev.dev_chips(water_dev.MORE_DEV)
    assert [c.name for c in more] == ["India_pxs10_S1Hand.tif", "Paraguay_jja10_S1Hand.tif",
                                      "Sri-Lanka_qxb32_S1Hand.tif"]  # fmt: skip
    assert len(water_dev.chips_of(water_dev.DEV_FOLDERS)) == 9
    with pytest.raises(ValidationError, match="holds the held-out test chips"):
        water_dev.chips_of([water_dev.DEV, water_dev.HELD_OUT])

    def box(path):
        with rasterio.open(path) as src:
            return transform_bounds(src.crs, "EPSG:4326", *src.bounds)

    held = [box(c) for c in sorted(water_dev.HELD_OUT.glob("*_S1Hand.tif"))]
    assert len(held) == 4
    for chip in more:
        w, s_, e, n = box(chip)
        assert all(e < hw or w > he or n < hs or s_ > hn for hw, hs, he, hn in held), chip
        label = water_dev.label_of(chip)
        assert set(np.unique(label)) <= {-1, 0, 1} and label.shape == (512, 512)
        with rasterio.open(chip) as src:
            assert src.count == 2 and src.descriptions == ("VV", "VH")
            assert src.crs.to_epsg() in (32644, 32646, 32721)


def test_score_counts_labelled_pixels_only():
    label = np.array([[1, 1, 0, 0], [0, 0, -1, -1]])
    called = np.array([[1, 0, 1, 0], [0, 0, 1, 1]], dtype=bool)
    valid = label >= 0
    r = water_dev.score(called, label, valid)
    assert r["counts"] == [1, 3, 1, 4]  # intersection, union, dry called water, dry
    assert r["iou"] == pytest.approx(1 / 3)
    assert r["false %"] == pytest.approx(25.0)


def test_local_cv_exact_on_tiny_arrays():
    flat = np.full((5, 5), -10.0)
    assert np.allclose(water_dev.local_cv(flat, 3), 0.0)
    # the 2 x 2 window ending at [1, 1] holds powers 1, 1, 3, 3: mean 2, std 1, CV 0.5
    db = 10 * np.log10(np.array([[1.0, 1.0, 1.0], [3.0, 3.0, 3.0]]))
    cv = water_dev.local_cv(db, 2)
    assert cv[1, 1] == pytest.approx(0.5)
    holed = flat.copy()
    holed[2, 2] = np.nan
    out = water_dev.local_cv(holed, 3)
    assert np.isnan(out[2, 2]) and np.allclose(out[np.isfinite(out)], 0.0)
    with pytest.raises(ValidationError, match=r"\(H, W\) array, got shape \(2, 5, 5\)"):
        water_dev.local_cv(np.zeros((2, 5, 5)))


def test_the_last_step_is_the_rules_water():
    rng = np.random.default_rng(3)
    h = w = 96
    vv = np.full((h, w), -9.0) + rng.normal(0, 1.5, (h, w))
    vv[20:60, 10:70] = -21.0 + rng.normal(0, 1.5, (40, 60))
    vv[78:82, 78:82] = -25.0  # a speck of 16 px (a body needs 20 at 10 m)
    post = np.stack([vv, vv - 7.0]).astype(np.float32)
    fit = mapping.fit_scene(post)
    rules = mapping.Rules.from_fit(fit, pixel_size_m=10.0)
    steps = water_dev.stage_masks(post, rules)
    assert [s for s, _ in steps] == ["threshold", "region growing", "single-look growing",
                                     "specks dropped", "clear-water core (final)"]  # fmt: skip
    _, wet = mapping.rules_water(post, rules)
    assert np.array_equal(steps[-1][1], wet)
    assert steps[0][1][78:82, 78:82].any()  # the speck is below the threshold ...
    assert not steps[-1][1][76:84, 76:84].any()  # ... and dropped by the end
    assert steps[-1][1][25:55, 15:65].all()


def test_threshold_jitter_is_steady_on_a_clearly_bimodal_scene():
    rng = np.random.default_rng(5)
    vv = np.full((160, 160), -9.0) + rng.normal(0, 1.0, (160, 160))
    vv[30:130, 20:90] = -20.0 + rng.normal(0, 1.0, (100, 70))
    post = np.stack([vv, vv - 7.0]).astype(np.float32)
    got = water_dev.threshold_jitter(post, (0, 8, 16))
    assert len(got) == 3 and max(got) - min(got) <= 0.5
    flat = np.stack([vv * 0 - 9.0, vv * 0 - 16.0]).astype(np.float32)
    assert water_dev.threshold_jitter(flat, (0, 8)) == [None, None]
    with pytest.raises(ValidationError, match=r"\(2, H, W\) VV, VH in dB, got shape \(160, 160\)"):
        water_dev.threshold_jitter(vv)
    with pytest.raises(ValidationError, match="offsets up to 150 px leave under 16 px"):
        water_dev.threshold_jitter(post, (0, 150))
