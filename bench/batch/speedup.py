"""Benchmark: `paii batch dehaze` on 16 demo-size GeoTIFFs, 1 vs 2 workers, against
`paii dehaze` file by file (equality), plus a resume after an interruption.

Run: PAII_DATA_DIR=<data with demo/> .venv/bin/python -m bench.batch.speedup [--files 16]
     [--quick] [--json OUT]
Each run is a fresh `paii batch` process (LocalCluster start included in the wall time),
torch set to 1 thread per worker. Writes bench/out/batch_speedup.json (or OUT).
``--quick`` (as in `make bench`): the 1 vs 2 worker timings only (equality with `paii
dehaze` and the resume are checked by tests/batch). The 1-minute load average is recorded
before and after each run: on a shared machine it says how much of two cores there was.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil
import torch

from bench.jsonout import write_json
from paii_core.batch import run_batch
from paii_core.batch.manifest import Manifest
from paii_core.config import paths
from paii_core.enhance.files import dehaze_geotiff
from paii_core.io import read_geotiff

REPO = Path(__file__).resolve().parents[2]


def demo_inputs(n: int) -> list[Path]:
    files = sorted((paths().data / "demo").glob("*/s2/*_L2A.tif"))
    if len(files) < n:
        sys.exit(f"need {n} demo L2A files under {paths().data / 'demo'}; run `paii demo build`")
    return files[:n]


def timed_batch(
    inputs: list[Path], out: Path, workers: int, extra: list[str] | None = None
) -> tuple[float, float]:
    wall, computing, _ = timed_run(inputs, out, workers, extra)
    return wall, computing


def timed_run(
    inputs: list[Path], out: Path, workers: int, extra: list[str] | None = None
) -> tuple[float, float, dict]:
    """Wall and computing seconds of one fresh `paii batch dehaze` process, and its
    timeline (seconds from the start of run_batch: workers connected, inputs planned,
    last tile back, mosaics written, cluster closed) with the 1-minute load average
    before and after."""
    cmd = [sys.executable, "-m", "paii_core.cli", "batch", "dehaze", "--inputs", *map(str, inputs),
           "--out", str(out), "--workers", str(workers), "--threads", "1", "--quiet",
           *(extra or [])]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    load0 = os.getloadavg()[0]
    t0, epoch0 = time.perf_counter(), time.time()
    # Output to files, not pipes: nothing is read until the process ends.
    with tempfile.TemporaryFile("w+") as out_f, tempfile.TemporaryFile("w+") as err_f:
        proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=out_f, stderr=err_f, text=True)
        cpu = _sample_cpu(proc)
        proc.wait()
        wall = time.perf_counter() - t0
        out_f.seek(0)
        err_f.seek(0)
        stdout, stderr = out_f.read(), err_f.read()
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, cmd, stdout, stderr)
    done = subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)
    computing = float(re.search(r"\(([\d.]+) s computing\)", done.stdout).group(1))
    steps = re.search(r"timeline \(seconds from the start\): (.*)", done.stdout)
    timeline = {
        name: float(sec)
        for name, sec in re.findall(r"(\w+) ([\d.]+) s", steps.group(1) if steps else "")
    }
    timeline.update(load_before=round(load0, 2), load_after=round(os.getloadavg()[0], 2))
    # Seconds a worker spent on each tile (its manifest record): equal with 1 and 2
    # workers when the second worker had a core of its own.
    records = [r for r in Manifest(out).latest().values() if "seconds" in r]
    if records:
        timeline["tile_s_median"] = round(float(np.median([r["seconds"] for r in records])), 3)
        timeline["workers_used"] = len({r.get("pid") for r in records})
    if records and all("cpu_seconds" in r for r in records):
        timeline["cpu"] = cpu_profile(cpu, records, epoch0, proc.pid)
    return wall, computing, timeline


def _sample_cpu(proc: subprocess.Popen, every: float = 0.1) -> dict[int, dict]:
    """CPU seconds (user + sys) of every process of ``proc``'s tree, sampled until it
    ends: per pid, its parent and ``(epoch, cpu)`` samples."""
    root = psutil.Process(proc.pid)
    seen: dict[int, dict] = {}
    while proc.poll() is None:
        try:
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            break
        for q in procs:
            try:
                with q.oneshot():
                    c = q.cpu_times()
                    entry = seen.setdefault(q.pid, {"ppid": q.ppid(), "name": q.name(), "cpu": []})
                    entry["cpu"].append((time.time(), c.user + c.system))
            except psutil.Error:
                pass
        time.sleep(every)
    return seen


def cpu_profile(seen: dict[int, dict], records: list[dict], epoch0: float, root: int) -> dict:
    """Where the CPU seconds of one run went, and what they predict on 2 idle cores.

    CPU time hardly grows when other processes share the cores (wall time does), so on
    a loaded machine these are the figures to trust. ``start``: the seconds before the
    first tile could run, i.e. the fork server's CPU (its imports; the client starts the
    scheduler and plans on the other core meanwhile) plus a worker's CPU before its
    first task and the 0.1 s before the server starts; ``tiles``: the task threads' CPU
    of all tiles; ``tail``: after the last tile, the busiest worker's CPU (mosaics) plus
    the client's. ``predicted_wall_1`` / ``_2``: start + tiles / workers + tail, i.e. with
    a core per worker, perfectly balanced (no memory-bandwidth sharing, no other load)."""

    def at(pid: int, t: float) -> float:
        samples = seen[pid]["cpu"]
        before = [c for e, c in samples if e <= t]
        return before[-1] if before else 0.0

    def total(pid: int) -> float:
        return seen[pid]["cpu"][-1][1]

    workers = {r["pid"] for r in records}
    servers = [p for p, d in seen.items() if d["ppid"] == root and p not in workers
               and any(d["ppid"] == p for d in seen.values())]  # fmt: skip
    server = max((total(p) for p in servers), default=0.0)
    first = {w: min(r["started"] for r in records if r["pid"] == w) for w in workers}
    last = {w: max(r["ended"] for r in records if r["pid"] == w) for w in workers}
    present = [w for w in workers if w in seen]
    worker_start = max((at(w, first[w]) for w in present), default=0.0)
    mosaic = max((total(w) - at(w, last[w]) for w in present), default=0.0)
    client_tail = total(root) - at(root, max(last.values())) if root in seen else 0.0
    tiles = sum(r["cpu_seconds"] for r in records)
    start = 0.1 + server + worker_start
    tail = mosaic + client_tail
    out = {
        "client_s": round(total(root), 2) if root in seen else None,
        "fork_server_s": round(server, 2),
        "workers_s": round(sum(total(w) for w in present), 2),
        "tiles_s": round(tiles, 2),
        "tile_s_median": round(float(np.median([r["cpu_seconds"] for r in records])), 3),
        "start_s": round(start, 2),
        "tail_s": round(tail, 2),
        "mosaic_tail_s": round(mosaic, 2),
        "client_tail_s": round(client_tail, 2),
    }
    for n in (1, 2):
        out[f"predicted_wall_{n}"] = round(start + tiles / n + tail, 2)
    out["predicted_speedup"] = round(out["predicted_wall_1"] / out["predicted_wall_2"], 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--files", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="timings only (no equality, resume)")
    ap.add_argument("--json", type=Path, default=REPO / "bench" / "out" / "batch_speedup.json")
    args = ap.parse_args()
    inputs = demo_inputs(args.files)
    torch.set_num_threads(1)
    load = [os.getloadavg()[0]]
    result: dict = {"files": len(inputs), "size_px": "400x400", "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="paii_bench_batch_") as tmp:
        tmp = Path(tmp)
        if not args.quick:
            t0 = time.perf_counter()
            refs = [dehaze_geotiff(p, tmp / "ref" / f"{i}.tif") for i, p in enumerate(inputs)]
            result["in_process_serial_s"] = round(time.perf_counter() - t0, 1)
        times: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
        timelines: dict[int, list[dict]] = {1: [], 2: []}
        for r in range(args.repeats):
            for w in (1, 2) if r % 2 == 0 else (2, 1):  # alternate: load drifts
                wall, computing, timeline = timed_run(inputs, tmp / f"w{w}_{r}", w)
                times[w].append((wall, computing))
                timelines[w].append(timeline)
                load.append(os.getloadavg()[0])
        if not args.quick:
            result.update(check_equal_and_resume(inputs, refs, tmp / "w2_0"))
    best = {w: min(t for t, _ in v) for w, v in times.items()}
    best_compute = {w: min(c for _, c in v) for w, v in times.items()}
    result.update(
        {
            "workers_1_wall_s": [round(t, 1) for t, _ in times[1]],
            "workers_2_wall_s": [round(t, 1) for t, _ in times[2]],
            "workers_1_computing_s": [round(c, 1) for _, c in times[1]],
            "workers_2_computing_s": [round(c, 1) for _, c in times[2]],
            "speedup_wall": round(best[1] / best[2], 2),
            "speedup_computing": round(best_compute[1] / best_compute[2], 2),
            # Load-robust: the speed-up the runs' CPU seconds predict on 2 idle cores.
            "speedup_cpu_model": _cpu_model_speedup(timelines),
            "load_avg_1min": load[-1],
            "load_avg_1min_runs": [round(v, 2) for v in load],
            "workers_1_timeline": timelines[1],
            "workers_2_timeline": timelines[2],
        }
    )
    write_json(args.json, result)
    print(json.dumps(result, indent=2))


def _cpu_model_speedup(timelines: dict[int, list[dict]]) -> float | None:
    """Median over every run of its CPU profile's predicted 1- over 2-worker wall."""
    got = [t["cpu"]["predicted_speedup"] for runs in timelines.values() for t in runs if "cpu" in t]
    return round(float(np.median(got)), 2) if got else None


def check_equal_and_resume(inputs: list[Path], refs: list[Path], out: Path) -> dict:
    """`--workers 2` output (in ``out``) against `paii dehaze` file by file; then a run
    stopped after 6 tiles and rerun: how many tiles were skipped and how many redone."""
    tmp = out.parent
    worst = 0.0
    for p, ref in zip(inputs, refs, strict=True):
        got = read_geotiff(out / "tiles" / p.stem / "whole.tif").data
        want = read_geotiff(ref).data
        worst = max(worst, float(np.nanmax(np.abs(got - want))))
        assert np.array_equal(np.isnan(got), np.isnan(want))
    seen: list[str] = []

    def stop(_client, record):
        seen.append(record["tile"])
        if len(seen) == 6:
            raise KeyboardInterrupt

    try:
        run_batch("dehaze", inputs, tmp / "resume", workers=2, on_result=stop)
    except KeyboardInterrupt:
        pass
    again = run_batch("dehaze", inputs, tmp / "resume", workers=2)
    return {
        "max_abs_diff_vs_paii_dehaze": worst,
        "resume_skipped": len(again.skipped),
        "resume_recomputed": len(again.computed),
        "interrupted_after": len(seen),
    }


if __name__ == "__main__":
    main()
