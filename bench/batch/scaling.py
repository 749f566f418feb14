"""Benchmark: `paii batch dehaze` on 1, 2, 4, 8 and 16 times the demo area (one raster of
400 x 400 px at 10 m = 16 km2 per unit, cut into 512 px windows), 1 and 2 workers: wall
time and peak memory of the whole process tree (client, fork server, workers), sampled
every 0.1 s as the sum of proportional set sizes: the workers are forked from a server
that imported torch, and the pages they share are counted once, not once a process.

Run: PAII_DATA_DIR=<data with demo/> .venv/bin/python -m bench.batch.scaling [--scales 1 2 4 8 16]
The raster is the demo's first Sentinel-2 L2A scene tiled k times (real DN encoding,
simulated content). Writes bench/out/batch_scaling.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import rasterio

from bench.jsonout import write_json
from paii_core.config import paths

REPO = Path(__file__).resolve().parents[2]
LAYOUT = {1: (1, 1), 2: (1, 2), 4: (2, 2), 8: (2, 4), 16: (4, 4)}


def build_raster(unit: Path, k: int, out: Path) -> Path:
    """The demo scene repeated in a (rows, cols) layout of k copies, same DN encoding."""
    rows, cols = LAYOUT[k]
    with rasterio.open(unit) as src:
        data, profile, tags, desc = src.read(), dict(src.profile), src.tags(), src.descriptions
    _, h, w = data.shape
    profile.update(height=h * rows, width=w * cols)
    with rasterio.open(out, "w", **profile) as dst:
        for r in range(rows):
            for c in range(cols):
                window = rasterio.windows.Window(c * w, r * h, w, h)
                dst.write(data, window=window)
        dst.update_tags(**tags)
        dst.descriptions = desc
    return out


def _pss(proc: psutil.Process) -> int:
    """Proportional set size (shared pages split among their sharers); RSS where the
    system does not give it."""
    try:
        return proc.memory_full_info().pss
    except (AttributeError, psutil.AccessDenied):
        return proc.memory_info().rss


def run(raster: Path, out: Path, workers: int) -> tuple[float, float]:
    """Wall seconds and peak MiB (PSS) of `paii batch` and its workers."""
    cmd = [
        sys.executable,
        "-m",
        "paii_core.cli",
        "batch",
        "dehaze",
        "--inputs",
        str(raster),
        "--out",
        str(out),
        "--workers",
        str(workers),
        "--tile",
        "512",
        "--quiet",
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.DEVNULL)
    root = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            peak = max(peak, sum(_pss(p) for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.1)
    if proc.returncode:
        raise SystemExit(f"paii batch failed ({proc.returncode}) on {raster}")
    return time.perf_counter() - t0, peak / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scales", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--json", type=Path, default=REPO / "bench" / "out" / "batch_scaling.json")
    args = ap.parse_args()
    units = sorted((paths().data / "demo").glob("*/s2/*_L2A.tif"))
    if not units:
        sys.exit(f"no demo L2A file under {paths().data / 'demo'}; run `paii demo build`")
    rows = []
    with tempfile.TemporaryDirectory(prefix="paii_bench_scaling_") as tmp:
        tmp = Path(tmp)
        for k in args.scales:
            raster = build_raster(units[0], k, tmp / f"x{k}.tif")
            with rasterio.open(raster) as src:
                km2 = src.width * src.height * abs(src.res[0] * src.res[1]) / 1e6
                tiles = math.ceil(src.width / 512) * math.ceil(src.height / 512)
            for w in args.workers:
                seconds, mib = run(raster, tmp / f"out_{k}_{w}", w)
                rows.append(
                    {
                        "scale": k,
                        "km2": round(km2, 1),
                        "tiles": tiles,
                        "workers": w,
                        "seconds": round(seconds, 1),
                        "peak_mib": round(mib),
                        "load_avg_1min": round(os.getloadavg()[0], 2),
                    }
                )
                print(rows[-1], flush=True)
                write_json(args.json, {"rows": rows, "partial": True, "cpus": os.cpu_count()})
    load = os.getloadavg()[0]
    result = {
        "rows": rows,
        "load_avg_1min_end": load,
        "cpus": os.cpu_count(),
        "memory": "peak of the summed PSS of the process tree (client, fork server, workers)",
    }
    write_json(args.json, result)
    print("| area (x demo) | km2 | tiles | workers | wall s | peak MiB |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['scale']} | {r['km2']} | {r['tiles']} | {r['workers']} | {r['seconds']} "
            f"| {r['peak_mib']} |"
        )
    # Marginal cost: slope of wall time over area between the two largest runs per worker count
    for w in args.workers:
        pts = [(r["km2"], r["seconds"]) for r in rows if r["workers"] == w]
        if len(pts) >= 2:
            (a0, t0), (a1, t1) = pts[-2], pts[-1]
            print(
                f"workers {w}: {(t1 - t0) / (a1 - a0):.2f} s per km2 marginal, "
                f"{t0 - (t1 - t0) / (a1 - a0) * a0:.1f} s fixed"
            )


if __name__ == "__main__":
    main()
