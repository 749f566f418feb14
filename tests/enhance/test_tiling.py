"""Tiled inference: blending weights, cropped margins, exactness, seams, streaming, errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import ndimage

from paii_core.enhance.tiling import (
    _ramp,
    core_windows,
    fill_nodata,
    tile_starts,
    tiled_apply,
    tiled_crop,
)
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


def test_cropped_tiles_equal_an_untiled_run_where_the_margin_covers_the_filter():
    """A 7x7 filter has a radius of 3: a margin of 3 makes every core exact, 2 does not."""
    img = np.random.default_rng(2).random((2, 150, 131), dtype=np.float32)
    img[0, 40, 50] = np.nan

    def fn(a, b, c, d):
        t = np.nan_to_num(img[:, a:b, c:d])
        return np.stack([ndimage.uniform_filter(p, 7, mode="nearest") for p in t])

    full = fn(0, 150, 0, 131)
    full[:, 40, 50] = np.nan
    exact = tiled_crop(fn, img, out_channels=2, core=32, margin=3)
    assert np.array_equal(np.isnan(exact), np.isnan(full))
    assert np.nanmax(np.abs(exact - full)) < 1e-6
    short = tiled_crop(fn, img, out_channels=2, core=32, margin=2)
    assert np.nanmax(np.abs(short - full)) > 1e-3


def test_crop_sink_gets_each_core_once_covering_the_output():
    img = np.ones((1, 100, 70), np.float32)
    cover = np.zeros((400, 280), int)
    got = []

    def sink(row0, col0, block):
        got.append((row0, col0))
        cover[row0 : row0 + block.shape[1], col0 : col0 + block.shape[2]] += 1

    result = tiled_crop(
        lambda a, b, c, d: img[:, a:b, c:d].repeat(4, 1).repeat(4, 2),
        img,
        out_channels=1,
        scale=4,
        core=32,
        margin=8,
        sink=sink,
    )
    assert result is None
    assert (cover == 1).all()
    assert got == sorted(got) and len(got) == 4 * 3
    assert core_windows(100, 32) == [(0, 32), (32, 64), (64, 96), (96, 100)]


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
    with pytest.raises(ValidationError, match="margin"):
        tiled_crop(lambda *w: img, img, out_channels=1, core=8, margin=-1)
    with pytest.raises(ValidationError, match="tile function returned"):
        tiled_crop(lambda *w: img[:, :5], img, out_channels=1, core=4, margin=1)
