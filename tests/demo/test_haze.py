"""Haze by the scattering model, clouds with shadows, and the scene classification."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import ndimage

from paii_core.demo import haze
from paii_core.demo.classes import LandCover
from paii_core.errors import ValidationError


def clear_scene(n: int = 64) -> np.ndarray:
    """Fields of vegetation and soil: contrast in every band, dark pixels in the visible."""
    rng = np.random.default_rng(0)
    veg = np.array([0.03, 0.07, 0.03, 0.45], dtype=np.float32)
    soil = np.array([0.10, 0.14, 0.19, 0.26], dtype=np.float32)
    mix = rng.random((n // 8, n // 8)).repeat(8, 0).repeat(8, 1).astype(np.float32)
    return veg[:, None, None] * mix + soil[:, None, None] * (1 - mix)


def dark_channel(image: np.ndarray, patch: int = 7) -> float:
    """Mean dark channel (He et al. 2009): minimum over bands and a local patch."""
    return float(ndimage.minimum_filter(image.min(axis=0), size=patch).mean())


def test_transmission_is_lowest_in_blue_and_highest_in_nir():
    t = haze.haze_transmission(np.full((2, 2), 0.8, dtype=np.float32))
    b, g, r, n = t[:, 0, 0]
    assert b < g < r < n < 1
    assert b == pytest.approx(np.exp(-0.8 * (490 / 550) ** -1.3), rel=1e-5)


def test_haze_lowers_contrast_more_in_blue_than_nir():
    clear = clear_scene()
    hazy = haze.apply_haze(clear, np.full((64, 64), 0.6, dtype=np.float32))
    kept = hazy.std(axis=(1, 2)) / clear.std(axis=(1, 2))
    assert kept[0] < kept[1] < kept[2] < kept[3] < 1
    # Dark visible pixels brighten toward the airlight.
    assert np.all(hazy[:3].min(axis=(1, 2)) > clear[:3].min(axis=(1, 2)))


def test_thicker_haze_gives_a_brighter_dark_channel():
    clear = clear_scene()
    levels = []
    for mean_tau in (0.0, 0.2, 0.5, 1.0, 1.5):
        tau = haze.haze_optical_depth((64, 64), np.random.default_rng(9), mean_tau=mean_tau)
        levels.append(dark_channel(haze.apply_haze(clear, tau)))
    assert levels[0] == pytest.approx(dark_channel(clear), abs=1e-6)
    assert all(a < b for a, b in itertools.pairwise(levels))


def test_optical_depth_is_smooth_lognormal_and_scales_with_its_mean():
    a = haze.haze_optical_depth((96, 96), np.random.default_rng(1), mean_tau=0.5)
    b = haze.haze_optical_depth((96, 96), np.random.default_rng(1), mean_tau=1.0)
    c = haze.haze_optical_depth((96, 96), np.random.default_rng(2), mean_tau=0.5)
    assert a.dtype == np.float32 and a.shape == (96, 96) and a.min() > 0
    assert np.allclose(b, 2 * a, rtol=1e-5) and not np.allclose(a, c)
    assert 0.3 < a.mean() < 0.75
    assert np.abs(np.diff(a, axis=0)).mean() < 0.05 * a.mean()  # smooth
    flat = haze.haze_optical_depth((8, 8), np.random.default_rng(1), mean_tau=0.4, variability=0)
    assert np.allclose(flat, 0.4)


def test_haze_keeps_nodata_and_uses_the_given_airlight():
    clear = clear_scene(16)
    clear[:, 0, 0] = np.nan
    thick = haze.apply_haze(clear, np.full((16, 16), 50.0, dtype=np.float32), airlight=[0.3] * 4)
    assert np.isnan(thick[:, 0, 0]).all()
    assert np.allclose(thick[:, 1:, 1:], 0.3, atol=1e-4)


def test_clouds_are_bright_and_their_shadows_dark_mostly_in_nir():
    clear = clear_scene(128)
    cloudy, cloud, shadow = haze.add_clouds(clear, np.random.default_rng(4), cover=0.2)
    assert cloud.dtype == bool and shadow.dtype == bool and cloud.shape == (128, 128)
    assert 0.05 < cloud.mean() < 0.4 and shadow.any() and not (cloud & shadow).any()
    assert cloudy[:, cloud].mean() > 0.3 > clear[:, cloud].mean()
    ratio = cloudy[:, shadow].mean(axis=1) / clear[:, shadow].mean(axis=1)
    assert np.all(ratio < 0.9) and ratio[3] < ratio[0]
    free = ~(cloud | shadow)
    assert np.allclose(cloudy[:, free], clear[:, free], atol=0.02)
    again = haze.add_clouds(clear, np.random.default_rng(4), cover=0.2)
    assert np.array_equal(again[0], cloudy) and np.array_equal(again[1], cloud)


def test_no_cloud_cover_changes_nothing():
    clear = clear_scene()
    cloudy, cloud, shadow = haze.add_clouds(clear, np.random.default_rng(0), cover=0.0)
    assert np.allclose(cloudy, clear) and not cloud.any() and not shadow.any()


def test_scene_classification_codes():
    lc = np.full((12, 12), LandCover.CROPLAND, dtype=np.uint8)
    lc[:, :2] = LandCover.WATER
    lc[:, 2] = LandCover.BUILT
    lc[11, 11] = LandCover.NODATA
    cloud = np.zeros((12, 12), dtype=bool)
    cloud[3:10, 5:12] = True
    shadow = np.zeros((12, 12), dtype=bool)
    shadow[0:2, 3:6] = True
    scl = haze.scl_from_masks(cloud, shadow, lc)
    assert scl.dtype == np.uint8
    assert scl[6, 0] == 6 and scl[6, 2] == 5 and scl[11, 4] == 4
    assert scl[0, 4] == 3 and scl[11, 11] == 0
    assert scl[3, 5] == 8 and scl[6, 9] == 9
    tau = np.zeros((12, 12), dtype=np.float32)
    tau[10:, :5] = 1.2
    ndvi = np.full((12, 12), 0.2, dtype=np.float32)
    scl = haze.scl_from_masks(cloud, shadow, lc, ndvi=ndvi, tau550=tau)
    assert scl[11, 3] == 10 and scl[2, 8] == 5


def test_bad_arguments_are_refused():
    clear = clear_scene(16)
    rng = np.random.default_rng(0)
    with pytest.raises(ValidationError, match="mean_tau must be >= 0"):
        haze.haze_optical_depth((8, 8), rng, mean_tau=-0.1)
    with pytest.raises(ValidationError, match="variability must be >= 0"):
        haze.haze_optical_depth((8, 8), rng, mean_tau=0.1, variability=-1)
    with pytest.raises(ValidationError, match=r"shape must be \(H, W\)"):
        haze.haze_optical_depth((8,), rng, mean_tau=0.1)
    with pytest.raises(ValidationError, match="correlation_px must be > 0"):
        haze.haze_optical_depth((8, 8), rng, mean_tau=0.1, correlation_px=0)
    with pytest.raises(ValidationError, match="tau550 must be >= 0 everywhere"):
        haze.apply_haze(clear, np.full((16, 16), -0.1, dtype=np.float32))
    with pytest.raises(ValidationError, match=r"tau550 must have the shape \(H, W\)"):
        haze.apply_haze(clear, np.zeros((8, 8), dtype=np.float32))
    with pytest.raises(ValidationError, match="airlight needs 4 values"):
        haze.apply_haze(clear, np.zeros((16, 16), dtype=np.float32), airlight=[0.3, 0.3])
    with pytest.raises(ValidationError, match="angstrom must be between 0 and 4"):
        haze.apply_haze(clear, np.zeros((16, 16), dtype=np.float32), angstrom=7.0)
    with pytest.raises(ValidationError, match="clear has 3 bands but wavelengths_nm gives 4"):
        haze.apply_haze(clear[:3], np.zeros((16, 16), dtype=np.float32))
    with pytest.raises(ValidationError, match="cover must be a fraction between 0 and 1"):
        haze.add_clouds(clear, rng, cover=1.5)
    with pytest.raises(ValidationError, match="add_clouds needs a 4-band BGRN image"):
        haze.add_clouds(clear[:3], rng, cover=0.1)
    with pytest.raises(ValidationError, match="cloud_mask and land_cover should have the same"):
        haze.scl_from_masks(
            np.zeros((4, 4), bool), np.zeros((4, 4), bool), np.zeros((5, 5), np.uint8)
        )
