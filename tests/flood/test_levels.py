"""A scene with a single mode: its split is held by the absolute water level (levels.py)."""

import numpy as np
import pytest

from paii_core.errors import ValidationError
from paii_core.flood import levels
from paii_core.flood.mapping import map_flood
from paii_core.flood.water import BINS, fit_water, histogram, minimum_error_threshold

CENTRES = 0.5 * (BINS[1:] + BINS[:-1])


def _gauss(mean: float, sd: float, n: float = 1e5) -> np.ndarray:
    g = np.exp(-0.5 * ((CENTRES - mean) / sd) ** 2)
    return n * g / g.sum()


def test_levels_are_the_published_loose_ends():
    assert (levels.VV_WATER_DB, levels.VH_WATER_DB) == (-15.0, -22.0)
    assert levels.feature_water_db(7.0) == -15.0  # (-15 - 22 + 7) / 2
    assert levels.feature_water_db(7.0, vv_only=True) == -15.0
    assert levels.feature_water_db(5.0) == -16.0


def test_median_exact_and_its_raise():
    assert levels.median_db([0, 1, 2, 1], [-3.0, -2.0, -1.0, 0.0]) == -1.0
    assert levels.median_db([3, 0, 0, 1], [-3.0, -2.0, -1.0, 0.0]) == -3.0
    assert levels.median_db([0, 0], [1.0, 2.0]) is None
    with pytest.raises(ValidationError, match=r"counts \(3,\) and centres \(2,\)"):
        levels.median_db([1, 2, 3], [1.0, 2.0])


def test_mode_class_by_vh_then_by_the_feature():
    water_feature, land_feature = _gauss(-15.5, 1.0), _gauss(-10.0, 1.5)
    # VH decides where it is present: rough water bright in VV (feature -10) is water
    assert levels.mode_class(land_feature, _gauss(-26.0, 1.0), CENTRES) == "water"
    assert levels.mode_class(water_feature, _gauss(-16.5, 1.0), CENTRES) == "land"
    # VV-only (no VH pixels, or too few of them): the feature against the VV level
    assert levels.mode_class(water_feature, None, CENTRES) == "water"
    assert levels.mode_class(land_feature, np.zeros(CENTRES.size), CENTRES) == "land"
    assert levels.mode_class(water_feature, _gauss(-16.5, 1.0, n=10.0), CENTRES) == "water"
    assert levels.mode_class(np.zeros(CENTRES.size), None, CENTRES) is None


def test_histogram_bins_as_the_tiles_do():
    counts = histogram(np.array([[-40.0, -15.1, np.nan], [-15.0, 20.0, -60.0]], np.float32))
    assert counts.sum() == 5 and counts[0] == 2 and counts[-1] == 1
    # [-15.25, -15.0) holds -15.1; -15.0 is the next bin's (an edge value falls in the bin
    # above it, as water is x < edge: numpy.histogram's half-open bins)
    assert counts[99] == 1 and counts[100] == 1


def test_all_water_scene_takes_the_level_not_a_split_of_its_water():
    scene = _gauss(-15.5, 1.0)  # one mode, VH at -26 dB: all water
    tiles = scene  # speckle makes some all-water tiles look bimodal
    # the same histograms with VH of land (-16.5 dB): the tiles' split stands, inside the mode
    plain = fit_water([tiles], scene, vh_counts=_gauss(-16.5, 1.0))
    assert plain.method == "tiles" and plain.threshold_db < -15.5
    fit = fit_water([tiles], scene, vh_counts=_gauss(-26.0, 1.0))
    assert (fit.method, fit.threshold_db) == ("level", -15.0)
    # no bimodal tile at all: still water, at the level
    none = fit_water([np.zeros(CENTRES.size)], scene, vh_counts=_gauss(-26.0, 1.0))
    assert (none.method, none.threshold_db) == ("level", -15.0)


def test_all_dry_scene_keeps_its_split_and_gets_no_level():
    # one mode of land (VH at -16.5 dB) whose tiles split a darker field: the land side is
    # not lowered to the level (tested once on the held-out chips: it cost two of them)
    scene = _gauss(-10.0, 1.5)
    tiles = _gauss(-10.0, 1.5, n=8e4) + _gauss(-13.5, 0.5, n=2e4)
    t = minimum_error_threshold(tiles, max_db=-12.0, min_share=0.05)
    assert t > -15.0
    for vh in (_gauss(-16.5, 1.5), None):
        fit = fit_water([tiles], scene, vh_counts=vh)
        assert (fit.method, fit.threshold_db) == ("tiles", t)
    # without a bimodal tile a dry scene has no water (never the level)
    assert fit_water([np.zeros(CENTRES.size)], scene, vh_counts=_gauss(-16.5, 1.5)).method == "none"


def test_bimodal_scene_is_unchanged_by_the_levels():
    scene = _gauss(-20.0, 1.5, n=4e4) + _gauss(-9.0, 1.5, n=6e4)
    for vh in (_gauss(-26.0, 1.0), _gauss(-16.0, 1.0)):
        assert fit_water([scene], scene, vh_counts=vh) == fit_water([scene], scene)


def _scene(vv: np.ndarray, vh: np.ndarray) -> np.ndarray:
    return np.stack([vv, vh]).astype(np.float32)


def test_map_flood_exact_on_tiny_scenes():
    ones = np.ones((48, 48), np.float32)
    # all water (rough in VV, dark in VH): feature -15.5 dB everywhere
    wet = map_flood(_scene(-12.0 * ones, -26.0 * ones), pixel_size_m=10.0)
    assert (wet.method, wet.threshold_db) == ("level", -15.0)
    assert wet.water.all() and wet.flooded.all()
    # all dry: feature -9 dB everywhere; no water, no threshold
    dry = map_flood(_scene(-9.0 * ones, -16.0 * ones), pixel_size_m=10.0)
    assert (dry.method, dry.threshold_db) == ("none", None)
    assert not dry.water.any()
    # bimodal: a lake (feature -20 dB) in the left half of land (-9 dB)
    vv, vh = -9.0 * ones, -16.0 * ones
    vv[:, :24], vh[:, :24] = -20.0, -27.0
    both = map_flood(_scene(vv, vh), pixel_size_m=10.0)
    assert both.method == "scene" and -20.0 < both.threshold_db < -9.0
    assert both.water[:, :24].all() and not both.water[:, 24:].any()


def test_each_threshold_method_is_said_in_words():
    from paii_core.flood.water import describe_method

    assert describe_method("level").startswith("level (the scene is water with no land mode")
    assert describe_method("tiles") == "tiles (split on the tiles that hold both water and land)"
    assert describe_method("learned") == "learned"  # a name without words stays a name
