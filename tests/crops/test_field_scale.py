"""Field scale from the cropland extent, and the small-field route of the parcels."""

from __future__ import annotations

import numpy as np
import pytest

from paii_core.crops import field_scale
from paii_core.errors import InputNotFoundError, ValidationError


def _strips(width: int, gap: int = 2, side: int = 96) -> np.ndarray:
    """(side, side) bool: vertical cropland strips ``width`` px wide, ``gap`` px apart."""
    cols = np.arange(side) % (width + gap) >= gap
    cols[-gap:] = False
    return np.broadcast_to(cols, (side, side)).copy()


def test_narrow_patches_are_small_fields_and_wide_ones_are_not():
    assert field_scale.patch_thickness(_strips(4)) < field_scale.SMALL_FIELD_THICKNESS
    assert field_scale.small_fields(_strips(4))
    assert field_scale.patch_thickness(_strips(30)) > 2 * field_scale.SMALL_FIELD_THICKNESS
    assert not field_scale.small_fields(_strips(30))
    # a strip of width w: mean distance to its sides about (w + 2) / 4 pixels
    assert field_scale.patch_thickness(_strips(6)) == pytest.approx(2.0, abs=0.05)


def test_too_little_or_only_cropland_is_not_read_as_small_fields():
    empty = np.zeros((64, 64), bool)
    empty[:5, :5] = True
    assert np.isnan(field_scale.patch_thickness(empty))
    assert not field_scale.small_fields(empty)
    full = np.ones((64, 64), bool)
    assert field_scale.patch_thickness(full) == np.inf
    assert not field_scale.small_fields(full)


def test_patch_thickness_wants_a_2d_mask():
    with pytest.raises(ValidationError, match=r"mask should be an \(H, W\) cropland mask"):
        field_scale.patch_thickness(np.ones((2, 8, 8), bool))


@pytest.fixture(scope="module")
def meadows():
    from paii_core.crops.scenes import make_scene

    return make_scene("hubei", 303, size_px=96, hires_factor=4, n_dates=8, layout="meadows")


def test_small_field_scene_is_routed_to_the_small_field_booster(meadows, monkeypatch, tmp_path):
    from paii_core.crops import boundary, delineate_parcels
    from paii_core.crops.parcels import route

    crop = meadows.land_cover == 1
    assert route(meadows.series, crop) == "small"
    assert route(meadows.series, np.ones_like(crop)) == "degraded"
    monkeypatch.setattr(boundary, "model_dir", lambda: tmp_path)
    with pytest.raises(InputNotFoundError, match=r"boundary_fine_small_lgbm.txt is missing"):
        delineate_parcels(meadows.series, meadows.dates, cropland=crop.astype(np.float32))


def test_shipped_small_field_booster_finds_narrow_field_boundaries(meadows):
    from paii_core.crops import boundary, delineate_parcels

    crop = (meadows.land_cover == 1).astype(np.float32)
    prob = boundary.boundary_probability(meadows.series, meadows.dates, crop, pair="small")
    truth = meadows.fine_parcels
    on = boundary.boundary_truth(truth)
    assert prob[on].mean() > 1.5 * prob[~on & (truth > 0)].mean()
    fine = delineate_parcels(meadows.series, meadows.dates, cropland=crop)
    coarse = delineate_parcels(meadows.series, meadows.dates, cropland=crop, level="coarse")
    assert fine.max() > 10
    # every coarse parcel is a union of whole fine parcels (coarse reads the degraded pair)
    pairs = np.unique(np.stack([fine.ravel(), coarse.ravel()]), axis=1)
    assert len(np.unique(pairs[0][pairs[0] > 0])) == int((pairs[0] > 0).sum())


def test_booster_names_per_pair():
    from paii_core.crops import boundary

    assert boundary.booster_name("fine") == "boundary_fine_lgbm.txt"
    assert boundary.booster_name("fine", "small") == "boundary_fine_small_lgbm.txt"
    assert boundary.booster_name("coarse", "sharp") == "boundary_coarse_sharp_lgbm.txt"
    with pytest.raises(ValidationError, match="booster pair 'tiny' is unknown; use one of"):
        boundary.booster_name("fine", "tiny")


def test_small_field_training_scenes_and_one_set_per_call():
    from paii_core.crops.train import small_boundary_jobs, train_boundary

    jobs = small_boundary_jobs((100, 101))
    assert {j[0] for j in jobs} == {"meadows"}
    assert len(jobs) == 6 and all(j[3:] == (200, 10.0, 4) for j in jobs)
    with pytest.raises(ValidationError, match="trains one booster set: pass sharp or small"):
        train_boundary(sharp=True, small=True)


def test_small_field_watershed_keeps_a_patch_too_flat_for_a_basin():
    from paii_core.crops.parcels import _watershed

    # A field with a clear basin, and a small patch whose boundary map is flat and high
    # (no h-minimum inside): the plain watershed leaves the patch out.
    edges = np.full((20, 30), 0.7)
    edges[3:17, 3:17] = 0.02
    mask = np.zeros((20, 30), bool)
    mask[2:18, 2:18] = True
    mask[5:9, 22:28] = True
    plain = _watershed(edges, mask, 0.02, 0.3, blur=0.0)
    assert plain.max() == 1 and (plain[5:9, 22:28] == 0).all()
    kept = _watershed(edges, mask, 0.02, 0.3, blur=0.0, keep_unmarked=True)
    assert kept.max() == 2
    assert len(np.unique(kept[5:9, 22:28])) == 1 and kept[6, 24] not in (0, kept[10, 10])
