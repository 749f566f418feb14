"""HAND in bounded memory: the compiled kernels against the array version, time and peak RSS.

Each HAND computation runs in its own process (``--child``) so its peak resident memory
(VmHWM) is its own: the DEM is built once, saved as .npy, and each child loads it and
computes HAND either with the compiled kernels (``terrain.hand``: :mod:`paii_core.flood.lean`)
or with the array version (``terrain.hand(..., drainage=terrain.route(dem))``).

DEMs are synthetic (this bench needs sizes no real DEM here has): relief from a von Karman
random field (the demo generator's ``gaussian_field``, 150 m of relief over 30 km scales,
20 m over 2 km) on a regional tilt, at 30 m, rounded to whole metres as SRTM / Copernicus
30 m DEMs are stored, so wide flats and filled pits occur as in real ones.

Run (the comparison at 2,000 x 2,000 and a full IW scene's 30 m DEM with its margin):
``PYTHONPATH=. .venv/bin/python -m bench.flood.hand_memory --compare 2000 2000 --big 10000 6800``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PX = 30.0


def make_dem(rows: int, cols: int, seed: int = 0) -> np.ndarray:
    """(rows, cols) float32 synthetic 30 m DEM in whole metres."""
    from paii_core.demo.terrain import gaussian_field

    rng = np.random.default_rng(seed)
    z = 150.0 * gaussian_field((rows, cols), PX, rng, outer_m=30_000.0, inner_m=3_000.0)
    z += 20.0 * gaussian_field((rows, cols), PX, rng, outer_m=2_000.0, inner_m=90.0)
    z += (np.arange(rows, dtype=np.float32)[:, None] * np.float32(0.002 * PX)).astype(np.float32)
    return np.round(z + 300.0).astype(np.float32)


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def child(dem_path: Path, mode: str, out_path: Path) -> None:
    from paii_core.flood import terrain

    z = np.load(dem_path)
    start_mb = _peak_rss_mb()
    t0 = time.perf_counter()
    if mode == "lean":
        h = terrain.hand(z, pixel_size_m=PX)
    else:
        h = terrain.hand(z, pixel_size_m=PX, drainage=terrain.route(terrain.fill_voids(z)))
    seconds = time.perf_counter() - t0
    np.save(out_path, h)
    print(json.dumps({"mode": mode, "seconds": seconds, "peak_mb": _peak_rss_mb(),
                      "start_mb": start_mb}))  # fmt: skip


def _run(dem: Path, mode: str, out: Path) -> dict:
    cmd = [sys.executable, "-m", "bench.flood.hand_memory", "--child", str(dem), mode, str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--compare", nargs=2, type=int, metavar=("ROWS", "COLS"))
    ap.add_argument("--big", nargs=2, type=int, metavar=("ROWS", "COLS"))
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(Path(args.child[0]), args.child[1], Path(args.child[2]))
        return
    with tempfile.TemporaryDirectory(prefix="paii_hand_bench_") as tmp:
        tmp_p = Path(tmp)
        if args.compare:
            rows, cols = args.compare
            np.save(tmp_p / "dem.npy", make_dem(rows, cols))
            lean = _run(tmp_p / "dem.npy", "lean", tmp_p / "lean.npy")
            ref = _run(tmp_p / "dem.npy", "array", tmp_p / "array.npy")
            a, b = np.load(tmp_p / "lean.npy"), np.load(tmp_p / "array.npy")
            diff = np.abs(a - b)
            print(f"compare {rows} x {cols} ({rows * cols / 1e6:.1f} MP):")
            for r in (lean, ref):
                print(f"  {r['mode']:5s} {r['seconds']:7.1f} s  peak RSS {r['peak_mb']:7.0f} MB "
                      f"(after loading {r['start_mb']:.0f} MB)")  # fmt: skip
            same = np.array_equal(a, b, equal_nan=True)
            print(f"  identical: {same}; cells differing: {int((diff > 0).sum())}; "
                  f"max |diff| {float(np.nanmax(diff)):.6f} m")  # fmt: skip
        if args.big:
            rows, cols = args.big
            np.save(tmp_p / "big.npy", make_dem(rows, cols, seed=1))
            r = _run(tmp_p / "big.npy", "lean", tmp_p / "big_hand.npy")
            h = np.load(tmp_p / "big_hand.npy", mmap_mode="r")
            print(f"big {rows} x {cols} ({rows * cols / 1e6:.1f} MP), lean: {r['seconds']:.1f} s, "
                  f"peak RSS {r['peak_mb']:.0f} MB (after loading {r['start_mb']:.0f} MB); "
                  f"HAND median {float(np.median(h[::7, ::7])):.1f} m")  # fmt: skip


if __name__ == "__main__":
    main()
