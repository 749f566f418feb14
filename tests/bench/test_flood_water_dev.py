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


def test_polarisation_part_classes_each_band_by_its_own_split():
    post = np.zeros((2, 24, 24), dtype=np.float32)
    post[0], post[1] = -8.1, -15.1  # land: dark in neither
    post[:, :8] = np.array([-22.1, -29.1], dtype=np.float32)[:, None, None]  # both
    post[0, 12:20, :10], post[1, 12:20, :10] = -9.1, -27.9  # VH only
    valid = np.ones((24, 24), dtype=bool)
    part = water_dev.polarisation_part(post, valid)
    assert water_dev.POLARISATION_PARTS[part[2, 2]] == "both"
    assert water_dev.POLARISATION_PARTS[part[15, 4]] == "VH only"
    assert water_dev.POLARISATION_PARTS[part[22, 22]] == "neither"
    assert (part[12:20, 12:] == 3).all() and (part[14:18, :8] == 1).all()
    valid[20:] = False
    assert (water_dev.polarisation_part(post, valid)[20:] == -1).all()
    post[1] = np.nan
    assert (water_dev.polarisation_part(post, np.ones((24, 24), bool)) == -1).all()
    with pytest.raises(ValidationError, match=r"post should be \(2, H, W\)"):
        water_dev.polarisation_part(post[0], valid)


def test_cell_oracle_iou_is_one_where_the_bands_separate_and_less_where_a_cell_is_mixed():
    post = np.zeros((2, 20, 20), dtype=np.float32)
    post[0], post[1] = -8.1, -15.1
    post[:, :10] = np.array([-22.1, -29.1], dtype=np.float32)[:, None, None]
    label = np.zeros((20, 20), dtype=np.int16)
    label[:10] = 1
    valid = np.ones((20, 20), dtype=bool)
    # the 3 x 3 mean gives the two shore rows their own cells: every cell is pure
    assert water_dev.cell_oracle_iou(post, label, valid) == 1.0
    label[:10, :5] = 0  # a quarter of the dark pixels labelled dry
    # rows 0-8 (180 px, 135 water) and the shore row 9 (20 px, 15 water) are 3/4 water, row
    # 10 and the land none: the best rule calls both dark cells, IoU 150 / 200
    assert water_dev.cell_oracle_iou(post, label, valid) == pytest.approx(0.75)
    assert np.isnan(water_dev.cell_oracle_iou(post, label, np.zeros_like(valid)))


def test_decompose_splits_the_rules_dry_land_called_water_by_band_and_step(tmp_path):
    import rasterio
    from rasterio.transform import from_origin

    rng = np.random.default_rng(3)
    h = w = 96
    vv = np.full((h, w), -9.0) + rng.normal(0, 1.0, (h, w))
    vh = vv - 7.0
    vv[10:60, 10:70], vh[10:60, 10:70] = -22.0, -29.0  # a lake, dark in both bands
    label = np.zeros((h, w), dtype=np.int16)
    label[10:60, 10:70] = 1
    label[10:20, 10:70] = 0  # its top labelled dry: called water, dark in both
    common = {"driver": "GTiff", "height": h, "width": w, "crs": "EPSG:32630",
              "transform": from_origin(500000.0, 4000000.0, 10.0, 10.0)}  # fmt: skip
    chip = tmp_path / "Lake_1_S1Hand.tif"
    with rasterio.open(chip, "w", count=2, dtype="float32", **common) as dst:
        dst.write(np.stack([vv, vh]).astype(np.float32))
        dst.descriptions = ("VV", "VH")
    with rasterio.open(tmp_path / "Lake_1_LabelHand.tif", "w", count=1, dtype="int16",
                       **common) as dst:  # fmt: skip
        dst.write(label[None])
    d = water_dev.decompose(chip)
    dry = int((label == 0).sum())
    inner = 100.0 * 8 * 58 / dry  # the dry top of the lake, less its rim on land
    assert d["rules"]["both"] >= inner
    assert sum(d["rules"].values()) == pytest.approx(sum(d["step"].values()))
    assert d["rules"]["VH only"] == d["rules"]["VV only"] == 0.0
    assert d["otsu"]["both"] >= inner and d["oracle"] > 0.8
    assert set(d) == {"method", "rules", "otsu", "step", "missed", "otsu missed", "oracle"}


def test_rank_auc_is_the_share_of_wet_dry_pairs_ordered_with_ties_half():
    wet = np.array([True, True, False, False])
    assert water_dev.rank_auc(np.array([3.0, 4.0, 1.0, 2.0]), wet) == 1.0
    assert water_dev.rank_auc(np.array([1.0, 2.0, 3.0, 4.0]), wet) == 0.0
    # pairs (3 > 1), (3 > 2), (1 = 1: half), (1 < 2): 2.5 of 4
    assert water_dev.rank_auc(np.array([3.0, 1.0, 1.0, 2.0]), wet) == pytest.approx(0.625)
    assert water_dev.rank_auc(np.array([3.0, np.nan, 1.0, 2.0]), wet) == 1.0
    assert np.isnan(water_dev.rank_auc(np.array([1.0, 2.0]), np.array([True, True])))
    with pytest.raises(ValidationError, match=r"x \(3,\) and wet \(4,\) should have the same"):
        water_dev.rank_auc(np.zeros(3), wet)


def test_texture_features_measure_speckle_ratio_and_the_vh_only_patches():
    rng = np.random.default_rng(4)
    post = np.empty((2, 64, 64))
    post[0] = -9.0 + 10 * np.log10(rng.gamma(4.0, 1 / 4.0, (64, 64)))
    post[1] = -16.0 + 10 * np.log10(rng.gamma(4.0, 1 / 4.0, (64, 64)))
    part = np.full((64, 64), 3, dtype=np.int8)
    part[:10, :10] = 1  # a 100 px "VH only" patch
    part[40:, 40:] = 0
    f = water_dev.texture_features(post, part)
    assert set(f) == set(water_dev.TEXTURE_FEATURES)
    assert abs(np.median(f["CV VV 15"]) - 0.5) < 0.05  # 4 looks: 1 / sqrt(4)
    assert abs(np.median(f["VV - VH 31"]) - 7.0) < 0.2
    assert f["VH-only patch (log10 px)"][5, 5] == pytest.approx(2.0)
    assert f["distance to both (px)"][40, 40] == 0.0 and f["distance to both (px)"][40, 30] == 10
    assert f["both share 31"][63, 63] == 1.0
    with pytest.raises(ValidationError, match=r"post should be \(2, H, W\) VV, VH in dB and"):
        water_dev.texture_features(post[0], part)
