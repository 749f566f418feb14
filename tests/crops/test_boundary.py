"""Boundary model: the features it reads by name."""

from __future__ import annotations

import numpy as np
import pytest

from paii_core.crops import boundary
from paii_core.errors import InputNotFoundError


def test_model_needing_unknown_features_is_refused(scene, monkeypatch, tmp_path):
    import lightgbm as lgb

    rng = np.random.default_rng(0)
    x, y = rng.random((200, 2)), rng.random(200) > 0.5
    lgb.train(
        {"objective": "binary", "verbose": -1, "min_data_in_leaf": 5},
        lgb.Dataset(x, y.astype(int), feature_name=["grad_B", "hedge_count"]),
        num_boost_round=2,
    ).save_model(str(tmp_path / "boundary_fine_lgbm.txt"))
    monkeypatch.setattr(boundary, "model_dir", lambda: tmp_path)
    with pytest.raises(InputNotFoundError, match=r"needs features \['hedge_count'\]"):
        boundary.boundary_probability(scene.series, scene.dates, np.ones(scene.dem.shape))


def test_model_reads_its_features_by_name(scene, monkeypatch, tmp_path):
    import lightgbm as lgb

    feats, names = boundary.boundary_features(scene.series, scene.dates, np.ones(scene.dem.shape))
    truth = boundary.boundary_truth(scene.fine_parcels).ravel()
    pick = [names.index("window_grad"), names.index("grad_ndvi")]
    lgb.train(
        {"objective": "binary", "verbose": -1},
        lgb.Dataset(
            feats[pick].reshape(2, -1).T,
            truth.astype(int),
            feature_name=["window_grad", "grad_ndvi"],
        ),
        num_boost_round=20,
    ).save_model(str(tmp_path / "boundary_fine_lgbm.txt"))
    monkeypatch.setattr(boundary, "model_dir", lambda: tmp_path)
    prob = boundary.boundary_probability(scene.series, scene.dates, np.ones(scene.dem.shape))
    assert prob.shape == scene.dem.shape
    assert prob[truth.reshape(prob.shape)].mean() > prob[~truth.reshape(prob.shape)].mean()


def test_sharp_input_is_read_by_the_sharp_boosters(scene, monkeypatch, tmp_path):
    import lightgbm as lgb

    from paii_core.crops.scenes import make_scene

    rng = np.random.default_rng(0)
    x, y = rng.random((200, 1)), rng.random(200) > 0.5
    lgb.train(
        {"objective": "binary", "verbose": -1, "min_data_in_leaf": 5},
        lgb.Dataset(x, y.astype(int), feature_name=["window_grad"]),
        num_boost_round=2,
    ).save_model(str(tmp_path / "boundary_fine_lgbm.txt"))
    monkeypatch.setattr(boundary, "model_dir", lambda: tmp_path)
    soft = boundary.boundary_probability(scene.series, scene.dates, np.ones(scene.dem.shape))
    assert soft.shape == scene.dem.shape
    sharp = make_scene("henan", 301, size_px=64, hires_factor=1, n_dates=6)
    with pytest.raises(InputNotFoundError, match=r"boundary_fine_sharp_lgbm.txt is missing"):
        boundary.boundary_probability(sharp.series, sharp.dates, np.ones(sharp.dem.shape))


def test_sharp_training_scenes_are_sharp_renders_of_training_layouts():
    from paii_core.crops.train import sharp_boundary_jobs

    jobs = sharp_boundary_jobs((100, 101))
    assert {j[0] for j in jobs} == {"grid", "voronoi", "strips", "blocks"}
    assert all(j[5] == 1 and j[4] == 10.0 for j in jobs)
    assert len(jobs) == 2 * 3 + 2 * 3
