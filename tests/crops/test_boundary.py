"""Boundary model: features it reads by name, and the scale-free edge measures."""

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
    pick = [names.index("window_crest"), names.index("grad_ndvi")]
    lgb.train(
        {"objective": "binary", "verbose": -1},
        lgb.Dataset(
            feats[pick].reshape(2, -1).T,
            truth.astype(int),
            feature_name=["window_crest", "grad_ndvi"],
        ),
        num_boost_round=20,
    ).save_model(str(tmp_path / "boundary_fine_lgbm.txt"))
    monkeypatch.setattr(boundary, "model_dir", lambda: tmp_path)
    prob = boundary.boundary_probability(scene.series, scene.dates, np.ones(scene.dem.shape))
    assert prob.shape == scene.dem.shape
    assert prob[truth.reshape(prob.shape)].mean() > prob[~truth.reshape(prob.shape)].mean()


def test_relative_edges_are_scale_free_and_keep_the_crest():
    # A vertical step between two fields, blurred over two pixels, in two contrasts.
    step = np.zeros((20, 20), np.float32)
    step[:, 10:] = 1.0
    step[:, 9] = 0.5
    season = np.stack([step] * 4)
    crop = np.ones_like(step)
    edge = np.hypot(*np.gradient(step))
    one = boundary._relative_edges(edge, edge, season, crop)
    ten = boundary._relative_edges(10 * edge, 10 * edge, 10 * season, crop)
    np.testing.assert_allclose(one["edge_rel"], ten["edge_rel"], rtol=1e-5)
    crest = one["edge_crest"]
    # Off the step nothing; on it the crest keeps the strongest column only.
    assert crest[:, :8].max() == 0 and crest[:, 11:].max() == 0
    assert (crest[2:-2] > 0).sum(axis=1).max() <= 2
