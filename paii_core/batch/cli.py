"""`paii batch JOB --inputs FILES|STAC --out DIR`: a job over many rasters on dask."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from pathlib import Path

from paii_core.batch.spec import DEVICES, JOBS

__all__ = ["interrupted_message", "progress_bar", "register"]


def progress_bar(stream=None, width: int = 30, every_s: float = 30.0):
    """Progress on ``stream`` (standard error when None, looked up when the bar is made,
    not when this module was imported): ``progress(done, total, skipped)``.

    On a terminal, one bar redrawn in place. Anywhere else (a log file, a pipe, a job
    scheduler's output), whole lines, one when another 5 % of the tiles are done or
    ``every_s`` seconds have passed, and the last: a bar redrawn with carriage returns
    made one log line of every update."""
    stream = sys.stderr if stream is None else stream
    start = time.perf_counter()
    tty = bool(getattr(stream, "isatty", lambda: False)())
    last = {"done": -1, "t": -float("inf")}

    def report(done: int, total: int, skipped: int) -> None:
        filled = int(width * done / total) if total else width
        elapsed = time.perf_counter() - start
        text = (
            f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} tiles"
            f" ({skipped} already done) {elapsed:6.1f} s"
        )
        if tty:
            print(f"\r{text}", end="\n" if done >= total else "", file=stream, flush=True)
            return
        step = max(1, total // 20)
        if done >= total or done - last["done"] >= step or elapsed - last["t"] >= every_s:
            last.update(done=done, t=elapsed)
            print(text, file=stream, flush=True)

    return report


def _interrupt(verbose: bool):
    """The SIGINT handler of a run: Ctrl-C raises KeyboardInterrupt as Python's own does,
    and first (unless ``verbose``) mutes tornado's callback errors: the client's event
    loop was still fetching the records of tiles done on a worker, and each fetch cut
    off by the closing cluster printed a CommClosedError traceback (about 40 lines)
    above the message saying what was kept."""

    def handler(signum, frame) -> None:
        if not verbose:
            logging.getLogger("tornado.application").setLevel(logging.CRITICAL)
        raise KeyboardInterrupt

    return handler


def interrupted_message(out: Path, seen: dict[str, int]) -> str:
    """What a run stopped by Ctrl-C leaves in ``out`` and how to go on: the tiles the
    manifest records as done (kept, and skipped by a rerun of the same command) against
    ``seen``, the last progress (``done``, ``total``, ``skipped``; empty when the run
    stopped before its tiles were planned)."""
    from paii_core.batch.manifest import MANIFEST_NAME, Manifest

    kept = len(Manifest(out).finished(out)) if out.is_dir() else 0
    total = seen.get("total")
    resume = "rerun the same command (same --out) to resume"
    if total is None:
        where = f"{kept} tiles of an earlier run are kept in {out}" if kept else "no tile had run"
        return f"paii batch: interrupted before its tiles were planned ({where}); {resume}"
    done = seen.get("done", 0)
    if done >= total:
        return (
            f"paii batch: interrupted after all {total} tiles were done, before every mosaic "
            f"was written; {resume}: it computes no tile again and writes the mosaics"
        )
    if not kept:
        return (
            f"paii batch: interrupted after {done} of {total} tiles, before any was "
            f"finished; rerun the same command (same --out) to run them"
        )
    return (
        f"paii batch: interrupted after {done} of {total} tiles; the {kept} tiles done are "
        f"kept in {out} ({MANIFEST_NAME}), a tile cut off mid-way is not. To resume, rerun "
        f"the same command (same --out): it skips the done tiles and computes the other "
        f"{total - min(kept, total)}"
    )


def _run(args: argparse.Namespace) -> int:
    from paii_core.batch.runner import run_batch
    from paii_core.batch.stac import expand_inputs

    if not args.verbose:  # dask logs every worker start; the progress bar says enough
        if "distributed" in sys.modules:
            logging.getLogger("distributed").setLevel(logging.ERROR)
        else:  # read when dask is imported, after the workers' fork server has started
            os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "error")

    counties = None
    if args.counties is not None:
        from paii_core.io import read_boundaries

        counties = read_boundaries(args.counties, id_column=args.county_id)[
            ["county_id", "geometry"]
        ]
    bar = None if args.quiet else progress_bar()
    seen: dict[str, int] = {}

    def progress(done: int, total: int, skipped: int) -> None:
        seen.update(done=done, total=total, skipped=skipped)
        if bar:
            bar(done, total, skipped)

    previous = signal.signal(signal.SIGINT, _interrupt(args.verbose))
    try:
        result = run_batch(
            args.job,
            expand_inputs(args.inputs, stacks=Path(args.out) / "inputs"),
            args.out,
            scheduler=args.scheduler,
            workers=args.workers,
            tile=args.tile,
            threads=args.threads,
            method=args.method,
            level=args.level,
            dem=args.dem,
            pre=expand_inputs(args.pre, stacks=Path(args.out) / "inputs") if args.pre else (),
            device=args.device,
            counties=counties,
            progress=progress,
        )
    except KeyboardInterrupt:
        print(f"\n{interrupted_message(Path(args.out), seen)}", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, previous)
        from paii_core.batch.cluster import stop_fork_server

        stop_fork_server()  # its teardown would hold our output open for ~0.7 s
    print(
        f"{result.out_dir}: {len(result.computed)} tiles computed, {len(result.skipped)} "
        f"already done, {len(result.failed)} failed, {result.seconds:.1f} s "
        f"({result.compute_seconds:.1f} s computing)"
    )
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in result.timings.items())
    print(f"timeline (seconds from the start): {steps}")
    for path in result.mosaics:
        print(f"mosaic {path}")
    if result.totals is not None:
        print(f"county totals {result.totals}")
    for key, error in result.failed.items():
        print(f"failed {key}: {error}", file=sys.stderr)
    return 1 if result.failed else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `paii batch`."""
    p = subparsers.add_parser(
        "batch", help="run a job over many rasters (or one huge raster in windows) on dask"
    )
    p.add_argument("job", choices=JOBS)
    p.add_argument(
        "--inputs",
        nargs="+",
        required=True,
        type=Path,
        help="GeoTIFFs, STAC Item / ItemCollection JSON files with local assets, or "
        "Sentinel-2 products as downloaded (.SAFE folders or their .zip: read in place, a "
        "BGRN stack per granule in OUT/inputs), Landsat 4-9 products (the .tar, folder or "
        "MTL: a reflectance stack in OUT/inputs), Sentinel-1 products (a folder or .zip of "
        "VV/VH GeoTIFFs, e.g. an ASF RTC zip) (cropland/parcels: Sentinel-2 dates; files "
        "on one grid form a season)",
    )
    p.add_argument(
        "--out", required=True, type=Path, help="output folder (tiles, manifest, mosaic)"
    )
    p.add_argument("--scheduler", default=None, help="tcp://HOST:PORT (default: a local cluster)")
    p.add_argument("--workers", type=int, default=2, help="local worker processes (default 2)")
    p.add_argument("--tile", type=int, default=2048, help="window core size in px (default 2048)")
    p.add_argument("--threads", type=int, default=1, help="torch threads per worker (default 1)")
    p.add_argument(
        "--method",
        default="model",
        help="dehaze: model|dcp|path (path: TOA input); sr: model|bicubic",
    )
    p.add_argument("--level", choices=("fine", "coarse"), default="fine", help="parcels level")
    p.add_argument(
        "--device",
        choices=DEVICES,
        default="auto",
        help="dehaze/sr network on cpu or cuda (float16 mixed precision); auto: cuda when "
        "a worker sees a GPU (default)",
    )
    p.add_argument(
        "--pre",
        nargs="+",
        type=Path,
        default=None,
        help="flood: pre-event Sentinel-1 scenes (files or products as --inputs), each paired "
        "with the input on its grid for change detection, as `paii flood --pre`",
    )
    p.add_argument(
        "--dem",
        type=Path,
        default=None,
        help="flood: DEM GeoTIFF in metres, any CRS (optional, as for `paii flood`: without "
        "it no HAND/slope exclusion); SAR inputs may be in degrees, VV-only, linear or dB",
    )
    p.add_argument(
        "--counties",
        type=Path,
        default=None,
        help="county boundaries (GeoJSON/shapefile) for per-county rollups",
    )
    p.add_argument("--county-id", default=None, help="id column of --counties")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    # The process ends as soon as the run returns (paii_core.cli.main): its cluster is
    # closed and its fork server stopped, every output written and closed.
    p.set_defaults(run=_run, exit_at_once=True)
