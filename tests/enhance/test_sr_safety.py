"""SR on real captures: the sensor model is estimated, output stays consistent with it."""

from __future__ import annotations

import numpy as np
import pytest

from paii_core.enhance import real_scenes, scenes, sr_data, super_resolve
from paii_core.enhance.api import detail_weight, estimate_sensor
from paii_core.enhance.sensor import SensorModel, estimate_blur


@pytest.fixture(scope="module")
def truth() -> np.ndarray:
    """A 128 px window of the real Landsat-7 TOA scene (the truth of 32 px captures)."""
    return real_scenes.landsat7_toa().image[:, 100:228, 100:228].copy()


def test_blur_is_read_off_the_spectrum(truth):
    box = estimate_blur(SensorModel(0.0).capture(truth))
    blurred = estimate_blur(SensorModel(0.5).capture(truth))
    assert max(box) < 0.15
    assert all(0.3 < s < 0.7 for s in blurred)
    assert estimate_blur(np.zeros((4, 8, 8))) == (0.0, 0.0)


def test_detail_fades_in_with_the_blur():
    assert detail_weight(SensorModel(0.0)) == 0.0
    assert detail_weight(SensorModel(0.5)) == 1.0
    assert 0.0 < detail_weight(SensorModel(0.2)) < 1.0


@pytest.mark.parametrize("sigma", [0.0, 0.5])
def test_sr_beats_bicubic_and_reproduces_its_input(truth, sigma):
    model = SensorModel(sigma)
    lo = model.capture(truth)
    out = super_resolve(lo)
    bic = super_resolve(lo, method="bicubic")
    inner = np.s_[:, 8:-8, 8:-8]
    assert np.mean((out - truth)[inner] ** 2) < np.mean((bic - truth)[inner] ** 2)
    assert np.mean(np.abs(model.capture(out) - lo)) < 0.01
    assert estimate_sensor(lo).describe().startswith("box 4x")


def test_box_capture_ignores_other_dates(truth):
    lo = SensorModel(0.0).capture(truth)
    other = SensorModel(0.0).capture(truth[:, ::-1, :].copy())
    single = super_resolve(lo, sensor=SensorModel(0.0))
    multi = super_resolve(lo, temporal=other[None], sensor=SensorModel(0.0))
    np.testing.assert_array_equal(single, multi)


def test_random_sensor_samples_match_their_truth():
    scene = scenes.make_scene(scenes.BENCH_SEEDS.start + 60, "henan", size=32, dates=2)
    rng = np.random.default_rng(0)
    ref, oth, sar, hi = sr_data.sim_sample(scene, rng, patch=16, others=2, sigma=(0.3, 0.0))
    assert ref.shape == (4, 16, 16) and oth.shape == (2, 4, 16, 16) and hi.shape == (4, 64, 64)
    assert np.abs(sr_data.capture(hi, (0.3, 0.0)) - ref).mean() < 0.01
    image = real_scenes.italy_l2a("train").image[:, :64, :64]
    ref, oth, sar, hi = sr_data.real_sample(image, rng, patch=8, others=0, sigma=(0.0, 0.0))
    assert ref.shape == (4, 8, 8) and oth.shape[0] == 0 and sar.shape == (2, 8, 8)
    assert sr_data.random_sigma(rng)[0] <= sr_data.SIGMA_RANGE[1]
