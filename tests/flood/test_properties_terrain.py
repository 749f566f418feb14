"""Property tests (hypothesis) of the flood engine's terrain and water functions on any DEM
or dB image: shapes and NaN kept, filled surfaces never below the DEM, HAND never
negative and the same by both routings, thresholds inside the histogram's range."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from paii_core.errors import ValidationError
from paii_core.flood.terrain import fill_depressions, fill_voids, hand, route, slope_deg
from paii_core.flood.water import BINS, otsu_threshold, tile_histograms

FAST = settings(max_examples=25, deadline=None)


@st.composite
def dems(draw, max_px: int = 24, nan: bool = True):
    """(H, W) float32 DEMs: smooth relief + noise, extremes, flats, some NaN voids."""
    h, w = draw(st.integers(3, max_px)), draw(st.integers(3, max_px))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["relief", "flat", "noise", "steps"]))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    z = {
        "relief": 50 + 3 * np.sin(xx / 3) + 2 * np.cos(yy / 4) + yy,
        "flat": np.full((h, w), draw(st.sampled_from([0.0, -420.0, 8848.0])), np.float32),
        "noise": rng.normal(0, draw(st.sampled_from([0.01, 1.0, 1000.0])), (h, w)),
        "steps": np.round(rng.uniform(0, 5, (h, w))),
    }[kind].astype(np.float32)
    if nan:
        z[rng.random((h, w)) < draw(st.sampled_from([0.0, 0.1, 0.6]))] = np.nan
        if not np.isfinite(z).any():
            z[0, 0] = 1.0
    return z


@FAST
@given(z=dems())
def test_filled_dem_is_never_below_the_dem_and_keeps_nan(z):
    filled = fill_depressions(z)
    ok = np.isfinite(z)
    assert filled.shape == z.shape and filled.dtype == np.float32
    assert np.array_equal(np.isfinite(filled), ok)
    assert (filled[ok] >= z[ok]).all()
    np.testing.assert_array_equal(fill_depressions(filled), filled)  # nothing left to fill


@FAST
@given(z=dems(), area=st.sampled_from([0.0001, 0.01, 0.5]))
def test_hand_is_non_negative_nan_where_the_dem_is_and_equal_by_both_routings(z, area):
    out = hand(z, pixel_size_m=10.0, channel_area_km2=area)
    ok = np.isfinite(z)
    assert out.shape == z.shape and out.dtype == np.float32
    assert np.array_equal(np.isfinite(out), ok)
    assert (out[ok] >= 0).all()
    # the compiled lean routing and the documented reference one give the same HAND
    full = hand(z, pixel_size_m=10.0, channel_area_km2=area, drainage=route(fill_voids(z)))
    np.testing.assert_allclose(out[ok], full[ok], rtol=0, atol=1e-4 * (1 + np.abs(z[ok]).max()))


@FAST
@given(z=dems(nan=False), px=st.sampled_from([0.5, 10.0, 30.0]))
def test_slope_is_an_angle(z, px):
    s = slope_deg(z, pixel_size_m=px)
    assert s.shape == z.shape
    assert ((s >= 0) & (s <= 90)).all()


@FAST
@given(
    shape=st.tuples(st.integers(1, 2), st.integers(1, 5)).flatmap(
        lambda s: st.sampled_from([s, s[::-1]])
    ),
    bad_px=st.sampled_from([0.0, -10.0, float("nan")]),
)
def test_tiny_dems_and_bad_pixel_sizes_are_validation_errors(shape, bad_px):
    with pytest.raises(ValidationError, match="at least 3 x 3"):
        hand(np.zeros(shape, np.float32), pixel_size_m=10.0)
    with pytest.raises(ValidationError, match="pixel_size_m should be > 0"):
        hand(np.zeros((4, 4), np.float32), pixel_size_m=bad_px)


@FAST
@given(
    image=hnp.arrays(
        np.float32, st.tuples(st.integers(1, 40), st.integers(1, 40)),
        elements=st.one_of(st.floats(-60, 30, width=32), st.just(np.nan),
                           st.sampled_from([np.inf, -np.inf, -40.0, 10.0])),
    ),
    tile=st.integers(8, 32),
)  # fmt: skip
def test_tile_histograms_count_every_finite_pixel_and_otsu_stays_in_range(image, tile):
    hist = tile_histograms(image, tile_px=tile)
    h, w = image.shape
    assert hist.counts.shape == (-(-h // tile) * -(-w // tile), BINS.size - 1)
    # out-of-range values land in the end bins; inf is not finite and is skipped
    assert hist.counts.sum() == np.isfinite(image).sum()
    t = otsu_threshold(hist.counts.sum(axis=0))
    assert BINS[0] <= t <= BINS[-1]
