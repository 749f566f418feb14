"""Training of the dehaze and SR networks on simulated scenes, on the CPU.

Samples are drawn on the fly from a rolling pool of simulated scenes
(:mod:`paii_core.enhance.scenes`, training seeds and regions only). The dehaze loss is
the seed's: L1 on the visible bands + L1 on NIR + L1 on NDVI (NDVI only where N + R is
large enough for NDVI to be meaningful). SR uses L1 on all bands + L1 on NDVI.
Options for fine-tuning the dehazer where it is weakest: draw thick haze more often
(``thick_share``), train on larger patches so the network sees more of the smooth haze
field around each pixel (``patch``), and warm the learning rate up linearly before the
cosine decay (``warmup_steps``; Goyal et al. 2017, "Accurate, large minibatch SGD").
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np
import torch

from paii_core.enhance import real_scenes, scenes, sr_data
from paii_core.enhance.nets import DehazeNet, SRNet
from paii_core.enhance.tiling import fill_nodata
from paii_core.enhance.weights import WeightEMA, load_weights, save_weights
from paii_core.errors import ValidationError

__all__ = ["SR_LOSSES", "ndvi_l1", "pixel_loss", "seed_loss", "train"]

log = logging.getLogger(__name__)

THICK_TAU = (0.8, 1.7)
"""Range of the mean optical depth at 550 nm of the extra thick-haze draws: the upper
part of :func:`scenes.hazy_version`'s 0.05..1.7, where the recovered red band, divided
by a transmission near 0.3, carries most of the NDVI error."""
_DEFAULT_BATCH = {"dehaze": (8, 80), "sr": (12, 24)}
"""(batch, patch) per model; patches are cut from pool scenes of 128 (dehaze) and
64 (SR) pixels."""
_POOL_SIZE_PX = {"dehaze": 128, "sr": 64}


def ndvi_l1(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean |NDVI(pred) - NDVI(target)| over pixels with target N + R > 0.05."""

    def ndvi(x: torch.Tensor) -> torch.Tensor:
        return (x[:, 3] - x[:, 2]) / (x[:, 3] + x[:, 2]).clamp_min(1e-3)

    mask = (target[:, 3] + target[:, 2]) > 0.05
    diff = (ndvi(pred) - ndvi(target)).abs()
    return (diff * mask).sum() / mask.sum().clamp_min(1)


SR_LOSSES: tuple[str, ...] = ("l1", "rmse")


def pixel_loss(
    pred: torch.Tensor, target: torch.Tensor, kind: str = "l1", nir_weight: float = 1.0
) -> torch.Tensor:
    """The SR pixel term: mean absolute error (``"l1"``) or root mean squared error
    (``"rmse"``, of the same scale as L1, its gradient that of the squared error).
    ``nir_weight`` weighs the NIR band's error against the visible bands' (1 each) in
    the per-pixel mean, normalised so that equal errors in all bands give the same loss
    whatever the weight."""
    err = (pred - target).pow(2) if kind == "rmse" else (pred - target).abs()
    if nir_weight != 1.0:
        w = torch.tensor([1.0, 1.0, 1.0, nir_weight], dtype=err.dtype, device=err.device)
        err = err * (w / w.mean()).view(1, -1, 1, 1)
    return err.mean().add(1e-12).sqrt() if kind == "rmse" else err.mean()


def seed_loss(pred: torch.Tensor, target: torch.Tensor, ndvi_weight: float = 0.2) -> torch.Tensor:
    """L1(RGB) + L1(N) + ndvi_weight * L1(NDVI) of ``(B, 4, H, W)`` BGRN tensors."""
    rgb = (pred[:, :3] - target[:, :3]).abs().mean()
    nir = (pred[:, 3] - target[:, 3]).abs().mean()
    return rgb + nir + ndvi_weight * ndvi_l1(pred, target)


def _history_entry(meta: dict) -> dict:
    keys = ("version", "steps", "minutes", "seed", "lr", "ndvi_weight", "thick_share")
    keys += ("batch", "patch", "warmup_steps", "sensor", "real_share", "box_share", "sr_loss")
    keys += ("nir_weight", "ema")
    return {k: meta[k] for k in keys if k in meta}


def _augment(
    arrays: list[np.ndarray], rng: np.random.Generator, *, quarter: bool = True
) -> list[np.ndarray]:
    """Rotate by a multiple of 90 degrees (of 180 when not ``quarter``: an anisotropic
    sensor blur must keep its axes) and maybe flip, the same for every array."""
    k, flip = int(rng.integers(4)) if quarter else 2 * int(rng.integers(2)), bool(rng.integers(2))
    out = []
    for a in arrays:
        a = np.rot90(a, k, axes=(-2, -1))
        out.append(np.ascontiguousarray(a[..., ::-1] if flip else a))
    return out


class _Pool:
    """Rolling pool of simulated scenes; one is replaced every ``refresh`` draws."""

    def __init__(self, rng: np.random.Generator, count: int, refresh: int, **scene_kw) -> None:
        self.rng, self.refresh, self.kw, self.draws = rng, refresh, scene_kw, 0
        self.items = [self._new() for _ in range(count)]

    def _new(self) -> scenes.Scene:
        seed = int(self.rng.integers(scenes.TRAIN_SEEDS.start, scenes.TRAIN_SEEDS.stop))
        region = str(self.rng.choice(scenes.TRAIN_REGIONS))
        return scenes.make_scene(seed, region, **self.kw)

    def draw(self) -> scenes.Scene:
        self.draws += 1
        if self.draws % self.refresh == 0:
            self.items[int(self.rng.integers(len(self.items)))] = self._new()
        return self.items[int(self.rng.integers(len(self.items)))]


def _dehaze_batch(
    pool: _Pool,
    rng: np.random.Generator,
    batch: int,
    patch: int,
    thick_share: float = 0.0,
    real: np.ndarray | None = None,
    real_share: float = 0.0,
):
    xs, ys = [], []
    for _ in range(batch):
        if real is not None and rng.random() < real_share:
            # A real clear capture under simulated haze (self-supervised), its
            # brightness varied as another date or place would.
            h, w = real.shape[1:]
            y, x = int(rng.integers(0, h - patch + 1)), int(rng.integers(0, w - patch + 1))
            gain = rng.uniform(0.85, 1.15, 4).astype(np.float32)[:, None, None]
            clear = real[:, y : y + patch, x : x + patch] * gain
        else:
            sc = pool.draw()
            d = int(rng.integers(sc.clear.shape[0]))
            h, w = sc.clear.shape[2:]
            y, x = int(rng.integers(0, h - patch + 1)), int(rng.integers(0, w - patch + 1))
            clear = sc.clear[d][:, y : y + patch, x : x + patch]
        if thick_share > 0 and rng.random() < thick_share:
            hazy, _ = scenes.hazy_version(clear, rng, mean_tau=float(rng.uniform(*THICK_TAU)))
        else:  # the seed's draw (same random stream when thick_share is 0)
            hazy, _ = scenes.hazy_version(clear, rng)
        hazy, clear = _augment([hazy, clear], rng)
        xs.append(hazy)
        ys.append(clear)
    return torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(ys))


def _sr_batch(pool: _Pool, rng: np.random.Generator, batch: int, patch: int, max_others: int = 3):
    others = min(int(rng.choice([0, 0, 1, 2, 3])), max_others)
    use_sar = bool(rng.random() < 0.3)
    refs, oths, sars, his = [], [], [], []
    for _ in range(batch):
        ref, oth, sar_, hi = scenes.sr_sample(pool.draw(), rng, patch=patch, others=others)
        ref, oth, sar_, hi = _augment([ref, oth, sar_, hi], rng)
        refs.append(ref)
        oths.append(oth)
        sars.append(sar_)
        his.append(hi)
    t = [torch.from_numpy(np.stack(a)) for a in (refs, oths, sars, his)]
    return t[0], (t[1] if others else None), (t[2] if use_sar else None), t[3]


def _sr_batch_random(
    pool: _Pool,
    rng: np.random.Generator,
    batch: int,
    patch: int,
    real: list[np.ndarray] | None,
    real_share: float,
    box_share: float = 1 / 3,
    max_others: int = 3,
):
    """A batch under one random sensor (:mod:`sr_data`), ``real_share`` of it from the
    real captures ``real`` (each drawn in proportion to its area), with 0-3 other dates
    (at most ``max_others``). Returns the inputs, the truth and the blur the network is
    told (:func:`sr_data.assumed_sigma`)."""
    others = min(int(rng.choice([0, 0, 1, 2, 3])), max_others)
    use_sar = bool(rng.random() < 0.3)
    sigma = sr_data.random_sigma(rng, box_share)
    cols: list[list[np.ndarray]] = [[], [], [], []]
    areas = None if not real else np.array([a.shape[1] * a.shape[2] for a in real], float)
    for _ in range(batch):
        if real and areas is not None and rng.random() < real_share:
            image = real[int(rng.choice(len(real), p=areas / areas.sum()))]
            sample = sr_data.real_sample(image, rng, patch=patch, others=others, sigma=sigma)
        else:
            sample = sr_data.sim_sample(pool.draw(), rng, patch=patch, others=others, sigma=sigma)
        augmented = _augment(list(sample), rng, quarter=sigma[0] == sigma[1])
        for col, a in zip(cols, augmented, strict=True):
            col.append(a)
    t = [torch.from_numpy(np.stack(a)) for a in cols]
    sig = torch.tensor([sr_data.assumed_sigma(sigma, rng)], dtype=torch.float32).expand(batch, 2)
    return t[0], (t[1] if others else None), (t[2] if use_sar else None), t[3], sig


def train(
    name: Literal["dehaze", "sr"],
    out_dir: Path,
    *,
    minutes: float = 22.0,
    max_steps: int = 100_000,
    seed: int = 1234,
    threads: int = 2,
    pool_size: int = 12,
    init: Path | None = None,
    lr: float = 2e-3,
    ndvi_weight: float = 0.2,
    thick_share: float = 0.0,
    batch: int | None = None,
    patch: int | None = None,
    warmup_steps: int = 0,
    sensor: Literal["fixed", "random"] = "fixed",
    real_share: float = 0.0,
    box_share: float = 1 / 3,
    sr_loss: Literal["l1", "rmse"] = "l1",
    nir_weight: float = 1.0,
    ema: float = 0.0,
    keep_every: int = 0,
    sr_others: int = 3,
    progress: Callable[[int, float], None] | None = None,
) -> dict:
    """Train ``name`` for at most ``minutes`` (or ``max_steps``) and save the weights and
    their metadata to ``out_dir`` every 100 steps and at the end. Returns the metadata.

    ``init``: a model folder to fine-tune from (its weights are the starting point);
    ``lr``: the peak learning rate of the cosine schedule; ``ndvi_weight``: the weight of
    the NDVI term of the dehaze loss (:func:`seed_loss`); ``thick_share``: the share of
    dehaze samples whose mean optical depth is drawn from :data:`THICK_TAU` rather than
    the full range; ``batch``, ``patch``: samples per step and their size in pixels
    (default 8 x 80 for dehaze, 12 x 24 for SR); ``warmup_steps``: steps of linear
    learning-rate warm-up before the cosine decay. SR: ``sensor="random"`` captures each
    batch by a random sensor (:mod:`paii_core.enhance.sr_data`), ``box_share`` of the
    batches by the detector box alone; ``sr_loss``: the SR pixel term, ``"l1"`` (mean
    absolute error) or ``"rmse"`` (root mean squared error: the benchmarks score PSNR, a
    squared error, and under L1 the network learns the conditional median of the detail
    rather than its mean). ``real_share``: the
    share of samples cut from real captures, self-supervised (SR: each its own 4x
    capture, from :func:`sr_data.training_images`; dehaze: the training rows of
    ``real_scenes.italy_l2a`` under simulated haze). ``nir_weight``: SR, the NIR band's
    weight in the pixel term (:func:`pixel_loss`). ``ema``: when > 0, the saved weights
    are an exponential moving average of the trained ones with this decay
    (:class:`WeightEMA`; the raw weights go to ``out_dir/raw``). ``keep_every``: when > 0,
    a copy of the saved weights every that many steps in ``out_dir/step_N`` (snapshots
    to choose among on development images). ``sr_others``: SR, the most other dates a
    batch is given (0-3, drawn as 0, 0, 1, 2, 3 and capped); 0 trains only the one-date
    network that :func:`paii_core.enhance.super_resolve` runs (other dates are fused
    after it, :mod:`paii_core.enhance.fusion`, never given to it).
    Raises ValidationError for an unknown name, a non-positive budget or rate, a share
    outside 0..1, a NIR weight <= 0, an EMA decay outside 0..1, a negative keep_every,
    sr_others outside 0..3 or a patch larger than the pool scenes; InputNotFoundError when
    ``init`` has no weights."""
    if name not in ("dehaze", "sr"):
        raise ValidationError(f"model name must be 'dehaze' or 'sr', got {name!r}")
    if minutes <= 0 or max_steps < 1 or pool_size < 1 or lr <= 0 or ndvi_weight < 0:
        raise ValidationError(
            f"minutes, max_steps, pool_size and lr must be positive and ndvi_weight >= 0, "
            f"got {minutes}, {max_steps}, {pool_size}, {lr}, {ndvi_weight}"
        )
    batch = _DEFAULT_BATCH[name][0] if batch is None else batch
    patch = _DEFAULT_BATCH[name][1] if patch is None else patch
    if sensor not in ("fixed", "random") or not 0.0 <= real_share <= 1.0:
        raise ValidationError(
            f"sensor must be 'fixed' or 'random' and real_share within 0..1, "
            f"got {sensor!r}, {real_share}"
        )
    if not 0.0 <= box_share <= 1.0:
        raise ValidationError(f"box_share must be within 0..1, got {box_share}")
    if sr_loss not in SR_LOSSES:
        raise ValidationError(f"sr_loss must be one of {SR_LOSSES}, got {sr_loss!r}")
    if nir_weight <= 0 or not 0.0 <= ema < 1.0 or keep_every < 0:
        raise ValidationError(
            f"nir_weight must be > 0, ema within 0..1 (0 = off) and keep_every >= 0, "
            f"got {nir_weight}, {ema}, {keep_every}"
        )
    if sr_others not in (0, 1, 2, 3):
        raise ValidationError(
            f"sr_others (--others) must be 0, 1, 2 or 3 other dates per SR batch, got {sr_others}"
        )
    if not 0.0 <= thick_share <= 1.0 or warmup_steps < 0:
        raise ValidationError(
            f"thick_share must be within 0..1 and warmup_steps >= 0, "
            f"got {thick_share}, {warmup_steps}"
        )
    if batch < 1 or not 8 <= patch <= _POOL_SIZE_PX[name] or patch % 8:
        raise ValidationError(
            f"batch must be >= 1 and patch a multiple of 8 within 8..{_POOL_SIZE_PX[name]} "
            f"for {name} (the pool scene size), got {batch}, {patch}"
        )
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    if name == "dehaze":
        net: torch.nn.Module = DehazeNet()
        pool = _Pool(rng, count=pool_size, refresh=24, size=_POOL_SIZE_PX[name], dates=2)
    else:
        net = SRNet()
        pool = _Pool(rng, count=pool_size, refresh=48, size=_POOL_SIZE_PX[name], dates=4)
    real: np.ndarray | list[np.ndarray] | None = None
    if real_share > 0 and name == "sr":
        real = sr_data.training_images()
    elif real_share > 0:
        real = fill_nodata(real_scenes.italy_l2a("train").image)
    if init is not None:
        net = load_weights(net, Path(init)).train()
        base_meta = json.loads((Path(init) / "meta.json").read_text())
        history = [*base_meta.get("history", []), _history_entry(base_meta)]
    else:
        history = []
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    averaged = WeightEMA(net, ema) if ema else None
    budget = minutes * 60.0
    start, step, running = time.monotonic(), 0, None
    meta: dict = {}
    while step < max_steps and time.monotonic() - start < budget:
        frac = (time.monotonic() - start) / budget
        warm = min(1.0, (step + 1) / warmup_steps) if warmup_steps else 1.0
        for g in opt.param_groups:  # cosine decay over the time budget
            g["lr"] = warm * lr * (0.05 + 0.95 * 0.5 * (1 + np.cos(np.pi * min(frac, 1.0))))
        if name == "dehaze":
            x, y = _dehaze_batch(pool, rng, batch, patch, thick_share, real, real_share)
            loss = seed_loss(net(x), y, ndvi_weight)
        elif sensor == "random":
            ref, oth, sar_, hi, sig = _sr_batch_random(
                pool, rng, batch, patch, real, real_share, box_share, sr_others
            )
            pred = net(ref, oth, sar_, sig)
            loss = pixel_loss(pred, hi, sr_loss, nir_weight) + 0.1 * ndvi_l1(pred, hi)
        else:
            ref, oth, sar_, hi = _sr_batch(pool, rng, batch, patch, sr_others)
            pred = net(ref, oth, sar_)
            loss = pixel_loss(pred, hi, sr_loss, nir_weight) + 0.1 * ndvi_l1(pred, hi)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        if averaged is not None:
            averaged.update(net)
        step += 1
        value = loss.item()
        running = value if running is None else 0.98 * running + 0.02 * value
        if step % 20 == 0:
            log.info("%s step %d loss %.5f (%.0f s)", name, step, running, time.monotonic() - start)
            if progress:
                progress(step, running)
        kept = bool(keep_every) and step % keep_every == 0
        if step % 100 == 0 or kept or step >= max_steps or time.monotonic() - start >= budget:
            meta = {
                "model": name,
                "steps": step,
                "seed": seed,
                "minutes": round((time.monotonic() - start) / 60, 1),
                "final_loss": round(running, 6),
                "train_seeds": [scenes.TRAIN_SEEDS.start, scenes.TRAIN_SEEDS.stop],
                "train_regions": list(scenes.TRAIN_REGIONS),
                "lr": lr,
            }
            if real_share:
                meta["real_share"] = real_share
            if name == "dehaze":
                meta["ndvi_weight"] = ndvi_weight
                if thick_share:
                    meta["thick_share"] = thick_share
            if (batch, patch) != _DEFAULT_BATCH[name]:
                meta["batch"], meta["patch"] = batch, patch
            if warmup_steps:
                meta["warmup_steps"] = warmup_steps
            if name == "sr" and sensor == "random":
                meta["sensor"], meta["box_share"] = sensor, round(box_share, 3)
            if name == "sr" and sr_loss != "l1":
                meta["sr_loss"] = sr_loss
            if name == "sr" and nir_weight != 1.0:
                meta["nir_weight"] = nir_weight
            if averaged is not None:
                meta["ema"] = ema
            if name == "sr" and sr_others != 3:
                meta["sr_others"] = sr_others
            if history:
                meta["history"] = history  # the runs this one was fine-tuned from
            if averaged is not None:
                save_weights(net, Path(out_dir) / "raw", {**meta, "raw_of_ema": True})
            saved = net if averaged is None else averaged.shadow
            meta = save_weights(saved, out_dir, meta)
            if kept:
                save_weights(saved, Path(out_dir) / f"step_{step}", meta)
    return meta


if __name__ == "__main__":
    import sys

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    which, minutes = sys.argv[1], float(sys.argv[2])
    print(json.dumps(train(which, Path(sys.argv[3]), minutes=minutes, threads=1)))
