"""Networks of the enhancement models: a BGRN dehazing U-Net and a 4x multi-date SR net.

Only ``nn.Module``s built from small blocks; no I/O. Inputs are reflectance ``(B, 4, H, W)``
float32 with no NaN (the caller fills nodata and puts it back).
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from paii_core.enhance.sensor import psf_kernel_1d

__all__ = [
    "DehazeNet",
    "PsfDownsample",
    "SRNet",
    "back_project",
    "fast_back_project",
    "psf_kernel_1d",
]

REFLECTANCE_OFFSET = 0.15
REFLECTANCE_SCALE = 0.15
SAR_OFFSET_DB = -15.0
SAR_SCALE_DB = 5.0


def _norm(x: torch.Tensor) -> torch.Tensor:
    return (x - REFLECTANCE_OFFSET) / REFLECTANCE_SCALE


class ResBlock(nn.Module):
    """Two 3x3 convolutions with a skip: x + conv(act(conv(x)))."""

    def __init__(self, ch: int) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(ch, ch, 3, padding=1)
        self.c2 = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.c2(F.leaky_relu(self.c1(x), 0.1))


class DehazeNet(nn.Module):
    """Residual U-Net: hazy BGRN ``(B, 4, H, W)`` -> clear BGRN ``(B, 4, H, W)``.

    Four scales (1, 1/2, 1/4, 1/8) give a receptive field of about 100 pixels, enough to
    see the smooth haze field and the airlight that the dark pixels in it reveal
    (He, Sun & Tang 2009); the network predicts the correction added to its input.
    H and W must be multiples of 8 (tiled inference pads to that).
    """

    def __init__(self, widths: tuple[int, ...] = (24, 40, 64, 96)) -> None:
        super().__init__()
        self.widths = widths
        self.head = nn.Conv2d(4, widths[0], 3, padding=1)
        self.enc = nn.ModuleList(ResBlock(w) for w in widths)
        self.down = nn.ModuleList(
            nn.Conv2d(a, b, 3, stride=2, padding=1) for a, b in pairwise(widths)
        )
        self.up = nn.ModuleList(nn.ConvTranspose2d(b, a, 2, stride=2) for a, b in pairwise(widths))
        self.dec = nn.ModuleList(ResBlock(w) for w in widths[:-1])
        self.tail = nn.Conv2d(widths[0], 4, 3, padding=1)

    def forward(self, hazy: torch.Tensor) -> torch.Tensor:
        x = F.leaky_relu(self.head(_norm(hazy)), 0.1)
        skips = []
        for k, block in enumerate(self.enc):
            x = block(x)
            if k < len(self.down):
                skips.append(x)
                x = F.leaky_relu(self.down[k](x), 0.1)
        for k in reversed(range(len(self.up))):
            x = self.dec[k](self.up[k](x) + skips[k])
        return hazy + REFLECTANCE_SCALE * self.tail(x)


class PsfDownsample(nn.Module):
    """The sensor's capture as a fixed strided convolution: ``(B, C, 4H, 4W) -> (B, C, H, W)``;
    ``sigma_x`` (default ``sigma_lr``) is the optics blur along columns."""

    def __init__(
        self, factor: int = 4, sigma_lr: float = 0.5, reach: int = 6, sigma_x: float | None = None
    ) -> None:
        super().__init__()
        ky = torch.from_numpy(psf_kernel_1d(factor, sigma_lr, reach))
        kx = ky if sigma_x is None else torch.from_numpy(psf_kernel_1d(factor, sigma_x, reach))
        self.register_buffer("kernel", (ky[:, None] * kx[None, :])[None, None], persistent=False)
        self.factor, self.reach = factor, reach

    def forward(self, hi: torch.Tensor) -> torch.Tensor:
        b, c, h, w = hi.shape
        x = F.pad(hi.reshape(b * c, 1, h, w), (self.reach,) * 4, mode="replicate")
        y = F.conv2d(x, self.kernel, stride=self.factor)
        return y.reshape(b, c, h // self.factor, w // self.factor)


def back_project(
    hi: torch.Tensor, lo: torch.Tensor, down: PsfDownsample, iterations: int = 3
) -> torch.Tensor:
    """Iterative back-projection (Irani & Peleg 1991, "Improving resolution by image
    registration", CVGIP 53): add the bicubic-upsampled error ``lo - down(hi)`` until
    capturing the estimate with the sensor model gives back the observed image."""
    for _ in range(iterations):
        err = lo - down(hi)
        hi = hi + F.interpolate(err, scale_factor=down.factor, mode="bicubic", align_corners=False)
    return hi


def _lr_kernel(down: PsfDownsample, size: int = 21) -> torch.Tensor:
    """The low-resolution kernel of ``down(bicubic_upsample(.))``: both are linear and
    shift-invariant on the coarse grid, so their composition is one small convolution
    ``(1, 1, k, k)`` there (its response to an impulse, flipped, trimmed to its support)."""
    x = torch.zeros(1, 1, size, size)
    x[..., size // 2, size // 2] = 1.0
    up = F.interpolate(x, scale_factor=down.factor, mode="bicubic", align_corners=False)
    g = down(up)[0, 0].flip(0, 1)
    keep = g.abs().amax(0) > 1e-6
    r = int(keep.nonzero().max()) - size // 2
    c = size // 2
    return g[c - r : c + r + 1, c - r : c + r + 1][None, None].contiguous()


def fast_back_project(
    ref: torch.Tensor,
    residual: torch.Tensor,
    down: PsfDownsample,
    kernel: torch.Tensor,
    iterations: int = 3,
) -> torch.Tensor:
    """:func:`back_project` of ``bicubic(ref) + residual`` computed on the coarse grid.

    By linearity, with U the bicubic upsampling and D the sensor model, the error after
    each step is ``e_{k+1} = e_k - D U e_k`` and the result is ``U(ref + sum e_k) +
    residual``; D U is the small coarse ``kernel`` (:func:`_lr_kernel`). One upsampling and
    one fine-grid capture instead of ``iterations + 1`` and ``iterations``; the same
    result away from the image border (within 1e-5), replicate padding at it.
    """
    b, c, h, w = ref.shape
    pad = kernel.shape[-1] // 2

    def du(e: torch.Tensor) -> torch.Tensor:
        x = F.pad(e.reshape(b * c, 1, h, w), (pad,) * 4, mode="replicate")
        return F.conv2d(x, kernel).reshape(b, c, h, w)

    err = ref - du(ref) - down(residual)
    total = err
    for _ in range(iterations - 1):
        err = err - du(err)
        total = total + err
    up = F.interpolate(ref + total, scale_factor=down.factor, mode="bicubic", align_corners=False)
    return up.add_(residual)


class SRNet(nn.Module):
    """4x super-resolution of a BGRN capture with optional other dates and SAR.

    ``forward(ref (B,4,h,w), others (B,T,4,h,w) or None, sar (B,2,h,w) dB or None,
    sigma (B,2) or None, detail)`` -> ``(B, 4, 4h, 4w)``. Every capture is encoded together with
    the reference by one shared encoder; the features are pooled over time by mean and
    max, so any number of dates works (a shared encoder with temporal pooling, as in
    Deudon et al. 2020, HighRes-net, in spirit). SAR adds field edges through its own
    small encoder. A residual over the bicubic upsampling is predicted through
    PixelShuffle (Shi et al. 2016) and back-projected with the sensor model, the
    detector box plus a Gaussian optics blur of ``sigma`` (rows, columns; coarse px;
    default 0.5, the training captures'), so that capturing the output returns ``ref``.
    The network also reads that blur: ``sigma`` scales and shifts the fused features
    (feature-wise linear modulation, Perez et al. 2018, FiLM), so one set of weights
    learns what to add to a box-averaged capture and what to a blurred one. The
    modulation starts at zero (identity): weights saved before it existed load with it.
    ``detail`` scales that residual before the back-projection (0: the back-projected
    bicubic upsampling, consistent with the sensor model but adding no learned detail).
    """

    def __init__(self, width: int = 48, blocks: int = 5, factor: int = 4) -> None:
        super().__init__()
        self.factor = factor
        self.ref_enc = nn.Sequential(nn.Conv2d(4, width, 3, padding=1), ResBlock(width))
        self.frame_enc = nn.Sequential(nn.Conv2d(8, width, 3, padding=1), ResBlock(width))
        self.sar_enc = nn.Sequential(nn.Conv2d(2, width, 3, padding=1), ResBlock(width))
        self.fuse = nn.Conv2d(4 * width, width, 1)
        self.film = nn.Linear(2, 2 * width)
        nn.init.zeros_(self.film.weight)
        nn.init.zeros_(self.film.bias)
        self.body = nn.Sequential(*(ResBlock(width) for _ in range(blocks)))
        self.up = nn.Sequential(
            nn.Conv2d(width, 16 * factor * factor, 3, padding=1), nn.PixelShuffle(factor)
        )
        self.tail = nn.Conv2d(16, 4, 3, padding=1)
        self.down = PsfDownsample(factor)
        self.register_buffer("lr_kernel", _lr_kernel(self.down), persistent=False)
        self._sensors: dict[tuple[float, float], tuple[PsfDownsample, torch.Tensor]] = {}
        self.rows = 64

    @property
    def reads_blur(self) -> bool:
        """Whether these weights learned to read the blur (a non-zero modulation): their
        detail then suits every sensor and is not faded toward bicubic."""
        return bool(self.film.weight.detach().abs().sum() > 0)

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """As ``nn.Module.load_state_dict``; weights saved before the blur modulation
        existed (no ``film.*``) load with it at zero, which is the network they were."""
        if "film.weight" not in state_dict:
            zero = {f"film.{k}": torch.zeros_like(v) for k, v in self.film.state_dict().items()}
            state_dict = {**state_dict, **zero}
        return super().load_state_dict(state_dict, strict=strict, assign=assign)

    def sensor(self, sigma: tuple[float, float]) -> tuple[PsfDownsample, torch.Tensor]:
        """The capture and its coarse back-projection kernel for blur ``sigma`` (rounded
        to 0.01 px; a handful are kept per network)."""
        key = (round(float(sigma[0]), 2), round(float(sigma[1]), 2))
        if key not in self._sensors:
            if len(self._sensors) > 64:
                self._sensors.clear()
            reach = max(6, int(np.ceil(4 * max(key) * self.factor)))
            down = PsfDownsample(self.factor, key[0], reach, sigma_x=key[1])
            self._sensors[key] = (down, _lr_kernel(down, size=2 * reach + 9))
        down, kernel = self._sensors[key]
        device = self.lr_kernel.device
        if down.kernel.device != device:
            down.to(device)
            kernel = kernel.to(device)
            self._sensors[key] = (down, kernel)
        return down, kernel

    def forward(
        self,
        ref: torch.Tensor,
        others: torch.Tensor | None = None,
        sar: torch.Tensor | None = None,
        sigma: torch.Tensor | None = None,
        detail: float = 1.0,
    ) -> torch.Tensor:
        if sigma is None:
            sigma = ref.new_full((ref.shape[0], 2), 0.5)
        r = _norm(ref)
        fr = self.ref_enc(r)
        frames = [r] if others is None or others.shape[1] == 0 else list(_norm(others).unbind(1))
        feats = torch.stack([self.frame_enc(torch.cat([r, f - r], 1)) for f in frames], 1)
        pooled = torch.cat([feats.mean(1), feats.amax(1)], 1)
        fs = (
            torch.zeros_like(fr)
            if sar is None
            else self.sar_enc((sar - SAR_OFFSET_DB) / SAR_SCALE_DB)
        )
        x = self.fuse(torch.cat([fr, pooled, fs], 1))
        scale, shift = self.film(sigma.to(x.dtype)).view(-1, 2, x.shape[1], 1, 1).unbind(1)
        if self.training:
            x = x * (1.0 + scale) + shift
        else:  # no second activation-sized buffer at inference
            x = x.mul_(1.0 + scale).add_(shift)
        x = x + self.body(x)
        residual = self._upsample(x)
        if detail != 1.0:
            residual = residual.mul_(detail)
        if bool((sigma == sigma[:1]).all()):  # one sensor model for the batch (inference)
            down, kernel = self.sensor(tuple(sigma[0].tolist()))
            return fast_back_project(ref, residual, down, kernel)
        parts = []
        for b in range(ref.shape[0]):
            down, kernel = self.sensor(tuple(sigma[b].tolist()))
            parts.append(fast_back_project(ref[b : b + 1], residual[b : b + 1], down, kernel))
        return torch.cat(parts)

    def _upsample(self, x: torch.Tensor) -> torch.Tensor:
        """The 4x residual, in bands of :attr:`rows` coarse rows when not training: the
        256-channel pre-shuffle layer is the largest activation (151 MB for a 384 px
        tile), and two coarse rows of context make each band exact (two 3x3 convolutions,
        one at each resolution), so the result equals one pass."""
        h, f = x.shape[2], self.factor
        if self.training or h <= self.rows:
            return self.tail(F.leaky_relu(self.up(x), 0.1, inplace=True)).mul_(REFLECTANCE_SCALE)
        out = x.new_empty(x.shape[0], 4, h * f, x.shape[3] * f)
        for r0 in range(0, h, self.rows):
            r1 = min(r0 + self.rows, h)
            a, b = max(r0 - 2, 0), min(r1 + 2, h)
            band = self.tail(F.leaky_relu(self.up(x[:, :, a:b]), 0.1, inplace=True))
            out[:, :, r0 * f : r1 * f] = band[:, :, (r0 - a) * f : (r1 - a) * f]
        return out.mul_(REFLECTANCE_SCALE)
