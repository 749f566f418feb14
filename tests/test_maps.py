"""Map colours: percentile and shared ranges, diverging scales and their direction, NaN."""

from __future__ import annotations

import numpy as np

from paii_core.maps import MISSING_RGBA, colour_scale


def test_diverging_scale_is_centred_and_blue_for_high_unless_high_is_bad():
    values = np.array([-2.0, 0.0, 2.0, np.nan])
    rgba, lo, hi = colour_scale(values, diverging=True, value_range=(-2.0, 2.0))
    assert (lo, hi) == (-2.0, 2.0)
    assert rgba[2, 2] > rgba[2, 0] and rgba[0, 0] > rgba[0, 2]  # high blue, low red
    flipped, _, _ = colour_scale(values, diverging=True, value_range=(-2, 2), high_is_bad=True)
    assert flipped[2, 0] > flipped[2, 2] and flipped[0, 2] > flipped[0, 0]  # high red
    assert tuple(rgba[3]) == tuple(MISSING_RGBA)


def test_a_shared_range_gives_equal_values_equal_colours():
    a, _, _ = colour_scale(np.array([1.0, 5.0]), value_range=(0.0, 10.0))
    b, _, _ = colour_scale(np.array([5.0, 9.0]), value_range=(0.0, 10.0))
    assert np.array_equal(a[1], b[0])
    c, _, _ = colour_scale(np.array([5.0, 9.0]))  # own percentile range: 5 is its low end
    assert not np.array_equal(a[1], c[0])
