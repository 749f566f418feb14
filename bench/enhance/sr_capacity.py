"""SR capacity diagnostic (issue 11, eleventh pass): how far can the network's capacity
take the development box gain? The shipped weights are fine-tuned on the DEVELOPMENT
captures' own box-degraded pairs alone (``real_scenes.SR_DEV``, self-supervised as
``sr_data.real_sample``: box sensor only, one date, no simulated samples), so the
development score after it is what these weights can fit on those very images, an upper
bound of what more or better training data could give this architecture there. The
weights it writes are a diagnostic: never shipped, never run on a benchmark.

Run: .venv/bin/python -m bench.enhance.sr_capacity OUT [--minutes 25] [--lr 5e-4]
     [--max-steps 600] [--threads 1], then bench.enhance.sr_dev --sr-dir OUT/step_N,...
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import numpy as np

from paii_core.enhance import real_scenes, sr_data
from paii_core.enhance import train as sr_train
from paii_core.enhance.api import model_dir
from paii_core.enhance.tiling import fill_nodata


def dev_images() -> list[np.ndarray]:
    """The development captures ``(4, H, W)`` as training images (nodata filled)."""
    return [fill_nodata(load().image.astype(np.float32)) for load in real_scenes.SR_DEV.values()]


def overfit(
    out: Path,
    *,
    init: Path | None = None,
    minutes: float = 25.0,
    lr: float = 5e-4,
    max_steps: int = 600,
    threads: int = 1,
    batch: int = 24,
    patch: int = 32,
    keep_every: int = 100,
    pool_size: int = 12,
    seed: int = 61,
) -> dict:
    """Fine-tune ``init`` (default models/sr) on the development captures' box pairs into
    ``out`` (``out/step_N`` every ``keep_every`` steps); returns the run's metadata.
    ``sr_data.training_images`` is swapped for :func:`dev_images` during the run only."""
    original = sr_data.training_images
    sr_data.training_images = dev_images
    try:
        return sr_train.train(
            "sr",
            out,
            minutes=minutes,
            max_steps=max_steps,
            seed=seed,
            threads=threads,
            pool_size=pool_size,
            init=model_dir("sr") if init is None else init,
            lr=lr,
            warmup_steps=10,
            sensor="random",
            real_share=1.0,
            box_share=1.0,
            sr_loss="rmse",
            nir_weight=2.0,
            ema=0.99,
            keep_every=keep_every,
            sr_others=0,
            batch=batch,
            patch=patch,
        )
    finally:
        sr_data.training_images = original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--minutes", type=float, default=25.0)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--max-steps", type=int, default=600)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    meta = overfit(
        args.out, minutes=args.minutes, lr=args.lr, max_steps=args.max_steps, threads=args.threads
    )
    print(json.dumps({k: meta[k] for k in ("steps", "version", "final_loss")}))


if __name__ == "__main__":
    main()
