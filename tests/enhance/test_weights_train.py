"""Saving, loading and training the networks (a few steps, tiny pools)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from paii_core.enhance.nets import DehazeNet, SRNet
from paii_core.enhance.train import ndvi_l1, pixel_loss, seed_loss, train
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


def test_dehaze_training_options_are_used_and_recorded(tmp_path):
    meta = train(
        "dehaze",
        tmp_path / "d",
        max_steps=1,
        threads=1,
        pool_size=1,
        thick_share=1.0,
        batch=2,
        patch=32,
        warmup_steps=10,
    )
    assert (meta["thick_share"], meta["batch"], meta["patch"], meta["warmup_steps"]) == (
        1.0,
        2,
        32,
        10,
    )
    tuned = train(
        "dehaze", tmp_path / "e", max_steps=1, threads=1, pool_size=1, init=tmp_path / "d"
    )
    assert tuned["history"][-1]["thick_share"] == 1.0 and tuned["history"][-1]["patch"] == 32
    assert "thick_share" not in tuned and "patch" not in tuned  # defaults are not recorded


def test_thick_share_draws_thicker_haze():
    from paii_core.enhance.train import _dehaze_batch, _Pool

    def mean_haze(share: float) -> float:
        rng = np.random.default_rng(5)
        pool = _Pool(rng, count=1, refresh=1000, size=32, dates=1)
        x, y = _dehaze_batch(pool, rng, 16, 32, share)
        return float((x - y)[:, 2].mean())  # haze brightens the red band more as it thickens

    assert mean_haze(1.0) > mean_haze(0.0) + 0.01


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
    with pytest.raises(ValidationError, match=r"thick_share must be within 0\.\.1"):
        train("dehaze", tmp_path, thick_share=1.5)
    with pytest.raises(ValidationError, match="warmup_steps >= 0"):
        train("dehaze", tmp_path, warmup_steps=-1)
    with pytest.raises(ValidationError, match=r"patch a multiple of 8 within 8\.\.64 for sr"):
        train("sr", tmp_path, patch=96)
    with pytest.raises(ValidationError, match="batch must be >= 1"):
        train("dehaze", tmp_path, batch=0)
    with pytest.raises(ValidationError, match="sensor must be 'fixed' or 'random'"):
        train("sr", tmp_path, sensor="blind")
    with pytest.raises(ValidationError, match=r"real_share within 0\.\.1"):
        train("sr", tmp_path, sensor="random", real_share=2.0)
    with pytest.raises(ValidationError, match=r"box_share must be within 0\.\.1"):
        train("sr", tmp_path, sensor="random", box_share=-0.1)
    with pytest.raises(ValidationError, match=r"sr_loss must be one of \('l1', 'rmse'\)"):
        train("sr", tmp_path, sensor="random", sr_loss="l2")


def test_random_sensor_training_runs_on_simulated_and_real_scenes(tmp_path):
    meta = train(
        "sr", tmp_path, max_steps=2, pool_size=1, sensor="random", real_share=0.5, box_share=1.0
    )
    assert meta["sensor"] == "random" and meta["real_share"] == 0.5 and meta["steps"] == 2
    assert meta["box_share"] == 1.0


def test_pixel_loss_is_l1_or_rmse():
    pred, target = torch.zeros(1, 4, 2, 2), torch.zeros(1, 4, 2, 2)
    target[0, 0, 0, 0] = 0.4  # one error of 0.4 among 16 values
    assert pixel_loss(pred, target, "l1").item() == pytest.approx(0.4 / 16)
    assert pixel_loss(pred, target, "rmse").item() == pytest.approx((0.16 / 16) ** 0.5)


def test_rmse_training_is_recorded(tmp_path):
    meta = train("sr", tmp_path, max_steps=1, pool_size=1, sensor="random", sr_loss="rmse")
    assert meta["sr_loss"] == "rmse" and meta["steps"] == 1
