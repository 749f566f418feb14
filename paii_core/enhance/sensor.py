"""Sensor models of a 4x coarser capture: detector box, optics blur, and their record.

A coarse pixel integrates the ground over its footprint (a ``factor``-wide box) seen
through the optics' point-spread function, modelled as a Gaussian of ``sigma`` coarse
pixels (Schowengerdt 2007, "Remote Sensing", ch. 3). ``sigma = 0`` is plain area
averaging; Sentinel-2's 10 m bands have an MTF near 0.3 at Nyquist, a Gaussian of about
0.5 px. :class:`SensorModel` applies such a model to a fine image and names itself for
output metadata.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray
from scipy.special import ndtr

from paii_core.errors import ValidationError

__all__ = ["SensorModel", "psf_kernel_1d"]

MAX_SIGMA = 1.5
"""Largest optics blur accepted, in coarse pixels (beyond it 4x SR has nothing to add)."""


def psf_kernel_1d(
    factor: int = 4, sigma_lr: float = 0.5, reach: int = 6, shift: float = 0.0
) -> np.ndarray:
    """1-D weights over fine pixels of one coarse pixel: a ``factor``-wide detector box
    convolved with a Gaussian optics PSF of ``sigma_lr`` coarse pixels (0: the box alone).
    Length factor + 2 reach. ``shift`` moves the footprint by that many coarse pixels
    (a capture whose grid is offset by a sub-pixel amount); keep ``|shift| * factor``
    well inside ``reach``."""
    s = sigma_lr * factor
    edges = np.arange(-reach, factor + reach + 1, dtype=np.float64)
    if s < 1e-6:  # the box alone: each fine pixel's overlap with [shift, shift + factor)
        lo, hi = shift * factor, shift * factor + factor
        w = np.clip(np.minimum(edges[1:], hi) - np.maximum(edges[:-1], lo), 0.0, None)
        return (w / w.sum()).astype(np.float32)
    sub = np.linspace(0.0, 1.0, 41)
    w = []
    for left in edges[:-1]:
        u = left + sub - shift * factor  # fine-pixel positions; box covers [0, factor)
        box_conv = ndtr(u / s) - ndtr((u - factor) / s)
        w.append(np.trapezoid(box_conv, sub))
    w = np.asarray(w)
    return (w / w.sum()).astype(np.float32)


@dataclass(frozen=True)
class SensorModel:
    """Capture by a ``factor``-wide detector box and Gaussian optics of ``sigma`` (along
    rows) and ``sigma_x`` (along columns; default ``sigma``) coarse pixels."""

    sigma: float = 0.5
    sigma_x: float | None = None
    factor: int = 4

    def __post_init__(self) -> None:
        sx = self.sigma if self.sigma_x is None else self.sigma_x
        if not (0.0 <= self.sigma <= MAX_SIGMA and 0.0 <= sx <= MAX_SIGMA):
            raise ValidationError(
                f"sensor blur sigma must be within 0..{MAX_SIGMA} coarse pixels, "
                f"got {self.sigma}, {self.sigma_x}"
            )
        if self.factor < 2:
            raise ValidationError(f"factor must be >= 2, got {self.factor}")

    @property
    def reach(self) -> int:
        return max(2, int(np.ceil(4 * max(self.sigma, self.sigma_x or 0.0) * self.factor)))

    def describe(self) -> str:
        """Text for output metadata, e.g. ``box 4x + Gaussian sigma 0.50 coarse px``."""
        sx = self.sigma if self.sigma_x is None else self.sigma_x
        if self.sigma == 0 and sx == 0:
            return f"box {self.factor}x area average"
        blur = f"{self.sigma:.2f}" if sx == self.sigma else f"{self.sigma:.2f} x {sx:.2f}"
        return f"box {self.factor}x + Gaussian sigma {blur} coarse px"

    def kernels(self, device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
        sx = self.sigma if self.sigma_x is None else self.sigma_x
        ky = torch.from_numpy(psf_kernel_1d(self.factor, self.sigma, self.reach)).to(device)
        kx = torch.from_numpy(psf_kernel_1d(self.factor, sx, self.reach)).to(device)
        return ky, kx

    def capture_tensor(self, hi: torch.Tensor) -> torch.Tensor:
        """``(B, C, fH, fW) -> (B, C, H, W)``, replicate padding at the border."""
        b, c, h, w = hi.shape
        ky, kx = self.kernels(hi.device)
        r, f = self.reach, self.factor
        x = F.pad(hi.reshape(b * c, 1, h, w), (r, r, r, r), mode="replicate")
        x = F.conv2d(x, ky.to(x.dtype).view(1, 1, -1, 1), stride=(f, 1))
        x = F.conv2d(x, kx.to(x.dtype).view(1, 1, 1, -1), stride=(1, f))
        return x.reshape(b, c, h // f, w // f)

    def capture(self, hi: NDArray) -> NDArray[np.float32]:
        """``(C, fH, fW)`` fine image -> ``(C, H, W)`` capture (float32, no NaN allowed)."""
        arr = np.asarray(hi, dtype=np.float32)
        if arr.ndim != 3 or arr.shape[1] % self.factor or arr.shape[2] % self.factor:
            raise ValidationError(
                f"image must be (C, H, W) with H and W multiples of {self.factor}, got {arr.shape}"
            )
        with torch.inference_mode():
            return self.capture_tensor(torch.from_numpy(arr)[None])[0].numpy()
