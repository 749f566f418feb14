"""Benchmark: `paii sr` on a 4096 x 4096 GeoTIFF: throughput, peak memory and seams.

Run: .venv/bin/python -m bench.enhance.throughput [--size 4096] [--threads 2]
The input is a simulated 10 m capture (held-out seed, Iowa) mirrored out to the size
asked, with a nodata corner. `paii sr` runs as a child process; its peak RSS is the
child's maximum resident set. Seams: a window straddling a tile corner is super-resolved
again as one untiled piece and compared with the tiled output away from its edges.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.windows import Window

from paii_core.enhance import scenes, super_resolve
from paii_core.enhance.api import SR_CORE, estimate_sensor
from paii_core.enhance.sensor import ESTIMATE_WINDOW
from paii_core.io import write_geotiff


def run_paii(
    args: list[str], *, threads: int, code: Path | None = None
) -> tuple[float, float, float]:
    """Run ``paii ARGS`` as a child process (``code``: the repository whose code it runs,
    default the current one); returns its wall seconds, the peak RSS (MB) of this
    process's children so far and their CPU seconds (user + system)."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    if code is not None:
        env["PYTHONPATH"] = str(code)
    start = time.perf_counter()
    cmd = [sys.executable, "-m", "paii_core.cli", *args]
    subprocess.run(cmd, check=True, env=env, cwd=code, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def make_input(path: Path, size: int) -> None:
    sc = scenes.make_scene(scenes.BENCH_SEEDS.start + 99, "iowa", size=256, dates=1)
    reps = -(-size // 256)
    img = np.concatenate([sc.clear[0], sc.clear[0][:, ::-1]], axis=1)
    img = np.concatenate([img, img[:, :, ::-1]], axis=2)
    img = np.tile(img, (1, -(-reps // 2), -(-reps // 2)))[:, :size, :size].copy()
    img[:, :64, :64] = np.nan
    write_geotiff(path, img, crs="EPSG:32615", transform=Affine(10, 0, 440000, 0, -10, 4650000))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.tif", Path(tmp) / "out.tif"
        make_input(src, args.size)
        wall, peak_mb, _ = run_paii(["sr", str(src), str(dst)], threads=args.threads)
        mp = args.size * args.size / 1e6
        # A 160 px window centred on the first interior tile corner (the tiles `paii sr`
        # uses); 48 px on each side are dropped, where the untiled run sees its own edge.
        y0 = x0 = SR_CORE - 80
        with rasterio.open(src) as s:
            lo = s.read(window=Window(x0, y0, 160, 160))
        with rasterio.open(dst) as d:
            tiled = d.read(window=Window(4 * x0, 4 * y0, 640, 640))
            assert d.shape == (4 * args.size, 4 * args.size)
        # The reference uses the raster's sensor model, as every tile of `paii sr` does
        # (a 160 px window alone would estimate its own blur).
        c0 = max((args.size - ESTIMATE_WINDOW) // 2, 0)
        with rasterio.open(src) as s:
            centre = s.read(window=Window(c0, c0, ESTIMATE_WINDOW, ESTIMATE_WINDOW))
        whole = super_resolve(lo, core=512, sensor=estimate_sensor(centre))
        diff = np.abs(tiled - whole)[:, 192:-192, 192:-192]
        mid = diff.shape[1] // 2
        near = np.concatenate(
            [diff[:, mid - 16 : mid + 16].ravel(), diff[:, :, mid - 16 : mid + 16].ravel()]
        )
    print(
        f"size={args.size} input_mp={mp:.1f} wall_s={wall:.0f} mp_per_s={mp / wall:.4g} "
        f"(output {16 * mp / wall:.2f} MP/s) peak_rss_mb={peak_mb:.0f} "
        f"seam_window_max_abs_diff={diff.max():.2e} near_seam_mean={near.mean():.2e} "
        f"elsewhere_mean={diff.mean():.2e}"
    )


if __name__ == "__main__":
    main()
