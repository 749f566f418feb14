"""Dark Channel Prior haze index: exact values, ranking by haze, nodata and errors."""

from __future__ import annotations

import numpy as np
import pytest

from paii_core.enhance import haze_index, scenes
from paii_core.enhance.haze_index import dark_channel
from paii_core.errors import ValidationError


def test_dark_channel_is_min_over_bands_and_patch():
    img = np.full((4, 20, 20), 0.5, np.float32)
    img[2, 10, 10] = 0.1
    dark = dark_channel(img, patch=5)
    assert dark[10, 10] == pytest.approx(0.1)
    assert dark[8, 12] == pytest.approx(0.1)  # within the 5x5 patch
    assert dark[0, 0] == pytest.approx(0.5)


def test_constant_image_index_is_value_times_255():
    hi = haze_index(np.full((4, 16, 16), 0.2, np.float32))
    assert hi.level == pytest.approx(51.0)
    assert hi.map.shape == (16, 16)


def test_index_ranks_scenes_by_haze_thickness(scene):
    rng = np.random.default_rng(0)
    levels = [haze_index(scene.clear[0]).level]
    for tau in (0.3, 0.8, 1.5):
        hazy, _ = scenes.hazy_version(scene.clear[0], rng, mean_tau=tau)
        levels.append(haze_index(hazy).level)
    assert levels == sorted(levels)
    assert levels[0] < 20 < levels[-1]


def test_nodata_stays_nan_and_is_ignored():
    img = np.full((4, 16, 16), 0.1, np.float32)
    img[:, :, :4] = np.nan
    hi = haze_index(img)
    assert np.isnan(hi.map[:, :4]).all()
    assert hi.level == pytest.approx(25.5)


@pytest.mark.parametrize(
    ("image", "match"),
    [
        (np.zeros((3, 8, 8), np.float32), r"\(4, H, W\)"),
        (np.zeros((4, 8, 8), np.uint16), "floating-point"),
        (np.full((4, 8, 8), np.nan, np.float32), "all nodata"),
    ],
)
def test_bad_images_raise(image, match):
    with pytest.raises(ValidationError, match=match):
        haze_index(image)
