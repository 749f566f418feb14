"""The SR network's box head: learned detail for captures by a plain detector box.

On real Sentinel-2 and Landsat captures the main head's residual, trained on the
simulator's Gaussian sensor, costs 0.1-0.4 dB when the capture is a plain area average,
so :func:`paii_core.enhance.api.detail_weight` switches it off there and the output is
the back-projected bicubic upsampling (+0.19 dB over bicubic). The box head is a second
copy of the last two layers (``up_box``, ``tail_box``) fine-tuned on real captures
self-supervised, as the seed did: a real 10 m window is the truth of its own 4x capture
by a box sensor (a share ``1 - box_share`` with a slight Gaussian, sigma 0..0.25 coarse
px, anisotropic, as an estimate near 0 may hide), with random band gains and offsets,
top-of-atmosphere path reflectance on some and sensor noise (:mod:`sr_data`). Only the
training rows of the Italian L2A scene are used (``real_scenes.italy_l2a("train")``);
every benchmark scene is held out. The network's body is frozen, so its features are
computed once per sample and the 2 shared CPU cores train the head in minutes; the
main head, and so every output on blurred captures, is unchanged.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from paii_core.enhance import real_scenes, sr_data
from paii_core.enhance.nets import REFLECTANCE_SCALE, SRNet, fast_back_project
from paii_core.enhance.tiling import fill_nodata
from paii_core.enhance.weights import load_weights, save_weights
from paii_core.errors import ValidationError

__all__ = ["BOX_SIGMA_MAX", "box_samples", "train_box_head"]

log = logging.getLogger(__name__)

BOX_SIGMA_MAX = 0.25
"""Largest optics blur (coarse px) of the slightly blurred training captures."""
PATCH = 24


def box_samples(
    image: np.ndarray, count: int, rng: np.random.Generator, box_share: float = 0.7
) -> tuple[torch.Tensor, torch.Tensor, list[tuple[float, float]]]:
    """``count`` self-supervised samples of a real ``(4, H, W)`` capture (no NaN): 24 px
    captures ``(N, 4, 24, 24)``, their 96 px truths ``(N, 4, 96, 96)`` and each
    capture's blur (rows, columns): a plain box for ``box_share`` of them, else a
    Gaussian of up to :data:`BOX_SIGMA_MAX` on each axis. Rotated and flipped at random."""
    refs, his, sigmas = [], [], []
    for _ in range(count):
        if rng.random() < box_share:
            sigma = (0.0, 0.0)
        else:
            sigma = tuple(float(v) for v in rng.uniform(0.0, BOX_SIGMA_MAX, 2))
        ref, _, _, hi = sr_data.real_sample(image, rng, patch=PATCH, others=0, sigma=sigma)
        k, flip = int(rng.integers(4)), bool(rng.integers(2))
        pair = [np.rot90(a, k, axes=(1, 2)) for a in (ref, hi)]
        refs.append(np.ascontiguousarray(pair[0][..., ::-1] if flip else pair[0]))
        his.append(np.ascontiguousarray(pair[1][..., ::-1] if flip else pair[1]))
        sigmas.append(sigma if k % 2 == 0 else sigma[::-1])
    return torch.from_numpy(np.stack(refs)), torch.from_numpy(np.stack(his)), sigmas


def _predict(net: SRNet, feats, refs, sigmas) -> torch.Tensor:
    residual = net.tail_box(F.leaky_relu(net.up_box(feats), 0.1)) * REFLECTANCE_SCALE
    out = []
    for b, sigma in enumerate(sigmas):
        down, kernel = net.sensor(sigma)
        out.append(fast_back_project(refs[b : b + 1], residual[b : b + 1], down, kernel))
    return torch.cat(out)


def train_box_head(
    init: Path,
    out_dir: Path,
    *,
    samples: int = 800,
    steps: int = 300,
    batch: int = 12,
    lr: float = 2e-3,
    box_share: float = 0.7,
    seed: int = 0,
    threads: int = 2,
    progress: Callable[[int, float], None] | None = None,
) -> dict:
    """Fine-tune the box head of the SR network in ``init`` for ``steps`` Adam steps
    (cosine learning rate from ``lr``) on ``samples`` real samples (:func:`box_samples`),
    L1 against the truth after the back-projection with each sample's sensor; save the
    network with ``box_weight`` 1 to ``out_dir``. Returns the saved metadata.
    Raises ValidationError for a non-positive count, rate or batch or a share outside
    0..1; InputNotFoundError when ``init`` has no weights."""
    if min(samples, steps, batch) < 1 or lr <= 0 or not 0.0 <= box_share <= 1.0:
        raise ValidationError(
            f"samples, steps, batch and lr must be positive and box_share within 0..1, "
            f"got {samples}, {steps}, {batch}, {lr}, {box_share}"
        )
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = load_weights(SRNet(), Path(init))
    base_meta = json.loads((Path(init) / "meta.json").read_text())
    start = time.monotonic()
    real = fill_nodata(real_scenes.italy_l2a("train").image)
    refs, his, sigmas = box_samples(real, samples, rng, box_share)
    with torch.inference_mode():
        feats = torch.cat([net.features(refs[i : i + 64]) for i in range(0, samples, 64)])
    feats = feats.clone()  # out of inference mode, for autograd
    params = [*net.up_box.parameters(), *net.tail_box.parameters()]
    for p in net.parameters():
        p.requires_grad_(False)
    for p in params:
        p.requires_grad_(True)
    opt = torch.optim.Adam(params, lr=lr)
    running = None
    for step in range(steps):
        for g in opt.param_groups:
            g["lr"] = lr * (0.05 + 0.95 * 0.5 * (1 + np.cos(np.pi * step / steps)))
        idx = rng.integers(0, samples, batch)
        pred = _predict(net, feats[idx], refs[idx], [sigmas[i] for i in idx])
        loss = (pred - his[idx]).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        if (step + 1) % 20 == 0:
            log.info("box head step %d loss %.5f", step + 1, running)
            if progress:
                progress(step + 1, running)
    net.box_weight.fill_(1.0)
    history = [
        *base_meta.get("history", []),
        {k: base_meta[k] for k in base_meta if k != "history"},
    ]
    meta = {
        **{
            k: base_meta[k]
            for k in ("model", "steps", "seed", "minutes", "final_loss")
            if k in base_meta
        },
        "box_head": {
            "real_scene": "italy_l2a train rows 384..703",
            "samples": samples,
            "steps": steps,
            "batch": batch,
            "lr": lr,
            "box_share": box_share,
            "sigma_max": BOX_SIGMA_MAX,
            "seed": seed,
            "minutes": round((time.monotonic() - start) / 60, 1),
            "final_loss": round(float(running), 6),
        },
        "history": history,
    }
    return save_weights(net.eval(), Path(out_dir), meta)
