"""`paii batch`: many rasters, or one huge raster in windows, on dask.distributed.

The client starts its workers (a LocalCluster of worker processes by default, or any
scheduler by address), plans tiles while they start, skips those the manifest records
as done for the same input hash and model version, submits the rest, records each
outcome as it arrives, has the workers write the COG mosaics (one task per grid) and
adds up the county totals. Only paths and small records travel. Workers write tiles
atomically; a worker killed mid-tile loses only that tile's work: the scheduler reruns
it elsewhere (its nanny restarts the process), and no partial file is ever renamed into
place. Outputs must be on a file system every worker and the client can reach.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from paii_core.batch.cluster import connect
from paii_core.batch.manifest import Manifest
from paii_core.batch.spec import HALO, check_inputs, check_options, model_version
from paii_core.errors import ValidationError

__all__ = ["BatchJob", "BatchResult", "model_version", "plan", "run_batch"]

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
    timings: dict[str, float] = field(default_factory=dict)
    """Where the wall time went, in seconds from the call: ``connected`` (scheduler up),
    ``planned`` (inputs read and hashed), ``computed`` (last tile back), ``mosaicked``,
    ``closed`` (cluster shut down), ``done``."""


def plan(
    job: str,
    inputs: Sequence[str | Path],
    *,
    tile: int,
    options: dict,
    pre: Sequence[str | Path] = (),
):
    """The tiles of a run (see :func:`paii_core.batch.tiles.plan_tiles`); ``pre``: flood's
    pre-event scenes, each a second file of the input on its grid (its hash in the tile's)."""
    from paii_core.batch.spec import JOBS
    from paii_core.batch.tiles import (
        file_hash,
        plan_tiles,
        series_groups,
        single_scenes,
        with_pre_event,
    )

    if job not in JOBS:
        raise ValidationError(f"job {job!r} is unknown; use one of {', '.join(JOBS)}")
    paths = check_inputs(inputs)
    pres = check_inputs(pre) if pre else []
    if job in ("cropland", "parcels"):
        paths = [p for p in paths if not p.stem.endswith("_SCL")]  # cloud masks, not dates
        scenes = series_groups(paths)
    else:
        scenes = single_scenes(paths)
        scenes = with_pre_event(scenes, pres) if pres else scenes
    hashes = {str(p): file_hash(p) for p in [*paths, *pres]}
    extra = [options.get("dem")] if job == "flood" else []
    if extra and extra[0]:
        hashes[str(extra[0])] = file_hash(extra[0])
        options = {**options, "dem_hash": hashes[str(extra[0])]}
    salt = json.dumps({"job": job, **options}, sort_keys=True, default=str)
    return plan_tiles(scenes, tile=tile, halo=HALO[job], salt=salt, hashes=hashes)


def _clean_partials(out_dir: Path) -> None:
    """Remove temporary files a killed writer left (they are never renamed into place)."""
    for tmp in out_dir.rglob(".*.tmp"):
        tmp.unlink(missing_ok=True)


def _check_cheap(job, inputs, tile, workers, method, dem, device, pre=()) -> None:
    """Every argument check that needs no raster library, before any process starts."""
    if pre and job != "flood":
        raise ValidationError(f"--pre is for flood (pre-event Sentinel-1), not {job}")
    if workers < 1:
        raise ValidationError(f"--workers {workers} should be 1 or more")
    check_options(job, method, dem, device)
    if tile < 16:
        raise ValidationError(f"--tile {tile} is too small; use 16 px or more (e.g. 2048)")
    check_inputs(inputs)


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
    pre: Sequence[str | Path] = (),
    device: str = "auto",
    counties=None,
    progress: Progress | None = None,
    on_result: Callable[[object, dict], None] | None = None,
) -> BatchResult:
    """Run ``job`` over ``inputs`` into ``out_dir``; see the module docstring.

    The local cluster starts first, right after the arguments are checked: its worker
    processes import the engine while this process reads and hashes the inputs and
    compares them with the manifest. Then the tiles to do go to the workers as paths
    (each worker reads its window and writes its tile; only small records come back),
    and the mosaics, one per grid, are written by the workers in parallel.

    Args:
        pre: flood only: pre-event Sentinel-1 scenes, each paired with the input on its
            grid (:func:`paii_core.batch.tiles.with_pre_event`) for change detection, as
            `paii flood --pre` does.
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
    clock = _Clock()
    _check_cheap(job, inputs, tile, workers, method, dem, device, pre)
    if scheduler is None and device == "cuda":
        from paii_core.batch.jobs import device_for

        device_for(device)  # a local cluster sees this machine's GPUs
    # Absolute paths: the workers of a --scheduler run in their own working folders.
    inputs = tuple(Path(p).absolute() for p in inputs)
    dem = Path(dem).absolute() if dem else None
    pre = tuple(str(Path(p).absolute()) for p in pre)
    spec = BatchJob(
        job=job,
        inputs=inputs,
        out=Path(out_dir).absolute(),
        tile=tile,
        threads=threads,
        method=method,
        level=level,
        dem=str(dem) if dem else None,
        pre=pre,
        device=device,
        version=model_version(job, method),
        counties=counties,
        progress=progress,
        on_result=on_result,
    )
    with ExitStack() as stack:
        client, cluster = connect(scheduler, workers, threads, stack, job)
        clock.mark("connected")
        result = _run(spec, client, clock, scheduler if cluster is None else None)
    clock.mark("closed")
    if counties is not None:
        from paii_core.batch.rollup import county_totals

        totals = county_totals(spec.out, job)
        if not totals.empty:
            result.totals = spec.out / f"county_totals_{job}.parquet"
    result.seconds = clock.mark("done")
    result.timings = clock.rounded()
    return result


@dataclass(frozen=True)
class BatchJob:
    """What one run computes, and the caller's hooks: everything but the cluster."""

    job: str
    inputs: tuple[str | Path, ...]
    out: Path
    tile: int = 2048
    threads: int = 1
    """BLAS/OpenMP/torch threads per worker."""
    method: str = "model"
    level: str = "fine"
    dem: str | None = None
    pre: tuple[str, ...] = ()
    """Pre-event scenes (flood), each paired with the input on its grid."""
    device: str = "auto"
    version: str = ""
    """:func:`model_version` of the job and method, as the client planned it."""
    counties: object = field(default=None, compare=False, repr=False)
    """GeoDataFrame of county_id and geometry, or None (no rollups)."""
    progress: Progress | None = field(default=None, compare=False, repr=False)
    on_result: Callable[[object, dict], None] | None = field(
        default=None, compare=False, repr=False
    )

    @property
    def options(self) -> dict:
        """The options that make a tile's input hash (with the model version)."""
        return {"method": self.method, "level": self.level, "dem": self.dem}


class _Clock:
    """Seconds from the start of a run, by step name (:attr:`BatchResult.timings`)."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self.marks: dict[str, float] = {}

    def mark(self, step: str) -> float:
        self.marks[step] = time.perf_counter() - self.t0
        return self.marks[step]

    def rounded(self) -> dict[str, float]:
        return {k: round(v, 3) for k, v in self.marks.items()}


def _run(spec: BatchJob, client, clock: _Clock, remote: str | None = None) -> BatchResult:
    """The run on ``client``'s cluster; ``remote`` is the --scheduler address of a cluster
    this process did not start (its workers are checked to see the files first)."""
    from distributed import as_completed

    from paii_core.batch.jobs import JobOptions, run_tile
    from paii_core.batch.mosaic import mosaic_groups, write_mosaic

    job, out, progress = spec.job, spec.out, spec.progress
    out.mkdir(parents=True, exist_ok=True)
    tiles = plan(
        job,
        spec.inputs,
        tile=spec.tile,
        options={**spec.options, "model_version": spec.version},
        pre=spec.pre,
    )
    job_opts = JobOptions(
        job, str(out), spec.method, spec.level, spec.dem, spec.threads, spec.version, spec.device
    )
    manifest = Manifest(out)
    _clean_partials(out)
    finished = manifest.finished(out)
    result = BatchResult(out, len(tiles))
    todo = []
    for t in tiles:
        rec = finished.get(t.key)
        if (
            rec
            and rec.get("input_hash") == t.input_hash
            # the version planned (a dehaze tile of a TOA input records "path" as run)
            and rec.get("planned_version", rec.get("model_version")) == spec.version
        ):
            result.skipped.append(t.key)
        else:
            todo.append(t)
    clock.mark("planned")
    if progress:
        progress(len(result.skipped), len(tiles), len(result.skipped))
    if todo and remote:
        from paii_core.batch.remote import check_workers_see

        extra = [spec.dem] if spec.dem else []
        files = sorted({f for t in todo for f in t.scene.files} | set(extra))
        check_workers_see(client, remote, files, out)
    if todo:
        counties = spec.counties
        shared = client.scatter(counties, broadcast=True) if counties is not None else None
        keys = {f"paii-{job}-{t.input_hash}": t.key for t in todo}
        t_submit = time.perf_counter()
        futures = [
            client.submit(
                run_tile, t, job_opts, shared, key=f"paii-{job}-{t.input_hash}", pure=False,
                retries=2,
            )
            for t in todo
        ]  # fmt: skip
        # The client is not dask's default (batch.cluster.connect): name its loop.
        results = as_completed(futures, client.loop, with_results=True, raise_errors=False)
        # Only as_completed holds a tile's future until its record is back: one held after
        # would keep its (tiny) result on its worker, and a worker lost later in the run
        # would make the scheduler compute every tile it had finished again.
        del futures
        if remote:  # no nanny of ours restarts a lost worker there
            results = _while_workers(results, client, remote, len(todo))
        for record in _completed(results, keys):
            manifest.append(record)
            if record["status"] == "done":
                result.computed.append(record["tile"])
            else:
                result.failed[record["tile"]] = record.get("error", "")
            if spec.on_result:
                spec.on_result(client, record)
            result.compute_seconds = time.perf_counter() - t_submit
            if progress:
                progress(
                    len(result.computed) + len(result.skipped) + len(result.failed),
                    len(tiles),
                    len(result.skipped),
                )
        # A worker killed mid-write leaves its temporary file; its tile was redone elsewhere.
        _clean_partials(out)
    clock.mark("computed")
    done = manifest.finished(out)
    current = {t.key: done[t.key] for t in tiles if t.key in done}
    if current:
        groups = mosaic_groups(out, job, tiles, current)
        # One task per grid: the workers write the mosaics in parallel (paths travel,
        # and the small per-tile parcel id tables of a parcels run).
        futures = [client.submit(write_mosaic, *g, job, pure=False) for g in groups]
        result.mosaics = [f.result() for f in futures]
    clock.mark("mosaicked")
    return result


def _completed(results, keys: dict[str, str]):
    """Tile records as they finish; a task that raised becomes a failed record."""
    for fut, value in results:
        if isinstance(value, dict):
            fut.release()  # its record is all we need (see _run)
            del fut
            yield value
            continue
        try:
            fut.result()
        except Exception as e:
            error = f"{type(e).__name__}: {e}"
        else:
            error = f"unexpected result {value!r}"
        key = str(fut.key)
        fut.release()
        del fut
        yield {"tile": keys.get(key, key), "status": "failed", "error": error}


def _while_workers(results, client, scheduler: str, total: int):
    """``results`` as they come, raising ClusterError once the scheduler has had no
    worker for :data:`~paii_core.batch.cluster.WORKER_TIMEOUT` seconds: its tasks would
    wait there for ever (seen with both hand-started workers killed). Finished tiles are
    in the manifest by then, so a rerun with the same --out does only the rest."""
    from paii_core.batch import cluster
    from paii_core.errors import ClusterError

    alone_since, next_check, left = None, 0.0, total
    while not results.is_empty():
        if results.has_ready():
            batch = results.next_batch(block=False)
            left -= len(batch)
            yield from batch
            continue
        now = time.monotonic()
        if now >= next_check:
            next_check = now + 1.0
            if client.nthreads():
                alone_since = None
            elif alone_since is None:
                alone_since = now
            elif now - alone_since > cluster.WORKER_TIMEOUT:
                raise ClusterError(
                    f"--scheduler {scheduler}: every worker has left and none came back "
                    f"within {cluster.WORKER_TIMEOUT:g} s ({left} of {total} tiles not done); "
                    f"start workers with `dask worker {scheduler}` and rerun the same "
                    f"command: tiles already done are kept (manifest.jsonl) and skipped"
                )
        with results.thread_condition:  # woken by the next result
            results.thread_condition.wait(timeout=0.1)
