"""Run a benchmark on a tiny demo world built and prepared for it in a temporary folder.

    .venv/bin/python -m bench.with_world MODULE [ARGS ...]

Builds `paii demo build --size tiny --seed 7 --out DIR`, runs the cropland/parcels and
survey-label-set steps of `paii demo prepare` on it (PAII's own parcel map and a crop map
from simulated survey points; the yield, flood and XCO2 steps are not needed and take
minutes), then runs `python -m MODULE --data DIR ARGS ...` and removes DIR. For benchmarks
that need a prepared world of their own (bench.insurance.harder), so `make bench` never
depends on what the shared data/ folder holds.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

SEED = "7"


def prepare_crops(data: Path) -> None:
    """The crop steps of :func:`paii_core.demo.prepare.prepare_demo`, area by area."""
    from paii_core import store
    from paii_core.demo.prepare import _crop_steps
    from paii_core.store import crops as crop_store

    con = store.connect(data / "paii.duckdb")
    try:
        for aoi_id in crop_store.aois(con)["aoi_id"]:
            for step in _crop_steps(con, data, aoi_id):
                print(f"{step.step}: {step.status} {step.seconds:.1f} s {step.detail}", flush=True)
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0].startswith("-"):
        raise SystemExit(
            "usage: python -m bench.with_world MODULE [ARGS ...] (e.g. bench.insurance.harder)"
        )
    module, rest = args[0], args[1:]
    with tempfile.TemporaryDirectory(prefix="paii_bench_world_") as tmp:
        build = ["demo", "build", "--size", "tiny", "--seed", SEED, "--out", tmp, "--quiet"]
        subprocess.run([sys.executable, "-m", "paii_core.cli", *build], check=True)
        prepare_crops(Path(tmp))
        return subprocess.call([sys.executable, "-m", module, "--data", tmp, *rest])


if __name__ == "__main__":
    raise SystemExit(main())
