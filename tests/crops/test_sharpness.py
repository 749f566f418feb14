"""Input sharpness: sharp seasons are blurred to the training renders' sharpness."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from paii_core.crops import sharpness


def _fields(sharp: bool, seed: int = 0) -> np.ndarray:
    """(3, 4, 96, 96) season of 12 x 12 px fields of random brightness, sharp or blurred
    like a sensor (a 0.8 px Gaussian: detector box and optics), with a little noise."""
    rng = np.random.default_rng(seed)
    level = rng.uniform(0.05, 0.4, (4, 8, 8))
    img = np.repeat(np.repeat(level, 12, axis=1), 12, axis=2)
    if not sharp:
        img = np.stack([ndimage.gaussian_filter(b, 0.8) for b in img])
    season = np.stack([img + rng.normal(0, 0.003, img.shape) for _ in range(3)])
    return season.astype(np.float32)


def test_step_edges_concentrate_in_one_pixel_and_blurred_edges_do_not():
    assert sharpness.edge_concentration(_fields(sharp=True)) > 0.9
    assert sharpness.edge_concentration(_fields(sharp=False)) < sharpness.EDGE_CONCENTRATION_SHARP


def test_sharp_season_is_blurred_and_blurred_one_passes_unchanged():
    sharp = _fields(sharp=True)
    out, blur = sharpness.match_sharpness(sharp)
    assert blur == sharpness.MATCH_BLUR_PX
    assert sharpness.edge_concentration(out) < sharpness.edge_concentration(sharp) - 0.15
    soft = _fields(sharp=False)
    same, none = sharpness.match_sharpness(soft)
    assert none == 0.0 and same is soft


def test_blur_keeps_clouds_as_nodata_and_ignores_them():
    season = _fields(sharp=True)
    season[1, :, 10:30, 10:30] = np.nan
    out, blur = sharpness.match_sharpness(season)
    assert blur > 0
    assert np.isnan(out[1, :, 10:30, 10:30]).all()
    assert np.isfinite(out[1, :, 40:, 40:]).all()
    assert np.isfinite(out[0]).all()


def test_featureless_or_tiny_input_is_left_alone():
    flat = np.full((2, 4, 40, 40), 0.2, np.float32)
    assert np.isnan(sharpness.edge_concentration(flat))
    assert sharpness.match_sharpness(flat)[1] == 0.0
    tiny = _fields(sharp=True)[:, :, :4, :4]
    assert sharpness.match_sharpness(tiny)[1] == 0.0


def test_generated_scenes_sharp_only_when_rendered_at_the_pixel_size():
    from paii_core.crops.scenes import make_scene

    degraded = make_scene("henan", 301, size_px=64, hires_factor=4, n_dates=6)
    direct = make_scene("henan", 301, size_px=64, hires_factor=1, n_dates=6)
    assert sharpness.edge_concentration(degraded.series) < sharpness.EDGE_CONCENTRATION_SHARP
    assert sharpness.edge_concentration(direct.series) > sharpness.EDGE_CONCENTRATION_SHARP
