"""The SR network's box head: old weights load with it off, detail mixes the two heads,
its fine-tuning touches only it."""

from __future__ import annotations

import json

import pytest
import torch
import torch.nn.functional as F

from paii_core.cli import main
from paii_core.enhance.nets import SRNet, fast_back_project
from paii_core.enhance.sr_box import train_box_head
from paii_core.enhance.weights import load_weights, save_weights
from paii_core.errors import ValidationError


def _old_weights(tmp_path):
    """A folder of weights saved before the box head existed (no box keys)."""
    net = SRNet()
    state = {k: v for k, v in net.state_dict().items() if not k.startswith(("up_box", "tail_box"))}
    state.pop("box_weight")
    folder = tmp_path / "old"
    folder.mkdir()
    torch.save(state, folder / "weights.pt")
    (folder / "meta.json").write_text(json.dumps({"model": "sr", "steps": 1}))
    return folder, net


def _bp(net, ref, residual, sigma=(0.0, 0.0)):
    down, kernel = net.sensor(sigma)
    return fast_back_project(ref, residual, down, kernel)


def test_old_weights_load_with_the_box_head_off(tmp_path):
    folder, before = _old_weights(tmp_path)
    net = load_weights(SRNet(), folder)
    assert float(net.box_weight) == 0.0
    assert torch.equal(net.up_box[0].weight, before.up[0].weight)
    ref = torch.rand(1, 4, 12, 10) * 0.3
    sig = torch.zeros(1, 2)
    with torch.inference_mode():
        out = net(ref, sigma=sig, detail=0.0)  # the back-projected bicubic upsampling
        assert torch.equal(out, _bp(net, ref, torch.zeros(1, 4, 48, 40)))
        full = net(ref, sigma=sig, detail=1.0)
        assert torch.equal(full, _bp(net, ref, net._upsample(net.features(ref))))


def test_detail_mixes_the_main_and_the_box_head():
    net = SRNet().eval()
    net.box_weight.fill_(1.0)
    with torch.no_grad():
        net.tail_box.weight.mul_(-3.0)  # a box head unlike the main one
    ref = torch.rand(1, 4, 12, 10) * 0.3
    sig = torch.zeros(1, 2)
    with torch.inference_mode():
        x = net.features(ref)
        main_res, box_res = net._upsample(x), net._upsample(x, box=True)
        assert not torch.allclose(main_res, box_res)
        torch.testing.assert_close(net(ref, sigma=sig, detail=1.0), _bp(net, ref, main_res))
        torch.testing.assert_close(net(ref, sigma=sig, detail=0.0), _bp(net, ref, box_res))
        half = _bp(net, ref, 0.25 * main_res + 0.75 * box_res)
        torch.testing.assert_close(net(ref, sigma=sig, detail=0.25), half)


def test_box_head_training_changes_only_the_box_head(tmp_path):
    init = tmp_path / "init"
    save_weights(SRNet(), init, {"model": "sr", "steps": 0})
    meta = train_box_head(init, tmp_path / "out", samples=6, steps=2, batch=2, threads=1)
    assert meta["box_head"]["steps"] == 2 and meta["history"][0]["model"] == "sr"
    a, b = load_weights(SRNet(), init), load_weights(SRNet(), tmp_path / "out")
    assert float(b.box_weight) == 1.0
    assert torch.equal(a.up[0].weight, b.up[0].weight) and torch.equal(
        a.body[0].c1.weight, b.body[0].c1.weight
    )
    assert not torch.equal(a.up_box[0].weight, b.up_box[0].weight)
    ref = torch.rand(1, 4, 8, 8) * 0.3
    with torch.inference_mode():  # blurred captures (detail 1) are unchanged
        sig = torch.full((1, 2), 0.5)
        torch.testing.assert_close(a(ref, sigma=sig), b(ref, sigma=sig))
        up = F.interpolate(ref, scale_factor=4, mode="bicubic", align_corners=False)
        assert b(ref, sigma=torch.zeros(1, 2), detail=0.0).shape == up.shape


def test_box_head_training_refuses_bad_arguments(tmp_path, capsys):
    with pytest.raises(ValidationError, match="samples, steps, batch and lr must be positive"):
        train_box_head(tmp_path, tmp_path / "out", samples=0)
    with pytest.raises(ValidationError, match=r"box_share within 0\.\.1"):
        train_box_head(tmp_path, tmp_path / "out", box_share=1.5)
    assert main(["train", "sr", "--box-head", "--out", str(tmp_path / "x")]) == 2
    assert "--box-head fine-tunes the SR network's box head" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
