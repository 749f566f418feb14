"""Benchmark: `paii dehaze` on a 4096 x 4096 GeoTIFF: throughput and peak memory.

Run: .venv/bin/python -m bench.enhance.dehaze_throughput [--size 4096] [--threads 2]
     [--code DIR] [--level TOA]
The input is bench.enhance.throughput's simulated 10 m capture (held-out seed, Iowa,
mirrored out to the size asked, with a nodata corner) under simulated haze (tau550 0.8,
a held-out seed), so the network and the thick-haze flags both work. `paii dehaze` runs
as a child process (``--code``: the repository whose code it runs, default this one, so
an older commit checked out elsewhere is measured by the same command); its peak RSS is
the child's maximum resident set, and its CPU time (user + system) is printed beside
the wall time, which on a shared machine says more about the load than the code. Also
printed: the share of pixels flagged THICK_HAZE and that the nodata corner stayed NaN.
``--level TOA``: the capture gets a clear-sky TOA path (:data:`TOA_PATH`) on top and
`paii dehaze --level TOA` runs, which since 2026-12-06 is the per-band path inversion
(paii_core.enhance.haze_path), not the network.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine

from bench.enhance.throughput import make_input, run_paii
from paii_core.enhance import scenes
from paii_core.io import read_geotiff, write_geotiff

REPO = Path(__file__).resolve().parents[2]
TOA_PATH = np.array([0.06, 0.035, 0.02, 0.007], np.float32)
"""Clear-sky path reflectance of B, G, R, NIR added for ``--level TOA`` (about what real
Slovenian L1C shows above L2A)."""


def make_hazy_input(path: Path, size: int, toa: bool = False) -> None:
    """The throughput capture under simulated haze of mean tau550 0.8 (with ``toa``, on
    top of a clear-sky TOA path)."""
    make_input(path, size)
    clear = read_geotiff(path, expected_bands=4).data
    if toa:
        clear += TOA_PATH[:, None, None]
    rng = np.random.default_rng(scenes.BENCH_SEEDS.start + 98)
    hazy, _ = scenes.hazy_version(clear, rng, mean_tau=0.8)
    write_geotiff(path, hazy, crs="EPSG:32615", transform=Affine(10, 0, 440000, 0, -10, 4650000))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--code", type=Path, default=REPO, help="repository to run")
    parser.add_argument("--level", choices=("auto", "TOA"), default="auto")
    args = parser.parse_args()
    code = args.code.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.tif", Path(tmp) / "out.tif"
        make_hazy_input(src, args.size, toa=args.level == "TOA")
        wall, peak_mb, cpu_s = run_paii(
            ["dehaze", str(src), str(dst), "--level", args.level],
            threads=args.threads,
            code=code,
        )
        with rasterio.open(dst) as d:
            count = d.count
            corner = d.read(1, window=((0, 64), (0, 64)))
            flags = d.read(count) if count == 5 else None
    mp = args.size * args.size / 1e6
    flagged = float(np.nanmean(flags)) if flags is not None else float("nan")
    print(
        f"size={args.size} level={args.level} code={code} input_mp={mp:.1f} wall_s={wall:.0f} "
        f"mp_per_s={mp / wall:.4g} child_cpu_s={cpu_s:.0f} peak_rss_mb={peak_mb:.0f} bands={count} "
        f"thick_haze_share={flagged:.4f} nodata_corner_nan={bool(np.isnan(corner).all())}"
    )


if __name__ == "__main__":
    main()
