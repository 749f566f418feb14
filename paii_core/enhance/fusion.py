"""Multi-date fusion for 4x SR: the network's estimate refined from other captures.

Other captures of the same place sample the ground on grids offset by a fraction of a
pixel, so together they hold detail that one capture aliases away: the principle of
multi-frame super-resolution (Irani & Peleg 1991; Farsiu et al. 2004, "Fast and robust
multiframe super resolution", IEEE TIP 13). Each capture is registered to the estimate
with the sensor model (sub-pixel shift plus per-band gain and offset, by Gauss-Newton),
matched to it locally so that crop growth between dates is not taken for detail (a
3 x 3 local linear fit, as in the guided filter of He et al. 2010) and weighted by how
well that fit holds, and all captures are then fitted together by conjugate gradients on

    sum_t w_t || D_t x - y_t ||^2 + lam || x - x0 ||^2

where ``D_t`` is the shifted capture (detector box with Gaussian optics, as the
network's back-projection) and ``x0`` the network's estimate, the prior that keeps what
no capture constrains. Functions take ``(C, 4h, 4w)`` estimates and ``(C, h, w)``
captures as float32 tensors with no NaN; validity comes as boolean masks.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from paii_core.enhance.nets import psf_kernel_1d
from paii_core.errors import ValidationError

__all__ = ["Capture", "estimate_shift", "fuse_captures", "local_match"]

FACTOR = 4
REACH = 18
"""Fine pixels of PSF support beyond the detector box: 4 sigma of the optics (up to
sigma 0.85 coarse px) plus a whole coarse pixel of shift."""
MAX_SHIFT = 1.0
"""Largest registration offset searched, in coarse pixels: captures must already be on
the reference grid (co-registered products), up to sub-pixel residuals."""
OTHER_WEIGHT = 0.5
"""Weight of another date relative to the reference date, whose ground is the target."""
PRIOR_WEIGHT = 0.3
ITERATIONS = 20
"""First tuned for the weaker estimate of weights fabc8c79bd00 on bench.enhance.quality's
SR scenes (captures within 8 days): lam 0.03 and weight 0.5 gave +0.47 dB there, and
weighting by the local agreement turned the demo world's captures 16 days apart from
-0.10 dB to +0.13 dB. A stronger estimate leaves the other dates less to add, and their
changes and noise then outweigh it: with weights b9f510cc9961 (one date +0.6 dB over
c28b0e6cad9b) lam 0.03 cost up to 0.06 dB on simulated TRAINING scenes (seeds 1000..8999,
8 and 16 days apart) and 0.16 dB on the scene of tests/enhance/test_api.py. lam 0.3,
selected on those training scenes: b9f510cc9961 +0.017 / +0.040 / -0.010 / -0.002 dB,
c28b0e6cad9b +0.022 / +0.029 / -0.003 / -0.000 (bench/BENCHMARKS.md, issue 11 sixth
pass)."""


class Capture:
    """The sensor's capture with a sub-pixel grid shift, and its adjoint.

    ``Capture(shift, device, sigma)(hi)``: ``(C, 4h, 4w) -> (C, h, w)`` for a sensor of
    optics blur ``sigma`` (rows, columns; coarse px); pixels whose footprint crosses
    the border see zeros there (so :meth:`adjoint` is the exact transpose).
    """

    def __init__(
        self,
        shift: tuple[float, float],
        device: torch.device | str = "cpu",
        sigma: tuple[float, float] = (0.5, 0.5),
    ) -> None:
        ky, kx = (
            torch.from_numpy(psf_kernel_1d(FACTOR, float(g), REACH, shift=float(s))).to(device)
            for g, s in zip(sigma, shift, strict=True)
        )
        self.shift = (float(shift[0]), float(shift[1]))
        self.ky = ky.view(1, 1, -1, 1)
        self.kx = kx.view(1, 1, 1, -1)

    def __call__(self, hi: torch.Tensor) -> torch.Tensor:
        y = F.conv2d(hi[:, None], self.ky, stride=(FACTOR, 1), padding=(REACH, 0))
        return F.conv2d(y, self.kx, stride=(1, FACTOR), padding=(0, REACH))[:, 0]

    def adjoint(self, lo: torch.Tensor) -> torch.Tensor:
        y = F.conv_transpose2d(lo[:, None], self.kx, stride=(1, FACTOR), padding=(0, REACH))
        return F.conv_transpose2d(y, self.ky, stride=(FACTOR, 1), padding=(REACH, 0))[:, 0]


def _interior(h: int, w: int, valid: torch.Tensor | None, device) -> torch.Tensor:
    """Weights 1 away from the tile border (where zero padding biases the capture)."""
    edge = -(-REACH // FACTOR)
    m = torch.zeros(h, w, device=device)
    m[edge : h - edge, edge : w - edge] = 1.0
    return m if valid is None else m * valid.to(m.dtype)


def estimate_shift(
    estimate: torch.Tensor,
    frame: torch.Tensor,
    valid: torch.Tensor | None = None,
    *,
    iterations: int = 8,
    sigma: tuple[float, float] = (0.5, 0.5),
) -> tuple[float, float]:
    """Sub-pixel offset ``(dy, dx)`` in coarse pixels of ``frame`` ``(C, h, w)`` against
    the capture of ``estimate`` ``(C, 4h, 4w)``: Gauss-Newton on the shift with a gain
    and offset per band as nuisance parameters, clamped to +-:data:`MAX_SHIFT`."""
    c, h, w = frame.shape
    weight = _interior(h, w, valid, frame.device).flatten()
    keep = weight > 0
    if int(keep.sum()) < 64:
        return (0.0, 0.0)
    y = frame.flatten(1)[:, keep]
    shift = [0.0, 0.0]
    step_fd = 0.02
    for _ in range(iterations):
        d0 = Capture(tuple(shift), frame.device, sigma)(estimate).flatten(1)[:, keep]
        grads = []
        for k in range(2):
            probe = list(shift)
            probe[k] += step_fd
            dk = Capture(tuple(probe), frame.device, sigma)(estimate).flatten(1)[:, keep]
            grads.append(((dk - d0) / step_fd).flatten())
        n = d0.shape[1]
        eye = torch.eye(c, device=frame.device, dtype=frame.dtype)
        gain_cols = (eye[:, :, None] * d0[None]).reshape(c, c * n).T
        offset_cols = eye[:, :, None].expand(c, c, n).reshape(c, c * n).T
        jac = torch.cat([torch.stack(grads, 1), gain_cols, offset_cols], 1)
        # y ~ gain * d0 + offset + J_shift step, linearised about the current shift
        sol = torch.linalg.lstsq(jac.double(), y.flatten().double()[:, None]).solution[:, 0]
        step = sol[:2].float().tolist()
        shift = [max(-MAX_SHIFT, min(MAX_SHIFT, s + d)) for s, d in zip(shift, step, strict=True)]
        if max(abs(d) for d in step) < 1e-3:
            break
    return (shift[0], shift[1])


def _box(x: torch.Tensor, r: int) -> torch.Tensor:
    return F.avg_pool2d(F.pad(x[None], (r,) * 4, mode="replicate"), 2 * r + 1, stride=1)[0]


def local_match(
    predicted: torch.Tensor, frame: torch.Tensor, radius: int = 1
) -> tuple[torch.Tensor, torch.Tensor]:
    """``frame`` with what a local linear function of ``predicted`` explains replaced by
    ``predicted`` itself: ``predicted + frame - (a predicted + b)`` with ``a``, ``b``
    fitted over ``(2 radius + 1)^2`` windows (He et al. 2010, guided filter), so a field
    that greened up between dates keeps only its sub-pixel edge information.

    Also returns the agreement ``(h, w)``: the squared local correlation of the two,
    averaged over bands (0..1). Where a frame changed in pattern, not just in level (a
    field cut, a flood), it is low, and the frame is trusted less there."""
    eps = 1e-5
    mp, mf = _box(predicted, radius), _box(frame, radius)
    cov = _box(predicted * frame, radius) - mp * mf
    var_p = _box(predicted * predicted, radius) - mp * mp
    var_f = _box(frame * frame, radius) - mf * mf
    agreement = (cov * cov / ((var_p + eps) * (var_f + eps))).clamp(0.0, 1.0).mean(0)
    a = cov / (var_p + eps)
    b = mf - a * mp
    a, b = _box(a, radius), _box(b, radius)
    return predicted + frame - (a * predicted + b), agreement


def fuse_captures(
    estimate: torch.Tensor,
    reference: torch.Tensor,
    others: torch.Tensor,
    *,
    reference_valid: torch.Tensor | None = None,
    others_valid: torch.Tensor | None = None,
    shifts: list[tuple[float, float]] | None = None,
    sigma: tuple[float, float] = (0.5, 0.5),
    prior_weight: float = PRIOR_WEIGHT,
) -> torch.Tensor:
    """Refine a 4x ``estimate`` ``(C, 4h, 4w)`` of ``reference`` ``(C, h, w)`` with other
    captures ``(T, C, h, w)`` of the same place (masks ``(h, w)`` / ``(T, h, w)`` bool,
    True where valid), captured by a sensor of optics blur ``sigma`` (coarse px).
    ``shifts``: each capture's offset when known (tiles of one raster
    share them, so that neighbouring tiles agree); else estimated here.
    ``prior_weight``: ``lam``, how strongly the estimate is kept; the default suits the
    SR network's estimate, a weaker start (bicubic) gains more from a weaker prior (0.03).
    Returns ``(C, 4h, 4w)``; the estimate itself when no capture has enough valid pixels.
    Raises ValidationError for a prior weight that is not positive."""
    if not prior_weight > 0:
        raise ValidationError(
            f"prior_weight must be > 0 (it keeps what no capture constrains), got {prior_weight}"
        )
    h, w = reference.shape[1:]
    dev = reference.device
    frames = [(Capture((0.0, 0.0), dev, sigma), reference, _interior(h, w, reference_valid, dev))]
    for t in range(others.shape[0]):
        valid = None if others_valid is None else others_valid[t]
        weight = _interior(h, w, valid, dev)
        if float(weight.mean()) < 0.25:
            continue  # mostly cloud or outside the footprint
        if shifts is None:
            shift = estimate_shift(estimate, others[t], valid, sigma=sigma)
        else:
            shift = shifts[t]
        cap = Capture(shift, dev, sigma)
        matched, agreement = local_match(cap(estimate), others[t])
        frames.append((cap, matched, OTHER_WEIGHT * weight * agreement))
    if len(frames) == 1:
        return estimate

    def normal(x: torch.Tensor) -> torch.Tensor:
        out = prior_weight * x
        for cap, _, wgt in frames:
            out = out + FACTOR**2 * cap.adjoint(wgt * cap(x))
        return out

    rhs = prior_weight * estimate
    for cap, y, wgt in frames:
        rhs = rhs + FACTOR**2 * cap.adjoint(wgt * y)
    x = estimate.clone()
    r = rhs - normal(x)
    p = r.clone()
    rs = (r * r).sum()
    for _ in range(ITERATIONS):
        if float(rs) == 0.0:
            break
        ap = normal(p)
        alpha = rs / (p * ap).sum()
        x = x + alpha * p
        r = r - alpha * ap
        rs_new = (r * r).sum()
        p = r + (rs_new / rs) * p
        rs = rs_new
    return x
