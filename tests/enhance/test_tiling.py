"""Tiled inference: blending weights, exactness, seams, streaming and errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import ndimage

from paii_core.enhance.tiling import _ramp, fill_nodata, tile_starts, tiled_apply
from paii_core.errors import ValidationError


def test_ramps_of_neighbours_sum_to_one():
    r = _ramp(20)
    assert np.allclose(r + r[::-1], 1.0)
    assert r[0] == 0.0 and r[-1] == 1.0


def test_tiles_cover_the_raster_with_the_overlap():
    wins = tile_starts(300, 64, 16)
    assert wins[0][0] == 0 and wins[-1][1] == 300
    assert all(b[0] <= a[1] - 16 for a, b in itertools.pairwise(wins))
    assert tile_starts(50, 64, 16) == [(0, 50)]


def test_pointwise_upsampling_is_exact_and_keeps_nan():
    rng = np.random.default_rng(0)
    img = rng.random((3, 150, 131), dtype=np.float32)
    img[1, 5, 7] = np.nan
    out = tiled_apply(
        lambda a, b, c, d: img[:, a:b, c:d].repeat(2, 1).repeat(2, 2),
        img,
        out_channels=3,
        scale=2,
        tile=48,
        overlap=12,
    )
    ref = img.repeat(2, 1).repeat(2, 2)
    ref[:, 10:12, 14:16] = np.nan
    assert np.array_equal(np.isnan(out), np.isnan(ref))
    assert np.nanmax(np.abs(out - ref)) < 1e-6


def test_local_filter_shows_no_seams():
    """A 7x7 filter sees tile borders; cropping the outer quarter of overlaps hides them."""
    img = np.random.default_rng(1).random((1, 200, 200), dtype=np.float32)
    full = ndimage.uniform_filter(img[0], 7, mode="nearest")[None]

    def fn(a, b, c, d):
        return ndimage.uniform_filter(img[0, a:b, c:d], 7, mode="nearest")[None]

    out = tiled_apply(fn, img, out_channels=1, tile=64, overlap=24)
    assert np.abs(out - full)[:, 3:-3, 3:-3].max() < 1e-5


def test_sink_receives_every_row_once_in_order():
    img = np.ones((1, 100, 40), np.float32)
    got = []
    result = tiled_apply(
        lambda a, b, c, d: img[:, a:b, c:d],
        img,
        out_channels=1,
        tile=32,
        overlap=8,
        sink=lambda row0, block: got.append((row0, block.shape[1])),
    )
    assert result is None
    assert got[0][0] == 0 and sum(n for _, n in got) == 100
    assert all(r0 + n == nxt for (r0, n), (nxt, _) in itertools.pairwise(got))


def test_fill_nodata_uses_band_means():
    t = np.array([[[1.0, np.nan], [3.0, 2.0]]], np.float32)
    assert fill_nodata(t)[0, 0, 1] == pytest.approx(2.0)
    assert np.array_equal(fill_nodata(np.full((1, 2, 2), np.nan)), np.zeros((1, 2, 2)))


def test_bad_arguments_raise():
    img = np.ones((1, 10, 10), np.float32)
    with pytest.raises(ValidationError, match="twice the overlap"):
        tiled_apply(lambda *w: img, img, out_channels=1, tile=16, overlap=8)
    with pytest.raises(ValidationError, match=r"\(C, H, W\)"):
        tiled_apply(lambda *w: img, img[0], out_channels=1)
    with pytest.raises(ValidationError, match="scale and out_channels"):
        tiled_apply(lambda *w: img, img, out_channels=0)
    with pytest.raises(ValidationError, match="tile function returned"):
        tiled_apply(lambda *w: img[:, :5], img, out_channels=1, tile=64, overlap=8)
