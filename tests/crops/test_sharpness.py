"""Input sharpness: which boundary boosters read a season."""

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


def test_featureless_or_tiny_input_counts_as_not_sharp():
    flat = np.full((2, 4, 40, 40), 0.2, np.float32)
    assert np.isnan(sharpness.edge_concentration(flat))
    assert not sharpness.is_sharp(flat)
    assert not sharpness.is_sharp(_fields(sharp=True)[:, :, :4, :4])


def test_clouds_do_not_hide_the_sharpness():
    season = _fields(sharp=True)
    season[1, :, 10:30, 10:30] = np.nan
    season[2, :, 50:90, 0:40] = np.nan
    assert sharpness.is_sharp(season)
    assert not sharpness.is_sharp(np.where(np.isnan(season), np.nan, _fields(sharp=False)))


def test_generated_scenes_sharp_only_when_rendered_at_the_pixel_size():
    from paii_core.crops.scenes import make_scene

    degraded = make_scene("henan", 301, size_px=64, hires_factor=4, n_dates=6)
    direct = make_scene("henan", 301, size_px=64, hires_factor=1, n_dates=6)
    assert sharpness.edge_concentration(degraded.series) < sharpness.EDGE_CONCENTRATION_SHARP
    assert sharpness.edge_concentration(direct.series) > sharpness.EDGE_CONCENTRATION_SHARP


def test_shipped_sharp_boosters_find_the_boundaries_of_a_sharp_scene():
    from paii_core.crops import boundary, delineate_parcels
    from paii_core.crops.scenes import make_scene

    scene = make_scene("iowa", 302, size_px=96, hires_factor=1, n_dates=8)
    assert sharpness.is_sharp(scene.series)
    crop = (scene.land_cover == 1).astype(np.float32)
    for level, truth in (("fine", scene.fine_parcels), ("coarse", scene.coarse_parcels)):
        prob = boundary.boundary_probability(scene.series, scene.dates, crop, level=level)
        on = boundary.boundary_truth(truth)
        assert prob[on].mean() > 2 * prob[~on & (truth > 0)].mean()
    fine = delineate_parcels(scene.series, scene.dates, cropland=crop)
    coarse = delineate_parcels(scene.series, scene.dates, cropland=crop, level="coarse")
    # every coarse parcel is a union of whole fine parcels
    pairs = np.unique(np.stack([fine.ravel(), coarse.ravel()]), axis=1)
    assert len(np.unique(pairs[0][pairs[0] > 0])) == int((pairs[0] > 0).sum())
