"""The classical DCP dehazer and its guided filter."""

from __future__ import annotations

import numpy as np
import pytest

from paii_core.enhance import dehaze
from paii_core.enhance.dcp import estimate_airlight, guided_filter


def _psnr(a, b):
    return 10 * np.log10(1.0 / np.nanmean((a - b) ** 2))


def test_guided_filter_keeps_constant_and_linear_signals():
    guide = np.tile(np.linspace(0, 1, 32, dtype=np.float32), (32, 1))
    assert np.allclose(guided_filter(guide, np.full((32, 32), 0.3), 4, 1e-3), 0.3, atol=1e-5)
    assert np.allclose(guided_filter(guide, 2 * guide + 1, 4, 1e-6), 2 * guide + 1, atol=1e-3)


def test_airlight_is_taken_from_the_haziest_pixels():
    img = np.full((4, 10, 10), 0.1, np.float32)
    img[:, 3, 3] = (0.4, 0.38, 0.35, 0.3)
    dark = img[:3].min(axis=0)
    assert np.allclose(estimate_airlight(img, dark), (0.4, 0.38, 0.35, 0.3))


def test_dcp_improves_a_hazy_scene_and_keeps_nodata(hazy_pair):
    hazy, clear = hazy_pair
    hazy = hazy.copy()
    hazy[:, :3, :3] = np.nan
    out = dehaze(hazy, method="dcp")
    assert np.isnan(out[:, :3, :3]).all() and not np.isnan(out[:, 3:, 3:]).any()
    assert _psnr(out, clear) > _psnr(hazy, clear) + 1.0


def test_unknown_method_raises(hazy_pair):
    with pytest.raises(ValueError, match="method must be one of"):
        dehaze(hazy_pair[0], method="retinex")
