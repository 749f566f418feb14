"""The fourth pass's rule variants: exact filters, the swap and its undoing."""

import numpy as np
import pytest

from bench.flood import water_variants as wv
from paii_core.errors import ValidationError
from paii_core.flood import files, mapping, water


def _scene() -> np.ndarray:
    rng = np.random.default_rng(4)
    vv = np.full((96, 96), -9.0) + rng.normal(0, 1.5, (96, 96))
    vv[20:60, 10:70] = -21.0 + rng.normal(0, 1.5, (40, 60))
    return np.stack([vv, vv - 7.0]).astype(np.float32)


def test_kuan_keeps_a_flat_image_and_nan():  # the engine's filter (water.kuan_db)
    flat = np.full((6, 6), -12.0, dtype=np.float32)
    flat[0, 0] = np.nan
    out = wv.kuan_db(flat, size=3)
    assert np.isnan(out[0, 0]) and np.allclose(out[np.isfinite(out)], -12.0, atol=1e-5)
    # a bright point far above speckle (Ci^2 >> 1 / looks) is kept nearly as it is
    spot = np.full((7, 7), -20.0, dtype=np.float32)
    spot[3, 3] = 10.0
    assert wv.kuan_db(spot, size=3)[3, 3] > 9.0
    with pytest.raises(ValidationError, match=r"\(H, W\) array, got shape \(1, 6, 6\)"):
        wv.kuan_db(flat[None])
    with pytest.raises(ValidationError, match="looks should be positive, got 0"):
        wv.kuan_db(flat, looks=0)


def test_segment_mean_is_the_mean_power_in_db():
    db = 10 * np.log10(np.array([[1.0, 3.0, 10.0], [np.nan, 10.0, 10.0]]))
    labels = np.array([[0, 0, 1], [0, 1, 1]])
    out = wv.segment_mean_db(db, labels)
    assert out[0, 0] == out[0, 1] == pytest.approx(10 * np.log10(2.0))
    assert np.isnan(out[1, 0]) and out[1, 2] == pytest.approx(10.0)
    with pytest.raises(ValidationError, match=r"labels \(3,\) should have the image's shape"):
        wv.segment_mean_db(db, np.zeros(3, dtype=int))


def test_majority_fills_a_hole_and_drops_a_thin_line():
    m = np.zeros((7, 7), dtype=bool)
    m[1:6, 1:6] = True
    m[3, 3] = False
    assert wv.majority(m, 3)[3, 3]
    line = np.zeros((7, 7), dtype=bool)
    line[3, :] = True
    assert not wv.majority(line, 3).any()


def test_posterior_limit_of_equal_spreads_is_the_midpoint():
    fit = water.WaterFit(-15.0, (-20.0, 2.0), (-10.0, 2.0), "tiles")
    assert wv._posterior_limit(fit) == pytest.approx(-15.0, abs=0.011)
    # a larger water prior moves the crossing towards land
    assert wv._posterior_limit(fit, 0.9) > -15.0 + 0.8


def test_no_option_is_the_engine_and_variants_are_undone():
    post = _scene()
    rules = mapping.Rules.from_fit(mapping.fit_scene(post), pixel_size_m=10.0)
    engine = mapping.rules_water(post, rules)[1]
    kuan7 = wv.rules_water_with(post, rules, grow_on=lambda s: water.kuan_db(s, size=7))[1]
    assert np.array_equal(kuan7, engine)
    before = (mapping.rules_water, mapping.fit_scene, files._to_working_grid)
    for name in wv.VARIANTS:
        with wv.variant(name):
            if name.startswith("fit:"):
                assert water._single_mode is not wv._ENGINE_SINGLE_MODE
            elif name.startswith(("feature", "split:", "scene: split at")) or (
                name == "engine before the eighth pass"
            ):
                swapped = (water.water_feature_db, water.minimum_error_threshold,
                           water.fit_water)  # fmt: skip
                engine = (wv._ENGINE_FEATURE, wv._ENGINE_KI, wv._ENGINE_FIT)
                assert swapped != engine
                fm = mapping.map_flood(post, pixel_size_m=10.0)
                assert fm.water[25:55, 15:65].mean() > 0.9
            elif name.startswith("scene: clear-water core") or name in (
                "scene: no clear-water core",
                "engine before the seventh pass",
            ):
                assert mapping.Rules.from_fit.__func__ is not wv._ENGINE_FROM_FIT
                fm = mapping.map_flood(post, pixel_size_m=10.0)
                assert fm.water[25:55, 15:65].mean() > 0.9
            elif name != "finer working grid":
                assert mapping.rules_water is not before[0]
                fm = mapping.map_flood(post, pixel_size_m=10.0)
                assert fm.water[25:55, 15:65].mean() > 0.9  # every variant still finds the lake
            else:
                assert files._to_working_grid is not before[2]
        assert (mapping.rules_water, mapping.fit_scene, files._to_working_grid) == before
        assert water._single_mode is wv._ENGINE_SINGLE_MODE
        assert mapping.Rules.from_fit.__func__ is wv._ENGINE_FROM_FIT
        assert water.water_feature_db is wv._ENGINE_FEATURE
        assert water.minimum_error_threshold is wv._ENGINE_KI
        assert water.fit_water is wv._ENGINE_FIT
    with pytest.raises(ValidationError, match="unknown variant 'nope'; choose one of: box 5x5"):
        wv.variant("nope")


def test_land_level_lowers_a_dry_scene_split_and_is_undone():
    centres = 0.5 * (water.BINS[1:] + water.BINS[:-1])

    def gauss(mean, sd, n=1e5):
        g = np.exp(-0.5 * ((centres - mean) / sd) ** 2)
        return n * g / g.sum()

    scene = gauss(-10.0, 1.5)  # one land mode; its tiles split a darker field at -13.75 dB
    tiles = gauss(-10.0, 1.5, n=8e4) + gauss(-13.5, 0.5, n=2e4)
    vh = gauss(-16.5, 1.5)
    engine = water.fit_water([tiles], scene, vh_counts=vh)
    assert engine.method == "tiles" and engine.threshold_db > -15.0
    with wv.variant("fit: dry scenes lowered to the water level"):
        fit = water.fit_water([tiles], scene, vh_counts=vh)
        assert (fit.method, fit.threshold_db) == ("level", -15.0)
        # a tenth of the scene as dark as water: the split stands
        tail = gauss(-9.5, 2.0, n=8.5e4) + gauss(-17.0, 3.0, n=1.5e4)
        assert water.fit_water([tiles], tail, vh_counts=vh).method == "tiles"
    assert water.fit_water([tiles], scene, vh_counts=vh) == engine


def test_finer_grid_is_square_at_the_narrow_side_of_a_degree_pixel():
    from affine import Affine
    from rasterio.crs import CRS

    from paii_core import io

    data = np.full((2, 40, 40), -10.0, dtype=np.float32)
    geo = io.Raster(data, CRS.from_epsg(4326), Affine(1e-4, 0, 10.0, 0, -1e-4, 60.0), ("VV", "VH"))
    with wv.variant("finer working grid"):
        work = files._to_working_grid(geo)
    # 1e-4 deg of longitude at 59.998 N is 5.58 m (of latitude 11.1 m): 80 rows, 40 columns
    assert abs(work.transform.a) == pytest.approx(5.58, abs=0.01)
    assert work.data.shape[1] >= 2 * 40 - 2 and np.nanmax(np.abs(work.data + 10.0)) < 1e-4
    assert files._to_working_grid(geo).data.shape[1] < work.data.shape[1]


def test_scene_core_variants_change_only_the_scene_path():
    scene = water.WaterFit(-15.0, (-20.0, 2.0), (-10.0, 2.0), "scene")
    tiles = water.WaterFit(-15.0, (-20.0, 2.0), (-10.0, 2.0), "tiles")
    engine = mapping.Rules.from_fit(scene, pixel_size_m=10.0)
    assert engine.strong == -18.0  # min(t, water mean + 1 sd)
    with wv.variant("scene: no clear-water core"):
        assert mapping.Rules.from_fit(scene, pixel_size_m=10.0).strong is None
        assert mapping.Rules.from_fit(tiles, pixel_size_m=10.0).strong == -18.0
    with wv.variant("scene: clear-water core at water mean + 2 sd"):
        assert mapping.Rules.from_fit(scene, pixel_size_m=10.0).strong == -16.0
    with wv.variant("scene: clear-water core at the threshold"):
        assert mapping.Rules.from_fit(scene, pixel_size_m=10.0).strong == -15.0
    with wv.variant("engine before the seventh pass"):
        before = mapping.Rules.from_fit(scene, pixel_size_m=10.0)
        assert before.strong == -18.0 and before.uncored_max_db is None
    assert engine.uncored_max_db == -16.0  # the class midpoint -15 less 1 dB
    assert mapping.Rules.from_fit(scene, pixel_size_m=10.0) == engine


def test_uncored_bodies_are_kept_only_below_the_limit():
    rng = np.random.default_rng(6)
    vv = np.full((80, 80), -9.0) + rng.normal(0, 0.5, (80, 80))
    vv[10:40, 10:40] = -22.0  # clear water: has a core
    vv[50:70, 50:70] = -17.5  # moderately dark body: no core below water mean + 1 sd
    post = np.stack([vv, vv - 7.0]).astype(np.float32)
    fit = water.WaterFit(-16.0, (-22.0, 0.5), (-9.0, 0.5), "scene")
    rules = mapping.Rules.from_fit(fit, pixel_size_m=10.0)  # middle -15.5
    plain = wv.rules_water_with(post, rules, grow_on=wv._engine_grow)[1]
    assert plain[15:35, 15:35].all() and not plain[50:70, 50:70].any()
    kept = wv.rules_water_with(post, rules, grow_on=wv._engine_grow, uncored_max_db=-16.5)[1]
    assert kept[52:68, 52:68].all() and kept[15:35, 15:35].all()
    too_strict = wv.rules_water_with(post, rules, grow_on=wv._engine_grow, uncored_max_db=-18.0)
    assert not too_strict[1][50:70, 50:70].any()


CENTRES = 0.5 * (water.BINS[1:] + water.BINS[:-1])


def _gauss(mean: float, sd: float, n: float = 1e5) -> np.ndarray:
    g = np.exp(-0.5 * ((CENTRES - mean) / sd) ** 2)
    return n * g / g.sum()


def test_separable_feature_takes_vh_only_where_clearly_more_bimodal():
    rng = np.random.default_rng(12)
    vv = (-9.0 + rng.normal(0, 1.5, (96, 96))).astype(np.float32)  # water as bright as land
    vh = vv - 7.0
    vh[20:60, 10:70] = -24.0 + rng.normal(0, 1.5, (40, 60))  # dark in VH only
    sar = np.stack([vv, vh]).astype(np.float32)
    chosen = wv.separable_feature(sar)
    assert np.allclose(chosen, vh + 7.0)
    both = _scene()  # dark in both: the engine's feature is as bimodal, so it stays
    assert np.array_equal(wv.separable_feature(both), water.water_feature_db(both))
    assert np.array_equal(wv.separable_feature(sar, margin=1.0), water.water_feature_db(sar))
    vv_only = np.stack([vv, np.full_like(vv, np.nan)])
    assert np.array_equal(wv.separable_feature(vv_only), vv)


def test_degenerate_minimum_error_split_falls_to_otsu():
    broad = _gauss(-9.5, 2.0, 6e4) + _gauss(-14.0, 3.0, 4e4)  # one broad hump, no valley
    assert wv.ki_degenerate(broad, max_db=-12.0, min_share=0.05)
    ki = water.minimum_error_threshold(broad, max_db=-12.0, min_share=0.05)
    otsu = water.otsu_threshold(broad)
    assert ki < otsu - 1.0
    assert wv.ki_or_otsu(broad, max_db=-12.0, min_share=0.05) == min(otsu, -12.0)
    two = _gauss(-20.0, 1.5, 3e4) + _gauss(-9.0, 1.5, 7e4)  # an interior minimum: K-I stands
    assert not wv.ki_degenerate(two, max_db=-12.0, min_share=0.05)
    assert wv.ki_or_otsu(two, max_db=-12.0, min_share=0.05) == water.minimum_error_threshold(
        two, max_db=-12.0, min_share=0.05
    )
    assert not wv.ki_degenerate(np.zeros(CENTRES.size), max_db=-12.0, min_share=0.05)


def test_vh_share_refuses_a_degenerate_split_only_where_vh_says_water():
    broad = _gauss(-9.5, 2.0, 6e4) + _gauss(-14.0, 3.0, 4e4)
    engine = water.fit_water([broad], broad, vh_counts=_gauss(-17.0, 2.0))
    assert engine.method == "tiles"
    assert wv.fit_vh_share([broad], broad, vh_counts=_gauss(-17.0, 2.0)) == engine
    dark_vh = _gauss(-17.0, 2.0, 6e4) + _gauss(-25.0, 1.5, 4e4)  # 40 % of VH below -22 dB
    fit = wv.fit_vh_share([broad], broad, vh_counts=dark_vh)
    assert fit.method == "tiles" and fit.threshold_db == min(water.otsu_threshold(broad), -12.0)
    assert fit.threshold_db > engine.threshold_db + 1.0
    assert wv.fit_vh_share([broad], broad, vh_counts=None) == engine
    # the engine judges the despeckled VH; the variants' "before" ignores it
    assert water.fit_water([broad], broad, vh_counts=dark_vh, vh_smooth_counts=dark_vh) == fit
    before = wv.fit_before_eighth([broad], broad, vh_counts=dark_vh, vh_smooth_counts=dark_vh)
    assert before == engine == water.fit_water([broad], broad, vh_counts=dark_vh)


def test_both_polarisations_needs_each_band_below_the_midpoint():
    rules = mapping.Rules.from_fit(
        water.WaterFit(-15.0, (-20.0, 2.0), (-10.0, 2.0), "scene"), pixel_size_m=10.0
    )
    assert rules.middle == -15.0
    sar = np.zeros((2, 40, 40), dtype=np.float32)
    sar[0], sar[1] = -20.0, -27.0  # water in both: VV -20, VH + 7 = -20
    sar[0, :, 20:] = -12.0  # VV-bright, VH still dark: VH + 7 = -20, VV above the midpoint
    agree = wv.both_polarisations(sar, rules)
    assert agree[:, :14].all() and not agree[:, 26:].any()
    sar[1] = np.nan  # VV only: VV decides alone
    assert (wv.both_polarisations(sar, rules) == agree).all()
    with pytest.raises(ValidationError, match=r"an \(H, W\) array"):
        wv.both_polarisations(np.zeros((2, 4), dtype=np.float32), rules)


def test_growth_where_both_polarisations_agree_stops_at_vv_bright_pixels_and_is_undone():
    rng = np.random.default_rng(9)
    vv = np.full((96, 96), -9.0) + rng.normal(0, 0.3, (96, 96))
    vh = vv - 7.0
    vv[20:60, 10:40], vh[20:60, 10:40] = -26.0, -33.0  # clear water: feature -26
    vv[20:60, 40:70], vh[20:60, 40:70] = -10.0, -31.0  # VV-bright, VH-dark: feature -17
    sar = np.stack([vv, vh]).astype(np.float32)
    fits = {m: water.WaterFit(-18.0, (-24.0, 1.0), (-8.0, 1.0), m) for m in ("scene", "tiles")}
    rules = {m: mapping.Rules.from_fit(f, pixel_size_m=10.0) for m, f in fits.items()}
    assert (rules["scene"].middle, rules["scene"].grow_limit) == (-16.0, -16.0)
    engine = {m: mapping.rules_water(sar, r)[1] for m, r in rules.items()}
    for wet in engine.values():  # the engine grows into the VH-only pixels
        assert wet[25:55, 15:35].all() and wet[25:55, 45:65].all()
    both = "growth where both polarisations agree"
    for name, changed in ((both, ("scene", "tiles")), (f"scene: {both}", ("scene",))):
        with wv.variant(name):
            wet = {m: mapping.rules_water(sar, r)[1] for m, r in rules.items()}
        for m in changed:
            assert wet[m][25:55, 15:35].all() and not wet[m][25:55, 45:65].any()
        for m in set(rules) - set(changed):
            assert (wet[m] == engine[m]).all()
    assert all((mapping.rules_water(sar, r)[1] == engine[m]).all() for m, r in rules.items())


def test_mixture_split_of_two_equal_gaussians_is_their_midpoint():
    x = 0.5 * (water.BINS[1:] + water.BINS[:-1])
    two = np.exp(-0.5 * ((x + 22.0) / 1.5) ** 2) + np.exp(-0.5 * ((x + 10.0) / 1.5) ** 2)
    t, model = wv.mixture_split(1e6 * two, components=2)
    assert t == pytest.approx(-16.0, abs=0.25)
    assert model["mean"] == pytest.approx([-22.0, -10.0], abs=0.05)
    assert model["share"] == pytest.approx([0.5, 0.5], abs=0.01)
    # a third, moderately dark mode (wet fields) takes the middle; water's split moves down
    three = two + 0.8 * np.exp(-0.5 * ((x + 15.0) / 1.5) ** 2)
    t3, model3 = wv.mixture_split(1e6 * three, components=3)
    assert model3["mean"][1] == pytest.approx(-15.0, abs=0.3) and t3 < -18.0
    with pytest.raises(ValidationError, match=r"histogram on water\.BINS"):
        wv.mixture_split(np.ones(10))
    with pytest.raises(ValidationError, match="components should be 2 or 3"):
        wv.mixture_split(1e6 * two, components=4)


def test_mixture_split_variant_changes_only_the_scene_path_and_is_undone():
    name = "scene: split at the three-component mixture's posterior 0.5"
    scene = _scene()
    engine = mapping.fit_scene(scene)
    assert (engine.method, engine.threshold_db) == ("scene", -19.25)
    vv = water.despeckle_db(water.water_feature_db(scene))
    expected, _ = wv.mixture_split(water.histogram(vv), components=3)
    with wv.variant(name):
        fit = mapping.fit_scene(scene)
    assert fit.method == "scene" and fit.threshold_db == expected != engine.threshold_db
    tiles = water.WaterFit(-15.0, (-20.0, 2.0), (-10.0, 2.0), "tiles")
    with wv.variant(name), pytest.MonkeyPatch.context() as mp:
        mp.setattr(wv, "_ENGINE_FIT", lambda *a, **k: tiles)
        assert water.fit_water([], np.ones(water.BINS.size - 1)) is tiles
    assert mapping.fit_scene(scene) == engine
