"""SR development scores: real captures on their sensors' native grids that no training
and no benchmark uses (``real_scenes.SR_DEV``: Sentinel-2 L1C Brandenburg, Landsat-8 L1
Corumba, Landsat-8 L2 Brumadinho). Weights are CHOSEN here; ``bench.enhance.real`` then
checks the chosen ones once.

Run: .venv/bin/python -m bench.enhance.sr_dev [--sr-dir W1,W2,...] [--json OUT]

Each capture is the truth of its own 4x coarser capture by the benchmark's two sensor
models (box; box + Gaussian 0.5 coarse px); scores as ``bench.enhance.real.sr_rows``: PSNR
gain over bicubic (8 fine px shaved) and the consistency MAE. Weights given as folders
(``models/sr`` when none).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from bench.enhance.real import SENSOR_MODELS, _psnr, _truth
from paii_core.enhance import load_model, real_scenes, super_resolve


def dev_truths() -> dict[str, np.ndarray]:
    """The development captures, cropped to a multiple of 4 px, nodata filled."""
    return {name: _truth(load().image) for name, load in real_scenes.SR_DEV.items()}


def dev_rows(net, truths: dict[str, np.ndarray]) -> list[dict]:
    """One row per capture and sensor model: bicubic and model PSNR, gain, consistency."""
    rows = []
    for name, truth in truths.items():
        for mname, model in SENSOR_MODELS.items():
            lo = model.capture(truth)
            bic = super_resolve(lo, method="bicubic")
            out = super_resolve(lo, net=net)
            row = {"scene": name, "sensor_model": mname, "bicubic": _psnr(bic, truth)}
            row["model"] = _psnr(out, truth)
            row["gain"] = row["model"] - row["bicubic"]
            row["consistency_mae"] = float(np.mean(np.abs(model.capture(out) - lo)))
            rows.append(row)
    return rows


def summary(rows: list[dict]) -> dict[str, float]:
    """Mean gain per sensor model, the box gain per capture and the worst consistency."""
    out = {
        f"{m}_mean": float(np.mean([r["gain"] for r in rows if r["sensor_model"] == m]))
        for m in SENSOR_MODELS
    }
    out.update({f"box_{r['scene']}": r["gain"] for r in rows if r["sensor_model"] == "box"})
    out["max_consistency_mae"] = float(max(r["consistency_mae"] for r in rows))
    return {k: round(v, 4) for k, v in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sr-dir", default=None, help="comma-separated weight folders")
    parser.add_argument("--json", type=Path, default=None, help="also write the report here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    truths = dev_truths()
    report = []
    for wdir in args.sr_dir.split(",") if args.sr_dir else [None]:
        net = load_model("sr", Path(wdir) if wdir else None)
        rows = dev_rows(net, truths)
        entry = {"weights": wdir or "models/sr", "version": net.version, **summary(rows)}
        print(json.dumps(entry), flush=True)
        report.append({**entry, "rows": rows})
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
