"""Saving, loading and training the networks (a few steps, tiny pools)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from paii_core.enhance.nets import DehazeNet, SRNet
from paii_core.enhance.train import _sr_batch_random, ndvi_l1, pixel_loss, seed_loss, train
from paii_core.enhance.weights import WeightEMA, load_weights, model_version, save_weights
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
    with pytest.raises(ValidationError, match="nir_weight must be > 0"):
        train("sr", tmp_path, nir_weight=0.0)
    with pytest.raises(ValidationError, match=r"ema within 0\.\.1 \(0 = off\)"):
        train("sr", tmp_path, ema=1.0)
    with pytest.raises(ValidationError, match="keep_every >= 0"):
        train("sr", tmp_path, keep_every=-1)
    with pytest.raises(ValidationError, match=r"sr_others \(--others\) must be 0, 1, 2 or 3"):
        train("sr", tmp_path, sr_others=4)


def test_sr_batches_give_other_dates_only_up_to_the_cap():
    real = [np.random.default_rng(0).uniform(0.0, 0.4, (4, 160, 160)).astype(np.float32)]

    def counts(cap: int) -> list[int]:
        rng = np.random.default_rng(5)
        out = []
        for _ in range(12):
            ref, oth, _, hi, _ = _sr_batch_random(None, rng, 2, 8, real, 1.0, 0.5, cap)
            assert ref.shape == (2, 4, 8, 8) and hi.shape == (2, 4, 32, 32)
            out.append(0 if oth is None else oth.shape[1])
        return out

    assert max(counts(3)) == 3 and min(counts(3)) == 0
    assert set(counts(1)) == {0, 1}
    assert set(counts(0)) == {0}


def test_one_date_training_is_recorded(tmp_path):
    meta = train("sr", tmp_path, max_steps=1, pool_size=1, sensor="random", sr_others=0)
    assert meta["sr_others"] == 0 and meta["steps"] == 1
    assert "sr_others" not in train("sr", tmp_path / "b", max_steps=1, pool_size=1)


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


def test_nir_weight_weighs_the_nir_error_and_keeps_the_scale():
    pred, target = torch.zeros(1, 4, 2, 2), torch.full((1, 4, 2, 2), 0.1)
    for kind in ("l1", "rmse"):  # the same error in every band: the same loss
        assert pixel_loss(pred, target, kind, nir_weight=3.0).item() == pytest.approx(0.1)
    nir_only = torch.zeros(1, 4, 2, 2)
    nir_only[:, 3] = 0.1
    vis_only = torch.zeros(1, 4, 2, 2)
    vis_only[:, 0] = 0.1
    # weights 1, 1, 1, 3 normalised by their mean 1.5: NIR 2x, a visible band 2/3x
    assert pixel_loss(pred, nir_only, "l1", 3.0).item() == pytest.approx(0.1 / 4 * 2)
    assert pixel_loss(pred, vis_only, "l1", 3.0).item() == pytest.approx(0.1 / 4 * 2 / 3)
    assert pixel_loss(pred, nir_only, "rmse", 3.0).item() == pytest.approx((0.01 / 4 * 2) ** 0.5)


def test_weight_ema_moves_toward_the_trained_weights():
    net = torch.nn.Linear(2, 1)
    with torch.no_grad():
        net.weight.fill_(0.0)
    ema = WeightEMA(net, decay=0.9)
    with torch.no_grad():
        net.weight.fill_(1.0)
    ema.update(net)  # first update: decay (1 + 1) / (10 + 1) = 0.18 < 0.9
    assert ema.shadow.weight[0, 0].item() == pytest.approx(1 - 2 / 11)
    for _ in range(200):
        ema.update(net)
    assert ema.shadow.weight[0, 0].item() == pytest.approx(1.0, abs=1e-6)
    assert not ema.shadow.weight.requires_grad and net.weight.requires_grad
    with pytest.raises(ValidationError, match=r"EMA decay must be within 0 < decay < 1, got 1\.0"):
        WeightEMA(net, decay=1.0)


def test_ema_training_saves_the_average_its_raw_weights_and_snapshots(tmp_path):
    meta = train(
        "sr",
        tmp_path,
        max_steps=2,
        pool_size=1,
        sensor="random",
        sr_loss="rmse",
        batch=2,
        patch=16,
        lr=1e-2,
        ema=0.99,
        nir_weight=2.0,
        keep_every=1,
    )
    assert meta["ema"] == 0.99 and meta["nir_weight"] == 2.0 and meta["steps"] == 2
    raw = json.loads((tmp_path / "raw" / "meta.json").read_text())
    assert raw["raw_of_ema"] and raw["version"] != meta["version"]
    averaged = load_weights(SRNet(), tmp_path).state_dict()
    trained = load_weights(SRNet(), tmp_path / "raw").state_dict()
    assert any(not torch.equal(averaged[k], trained[k]) for k in averaged)
    assert model_version(tmp_path / "step_2") == meta["version"]
    assert model_version(tmp_path / "step_1") != meta["version"]
    tuned = train("sr", tmp_path / "b", max_steps=1, pool_size=1, sensor="random", init=tmp_path)
    assert tuned["history"][-1]["ema"] == 0.99 and tuned["history"][-1]["nir_weight"] == 2.0
