"""The development harness draws haze exactly as the benchmark's simulated TOA rows do."""

from __future__ import annotations

import numpy as np

from bench.enhance import dehaze_dev
from paii_core.enhance import real_scenes, scenes


def test_dev_draw_is_the_benchmarks_scene_mean_draw():
    clear = real_scenes.landsat5_toa().image[:, :96, :96].copy()
    ours, field, air = dehaze_dev.draw(clear, np.random.default_rng(5), 0.75)
    theirs, field2 = scenes.hazy_version(
        clear, np.random.default_rng(5), mean_tau=0.75, scene_mean=True
    )
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(field, field2)
    assert abs(float(field.mean()) - 0.75) < 1e-4
    assert np.all(np.abs(air / np.asarray((0.36, 0.33, 0.30, 0.26)) - 1) <= 0.15 + 1e-9)


def test_the_true_nir_airlight_bounds_the_module():
    """The NIR airlight is the residual error: re-inverting NIR with the draw's true
    airlight lowers the development error of the module as it is."""
    module = dehaze_dev.evaluate("module", (1.0,), (904,))
    oracle = dehaze_dev.evaluate("oracle-nir", (1.0,), (904,))
    assert oracle["mean"] < module["mean"]
