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
