"""The trained models through the public API on held-out scenes, and argument errors."""

from __future__ import annotations

import numpy as np
import pytest

from paii_core.enhance import dehaze, load_model, super_resolve
from paii_core.errors import InputNotFoundError, ValidationError


def _psnr(a, b):
    return 10 * np.log10(1.0 / np.nanmean((a - b) ** 2))


def test_dehaze_model_beats_hazy_input_and_dcp(hazy_pair):
    hazy, clear = hazy_pair
    model = dehaze(hazy)
    assert _psnr(model, clear) > _psnr(dehaze(hazy, method="dcp"), clear) + 1.0
    assert _psnr(model, clear) > _psnr(hazy, clear) + 3.0


def test_sr_model_beats_bicubic_and_keeps_nodata(scene):
    ref = scene.clear[0].copy()
    ref[:, 0, 0] = np.nan
    calls = []
    out = super_resolve(ref, progress=lambda d, t: calls.append((d, t)))
    bic = super_resolve(ref, method="bicubic")
    assert out.shape == (4, 192, 192) and calls[-1][0] == calls[-1][1]
    assert np.isnan(out[:, :4, :4]).all() and not np.isnan(out[:, 4:, 4:]).any()
    truth = scene.hires[0]
    assert _psnr(out, truth) > _psnr(bic, truth)
    multi = super_resolve(ref, temporal=scene.clear[1:], sar=scene.sar)
    assert multi.shape == out.shape and np.isnan(multi[:, :4, :4]).all()
    # other dates never cost more than 0.1 dB (issue 11). They added +0.19 dB here to the
    # estimate of fabc8c79bd00; to c28b0e6cad9b's ~1 dB better one (held-out simulator
    # +3.03 vs +1.93 over bicubic) the fusion's prior weight 0.3 adds +0.045 (0.03: -0.03;
    # with b9f510cc9961's still stronger estimate -0.004, 0.03: -0.20; shipped 5c839e15c7f5
    # passes too)
    assert _psnr(multi, truth) > _psnr(out, truth) - 0.1
    assert _psnr(multi, truth) > _psnr(bic, truth) + 1.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"scale": 2}, "scale must be 4"),
        ({"method": "lanczos"}, "method must be one of"),
        ({"temporal": np.zeros((2, 4, 5, 5), np.float32)}, r"temporal must be \(T, 4, H, W\)"),
        ({"sar": np.zeros((1, 48, 48), np.float32)}, r"sar must be \(2, H, W\)"),
    ],
)
def test_super_resolve_argument_errors(scene, kwargs, match):
    with pytest.raises(ValidationError, match=match):
        super_resolve(scene.clear[0], **kwargs)


def test_load_model_errors(tmp_path):
    with pytest.raises(ValidationError, match="model must be one of"):
        load_model("deblur")
    with pytest.raises(InputNotFoundError, match="paii train sr"):
        load_model("sr", tmp_path / "sr")
