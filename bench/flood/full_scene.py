"""`paii flood` on a full IW scene's size: time and peak memory, HAND computed, then cached.

A synthetic scene of the full size (default 25,000 x 17,000 px at 10 m, UTM; VV, VH in dB:
land around -10 / -17 dB, water 10 dB darker where the DEM is in its lowest 5 %, Gaussian
noise of 2 dB) and a synthetic 30 m DEM (``hand_memory.make_dem``: von Karman relief in whole
metres) covering the scene plus the 10 % margin HAND is computed over. Both are written to
disk strip by strip (the SAR as an uncompressed tiled GeoTIFF, 3.4 GB at full size), then
``paii flood --post S1 --dem DEM --hand-cache DIR OUT`` runs twice, each in its own process:
first computing HAND (and caching it), then reading it from the cache. Time and VmHWM (peak
resident memory) of each process are printed, with its CPU time (user + system): on a
shared machine the wall time mostly measures the other jobs. The data are synthetic (no
real scene of this size is at hand); they exercise the same code and the same amount of
work.

Run: ``PYTHONPATH=. .venv/bin/python -m bench.flood.full_scene [--rows R --cols C] [--no-dem]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine

from bench.flood.hand_memory import make_dem

CRS = "EPSG:32650"
PX = 10.0
DEM_PX = 30.0
X0, Y0 = 500_000.0, 3_400_000.0
MARGIN = 0.1


def write_inputs(folder: Path, rows: int, cols: int) -> tuple[Path, Path]:
    """(SAR path, DEM path) of a synthetic scene of ``rows`` x ``cols`` at 10 m."""
    dem_rows = int(np.ceil(rows * PX * (1 + 2 * MARGIN) / DEM_PX)) + 2
    dem_cols = int(np.ceil(cols * PX * (1 + 2 * MARGIN) / DEM_PX)) + 2
    z = make_dem(dem_rows, dem_cols, seed=3)
    dem_t = Affine(
        DEM_PX, 0, X0 - MARGIN * cols * PX - DEM_PX, 0, -DEM_PX, Y0 + MARGIN * rows * PX + DEM_PX
    )
    dem_path = folder / "dem.tif"
    profile = {"driver": "GTiff", "width": dem_cols, "height": dem_rows, "count": 1,
               "dtype": "float32", "crs": CRS, "transform": dem_t, "nodata": np.nan,
               "tiled": True, "blockxsize": 512, "blockysize": 512}  # fmt: skip
    with rasterio.open(dem_path, "w", **profile) as dst:
        dst.write(z, 1)
    low = np.quantile(z[::4, ::4], 0.05)
    sar_path = folder / "s1.tif"
    profile = {"driver": "GTiff", "width": cols, "height": rows, "count": 2, "dtype": "float32",
               "crs": CRS, "transform": Affine(PX, 0, X0, 0, -PX, Y0), "nodata": np.nan,
               "tiled": True, "blockxsize": 512, "blockysize": 512, "BIGTIFF": "YES"}  # fmt: skip
    rng = np.random.default_rng(4)
    col_idx = ((np.arange(cols) + 0.5) * PX + MARGIN * cols * PX + DEM_PX) // DEM_PX
    with rasterio.open(sar_path, "w", **profile) as dst:
        dst.descriptions = ("VV", "VH")
        dst.update_tags(SIGMA0_UNITS="db", DATE="2020-07-10")
        for r0 in range(0, rows, 1024):
            r1 = min(rows, r0 + 1024)
            row_idx = ((np.arange(r0, r1) + 0.5) * PX + MARGIN * rows * PX + DEM_PX) // DEM_PX
            wet = z[row_idx.astype(int)[:, None], col_idx.astype(int)[None, :]] < low
            block = rng.standard_normal((2, r1 - r0, cols), dtype=np.float32) * np.float32(2.0)
            block[0] -= 10.0
            block[1] -= 17.0
            block[:, wet] -= 10.0
            dst.write(block, window=((r0, r1), (0, cols)))
    return sar_path, dem_path


CHILD = (
    "import resource, sys, time; from paii_core.cli import main; t = time.perf_counter(); "
    "rc = main(sys.argv[1:]); took = time.perf_counter() - t; "
    "u = resource.getrusage(resource.RUSAGE_SELF); cpu = u.ru_utime + u.ru_stime; "
    "rss = [int(x.split()[1]) for x in open('/proc/self/status') "
    "if x.startswith('VmHWM')][0] / 1e6; "
    "print(f'TIME {took:.1f} RSS {rss:.2f} CPU {cpu:.1f}'); sys.exit(rc)"
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=17_000)
    ap.add_argument("--cols", type=int, default=25_000)
    ap.add_argument("--no-dem", action="store_true", help="also time a run without the DEM")
    args = ap.parse_args()
    mp = args.rows * args.cols / 1e6
    with tempfile.TemporaryDirectory(prefix="paii_full_scene_", dir="/tmp") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        s1, dem = write_inputs(folder, args.rows, args.cols)
        print(f"inputs {args.rows:,} x {args.cols:,} ({mp:.0f} MP) written in "
              f"{time.perf_counter() - t0:.0f} s", flush=True)  # fmt: skip
        dem_args = ["--dem", str(dem), "--hand-cache", str(folder / "cache")]
        runs = [("30 m DEM, HAND computed", dem_args), ("30 m DEM, HAND cached", dem_args)]
        if args.no_dem:
            runs.append(("without DEM", []))
        for label, extra in runs:
            cmd = [sys.executable, "-c", CHILD, "flood", "--post", str(s1), *extra, "--overwrite",
                   str(folder / "out.tif")]  # fmt: skip
            done = subprocess.run(cmd, capture_output=True, text=True, check=True)
            took, rss, cpu = done.stdout.strip().splitlines()[-1].split()[1::2]
            print(f"paii flood {args.rows:,} x {args.cols:,}, {label}: {float(took):.0f} s "
                  f"= {mp / float(took):.2f} MP/s (CPU time {float(cpu):.0f} s), peak RSS "
                  f"{rss} GB", flush=True)  # fmt: skip
            print("   " + done.stdout.strip().splitlines()[-2][:200], flush=True)


if __name__ == "__main__":
    main()
