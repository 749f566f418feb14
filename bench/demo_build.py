"""Benchmark: wall time and peak memory of `paii demo build` (full and tiny).

Run: .venv/bin/python -m bench.demo_build [--size full|tiny] [--seed 0]
Writes into a temporary folder, so the project's data/ is left alone.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from paii_core.demo import build_demo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=("full", "tiny"), default="full")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        manifest = build_demo(Path(tmp), size=args.size, seed=args.seed)
        elapsed = time.perf_counter() - start
        size_mb = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file()) / 1e6
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"size={args.size} seed={args.seed} files={len(manifest['files'])} "
        f"wall_s={elapsed:.1f} peak_rss_mb={peak_mb:.0f} on_disk_mb={size_mb:.1f}"
    )


if __name__ == "__main__":
    main()
