"""Saving, loading and training the networks (a few steps, tiny pools)."""

from __future__ import annotations

import json

import pytest
import torch

from paii_core.enhance.nets import DehazeNet, SRNet
from paii_core.enhance.train import ndvi_l1, seed_loss, train
from paii_core.enhance.weights import load_weights, model_version, save_weights
from paii_core.errors import InputFileError, InputNotFoundError, ValidationError


def test_save_and_load_round_trip(tmp_path):
    net = DehazeNet()
    save_weights(net, tmp_path / "dehaze", {"model": "dehaze"})
    meta = json.loads((tmp_path / "dehaze" / "meta.json").read_text())
    assert meta["version"] == model_version(tmp_path / "dehaze")
    other = load_weights(DehazeNet(), tmp_path / "dehaze")
    assert all(
        torch.equal(a, b)
        for a, b in zip(net.state_dict().values(), other.state_dict().values(), strict=True)
    )
    with pytest.raises(InputFileError, match="weights do not fit SRNet"):
        load_weights(SRNet(), tmp_path / "dehaze")


def test_seed_loss_is_zero_only_for_a_perfect_match():
    y = torch.rand(2, 4, 8, 8) * 0.3 + 0.05
    assert seed_loss(y, y) == 0
    shifted = y.clone()
    shifted[:, 3] += 0.05  # NIR alone: L1(N) and NDVI both see it
    assert seed_loss(shifted, y) > 0.05
    assert ndvi_l1(shifted, y) > 0


@pytest.mark.parametrize("name", ["dehaze", "sr"])
def test_train_runs_and_saves_weights(tmp_path, name):
    meta = train(name, tmp_path / name, max_steps=1, threads=1, pool_size=1)
    assert meta["steps"] == 1 and len(meta["version"]) == 12
    assert (tmp_path / name / "weights.pt").is_file()


def test_fine_tuning_starts_from_the_given_weights_and_records_them(tmp_path):
    first = train("dehaze", tmp_path / "a", max_steps=1, threads=1, pool_size=1)
    tuned = train(
        "dehaze",
        tmp_path / "b",
        max_steps=1,
        threads=1,
        pool_size=1,
        init=tmp_path / "a",
        lr=1e-9,  # a step this small keeps the weights (nearly) where they started
        ndvi_weight=1.0,
    )
    assert tuned["history"][0]["version"] == first["version"] and tuned["ndvi_weight"] == 1.0
    a = torch.load(tmp_path / "a" / "weights.pt", weights_only=True)
    b = torch.load(tmp_path / "b" / "weights.pt", weights_only=True)
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)
    with pytest.raises(InputNotFoundError, match="no trained weights"):
        train("dehaze", tmp_path / "c", max_steps=1, pool_size=1, init=tmp_path / "none")


def test_train_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValidationError, match="'dehaze' or 'sr'"):
        train("deblur", tmp_path)
    with pytest.raises(ValidationError, match="must be positive"):
        train("sr", tmp_path, minutes=0)
    with pytest.raises(ValidationError, match="ndvi_weight >= 0"):
        train("dehaze", tmp_path, ndvi_weight=-1.0)
