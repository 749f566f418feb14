"""Benchmark: `paii batch dehaze` on CUDA (float16 autocast) against the CPU, when a GPU is
there; otherwise a record saying that none was (so the table says "not measured").

Run: PAII_DATA_DIR=<data with demo/> .venv/bin/python -m bench.batch.gpu [--files 16] [--json OUT]
Both runs are fresh `paii batch` processes: `--device cuda --workers 1` (one process owns
the GPU) and `--device cpu --workers 2`; the outputs are compared pixel by pixel (float16
inference differs from float32 by up to ~1e-3 in reflectance).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from bench.batch.speedup import REPO, demo_inputs, timed_batch
from bench.jsonout import write_json
from paii_core.batch.manifest import Manifest
from paii_core.io import read_geotiff


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=16)
    ap.add_argument("--json", type=Path, default=REPO / "bench" / "out" / "batch_gpu.json")
    args = ap.parse_args()
    import torch

    if not torch.cuda.is_available():
        write_json(args.json, {"cuda": False, "torch": torch.__version__})
        print("no CUDA GPU visible: nothing measured")
        return
    import tempfile

    inputs = demo_inputs(args.files)
    with tempfile.TemporaryDirectory(prefix="paii_bench_gpu_") as tmp:
        tmp = Path(tmp)
        gpu_s, _ = timed_batch(inputs, tmp / "gpu", 1, ["--device", "cuda"])
        cpu_s, _ = timed_batch(inputs, tmp / "cpu", 2, ["--device", "cpu"])
        # The workers name the device each tile ran on: the GPU run must not have fallen
        # back to the CPU unnoticed.
        devices = {r.get("device") for r in Manifest(tmp / "gpu").latest().values()}
        if devices != {"cuda"}:
            raise SystemExit(f"--device cuda tiles ran on {sorted(map(str, devices))}")
        worst = 0.0
        for p in inputs:
            a = read_geotiff(tmp / "gpu" / "tiles" / p.stem / "whole.tif").data
            b = read_geotiff(tmp / "cpu" / "tiles" / p.stem / "whole.tif").data
            worst = max(worst, float(np.nanmax(np.abs(a[:4] - b[:4]))))
    result = {
        "cuda": True,
        "device": torch.cuda.get_device_name(0),
        "files": len(inputs),
        "gpu_wall_s": round(gpu_s, 1),
        "cpu_2_workers_wall_s": round(cpu_s, 1),
        "speedup": round(cpu_s / gpu_s, 2),
        "max_abs_diff_vs_cpu": worst,
        "load_avg_1min": os.getloadavg()[0],
    }
    write_json(args.json, result)
    print(result)


if __name__ == "__main__":
    main()
