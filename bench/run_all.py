"""`make bench`: every capability's benchmark, each in its own process with a time budget,
then one table of current figures at the top of bench/BENCHMARKS.md.

    .venv/bin/python -m bench.run_all                      # everything (under 20 min, 2 cores)
    .venv/bin/python -m bench.run_all --only enhance,flood # some benchmarks (names: --list)
    .venv/bin/python -m bench.run_all --quick              # smaller runs, for development
    .venv/bin/python -m bench.run_all --fuzz-minutes 2     # a shorter reader fuzz

Each benchmark writes its figures with ``--json bench/out/NAME.figures.json``; this runner
wraps them in ``bench/out/NAME.run.json`` with the command, its exit status, its wall time,
its CPU time (user + system of its process and the children it waited for, from wait4,
plus its orphaned descendants', which this runner reaps as their subreaper: dask's worker
processes are such orphans), the load average before and after, what ran alongside, and
the tail of its standard error; at the end it prints every benchmark's wall and CPU
seconds. A benchmark that fails, runs past its budget or is missing gives a row saying
so, never an older figure. Phase 1: the reader fuzz (one core) runs beside the quality
benchmarks (scores, not speeds); phase 2: the timing benchmarks (flood and carbon speed,
batch speed-up and scaling, page latency) run one at a time with nothing else of ours
running. The table's first row is the whole run's wall time (and each phase's) against
the 20 minutes. ``--only`` rewrites the rows of the benchmarks it ran and keeps the others.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.registry import BENCHES, Bench, cpu_s, failure_row, rows_for
from bench.table import TOTAL, Row, render_rows, rewrite_table
from paii_core.config import paths

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
TABLE = REPO / "bench" / "BENCHMARKS.md"
TAIL_CHARS = 4000


def command(bench: Bench, *, quick: bool, fuzz_minutes: float, json_path: Path) -> list[str]:
    data = str(paths().data)
    args = [a.replace("{data}", data) for a in (bench.quick_args if quick else bench.args)]
    if bench.name == "fuzz":
        args += ["--minutes", f"{fuzz_minutes:g}"]
    return [sys.executable, "-m", bench.module, *args, "--json", str(json_path)]


def shown(cmd: list[str]) -> str:
    """The command as a user types it from the repository root."""
    rest = [str(Path(a).relative_to(REPO)) if a.startswith(str(REPO)) else a for a in cmd[1:]]
    return " ".join([".venv/bin/python", *rest])


def _tail(text: str) -> str:
    return text[-TAIL_CHARS:]


def _read_tail(path: Path) -> str:
    """The end of what a benchmark printed (how far it got, when it ran out of time)."""
    return _tail(path.read_text(errors="replace")) if path.exists() else ""


def start(bench: Bench, cmd: list[str], log: Path) -> subprocess.Popen:
    """The benchmark in a new process group (so a timeout stops its children too)."""
    extra = os.environ.get("PYTHONPATH")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), *([extra] if extra else [])])}
    with log.open("w") as err, log.with_suffix(".out").open("w") as out:
        return subprocess.Popen(
            cmd, cwd=REPO, env=env, stdout=out, stderr=err, start_new_session=True
        )


def finish(bench: Bench, proc: subprocess.Popen, cmd: list[str], info: dict, budget: float):
    """Wait for ``proc`` (killing its process group past ``budget`` s from its start) and
    write ``bench/out/NAME.run.json``; returns that record."""
    code, usage, t_end = wait_usage(proc, info["t0"] + budget)
    orphans = ORPHAN_CPU[0] - info.get("orphan_cpu0", ORPHAN_CPU[0])
    status = "ok" if code == 0 else "failed"
    if code is None:
        status = "timeout"
    log = info["log"]
    record = {
        "name": bench.name,
        "capability": bench.capability,
        "command": shown(cmd),
        "status": status,
        "quick": info["quick"],
        "returncode": code,
        "budget_s": budget,
        "seconds": round(t_end - info["t0"], 1),
        "started_utc": info["started"],
        "load_avg_start": info["load"],
        "load_avg_end": round(os.getloadavg()[0], 2),
        "load_avg_end_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "cpu_user_s": round(usage.ru_utime, 1) if usage else None,
        "cpu_sys_s": round(usage.ru_stime, 1) if usage else None,
        "cpu_orphans_s": round(orphans, 1),
        "peak_rss_mib": round(usage.ru_maxrss / 1024) if usage else None,
        "beside": info.get("beside", []),
        "phase": bench.phase,
        "stderr_tail": _tail(log.read_text(errors="replace")) if log.exists() else "",
        "stdout_tail": _read_tail(log.with_suffix(".out")),
        "figures": None,
    }
    figures = info["json"]
    if status == "ok":
        try:
            record["figures"] = json.loads(figures.read_text())
        except (OSError, ValueError) as e:
            record["status"] = "failed"
            record["stderr_tail"] += f"\n[run_all] no figures in {figures.name}: {e}"
    elif status == "timeout" and figures.exists():
        # A benchmark that writes its JSON as it goes (batch scaling) leaves the rows it
        # finished: shown as partial, with the timeout beside them.
        try:
            partial = json.loads(figures.read_text())
        except ValueError:
            partial = None
        if isinstance(partial, dict) and partial.get("partial"):
            record["figures"] = partial
    (OUT / f"{bench.name}.run.json").write_text(json.dumps(record, indent=1))
    log.unlink(missing_ok=True)
    log.with_suffix(".out").unlink(missing_ok=True)
    return record


_REAPED: dict[int, tuple[int, object, float]] = {}
"""Exit code, resource usage and ``time.perf_counter()`` at its end of each benchmark
process reaped so far, by pid (a process is reaped once: ``Popen.poll`` would lose them)."""
_TRACKED: set[int] = set()
"""The pids of the benchmark processes started (everything else reaped is an orphan)."""
ORPHAN_CPU = [0.0]
"""CPU seconds of orphaned descendants reaped so far: processes whose parent exited
without waiting for them (dask's worker servers, daemons) are re-parented to this runner
as their subreaper, so their CPU is counted (it is lost to the benchmark's wait4)."""
_WATCHED: list[subprocess.Popen] = []
"""The background benchmarks running (reaped while the others are waited for)."""


def subreaper(on: bool = True) -> bool:
    """Make this process the reaper of its orphaned descendants, or stop (Linux
    PR_SET_CHILD_SUBREAPER); whether that worked."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, int(on), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _reap() -> None:
    """Reap every child that has ended: a benchmark's record goes to ``_REAPED`` (and
    what is left of its process group is killed), an orphan's CPU to ``ORPHAN_CPU``."""
    while True:
        try:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid not in _TRACKED:
            ORPHAN_CPU[0] += usage.ru_utime + usage.ru_stime
            continue
        _REAPED[pid] = (os.waitstatus_to_exitcode(status), usage, time.perf_counter())
        with contextlib.suppress(ProcessLookupError):  # nothing of it may outlive it
            os.killpg(pid, signal.SIGKILL)


def ended(proc: subprocess.Popen) -> bool:
    """Whether ``proc`` (a benchmark) has ended; reaps what has ended (:func:`_reap`)."""
    _TRACKED.add(proc.pid)
    if proc.pid not in _REAPED:
        _reap()
    if proc.pid in _REAPED:
        proc.returncode = _REAPED[proc.pid][0]
        return True
    return False


def _drain(seconds: float = 1.0) -> None:
    """Reap for ``seconds`` what a benchmark's end (and its group's kill) left ending."""
    stop = time.perf_counter() + seconds
    while time.perf_counter() < stop:
        _reap()
        time.sleep(0.05)


def wait_usage(proc: subprocess.Popen, deadline: float):
    """Wait for ``proc`` until ``deadline`` (a ``time.perf_counter()`` value), killing its
    process group past it. Returns ``(exit code or None on timeout, resource usage, end
    time)``: the usage (``os.wait4``) is the child's own CPU plus that of every descendant
    it waited for, so a benchmark's worker processes count too."""
    while not ended(proc):
        for other in _WATCHED:  # a background benchmark's end is timed as it happens
            ended(other)
        if time.perf_counter() >= deadline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            while not ended(proc):
                time.sleep(0.05)
            _drain()
            return None, *_REAPED[proc.pid][1:]
        time.sleep(0.2)
    _drain()
    return _REAPED[proc.pid]


def missing(bench: Bench, cmd: list[str], quick: bool) -> dict:
    record = {
        "name": bench.name,
        "capability": bench.capability,
        "command": shown(cmd),
        "status": "missing",
        "quick": quick,
        "started_utc": _now(),
        "stderr_tail": f"module {bench.module} not found",
        "figures": None,
    }
    (OUT / f"{bench.name}.run.json").write_text(json.dumps(record, indent=1))
    return record


def _exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # its package is missing too
        return False


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def launch(bench: Bench, *, quick: bool, fuzz_minutes: float):
    figures = OUT / f"{bench.name}.figures.json"
    figures.unlink(missing_ok=True)
    cmd = command(bench, quick=quick, fuzz_minutes=fuzz_minutes, json_path=figures)
    if not _exists(bench.module):
        return None, cmd, missing(bench, cmd, quick)
    info = {
        "t0": time.perf_counter(),
        "orphan_cpu0": ORPHAN_CPU[0],
        "started": _now(),
        "load": round(os.getloadavg()[0], 2),
        "log": OUT / f"{bench.name}.stderr",
        "json": figures,
        "quick": quick,
    }
    print(f"[run_all] {bench.name}: {shown(cmd)} (budget {budget_of(bench, fuzz_minutes):.0f} s)")
    return start(bench, cmd, info["log"]), cmd, info


def budget_of(bench: Bench, fuzz_minutes: float) -> float:
    if bench.name == "fuzz":  # the fuzz stops itself; leave room for its last case + seeds
        return fuzz_minutes * 60 + bench.budget_s
    return bench.budget_s


PHASES = ("background", "sequential", "alone")
PHASE_S: dict[str, float] = {}
"""Wall seconds of the last run's two phases (fuzz beside the quality benchmarks; the
timing benchmarks alone)."""


def run(benches: list[Bench], *, quick: bool, fuzz_minutes: float) -> list[dict]:
    """Run ``benches``: background ones (the fuzz) beside the sequential ones, then the
    timing ones alone. Returns their records in ``benches`` order."""
    OUT.mkdir(parents=True, exist_ok=True)
    subreaper()
    records: dict[str, dict] = {}
    t0 = time.perf_counter()
    n = {ph: [b.name for b in benches if b.phase == ph] for ph in PHASES}
    if n["background"] or n["sequential"]:
        print(f"[run_all] phase 1: {', '.join(n['background']) or 'no fuzz'} beside "
              f"{', '.join(n['sequential']) or 'nothing'}", flush=True)  # fmt: skip
    if n["alone"]:
        print(f"[run_all] phase 2, one at a time with nothing alongside: "
              f"{', '.join(n['alone'])}", flush=True)  # fmt: skip

    background: list[tuple] = []

    def running() -> list[str]:
        return [b.name for b, proc, _, _ in background if not ended(proc)]

    def one(bench: Bench) -> None:
        proc, cmd, info = launch(bench, quick=quick, fuzz_minutes=fuzz_minutes)
        if proc is not None:
            info["beside"] = running()
            info = finish(bench, proc, cmd, info, budget_of(bench, fuzz_minutes))
            still = running()
            info["beside"] = [n if n in still else f"{n} (part of the time)" for n in
                              info["beside"]]  # fmt: skip
            (OUT / f"{bench.name}.run.json").write_text(json.dumps(info, indent=1))
        records[bench.name] = info
        print(f"[run_all] {bench.name}: {info['status']}, {_usage_text(info)}", flush=True)

    for bench in (b for b in benches if b.phase == "background"):
        proc, cmd, info = launch(bench, quick=quick, fuzz_minutes=fuzz_minutes)
        if proc is None:
            records[bench.name] = info
        else:
            background.append((bench, proc, cmd, info))
            _WATCHED.append(proc)
    for bench in (b for b in benches if b.phase == "sequential"):
        one(bench)
    for bench, proc, cmd, info in background:
        records[bench.name] = finish(bench, proc, cmd, info, budget_of(bench, fuzz_minutes))
        print(f"[run_all] {bench.name}: {records[bench.name]['status']}, "
              f"{_usage_text(records[bench.name])}", flush=True)  # fmt: skip
    _WATCHED.clear()
    PHASE_S["fuzz + quality"] = round(time.perf_counter() - t0, 1)
    t1 = time.perf_counter()
    for bench in (b for b in benches if b.phase == "alone"):
        one(bench)
    PHASE_S["timing, alone"] = round(time.perf_counter() - t1, 1)
    subreaper(False)
    _drain(0.2)
    return [records[b.name] for b in benches]


def _usage_text(rec: dict) -> str:
    """``wall 95 s, CPU 150 s (user 140 + sys 10), load 1.2-2.3``, from a run record."""
    if rec.get("seconds") is None:
        return "not run"
    cpu = ""
    if rec.get("cpu_user_s") is not None:
        u, s, o = rec["cpu_user_s"], rec["cpu_sys_s"], rec.get("cpu_orphans_s") or 0
        cpu = f", CPU {cpu_s(rec):.0f} s (user {u:.0f} + sys {s:.0f} + orphans {o:.0f})"
    return (f"wall {rec['seconds']:.0f} s{cpu}, load {rec.get('load_avg_start', '?')}-"
            f"{rec.get('load_avg_end', '?')}")  # fmt: skip


def summary(records: list[dict], took: float) -> str:
    """The per-benchmark wall and CPU times as a plain-text table, and the whole run's."""
    lines = [f"{'benchmark':16s} {'status':8s} {'wall s':>7s} {'CPU s':>7s} {'load':>11s}  beside"]
    for r in records:
        cpu = cpu_s(r)
        load = f"{r.get('load_avg_start', '?')}-{r.get('load_avg_end', '?')}"
        lines.append(f"{r['name']:16s} {r['status']:8s} {r.get('seconds') or 0:7.0f} {cpu:7.0f} "
                     f"{load:>11s}  {', '.join(r.get('beside') or []) or '-'}")  # fmt: skip
    cpu = sum(cpu_s(r) for r in records)
    lines.append(f"{'total':16s} {'':8s} {took:7.0f} {cpu:7.0f} load now "
                 f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
    return "\n".join(lines)


def table_rows(records: list[dict], benches: list[Bench]) -> dict[str, list[str]]:
    """Rendered table rows per benchmark name, from the records of this run."""
    by_name = {b.name: b for b in benches}
    out: dict[str, list[str]] = {}
    for rec in records:
        bench = by_name[rec["name"]]
        ok = rec["status"] == "ok" or rec.get("figures") is not None
        rows = rows_for(bench, rec) if ok else [failure_row(bench, rec)]
        out.setdefault(bench.name, []).extend(render_rows(rows))
    return out


def total_row(records: list[dict], took: float, started: str, load0: float, args, fuzz_min: float):
    """The whole run's row: its wall time against the 20-minute target (judged only for a
    full run: every benchmark, not --quick, the 10-minute fuzz), and the CPU it used."""
    cpu = sum(cpu_s(r) for r in records)
    full = not args.quick and fuzz_min >= 10
    alone = [r["name"] for r in records if r.get("phase") == "alone"]
    return Row(
        "make bench",
        f"whole run, {len(records)} benchmarks (the timing rows {', '.join(alone)} ran with "
        "nothing else of make bench alongside; the quality rows beside the reader fuzz): wall "
        "min; CPU min (user+sys of every benchmark's processes, orphans included); wall of "
        "each phase",
        f"{took / 60:.1f} min; CPU {cpu / 60:.1f} min"
        + "".join(f"; {k} {v / 60:.1f} min" for k, v in PHASE_S.items()),
        "",
        "< 20 min on 2 cores",
        took < 20 * 60 if full else None,
        f"{started}, load {load0}-{round(os.getloadavg()[0], 2)}"
        + ("" if full else ", quick or short-fuzz run: not judged"),
        f".venv/bin/python -m bench.run_all --fuzz-minutes {fuzz_min:g}"
        + (" --quick" if args.quick else ""),
    )


def _load(bench: Bench) -> dict:
    path = OUT / f"{bench.name}.run.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise SystemExit(
            f"--table-only: {path} is missing or unreadable ({e}); run the benchmark first "
            f"(--only {bench.name})"
        ) from None


BYTECODE_CHECKED = ("torch", "distributed", "pandas")
"""Libraries whose import is seconds of CPU when compiled from source."""


def uncompiled(modules: tuple[str, ...] = BYTECODE_CHECKED) -> list[str]:
    """Those of ``modules`` that every process would compile from source: no bytecode
    beside them (or under PYTHONPYCACHEPREFIX) while PYTHONDONTWRITEBYTECODE keeps Python
    from writing it. On the shared machine that added 4-6 s of CPU to each `paii batch`
    run's start and 6-8 s to each dashboard start (BENCHMARKS, "Bytecode, once")."""
    if not sys.dont_write_bytecode:
        return []
    missing = []
    for name in modules:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.cached and not Path(spec.cached).exists():
            missing.append(name)
    return missing


def select(only: str | None) -> list[Bench]:
    if not only:
        return list(BENCHES)
    names = [n.strip() for n in only.split(",") if n.strip()]
    known = {b.name for b in BENCHES}
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise SystemExit(
            f"--only {only!r}: unknown benchmark(s) {', '.join(unknown) or '(none given)'}; "
            f"use names from: {', '.join(sorted(known))}"
        )
    return [b for b in BENCHES if b.name in names]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", help="comma-separated benchmark names (see --list)")
    ap.add_argument("--quick", action="store_true", help="smaller runs, for development")
    ap.add_argument("--fuzz-minutes", type=float, default=None, help="default 10 (quick: 1)")
    ap.add_argument("--table", type=Path, default=TABLE, help="Markdown file with the markers")
    ap.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    ap.add_argument(
        "--table-only",
        action="store_true",
        help="run nothing: rebuild the table from the records in bench/out/NAME.run.json",
    )
    args = ap.parse_args(argv)
    if args.list:
        for b in BENCHES:
            print(f"{b.name:12s} {b.capability}: python -m {b.module} ({b.phase}, {b.budget_s} s)")
        return 0
    if args.fuzz_minutes is not None and args.fuzz_minutes <= 0:
        raise SystemExit(f"--fuzz-minutes {args.fuzz_minutes:g} should be more than 0")
    fuzz_minutes = args.fuzz_minutes or (1.0 if args.quick else 10.0)
    benches = select(args.only)
    if not args.table_only and (raw := uncompiled()):
        print(f"[run_all] warning: {', '.join(raw)} have no bytecode and "
              f"PYTHONDONTWRITEBYTECODE is set, so every benchmark process compiles them "
              f"from source (seconds of CPU in each timing); run `make .venv/.compiled` "
              f"first, or `make bench`", flush=True)  # fmt: skip
    t0 = time.perf_counter()
    started, load0 = _now(), round(os.getloadavg()[0], 2)
    if args.table_only:
        records = [_load(b) for b in benches]
    else:
        records = run(benches, quick=args.quick, fuzz_minutes=fuzz_minutes)
    took = time.perf_counter() - t0
    rows = table_rows(records, benches)
    whole = not args.only and not args.table_only
    if whole:
        rows[TOTAL] = render_rows([total_row(records, took, started, load0, args, fuzz_minutes)])
    rewrite_table(args.table, rows, [TOTAL, *(b.name for b in BENCHES)])
    if not args.table_only:
        print(summary(records, took))
    bad = [r["name"] for r in records if r["status"] != "ok"]
    print(f"[run_all] {len(records)} benchmarks in {took / 60:.1f} min; table in {args.table}")
    if bad:
        print(f"[run_all] not measured: {', '.join(bad)} (see bench/out/NAME.run.json)")
    return 1 if any(r["status"] in ("failed", "timeout") for r in records) else 0


if __name__ == "__main__":
    raise SystemExit(main())
