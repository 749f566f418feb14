"""The scene's own split where its histogram is clearly bimodal (water a large share)."""

import numpy as np
import pytest

from paii_core.errors import ValidationError
from paii_core.flood import mapping
from paii_core.flood import water as water_module
from paii_core.flood.mapping import map_flood
from paii_core.flood.water import (
    BINS,
    SCENE_MIN_ETA,
    WaterFit,
    fit_water,
    minimum_error_threshold,
    scene_separability,
)

CENTRES = 0.5 * (BINS[1:] + BINS[:-1])


def _two_modes(water_share: float) -> np.ndarray:
    water = np.exp(-0.5 * ((CENTRES + 20.0) / 1.5) ** 2)
    land = np.exp(-0.5 * ((CENTRES + 9.0) / 1.5) ** 2)
    return 1e5 * (water_share * water / water.sum() + (1 - water_share) * land / land.sum())


def test_separability_exact_on_tiny_histograms():
    counts = np.zeros(CENTRES.size)
    counts[[10, 50]] = 5.0  # two spikes: no spread within either class
    assert scene_separability(counts) == pytest.approx((1.0, 0.5))
    counts = np.zeros(CENTRES.size)
    counts[[40, 41, 42]] = [1.0, 1.0, 2.0]  # split after bin 41: eta = 0.5625 / 0.6875
    assert scene_separability(counts) == pytest.approx((9.0 / 11.0, 0.5))
    assert scene_separability(np.zeros(CENTRES.size)) == (0.0, 0.0)
    one = np.zeros(CENTRES.size)
    one[7] = 3.0
    assert scene_separability(one) == (0.0, 0.0)


def test_one_gaussian_is_below_the_limit():
    gauss = 1e5 * np.exp(-0.5 * ((CENTRES + 9.0) / 1.5) ** 2)
    eta, share = scene_separability(gauss)
    assert eta == pytest.approx(2.0 / np.pi, abs=0.01) and eta < SCENE_MIN_ETA
    assert share == pytest.approx(0.5, abs=0.05)


def test_separability_rejects_a_histogram_on_other_bins():
    with pytest.raises(ValidationError, match="one histogram of 200 bins"):
        scene_separability(np.ones(50))
    with pytest.raises(ValidationError, match=r"got shape \(2, 200\)"):
        scene_separability(np.ones((2, 200)))


def test_bimodal_scene_takes_its_own_split():
    counts = _two_modes(0.4)
    fit = fit_water([counts], counts)
    assert fit.method == "scene"
    assert fit.threshold_db == minimum_error_threshold(counts, max_db=-12.0, min_share=0.05)
    assert -17.0 < fit.threshold_db < -12.0
    assert fit.water[0] == pytest.approx(-20.0, abs=0.1)
    assert fit.land[0] == pytest.approx(-9.0, abs=0.1)


def test_little_water_and_bright_splits_stay_with_the_tiles():
    little = _two_modes(0.04)  # eta of the scene below the limit: the pooled tiles decide
    tiles = _two_modes(0.4)
    fit = fit_water([tiles], little)
    assert fit.method == "tiles"
    assert fit.threshold_db == minimum_error_threshold(tiles, max_db=-12.0, min_share=0.05)
    # bimodal, but the two modes are bright land covers (split above -12 dB): not water
    bright = np.roll(_two_modes(0.4), 40)  # modes at -10 and +1 dB
    assert scene_separability(bright)[0] >= SCENE_MIN_ETA
    assert fit_water([tiles], bright).method == "tiles"


def test_real_development_chips():
    # Sen1Floods11 development chips (not the benchmark's test chips): Nigeria, half
    # water, is clearly bimodal; Somalia, 1.6 % water, is not.
    from paii_core import io
    from paii_core.config import paths
    from paii_core.flood.files import _to_working_grid
    from paii_core.flood.mapping import fit_scene

    dev = paths().root / "data/real/sen1floods11_dev"
    nigeria = fit_scene(_to_working_grid(io.read_sentinel1(dev / "Nigeria_812045_S1Hand.tif")).data)
    assert (nigeria.method, nigeria.threshold_db) == ("scene", -14.5)
    somalia = fit_scene(_to_working_grid(io.read_sentinel1(dev / "Somalia_699062_S1Hand.tif")).data)
    assert (somalia.method, somalia.threshold_db) == ("tiles", -16.75)


def test_scene_split_keeps_the_class_model_of_the_tiles():
    # a third, moderately dark mode (wet fields at -14 dB) in the scene but not in the
    # bimodal tiles: the threshold is the scene's, the water class the tiles' (lake only)
    tiles = _two_modes(0.4)
    fields = np.exp(-0.5 * ((CENTRES + 14.0) / 0.5) ** 2)
    scene = _two_modes(0.35) + 1e4 * fields / fields.sum()
    fit = fit_water([tiles], scene)
    assert fit.method == "scene"
    assert fit.threshold_db == minimum_error_threshold(scene, max_db=-12.0, min_share=0.05)
    low = CENTRES < fit.threshold_db
    mean = (tiles[low] * CENTRES[low]).sum() / tiles[low].sum()
    assert fit.water[0] == pytest.approx(mean)
    assert fit.water[0] < -19.5  # not pulled towards the fields' -14 dB


def test_dark_bodies_are_judged_by_their_mean_power():
    from paii_core.flood.mapping import _dark_bodies

    db = np.array([[-20.0, -10.0, 0.0, -30.0], [np.nan, -20.0, 0.0, -30.0]], dtype=np.float32)
    mask = np.array([[1, 1, 0, 1], [1, 1, 0, 1]], dtype=bool)
    # left body: powers 0.01, 0.1, 0.01 (NaN left out): mean 0.04 = -13.98 dB; right: -30 dB
    assert np.array_equal(_dark_bodies(mask, db, -13.9), mask)
    kept = _dark_bodies(mask, db, -14.0)
    assert not kept[:, :2].any() and kept[:, 3].all()
    assert not _dark_bodies(np.zeros_like(mask), db, 0.0).any()


def test_uncored_limit_only_on_the_scene_path():
    scene = WaterFit(-15.0, (-20.0, 2.0), (-10.0, 2.0), "scene")
    r = mapping.Rules.from_fit(scene, pixel_size_m=10.0)
    assert r.middle == -15.0 and r.uncored_max_db == -15.0 - mapping.UNCORED_MARGIN_DB
    for method in ("tiles", "global", "level"):
        fit = WaterFit(-15.0, (-20.0, 2.0), (-10.0, 2.0), method)
        assert mapping.Rules.from_fit(fit, pixel_size_m=10.0).uncored_max_db is None


def test_a_clearly_dark_body_without_a_core_is_water_in_a_bimodal_scene():
    rng = np.random.default_rng(11)
    vv = rng.normal(-9.0, 1.0, (240, 240)).astype(np.float32)
    vv[10:110, 10:230] = rng.normal(-22.0, 1.5, (100, 220))  # a river plain: clear water
    vv[160:200, 20:60] = rng.normal(-18.0, 0.5, (40, 40))  # shallow flood: no clear core
    vv[160:200, 140:180] = rng.normal(-15.0, 0.5, (40, 40))  # a wet field near the midpoint
    post = np.stack([vv, vv - 7.0])
    fit = mapping.fit_scene(post)
    assert fit.method == "scene"
    rules = mapping.Rules.from_fit(fit, pixel_size_m=10.0)
    assert rules.uncored_max_db == pytest.approx(rules.middle - 1.0)
    assert -16.5 < rules.uncored_max_db < -15.5 and rules.strong < -18.5
    fm = map_flood(post, None, pixel_size_m=10.0)
    assert fm.water[20:100, 20:220].all()
    assert fm.water[165:195, 25:55].all()  # kept: as a whole clearly darker than the midpoint
    assert not fm.water[160:200, 140:180].any()  # dropped: no core, not clearly dark
    plain = mapping.Rules(**{**rules.__dict__, "uncored_max_db": None})
    assert not mapping.rules_water(post, plain)[1][160:200, 20:60].any()  # the core alone


def test_the_tiles_ashman_test_does_not_reject_one_gaussian():
    """Ashman's D of Otsu's truncated classes: 2.65 for any single Gaussian, so the tiles'
    D >= 2 keeps unimodal tiles too; the split ceiling and the class shares filter them
    (bench/BENCHMARKS.md, "Flood water, eighth pass")."""
    for sd in (1.0, 2.0, 3.0):
        one = np.exp(-0.5 * ((CENTRES + 12.0) / sd) ** 2)[None] * 1e5
        _, share, ashman = water_module._otsu_rows(one)
        assert share[0] == pytest.approx(0.5, abs=0.01)
        assert ashman[0] == pytest.approx(2.65, abs=0.02)
        assert water_module._bimodal(one, 2.0, 0.1, -12.0)[0]


def _gauss(mean: float, sd: float, n: float = 1e5) -> np.ndarray:
    g = np.exp(-0.5 * ((CENTRES - mean) / sd) ** 2)
    return n * g / g.sum()


# One broad hump of VV-bright flood water and land (no valley), as Paraguay_jja10's feature.
_BROAD = _gauss(-9.5, 2.0, 6e4) + _gauss(-14.0, 3.0, 4e4)


def test_tail_minimum_finds_the_degenerate_split():
    assert water_module.tail_minimum(_BROAD, max_db=-12.0, min_share=0.05)
    assert not water_module.tail_minimum(_two_modes(0.3), max_db=-12.0, min_share=0.05)
    assert not water_module.tail_minimum(np.zeros(CENTRES.size), max_db=-12.0, min_share=0.05)
    assert not water_module.tail_minimum(_BROAD, max_db=-30.0, min_share=0.05)  # none admissible
    with pytest.raises(ValidationError, match=r"counts should be one histogram of 200 bins"):
        water_module.tail_minimum(np.ones(10))


def test_dark_vh_share():
    assert water_module.dark_vh_share(None) == 0.0
    assert water_module.dark_vh_share(np.zeros(CENTRES.size)) == 0.0
    vh = _gauss(-17.0, 1.0, 6e4) + _gauss(-26.0, 1.0, 4e4)
    assert water_module.dark_vh_share(vh) == pytest.approx(0.4, abs=0.01)


def test_a_degenerate_tiles_split_falls_to_otsu_only_where_vh_says_water():
    dry_vh = _gauss(-17.0, 2.0)
    wet_vh = _gauss(-17.0, 2.0, 6e4) + _gauss(-25.0, 1.5, 4e4)  # 40 % below -22 dB
    engine = fit_water([_BROAD], _BROAD, vh_counts=dry_vh, vh_smooth_counts=dry_vh)
    assert engine.method == "tiles"
    assert engine.threshold_db == minimum_error_threshold(_BROAD, max_db=-12.0, min_share=0.05)
    assert fit_water([_BROAD], _BROAD, vh_counts=dry_vh) == engine  # no despeckled VH given
    wet = fit_water([_BROAD], _BROAD, vh_counts=dry_vh, vh_smooth_counts=wet_vh)
    assert wet.method == "tiles"
    assert wet.threshold_db == min(water_module.otsu_threshold(_BROAD), -12.0)
    assert wet.threshold_db > engine.threshold_db + 1.0
    # a clear valley: the minimum-error split stands whatever VH says
    two = _two_modes(0.3)
    assert fit_water([two], _BROAD, vh_counts=dry_vh, vh_smooth_counts=wet_vh) == fit_water(
        [two], _BROAD, vh_counts=dry_vh
    )


def test_scene_fit_reads_the_despeckled_vh():
    rng = np.random.default_rng(8)
    land = -9.0 + rng.normal(0, 1.5, (128, 128))
    vv = land.copy()
    vh = land - 7.0
    vh[:, :48] = -25.0 + rng.normal(0, 2.0, (128, 48))  # flood water dark in VH only
    vv[:, :48] = -11.0 + rng.normal(0, 1.5, (128, 48))
    post = np.stack([vv, vh]).astype(np.float32)
    seen = {}
    real = water_module.fit_water

    def spy(*args, **kw):
        seen.update(kw)
        return real(*args, **kw)

    mapping.water.fit_water = spy
    try:
        mapping.fit_scene(post)
    finally:
        mapping.water.fit_water = real
    smooth = water_module.histogram(water_module.despeckle_db(post[1]))
    assert np.array_equal(seen["vh_smooth_counts"], smooth)
    assert np.array_equal(seen["vh_counts"], water_module.histogram(post[1]))
