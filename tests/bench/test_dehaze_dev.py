"""The development harness draws haze exactly as the benchmark's simulated TOA rows do."""

from __future__ import annotations

import numpy as np
import pytest

from bench.enhance import dehaze_dev
from paii_core.demo import haze
from paii_core.enhance import real_scenes, scenes
from paii_core.enhance.haze_path import AIRLIGHT, CLEAR_DARK, path_dehaze


def test_dev_draw_is_the_benchmarks_scene_mean_draw():
    clear = real_scenes.landsat5_toa().image[:, :96, :96].copy()
    ours, field, air = dehaze_dev.draw(clear, np.random.default_rng(5), 0.75)
    theirs, field2 = scenes.hazy_version(
        clear, np.random.default_rng(5), mean_tau=0.75, scene_mean=True
    )
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(field, field2)
    assert abs(float(field.mean()) - 0.75) < 1e-4
    assert np.all(np.abs(air / np.asarray((0.36, 0.33, 0.30, 0.26)) - 1) <= 0.15 + 1e-9)


def test_the_true_nir_airlight_bounds_the_module():
    """The NIR airlight is the residual error: re-inverting NIR with the draw's true
    airlight lowers the development error of the module as it is."""
    module = dehaze_dev.evaluate("module", (1.0,), (904,))
    oracle = dehaze_dev.evaluate("oracle-nir", (1.0,), (904,))
    assert oracle["mean"] < module["mean"]


DN_MAUI_NIR = 5764
"""NIR DN of the Maui crop's corner pixel (the open sea)."""
DN_S2_NIR = 7495
"""NIR DN of the St. Lawrence crop's corner (row 57, column 57 of the stored tile)."""


def test_the_development_set_holds_sea_lake_and_land():
    cases = dehaze_dev.dev_cases()
    assert set(cases) == {
        "landsat5", "landsat8", "italy_toa", "sc_sea", "sc_inland", "s2_estuary", "maui_coast"
    }  # fmt: skip
    sea, scored = cases["sc_sea"]
    assert sea.shape == (4, 110, 110) and not np.isnan(sea).any()
    # TOA by the MTL: (DN * 2e-5 - 0.1) / sin(62.17310472 deg); NIR DN 23868 at the corner
    assert sea[3, 0, 0] == np.float32((23868 * 2e-5 - 0.1) / np.sin(np.deg2rad(62.17310472)))
    water = sea[3] < sea[1]
    assert 0.5 < water.mean() < 0.7 and 0.025 < np.percentile(sea[3][water], 5) < 0.035
    assert 0.75 < scored.mean() < 0.95  # BQA cloud and shadow left out of the score
    inland, _ = cases["sc_inland"]
    assert 0.02 < (inland[3] < inland[1]).mean() < 0.08  # Lake Marion
    estuary, scored = cases["s2_estuary"]  # Sentinel-2 L1C: TOA = DN / 10000
    assert estuary.shape == (4, 64, 64) and estuary[3, 0, 0] == np.float32(DN_S2_NIR / 10000.0)
    water = estuary[3] < estuary[1]
    assert 0.3 < water.mean() < 0.45 and 0.01 < np.percentile(estuary[3][water], 5) < 0.015
    assert 0.7 < scored.mean() < 0.9  # cloud (blue above 0.2) and its neighbours left out
    maui, scored = cases["maui_coast"]  # Landsat-9 by its MTL: (DN * 2e-5 - 0.1) / sin(66.18 deg)
    assert maui.shape == (4, 367, 301)
    assert maui[3, 0, 0] == np.float32((DN_MAUI_NIR * 2e-5 - 0.1) / np.sin(np.deg2rad(66.18265267)))
    water = maui[3] < maui[1]  # the clear Pacific: NIR near 0.02
    assert 0.4 < water.mean() < 0.45 and 0.015 < np.percentile(maui[3][water], 5) < 0.02
    assert scored.mean() > 0.98


def test_a_scene_with_water_reads_the_nir_airlight_off_the_prior():
    """South Carolina inland (Lake Marion) under haze whose NIR airlight is 15 % below the
    prior: the lake pulls the airlight toward the truth, and vegetation's dehazed NIR comes
    out closer to the clear capture's than with the prior."""
    clear = dehaze_dev.dev_cases()["sc_inland"][0]
    field = haze.haze_optical_depth(
        clear.shape[1:], np.random.default_rng(3), mean_tau=1.0, variability=0.3,
        correlation_px=60.0,
    )  # fmt: skip
    hazy = haze.apply_haze(clear, field, airlight=[0.36, 0.33, 0.30, 0.221], angstrom=1.1)
    out, t550 = path_dehaze(hazy)
    t_nir = t550**dehaze_dev.NIR_RATIO
    found = dehaze_dev.water_airlight(hazy[3], out[1], t_nir, "fused")
    assert 0.221 < found < float(AIRLIGHT[3]) - 0.01
    veg = (clear[3] + clear[2]) > 0.2
    with_prior = (hazy[3] - AIRLIGHT[3] * (1 - t_nir)) / t_nir
    with_water = (hazy[3] - found * (1 - t_nir)) / t_nir
    err_prior = np.mean(np.abs(with_prior - clear[3])[veg])
    assert np.mean(np.abs(with_water - clear[3])[veg]) < 0.8 * err_prior


def _lake(
    t_water: float, air: float, water_nir: float = 0.02, n: int = 40
) -> tuple[np.ndarray, ...]:
    """An n x n px scene: water (clear NIR ``water_nir``) in its left half, vegetation
    (0.3) in its right, dehazed green 0.1; NIR transmission ``t_water`` over the water's
    top half, 0.9 x it below (haze varies over the water), 0.5 over land; airlight ``air``."""
    h = n // 2
    green = np.full((n, n), 0.1, np.float32)
    clear_nir = np.full((n, n), 0.3, np.float32)
    clear_nir[:, :h] = water_nir
    t_nir = np.full((n, n), 0.5, np.float32)
    t_nir[:h, :h], t_nir[h:, :h] = t_water, 0.9 * t_water
    hazy = clear_nir * t_nir + air * (1 - t_nir)
    return hazy.astype(np.float32), green, t_nir


def test_water_fused_weighs_prior_and_water_by_their_variances():
    hazy, green, t_nir = _lake(0.5, 0.29)
    hazy[20:, :20], t_nir[20:, :20] = hazy[:20, :20], t_nir[:20, :20]  # one t over water
    # every water pixel reads 0.29 with sd WATER_NIR_SD x t / (1 - t) = 0.01
    w_p, w_w = dehaze_dev.AIRLIGHT_NIR_SD**-2, 0.01**-2
    expected = (0.26 * w_p + 0.29 * w_w) / (w_p + w_w)
    assert expected == pytest.approx(0.28505, abs=1e-5)
    assert dehaze_dev.water_airlight(hazy, green, t_nir, "fused") == pytest.approx(expected)


def test_water_map_fits_a_darker_water_and_its_airlight_together():
    """Water 0.005 in NIR (a clear sea), not the assumed 0.02: the fused estimate is pulled
    below the true airlight, the joint fit is not."""
    hazy, green, t_nir = _lake(0.6, 0.29, water_nir=0.005)
    fused = dehaze_dev.water_airlight(hazy, green, t_nir, "fused")
    joint = dehaze_dev.water_airlight(hazy, green, t_nir, "map", 0.03, 100.0)
    assert abs(joint - 0.29) < 0.005 < abs(fused - 0.29)


def test_no_water_keeps_the_prior():
    hazy, green, t_nir = _lake(0.5, 0.29)
    land = np.full_like(hazy, 0.3 * 0.5 + 0.29 * 0.5)  # NIR far above green: no water
    assert dehaze_dev.water_airlight(land, green, t_nir, "fused") == float(AIRLIGHT[3])
    clear_sky, green, t_clear = _lake(0.97, 0.29)  # water with (almost) no haze over it
    clear_sky[20:, :20], t_clear[20:, :20] = clear_sky[:20, :20], t_clear[:20, :20]
    assert dehaze_dev.water_airlight(clear_sky, green, t_clear, "map") == float(AIRLIGHT[3])


def test_water_land_carries_the_lands_transmission_over_the_shore_water():
    """With one transmission over land and water the land's carried over equals the
    water's own; where the water's own is off (t read too low over a bright sea), the land's
    gives back the airlight the land is inverted with."""
    hazy, green, t_nir = _lake(0.5, 0.29, n=80)
    hazy[40:, :40], t_nir[40:, :40] = hazy[:40, :40], t_nir[:40, :40]  # one t everywhere
    own = dehaze_dev.water_airlight(hazy, green, t_nir, "fused")
    carried = dehaze_dev.water_airlight(hazy, green, t_nir, "fused", land_px=10.0)
    assert carried == pytest.approx(own, abs=1e-9)
    low = t_nir.copy()
    low[:, :40] = 0.45  # the water's transmission read 0.05 too low
    biased = dehaze_dev.water_airlight(hazy, green, low, "fused")
    fixed = dehaze_dev.water_airlight(hazy, green, low, "fused", land_px=10.0)
    assert abs(fixed - own) < 1e-6 < abs(biased - own)


def _uniform(levels) -> np.ndarray:
    """A 16 x 16 px capture whose B, G, R are ``levels`` everywhere (NIR 0.3): its own dark
    objects (minimum and Gaussian filters of a constant)."""
    image = np.empty((4, 16, 16), np.float32)
    image[:] = np.asarray([*levels, 0.3], np.float32)[:, None, None]
    return image


def test_scene_levels_keep_the_part_of_the_excess_haze_cannot_explain():
    ratio = (np.asarray([490.0, 560.0, 665.0]) / 550.0) ** -1.3
    h = (np.asarray([0.36, 0.33, 0.30]) - CLEAR_DARK) * ratio  # the path's direction
    hazy_like = _uniform(CLEAR_DARK + 0.05 * h)  # dark objects lifted along it: haze
    np.testing.assert_allclose(
        dehaze_dev.scene_levels(hazy_like, "ortho", 5.0), CLEAR_DARK, atol=1e-6
    )
    flat = np.full(3, 0.012)  # a brighter ground: the same in every band
    ortho = dehaze_dev.scene_levels(_uniform(CLEAR_DARK + flat), "ortho", 5.0)
    np.testing.assert_allclose(ortho, CLEAR_DARK + flat - h * (flat @ h) / (h @ h), atol=1e-6)
    # percentile form: the scene's level, never under CLEAR_DARK
    low = dehaze_dev.scene_levels(_uniform([0.05, 0.07, 0.02]), "pct", 5.0)
    np.testing.assert_allclose(low, [CLEAR_DARK[0], 0.07, CLEAR_DARK[2]], atol=1e-6)
    high = dehaze_dev.scene_levels(_uniform([0.4, 0.07, 0.05]), "pct", 5.0)  # under haze
    np.testing.assert_allclose(high, [0.29, 0.07, 0.05], atol=1e-6)  # kept under the airlight


def test_the_harness_reports_how_much_the_clear_capture_is_changed():
    """The clear capture's own dark-object map as the clear level (an oracle) leaves it
    unchanged; the module changes it, and the transmission errors over water and land
    (read minus true) are reported for the hazy draws."""
    oracle = dehaze_dev.evaluate("oracle-base-map", (0.5,), (900,), scenes=["s2_estuary"])
    module = dehaze_dev.evaluate("module", (0.5,), (900,), scenes=["s2_estuary"])
    assert oracle["cases"] == module["cases"] == 1
    got, mod = oracle["per_scene"]["s2_estuary"], module["per_scene"]["s2_estuary"]
    assert got["clear_mae"] == 0.0 and got["clear_ndvi"] == 0.0
    assert 0.005 < mod["clear_mae"] < 0.05 and mod["clear_ndvi"] > 0.0
    for stats in (got, mod):
        assert abs(stats["t_err_land"]) < 0.2 and abs(stats["t_err_water"]) < 0.2
    # a NIR variant after a clear-level variant: the levels are the oracle's, NIR the truth's
    both = dehaze_dev.evaluate("oracle-base-map+oracle-nir", (0.5,), (900,), ["s2_estuary"])
    assert both["per_scene"]["s2_estuary"]["t_err_land"] == got["t_err_land"]
    assert both["mean"] != oracle["mean"]


def test_stressed_lifts_the_visible_bands_and_darkens_the_water():
    clear = np.zeros((4, 2, 2), np.float32)
    clear[:] = np.array([0.08, 0.06, 0.04, 0.3], np.float32)[:, None, None]
    clear[1, 0, 0], clear[3, 0, 0] = 0.07, 0.02  # one water pixel: NIR below green
    out = dehaze_dev.stressed(clear, 0.015, 0.5)
    np.testing.assert_allclose(out[:3], clear[:3] + 0.015, atol=1e-7)
    assert out[3, 0, 0] == np.float32(0.01) and np.all(out[3].ravel()[1:] == np.float32(0.3))
    assert clear[3, 0, 0] == np.float32(0.02)  # the capture itself is not written


def test_the_harness_reports_the_nir_airlight_error():
    """The true NIR airlight has no error; the prior's is the prior minus the draw's."""
    args = ((0.5,), (900,), ["s2_estuary"])
    assert dehaze_dev.evaluate("oracle-nir", *args)["per_scene"]["s2_estuary"]["air_err"] == 0
    clear = dehaze_dev.dev_cases()["s2_estuary"][0]
    _, _, air = dehaze_dev.draw(clear, np.random.default_rng(900 * 10 + 50), 0.5)
    module = dehaze_dev.evaluate("module", *args, stress=(0.0, 1.0))
    assert module["per_scene"]["s2_estuary"]["air_err"] == round(0.26 - air[3], 4)
    assert module["mean"] == dehaze_dev.evaluate("module", *args)["mean"]  # a null stress


def _land(t: np.ndarray, air: float) -> tuple[np.ndarray, np.ndarray]:
    """Land whose clear NIR is exactly 0.1 + 2 x its red, under NIR transmission ``t`` and
    airlight ``air``: the hazy NIR and the dehazed image (B, G, R known, NIR unused)."""
    h, w = t.shape
    out = np.zeros((4, h, w), np.float32)
    out[0], out[1] = 0.05, 0.07
    out[2] = np.linspace(0.03, 0.12, h * w, dtype=np.float32).reshape(h, w)
    nir = (0.1 + 2.0 * out[2]) * t + air * (1.0 - t)
    return nir.astype(np.float32), out


def test_hot_airlight_reads_the_land_nir_slope_against_the_haze():
    """I_N / t = J_N + A (1 - t) / t with J_N a linear function of the visible bands: an
    exact fit has no residual, so A itself outweighs the prior."""
    rng = np.random.default_rng(0)
    t = rng.uniform(0.4, 0.9, (40, 40)).astype(np.float32)
    nir, out = _land(t, 0.29)
    assert dehaze_dev.hot_airlight(nir, out, t, 1.0) == pytest.approx(0.29, abs=1e-4)
    few = t.copy()
    few[:, 2:] = 0.99  # hazed land on 20 of the 400 sampled pixels: under 200, the prior
    assert dehaze_dev.hot_airlight(nir, out, few, 1.0) == float(AIRLIGHT[3])
    # the soil-line form keeps only pixels whose (prior-dehazed) NDVI is under max_ndvi:
    # none of these are (NDVI 0.4-0.8), so the prior stays
    assert dehaze_dev.hot_airlight(nir, out, t, 1.0, max_ndvi=0.3) == float(AIRLIGHT[3])


def test_hot_airlight_weighs_a_noisy_slope_against_the_prior():
    rng = np.random.default_rng(1)
    t = rng.uniform(0.4, 0.9, (40, 40)).astype(np.float32)
    nir, out = _land(t, 0.29)
    nir = nir + rng.normal(0, 0.02, nir.shape).astype(np.float32)
    free = dehaze_dev.hot_airlight(nir, out, t, 1.0)
    tied = dehaze_dev.hot_airlight(nir, out, t, 1e6)  # standard error inflated 1000 x
    assert abs(tied - 0.26) < 1e-3 and abs(free - 0.29) < abs(tied - 0.29)


def test_scene_angstrom_reads_the_exponent_of_the_visible_depths():
    ratio = (np.asarray([490.0, 560.0, 665.0]) / 550.0) ** -1.0
    depths = np.broadcast_to(0.8 * ratio[:, None, None], (3, 40, 40)).copy()
    assert dehaze_dev.scene_angstrom(depths, 1.0) == pytest.approx(1.0, abs=1e-9)
    assert dehaze_dev.scene_angstrom(depths, 0.5) == pytest.approx(1.15, abs=1e-9)
    assert dehaze_dev.scene_angstrom(depths * 0.1, 1.0) == 1.3  # green depth under 0.2


def test_alpha_zero_is_the_module():
    clear = dehaze_dev.dev_cases()["s2_estuary"][0]
    hazy, _, air = dehaze_dev.draw(clear, np.random.default_rng(3), 0.75)
    module, _, _ = dehaze_dev.dehaze(hazy, "module", air)
    same, _, used = dehaze_dev.dehaze(hazy, "alpha-0", air)
    np.testing.assert_allclose(same, module, atol=1e-5)
    assert used == float(AIRLIGHT[3])


def test_stressed_lifts_the_seas_visible_bands_with_the_distance_from_the_shore():
    clear = np.zeros((4, 1, 50), np.float32)
    clear[:] = np.array([0.08, 0.06, 0.04, 0.3], np.float32)[:, None, None]
    clear[1, 0, 25:], clear[3, 0, 25:] = 0.07, 0.02  # sea in the right half
    out = dehaze_dev.stressed(clear, 0.0, 1.0, 0.06)
    np.testing.assert_array_equal(out[:, 0, :25], clear[:, 0, :25])  # land untouched
    shape = np.asarray(dehaze_dev.WATER_VIS_SHAPE, np.float32)
    # distance to the nearest land pixel: 1 px at the shore, 25 px at the far edge
    np.testing.assert_allclose(out[:3, 0, 25] - clear[:3, 0, 25], 0.06 * shape / 20, atol=1e-7)
    np.testing.assert_allclose(out[:3, 0, 49] - clear[:3, 0, 49], 0.06 * shape, atol=1e-7)
    np.testing.assert_array_equal(out[3], clear[3])


def test_the_harness_reports_the_scatter_of_the_nir_airlight_error():
    """The root mean square of the prior's airlight error over two draws (-0.004 and
    -0.020), above the size of their mean."""
    clear = dehaze_dev.dev_cases()["s2_estuary"][0]
    errs = [
        0.26 - dehaze_dev.draw(clear, np.random.default_rng(s * 10 + 50), 0.5)[2][3]
        for s in (900, 901)
    ]
    got = dehaze_dev.evaluate("prior-nir", (0.5,), (900, 901), ["s2_estuary"])["per_scene"]
    assert got["s2_estuary"]["air_rmse"] == round(float(np.sqrt(np.mean(np.square(errs)))), 4)
    assert got["s2_estuary"]["air_rmse"] > abs(got["s2_estuary"]["air_err"])


def test_score_water_scores_as_the_benchmark_and_reports_the_waters_part():
    """With water scored (N + R > 0.05 alone, as bench.enhance.real), the Maui coast's sea
    enters the score and carries most of its error; without, nothing of it is water."""
    args = ((1.0,), (900,), ["maui_coast"])
    land = dehaze_dev.evaluate("module", *args)
    both = dehaze_dev.evaluate("module", *args, score_water=True)
    got = both["per_scene"]["maui_coast"]
    assert 0.3 < got["water_share"] < 0.5  # its clear Pacific
    assert 0.0 < got["water_part"] <= both["mean"]
    assert both["mean"] > land["mean"] and "water_share" not in land["per_scene"]["maui_coast"]
    # the sea's error goes through NIR: dehaze(hazy)'s NIR alone carries more than its red
    assert got["nir_only"] > got["red_only"] > 0.0


def test_the_relative_nir_dark_bound_keeps_the_prior_where_the_sea_reads_phantom_haze():
    """South Carolina's sea (visible dark objects above CLEAR_DARK) under a draw whose NIR
    airlight is ABOVE the prior: the absolute NIR dark bound still pulls the airlight below
    the prior (the sea's transmission is read low), the relative one does not."""
    args = ((1.0,), (900,), ["sc_sea"])

    def air_err(variant: str) -> float:
        return dehaze_dev.evaluate(variant, *args)["per_scene"]["sc_sea"]["air_err"]

    prior = air_err("module")
    assert prior < -0.01  # the draw's NIR airlight is above the prior
    assert air_err("nir-dark-0.0") < prior - 0.01
    assert air_err("nir-darkrel-0.0-1") >= prior - 1e-4


def test_nir_air_draws_the_nir_airlight_in_its_range_and_keeps_the_rest():
    """``nir_air`` maps the same uniform draw onto LO..HI for NIR only: the field, the
    visible airlights and the exponent are the benchmark draw's."""
    clear = real_scenes.landsat5_toa().image[:, :64, :64].copy()
    plain = dehaze_dev.draw_truth(clear, np.random.default_rng(7), 1.0)
    above = dehaze_dev.draw_truth(clear, np.random.default_rng(7), 1.0, (1.05, 1.15))
    np.testing.assert_array_equal(plain[1], above[1])
    np.testing.assert_array_equal(plain[2][:3], above[2][:3])
    assert plain[3] == above[3]
    u = (plain[2][3] / 0.26 - 0.85) / 0.3
    assert above[2][3] / 0.26 == pytest.approx(1.05 + 0.1 * u)
    np.testing.assert_array_equal(plain[0][:3], above[0][:3])
    assert not np.array_equal(plain[0][3], above[0][3])


def test_two_sided_water_reads_the_path_from_both_sides_and_weighs_the_prior():
    """Water anywhere in 0..0.02 reads the airlight within the half-width its two sides
    leave; the water's weight falls as the transmission's error grows."""
    for water_nir in (0.0, 0.01, 0.02):
        hazy, green, t_nir = _lake(0.5, 0.29, water_nir, 80)
        found, weight = dehaze_dev.two_sided_airlight(hazy, green, t_nir, 0.0)
        assert weight > 0.5
        assert abs(found - 0.29) < 0.01 * 0.9 / 0.1 + 1e-6  # half-width x t / (1 - t)
    hazy, green, t_nir = _lake(0.5, 0.29, 0.01, 80)
    sure, w_sure = dehaze_dev.two_sided_airlight(hazy, green, t_nir, 0.0)
    loose, w_loose = dehaze_dev.two_sided_airlight(hazy, green, t_nir, 0.1)
    assert w_loose < w_sure and abs(loose - 0.26) < abs(sure - 0.26)


def test_two_sided_water_needs_deep_water():
    """A strip of water narrower than the erosion leaves the prior, with weight 0."""
    hazy, green, t_nir = _lake(0.5, 0.29, 0.01, 80)
    narrow = hazy.copy()
    narrow[:, :36] = 0.3 * 0.5 + 0.29 * 0.5  # only 4 px of water left by the shore
    assert dehaze_dev.two_sided_airlight(narrow, green, t_nir, 0.0) == (float(AIRLIGHT[3]), 0.0)


def test_angstrom_airlight_extrapolates_a_power_law_and_shrinks_to_the_prior():
    lam = np.asarray(dehaze_dev.WAVELENGTHS_NM, np.float64)
    vis = 0.3 * (lam[:3] / 665.0) ** -0.8
    assert dehaze_dev.angstrom_airlight(vis, 1.0) == pytest.approx(0.3 * (lam[3] / 665.0) ** -0.8)
    assert dehaze_dev.angstrom_airlight(vis, 0.0) == pytest.approx(float(AIRLIGHT[3]))


def test_raised_airlight_only_raises():
    """Deep water under an airlight above the prior raises it to the water's lower bound
    (water at 0.02, the bound's own level: exact); under one below it, the prior stays."""
    hazy, green, t_nir = _lake(0.5, 0.29, 0.02, 80)
    assert dehaze_dev.raised_airlight(hazy, green, t_nir, 50.0) == pytest.approx(0.29, abs=1e-6)
    hazy, green, t_nir = _lake(0.5, 0.24, 0.02, 80)
    assert dehaze_dev.raised_airlight(hazy, green, t_nir, 50.0) == float(AIRLIGHT[3])


def test_an_unknown_capture_is_refused(capsys):
    with pytest.raises(SystemExit):
        dehaze_dev.main(["--scenes", "olinda"])
    assert "--scenes: no development capture ['olinda']" in capsys.readouterr().err
    assert set(dehaze_dev.DEV_NAMES) == set(dehaze_dev.dev_cases())
