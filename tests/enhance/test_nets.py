"""Network shapes, any number of dates, and the back-projection's consistency."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from paii_core.enhance.nets import (
    DehazeNet,
    PsfDownsample,
    SRNet,
    back_project,
    fast_back_project,
    psf_kernel_1d,
)


def test_psf_kernel_is_normalised_and_symmetric():
    k = psf_kernel_1d()
    assert abs(k.sum() - 1.0) < 1e-6
    assert torch.allclose(torch.from_numpy(k), torch.from_numpy(k[::-1].copy()), atol=1e-6)


def test_dehaze_net_keeps_shape():
    assert DehazeNet()(torch.rand(2, 4, 32, 40)).shape == (2, 4, 32, 40)


def test_sr_net_takes_any_number_of_dates_and_sar():
    net = SRNet().eval()
    ref = torch.rand(1, 4, 12, 10) * 0.3
    with torch.inference_mode():
        for others in (None, torch.rand(1, 0, 4, 12, 10), torch.rand(1, 3, 4, 12, 10)):
            assert net(ref, others).shape == (1, 4, 48, 40)
        assert net(ref, None, torch.randn(1, 2, 12, 10) - 15).shape == (1, 4, 48, 40)


def test_back_projection_makes_the_output_consistent_with_the_input(scene):
    down = PsfDownsample()
    lo = torch.from_numpy(scene.clear[0])[None]
    bicubic = F.interpolate(lo, scale_factor=4, mode="bicubic", align_corners=False)
    projected = back_project(bicubic, lo, down, iterations=5)
    before = (down(bicubic) - lo).abs().mean()
    after = (down(projected) - lo).abs().mean()
    assert after < 0.3 * before


def test_fast_back_projection_matches_the_iterative_one_away_from_the_border(scene):
    net = SRNet().eval()
    lo = torch.from_numpy(scene.clear[0])[None]
    residual = 0.01 * torch.randn(1, 4, 4 * lo.shape[-2], 4 * lo.shape[-1])
    bicubic = F.interpolate(lo, scale_factor=4, mode="bicubic", align_corners=False)
    slow = back_project(bicubic + residual, lo, net.down)
    fast = fast_back_project(lo, residual, net.down, net.lr_kernel)
    assert (fast - slow)[..., 64:-64, 64:-64].abs().max() < 1e-5
    assert (fast - slow).abs().max() < 0.05  # the border is padded differently, no more


def test_sr_weights_without_blur_modulation_load_as_the_network_they_were():
    old = {k: v for k, v in SRNet().state_dict().items() if not k.startswith("film.")}
    net = SRNet()
    torch.nn.init.ones_(net.film.weight)
    assert net.reads_blur
    net.load_state_dict(old)
    assert not net.reads_blur
    assert float(net.film.weight.abs().sum() + net.film.bias.abs().sum()) == 0.0


def test_sr_net_reads_the_blur_it_is_told():
    torch.manual_seed(0)
    net = SRNet().eval()
    torch.nn.init.normal_(net.film.weight, std=0.5)
    ref = torch.rand(1, 4, 12, 12) * 0.3
    box, blur = torch.zeros(1, 2), torch.full((1, 2), 0.5)
    with torch.inference_mode():
        a, b = net(ref, sigma=box), net(ref, sigma=box)
        c = net(ref, sigma=blur)
        net.film.weight.zero_()  # the same network no longer reading it
        e = net(ref, sigma=blur)
    torch.testing.assert_close(a, b)
    assert (a - c).abs().mean() > 1e-4
    assert (c - e).abs().mean() > 1e-4
