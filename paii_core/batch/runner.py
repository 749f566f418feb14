"""`paii batch`: many rasters, or one huge raster in windows, on dask.distributed.

The client plans tiles, skips those the manifest records as done for the same input
hash and model version, submits the rest to a scheduler (a LocalCluster of worker
processes by default, or any scheduler by address), records each outcome as it
arrives, and finally builds the COG mosaics and county totals. Workers write tiles
atomically; a worker killed mid-tile loses only that tile's work: the scheduler reruns
it elsewhere (its nanny restarts the process), and no partial file is ever renamed into
place. Outputs must be on a file system every worker and the client can reach.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from paii_core.batch.jobs import HALO, JOBS, JobOptions, device_for, run_tile
from paii_core.batch.manifest import Manifest
from paii_core.batch.mosaic import build_mosaics
from paii_core.batch.rollup import county_totals
from paii_core.batch.tiles import (
    Tile,
    check_inputs,
    file_hash,
    plan_tiles,
    series_groups,
    single_scenes,
)
from paii_core.errors import ValidationError

__all__ = ["BatchResult", "model_version", "plan", "run_batch"]

Progress = Callable[[int, int, int], None]
"""``progress(done, total, skipped)`` after each tile."""


@dataclass
class BatchResult:
    out_dir: Path
    total: int
    computed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    mosaics: list[Path] = field(default_factory=list)
    totals: Path | None = None
    seconds: float = 0.0
    compute_seconds: float = 0.0
    """From the first tile submitted to the last result (no cluster start, no mosaic)."""


def model_version(job: str, method: str = "model") -> str:
    """Version of what computes ``job``: the weights' hash for the networks, the model
    files' hash for the LightGBM crop models, the engine version for flood mapping."""
    from paii_core.config import paths

    if job in ("dehaze", "sr"):
        if method != "model":
            return f"{method}-{_code_version('enhance')}"
        from paii_core.enhance.api import model_dir
        from paii_core.enhance.weights import model_version as weights_version

        return weights_version(model_dir(job))
    if job in ("cropland", "parcels"):
        folders = ["cropland"] + (["parcels"] if job == "parcels" else [])
        h = hashlib.sha256()
        for name in folders:
            for f in sorted((paths().models / name).glob("*.txt")):
                h.update(f.read_bytes())
        return h.hexdigest()[:12]
    return f"flood-{_code_version('flood')}"


def _code_version(package: str) -> str:
    """Hash of a classical method's source: a code change reruns its tiles."""
    h = hashlib.sha256()
    for f in sorted((Path(__file__).parent.parent / package).glob("*.py")):
        h.update(f.read_bytes())
    return h.hexdigest()[:12]


def plan(job: str, inputs: Sequence[str | Path], *, tile: int, options: dict) -> list[Tile]:
    """The tiles of a run (see :func:`paii_core.batch.tiles.plan_tiles`)."""
    if job not in JOBS:
        raise ValidationError(f"job {job!r} is unknown; use one of {', '.join(JOBS)}")
    paths = check_inputs(inputs)
    if job in ("cropland", "parcels"):
        paths = [p for p in paths if not p.stem.endswith("_SCL")]  # cloud masks, not dates
        scenes = series_groups(paths)
    else:
        scenes = single_scenes(paths)
    hashes = {str(p): file_hash(p) for p in paths}
    extra = [options.get("dem")] if job == "flood" else []
    if extra and extra[0]:
        hashes[str(extra[0])] = file_hash(extra[0])
        options = {**options, "dem_hash": hashes[str(extra[0])]}
    salt = json.dumps({"job": job, **options}, sort_keys=True, default=str)
    return plan_tiles(scenes, tile=tile, halo=HALO[job], salt=salt, hashes=hashes)


def _check_options(job: str, method: str, dem: str | Path | None) -> None:
    if job not in JOBS:
        raise ValidationError(f"job {job!r} is unknown; use one of {', '.join(JOBS)}")
    if job in ("dehaze", "sr"):
        from paii_core.enhance.api import DEHAZE_METHODS, SR_METHODS

        known = DEHAZE_METHODS if job == "dehaze" else SR_METHODS
        if method not in known:
            raise ValidationError(
                f"--method {method!r} is unknown for {job}; use one of {', '.join(known)}"
            )
    if job == "flood" and dem is None:
        raise ValidationError("paii batch flood needs --dem DEM.tif (elevation in metres)")


CONNECT_TIMEOUT = "10s"


def _client(scheduler: str | None, workers: int, threads: int):
    import dask
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            return Client(scheduler, timeout=CONNECT_TIMEOUT), None
        except OSError as e:
            raise ValidationError(
                f"--scheduler {scheduler}: cannot reach it ({e}); start one with "
                "`dask scheduler` and pass its tcp://HOST:PORT, or leave --scheduler out"
            ) from None
    env = {k: str(threads) for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    with dask.config.set(worker_config()):
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            env=env,
            silence_logs=40,
        )
    return Client(cluster), cluster


def worker_config() -> dict:
    """Dask settings for PAII's workers (also for a cluster started by hand: `dask worker`
    reads them from a dask config file).

    Dask's nanny sets ``MALLOC_TRIM_THRESHOLD_=65536`` in each worker by default, which
    turns off glibc's adaptive mmap threshold: every large torch buffer is then mapped and
    unmapped per layer, and the page faults nearly doubled a dehaze tile's CPU time
    (measured: 1.5 s of system time per two 400 px scenes, against 0.3 s). Its sampling
    profiler (every 10 ms) is off too: nobody reads it and it takes the GIL."""
    import dask

    environ = {
        k: v
        for k, v in dask.config.get("distributed.nanny.pre-spawn-environ", {}).items()
        if k != "MALLOC_TRIM_THRESHOLD_"
    }
    return {
        "distributed.nanny.pre-spawn-environ": environ,
        "distributed.worker.profile.enabled": False,
    }


def _clean_partials(out_dir: Path) -> None:
    """Remove temporary files a killed writer left (they are never renamed into place)."""
    for tmp in out_dir.rglob(".*.tmp"):
        tmp.unlink(missing_ok=True)


def run_batch(
    job: str,
    inputs: Sequence[str | Path],
    out_dir: str | Path,
    *,
    scheduler: str | None = None,
    workers: int = 2,
    tile: int = 2048,
    threads: int = 1,
    method: str = "model",
    level: str = "fine",
    dem: str | Path | None = None,
    device: str = "auto",
    counties=None,
    progress: Progress | None = None,
    on_result: Callable[[object, dict], None] | None = None,
) -> BatchResult:
    """Run ``job`` over ``inputs`` into ``out_dir``; see the module docstring.

    Args:
        counties: a GeoDataFrame from :func:`paii_core.io.read_boundaries` to add tile
            areas up per county (Parquet partitions under ``rollups/``).
        on_result: called ``(client, record)`` after each tile (tests kill a worker here).
        device: ``auto`` (CUDA where a worker sees a GPU), ``cpu`` or ``cuda`` (float16
            autocast): dehaze and SR run their networks there; checked here for a local
            cluster, on each worker for a remote one.

    Raises:
        ValidationError: unknown job, bad tile size or worker count, unreachable scheduler.
        InputNotFoundError / FormatError: a missing or unreadable input.
    """
    from distributed import as_completed

    if workers < 1:
        raise ValidationError(f"--workers {workers} should be 1 or more")
    _check_options(job, method, dem)
    if scheduler is None:
        device_for(device)  # a local cluster sees this machine's GPUs
    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    version = model_version(job, method)
    opts = {"method": method, "level": level, "dem": str(dem) if dem else None}
    tiles = plan(job, inputs, tile=tile, options={**opts, "model_version": version})
    job_opts = JobOptions(job, str(out), method, level, opts["dem"], threads, version, device)
    manifest = Manifest(out)
    _clean_partials(out)
    finished = manifest.finished(out)
    result = BatchResult(out, len(tiles))
    todo = []
    for t in tiles:
        rec = finished.get(t.key)
        if rec and rec.get("input_hash") == t.input_hash and rec.get("model_version") == version:
            result.skipped.append(t.key)
        else:
            todo.append(t)
    if progress:
        progress(len(result.skipped), len(tiles), len(result.skipped))
    if todo:
        client, cluster = _client(scheduler, workers, threads)
        try:
            shared = client.scatter(counties, broadcast=True) if counties is not None else None
            keys = {f"paii-{job}-{t.input_hash}": t.key for t in todo}
            t_submit = time.perf_counter()
            futures = [
                client.submit(
                    run_tile,
                    t,
                    job_opts,
                    shared,
                    key=f"paii-{job}-{t.input_hash}",
                    pure=False,
                    retries=2,
                )
                for t in todo
            ]
            for record in _completed(
                as_completed(futures, with_results=True, raise_errors=False), keys
            ):
                manifest.append(record)
                if record["status"] == "done":
                    result.computed.append(record["tile"])
                else:
                    result.failed[record["tile"]] = record.get("error", "")
                if on_result:
                    on_result(client, record)
                result.compute_seconds = time.perf_counter() - t_submit
                if progress:
                    progress(
                        len(result.computed) + len(result.skipped) + len(result.failed),
                        len(tiles),
                        len(result.skipped),
                    )
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        # A worker killed mid-write leaves its temporary file; its tile was redone elsewhere.
        _clean_partials(out)
    done = manifest.finished(out)
    current = {t.key: done[t.key] for t in tiles if t.key in done}
    if current:
        result.mosaics = build_mosaics(out, job, tiles, current)
    if counties is not None:
        totals = county_totals(out, job)
        if not totals.empty:
            result.totals = out / f"county_totals_{job}.parquet"
    result.seconds = time.perf_counter() - t0
    return result


def _completed(results, keys: dict[str, str]):
    """Tile records as they finish; a task that raised becomes a failed record."""
    for fut, value in results:
        if isinstance(value, dict):
            yield value
            continue
        try:
            fut.result()
        except Exception as e:
            error = f"{type(e).__name__}: {e}"
        else:
            error = f"unexpected result {value!r}"
        yield {"tile": keys.get(str(fut.key), str(fut.key)), "status": "failed", "error": error}
