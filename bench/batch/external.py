"""Benchmark: one real file, `paii sr` (or dehaze) in one process against `paii batch`
on a scheduler started by hand with two `dask worker` processes, as a data engineer runs
it (`--scheduler tcp://127.0.0.1:PORT`): wall time, CPU seconds, peak memory (summed PSS
of every process involved: the client, or the client + scheduler + both workers and
their nannies, sampled every 0.2 s), and how far the mosaic is from the one-process file
(max abs difference, nodata, grid, pixel size).

Run: .venv/bin/python -m bench.batch.external [--job sr|dehaze] [--tile 256]
Input: data/real/italy_s2_l2a_openeo/S2_L2A_sample.tif (real Sentinel-2 L2A, 935 x 705 px
at 10 m), copied to a temporary folder and tagged BOA_ADD_OFFSET=0 as its PROVENANCE
says (Sentinel Hub delivers harmonised DN; `paii sr` refuses the file untagged and says
so). The workers are fresh processes for each run; everything started is stopped.
Writes bench/out/batch_external.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil
import rasterio

from bench.jsonout import write_json

REPO = Path(__file__).resolve().parents[2]
INPUT = REPO / "data" / "real" / "italy_s2_l2a_openeo" / "S2_L2A_sample.tif"
DASK = Path(sys.executable).with_name("dask")


def _pss(proc: psutil.Process) -> int:
    try:
        return proc.memory_full_info().pss
    except (AttributeError, psutil.AccessDenied):
        return proc.memory_info().rss


def _tree(pids: list[int]) -> list[psutil.Process]:
    procs = []
    for pid in pids:
        try:
            root = psutil.Process(pid)
            procs += [root, *root.children(recursive=True)]
        except psutil.Error:
            continue
    return procs


def _cpu(procs: list[psutil.Process]) -> float:
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            continue
    return total


def _measure(cmd: list[str], watch: list[int], env: dict, log: Path) -> dict:
    """Run ``cmd``: wall s, CPU s of it (and its children) and of the ``watch`` trees
    (scheduler, nannies, workers), peak MiB (summed PSS of all of them)."""
    cpu0, ru0 = _cpu(_tree(watch)), resource.getrusage(resource.RUSAGE_CHILDREN)
    load = [os.getloadavg()[0]]
    t0 = time.perf_counter()
    with log.open("wb") as f:
        proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=f, stderr=subprocess.STDOUT)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, sum(_pss(p) for p in _tree([proc.pid, *watch]) if p.is_running()))
            time.sleep(0.2)
    wall = time.perf_counter() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{log.read_text()[-2000:]}")
    load.append(os.getloadavg()[0])
    return {
        "wall_s": round(wall, 1),
        "client_cpu_s": round(ru.ru_utime + ru.ru_stime - ru0.ru_utime - ru0.ru_stime, 1),
        "workers_cpu_s": round(_cpu(_tree(watch)) - cpu0, 1) if watch else None,
        "peak_mib": round(peak / 2**20),
        "load_avg_1min": [round(x, 2) for x in load],
        "output_tail": log.read_text()[-400:],
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _compare(single: Path, mosaic: Path, source: Path) -> dict:
    with rasterio.open(single) as a, rasterio.open(mosaic) as b, rasterio.open(source) as s:
        x, y = a.read().astype(np.float64), b.read().astype(np.float64)
        nx, ny = np.isnan(x), np.isnan(y)
        d = np.abs(x - y)[~nx & ~ny]
        return {
            "max_abs_diff": float(d.max()),
            "p99_abs_diff": float(np.percentile(d, 99)),
            "share_over_0.01": float((d > 0.01).mean()),
            "nodata_equal": bool((nx == ny).all()),
            "nodata_px": int(nx.any(axis=0).sum()),
            "grid_equal": a.crs == b.crs and a.transform == b.transform and a.shape == b.shape,
            "pixel_m": [s.res[0], b.res[0]],
            "bounds_equal": s.bounds == b.bounds,
        }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--job", choices=("sr", "dehaze"), default="sr")
    ap.add_argument("--tile", type=int, default=256)
    ap.add_argument("--json", type=Path, default=REPO / "bench" / "out" / "batch_external.json")
    args = ap.parse_args()
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    rows = []
    with tempfile.TemporaryDirectory(prefix="paii_bench_external_") as tmp:
        tmp = Path(tmp)
        src = shutil.copy(INPUT, tmp / INPUT.name)
        with rasterio.open(src, "r+") as f:
            f.update_tags(BOA_ADD_OFFSET="0")
        py = [sys.executable, "-m", "paii_core.cli"]
        single = tmp / f"single_{args.job}.tif"
        one = _measure([*py, args.job, str(src), str(single)], [], env, tmp / "single.log")
        rows.append({"run": f"paii {args.job}, one process", **one})
        print(rows[-1], flush=True)
        port = _free_port()
        address = f"tcp://127.0.0.1:{port}"
        started: list[subprocess.Popen] = []
        try:
            started.append(
                subprocess.Popen(
                    [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                     "--no-dashboard"],
                    env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )
            )  # fmt: skip
            for i in (1, 2):
                started.append(
                    subprocess.Popen(
                        [str(DASK), "worker", address, "--nthreads", "1", "--name", f"w{i}",
                         "--no-dashboard", "--local-directory", str(tmp / f"w{i}")],
                        env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                    )
                )  # fmt: skip
            from distributed import Client

            with Client(address, timeout="30s") as c:
                c.wait_for_workers(2, timeout=120)
            out = tmp / "batch"
            cmd = [*py, "batch", args.job, "--inputs", str(src), "--out", str(out),
                   "--tile", str(args.tile), "--scheduler", address, "--quiet"]  # fmt: skip
            two = _measure(cmd, [p.pid for p in started], env, tmp / "batch.log")
        finally:
            for p in reversed(started):
                p.terminate()
            for p in started:
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()
        (mosaic,) = sorted((out / "mosaic").glob("*.tif"))
        rows.append(
            {
                "run": f"paii batch {args.job} --tile {args.tile}, 2 hand-started workers",
                **two,
                "mosaic": mosaic.name,
                **_compare(single, mosaic, Path(src)),
            }
        )
        print(rows[-1], flush=True)
    write_json(args.json, {"rows": rows, "cpus": os.cpu_count(), "input": str(INPUT)})
    print("| run | wall s | client CPU s | workers CPU s | peak MiB | load avg (start, end) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['run']} | {r['wall_s']} | {r['client_cpu_s']} | {r['workers_cpu_s'] or '-'} "
            f"| {r['peak_mib']} | {r['load_avg_1min']} |"
        )


if __name__ == "__main__":
    main()
