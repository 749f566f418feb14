"""Sensor models: box and box + Gaussian captures, kernels and metadata text."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from paii_core.enhance import super_resolve
from paii_core.enhance.sensor import SensorModel, keep_nonnegative, psf_kernel_1d
from paii_core.errors import ValidationError


def test_box_capture_is_the_block_mean():
    rng = np.random.default_rng(0)
    hi = rng.random((2, 16, 24)).astype(np.float32)
    lo = SensorModel(0.0).capture(hi)
    expect = hi.reshape(2, 4, 4, 6, 4).mean(axis=(2, 4))
    np.testing.assert_allclose(lo[:, 1:-1, 1:-1], expect[:, 1:-1, 1:-1], atol=1e-6)


def test_gaussian_kernel_is_wider_and_normalised():
    box, blur = psf_kernel_1d(4, 0.0, 6), psf_kernel_1d(4, 0.5, 6)
    assert box.sum() == pytest.approx(1.0) and blur.sum() == pytest.approx(1.0)
    assert np.count_nonzero(box > 1e-6) == 4
    assert np.count_nonzero(blur > 1e-3) > 4


def test_constant_image_is_kept_and_anisotropic_differs():
    hi = np.full((1, 32, 32), 0.3, np.float32)
    np.testing.assert_allclose(SensorModel(0.7, 0.2).capture(hi), 0.3, atol=1e-6)
    ramp = np.tile(np.arange(32, dtype=np.float32) % 5, (1, 32, 1)) / 5
    a, b = SensorModel(0.7, 0.0).capture(ramp), SensorModel(0.0, 0.7).capture(ramp)
    assert not np.allclose(a, b)


def test_describe():
    assert SensorModel(0.0).describe() == "box 4x area average"
    assert SensorModel(0.5).describe() == "box 4x + Gaussian sigma 0.50 coarse px"
    assert "0.30 x 0.60" in SensorModel(0.3, 0.6).describe()


def test_bad_models_raise():
    with pytest.raises(ValidationError, match="sigma must be within"):
        SensorModel(-0.1)
    with pytest.raises(ValidationError, match="factor must be"):
        SensorModel(0.5, factor=1)
    with pytest.raises(ValidationError, match="multiples of 4"):
        SensorModel(0.5).capture(np.zeros((1, 10, 12), np.float32))


def test_negative_values_are_removed_and_each_block_keeps_its_mean():
    hi = torch.tensor(
        [
            [[-0.2, 0.6, 0.1, 0.1], [0.2, 0.2, 0.1, 0.1]],
            [[-0.4, 0.1, 0.3, 0.3], [0.1, 0.1, 0.3, 0.3]],
        ]
    )
    out = keep_nonnegative(hi, factor=2)
    # block 1 of band 0: mean 0.2, clipped [0, 0.6, 0.2, 0.2] (mean 0.25) scaled by 0.8
    torch.testing.assert_close(out[0, :, :2], torch.tensor([[0.0, 0.48], [0.16, 0.16]]))
    assert torch.equal(out[0, :, 2:], hi[0, :, 2:])  # no negative: untouched
    assert torch.equal(out[1, :, :2], torch.zeros(2, 2))  # mean -0.025: all 0
    assert torch.equal(out[1, :, 2:], hi[1, :, 2:])
    assert not bool((out < 0).any())
    positive = hi.abs()
    assert keep_nonnegative(positive, factor=2) is positive


def test_sr_of_a_very_bright_pixel_on_dark_ground_has_no_negative_reflectance():
    lo = np.full((4, 24, 24), 0.0001, np.float32)
    lo[:, 12, 12] = 1.9  # a specular roof in a real L2A scene beside dark water
    lo[:, 5:8, 3] = np.nan
    out = super_resolve(lo)
    assert np.nanmin(out) >= 0.0 and np.isnan(out[:, 20:32, 12:16]).all()
    assert np.nanmin(super_resolve(lo, method="bicubic")) < -0.05  # what the model avoids
    block = out[:, 48:52, 48:52].mean(axis=(1, 2))
    np.testing.assert_allclose(block, 1.9, rtol=0.05)
