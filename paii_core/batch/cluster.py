"""The dask cluster of a `paii batch` run: a LocalCluster whose workers start while the
client plans, or any scheduler by address.

Only dask is imported here, so a run reaches this point (and its worker processes start
importing the engine) before the client itself imports rasterio, geopandas and the rest.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from contextlib import ExitStack, contextmanager

from paii_core.errors import ValidationError

__all__ = [
    "CONNECT_TIMEOUT",
    "GDAL_ENV",
    "MALLOC_ENV",
    "PRELOAD",
    "check_scheduler",
    "connect",
    "stop_fork_server",
    "tune_malloc",
    "worker_config",
]

CONNECT_TIMEOUT = "10s"
PROBE_TIMEOUT = 3.0
"""Seconds to wait for a TCP answer from ``--scheduler`` before dask's own handshake
(which retries a refused connection until :data:`CONNECT_TIMEOUT`)."""
WORKER_TIMEOUT = 30.0
"""Seconds a run waits for a first worker at a ``--scheduler`` that has none: its tasks
would otherwise wait there for ever."""
SCHEDULER_PROTOCOLS = ("tcp", "tls", "ws", "wss", "ucx", "inproc")
"""dask's comm protocols; the TCP-based ones are probed before connecting."""
TICK_INTERVAL = "1s"
MEMORY_MONITOR_INTERVAL = "500ms"
PRELOAD: dict[str, tuple[str, ...]] = {
    "dehaze": ("torch", "paii_core.batch.jobs", "paii_core.enhance.files"),
    "sr": ("torch", "paii_core.batch.jobs", "paii_core.enhance.files"),
    "cropland": ("paii_core.batch.jobs", "paii_core.crops"),
    "parcels": ("paii_core.batch.jobs", "paii_core.crops"),
    "flood": ("paii_core.batch.jobs", "paii_core.flood.files", "paii_core.flood.mapping"),
}
"""What a local worker needs for each job, imported once, by the fork server every
worker process is forked from (see :func:`_fork_server`)."""
_BASE_PRELOAD = ("distributed", "numpy", "rasterio")
MALLOC_ENV: dict[str, str] = {
    "MALLOC_MMAP_THRESHOLD_": str(32 << 20),
    "MALLOC_TRIM_THRESHOLD_": str(256 << 20),
}
"""glibc malloc settings of every worker, read when its process (or its fork server)
starts. Left to itself, glibc gives each freed torch activation (17 MB for a 256 px
patch of 64 channels) back to the kernel as soon as 2x its size is free at the top of
the heap, and faults it in, zeroed, page by page at the next layer: 0.17-0.20 s of
system time per 400 px dehaze scene, a fifth of its CPU, and memory traffic that two
workers on one machine share. Buffers up to 32 MiB (glibc's own adaptive ceiling) come
from the heap, and up to 256 MiB of free heap is kept for the next layer and tile:
0.005 s of system time per scene (measured at load 6.6-7.3). The cost is memory that is
not returned between tiles: a worker holds its peak."""
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt() parameter numbers
_MALLOC_TUNED = False


def tune_malloc() -> bool:
    """Give this process :data:`MALLOC_ENV`'s malloc settings now, through glibc's
    ``mallopt`` (the variables themselves are read only when a process starts). Called
    by every tile (once per process counts): a worker started by hand with `dask
    worker` has its nanny's ``MALLOC_TRIM_THRESHOLD_=65536`` and none of PAII's
    settings, and paid the page faults described above. Returns whether the settings
    are in force (False off glibc, e.g. macOS or musl)."""
    global _MALLOC_TUNED
    if _MALLOC_TUNED:
        return True
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    ok = mallopt(_M_MMAP_THRESHOLD, int(MALLOC_ENV["MALLOC_MMAP_THRESHOLD_"])) == 1
    ok &= mallopt(_M_TRIM_THRESHOLD, int(MALLOC_ENV["MALLOC_TRIM_THRESHOLD_"])) == 1
    _MALLOC_TUNED = ok
    return ok


GDAL_ENV: dict[str, str] = {"GDAL_CACHEMAX": "64"}
"""GDAL's block cache of every worker, in MB (read once, at the first raster I/O). GDAL's
default is 5 % of the machine's memory, and a worker writing a mosaic kept its dirty
blocks: its peak grew with the mosaic's area (318 MiB at 16 demo areas against 209 MiB
at one; 278 MiB with 64 MB; `bench.batch.scaling`, 2026-12-06). Tiles are 256 px blocks,
so 64 MB holds hundreds of them."""


def worker_config() -> dict:
    """Dask settings for PAII's workers (also for a cluster started by hand: `dask worker`
    reads them from a dask config file).

    Dask's nanny sets ``MALLOC_TRIM_THRESHOLD_=65536`` in each worker by default, which
    turns off glibc's adaptive mmap threshold: every large torch buffer is then mapped and
    unmapped per layer, and the page faults nearly doubled a dehaze tile's CPU time
    (measured: 1.5 s of system time per two 400 px scenes, against 0.3 s). PAII's
    workers get :data:`MALLOC_ENV` instead, and a bounded GDAL cache (:data:`GDAL_ENV`).
    Dask's sampling profiler (every 10 ms) is off too: nobody reads it and it takes the
    GIL.

    Two of dask's watchdogs are slowed: every server's event-loop tick (20 ms: the
    scheduler, each nanny and each worker wake 50 times a second to measure how late
    the loop is; warnings start at 3 s, so 1 s still catches them) and the memory
    monitor of each nanny and worker (100 ms to 500 ms). Idle, a 2-worker cluster then
    costs 0.16 s of CPU per 10 s instead of 0.72 s (client with scheduler and nannies,
    plus both workers; measured at load 4.5-5.7): CPU that a busy 2-core machine takes
    from the tiles."""
    import dask
    import distributed  # noqa: F401  (puts dask.distributed's defaults into dask.config)

    environ = {
        **dask.config.get("distributed.nanny.pre-spawn-environ", {}),
        **MALLOC_ENV,
        **GDAL_ENV,
    }
    return {
        "distributed.nanny.pre-spawn-environ": environ,
        "distributed.worker.profile.enabled": False,
        "distributed.admin.tick.interval": TICK_INTERVAL,
        "distributed.worker.memory.monitor-interval": MEMORY_MONITOR_INTERVAL,
    }


_SERVER_PAII_ENV: dict[str, str] | None = None
"""The PAII_* environment of the fork server this process started (None: none yet)."""


def _paii_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith("PAII_")}


@contextmanager
def _sigint_ignored():
    """SIGINT ignored in this process while the block starts the fork server, which
    inherits that (an ignored signal stays ignored across exec) and hands it on to every
    worker forked from it: Ctrl-C in a terminal goes to the whole process group, and each
    worker (and the server, while it imports the engine) printed a KeyboardInterrupt
    traceback, 70-190 lines before `paii batch` said it was interrupted. The client alone
    handles Ctrl-C; closing its cluster ends the workers. Does nothing outside the main
    thread, where Python cannot set a signal handler."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _fork_server(job: str, env: dict[str, str]) -> bool:
    """Start multiprocessing's fork server with ``job``'s modules imported, so that every
    local worker is forked from one process that imported distributed, torch and the
    engine once (about 3 s of CPU each, which N spawned workers would all pay at the
    same moment, on the cores the client and the other workers need). Nothing runs in
    the server but imports: no thread, no CUDA context, nothing a fork could break.
    ``env`` (the BLAS/OpenMP thread counts, :data:`MALLOC_ENV` and :data:`GDAL_ENV`,
    read when those libraries load and when the process starts) is in force
    while the server starts, then the client's environment is put back. Returns False
    where there is no fork server (Windows), or where a server this process started
    earlier has a PAII_* variable that has been unset since (a forked worker would still
    see it; set ones are passed to every worker): the workers are then spawned."""
    global _SERVER_PAII_ENV
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return False
    if _SERVER_PAII_ENV is not None and not set(_SERVER_PAII_ENV) <= set(_paii_env()):
        return False
    from multiprocessing import forkserver

    # Started before this process imports dask (0.4 s of CPU): the two overlap.
    forkserver.set_forkserver_preload([*_BASE_PRELOAD, *PRELOAD.get(job, ())])
    before = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        with _sigint_ignored():
            forkserver.ensure_running()  # a server started by an earlier run is reused
        if _SERVER_PAII_ENV is None:
            _SERVER_PAII_ENV = _paii_env()
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    from distributed import utils

    # dask would set its own list (every package it knows) the first time it makes a
    # worker, and import each of them into this process to see what exists.
    utils._forkserver_preload_set = True
    return True


def stop_fork_server() -> bool:
    """End the fork server this process started, at once (SIGKILL: it holds nothing but
    imported modules, and its workers are gone once their cluster is closed). Left to
    itself it ends when this process does, tearing torch down for ~0.7 s while it still
    holds this process's standard output, so a caller reading `paii batch`'s output waits
    for it. Returns whether one was running; a later run starts a new one."""
    from multiprocessing import forkserver

    global _SERVER_PAII_ENV
    _SERVER_PAII_ENV = None  # the next server takes the environment of its own start
    pid = getattr(forkserver._forkserver, "_forkserver_pid", None)
    if pid is None:
        return False
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    # Reap it and forget its socket, or multiprocessing keeps handing the dead server's
    # address to the next run's workers, which then never start.
    forkserver._forkserver._stop()
    return True


def check_scheduler(scheduler: str) -> None:
    """Refuse a ``--scheduler`` address that is malformed, or where nothing listens, in
    at most :data:`PROBE_TIMEOUT` seconds (dask alone would retry a refused port for
    :data:`CONNECT_TIMEOUT`, then print a traceback for a malformed one).
    Raises ValidationError naming the option, the problem and the fix."""
    import socket

    fix = "pass the address `dask scheduler` prints, e.g. tcp://10.0.0.5:8786"
    proto, sep, rest = scheduler.partition("://")
    if not sep:
        proto, rest = "tcp", scheduler
    if proto not in SCHEDULER_PROTOCOLS:
        extra = " (a web address: the dashboard?)" if proto in ("http", "https") else ""
        raise ValidationError(
            f"--scheduler {scheduler}: protocol {proto!r} is not a dask scheduler's{extra}; {fix}"
        )
    if proto not in ("tcp", "tls", "ws", "wss"):
        return  # in-process or UCX: dask's own connect says what is wrong
    host, colon, port = rest.rstrip("/").rpartition(":")
    host = host.strip("[]")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValidationError(
            f"--scheduler {scheduler}: expected HOST:PORT after {proto}://; {fix}"
        )
    try:
        with socket.create_connection((host, int(port)), timeout=PROBE_TIMEOUT):
            pass
    except socket.gaierror:
        raise ValidationError(
            f"--scheduler {scheduler}: host {host!r} is unknown here; check the name, or {fix}"
        ) from None
    except OSError as e:
        why = (
            "nothing listens there"
            if isinstance(e, ConnectionRefusedError)
            else (
                f"no answer within {PROBE_TIMEOUT:g} s" if isinstance(e, TimeoutError) else str(e)
            )
        )
        raise ValidationError(
            f"--scheduler {scheduler}: cannot reach it ({why}); start one with "
            f"`dask scheduler --port {port}` (and `dask worker {proto}://{host}:{port}` on "
            f"each machine), or leave --scheduler out for a local cluster"
        ) from None


def wait_for_workers(client, scheduler: str) -> None:
    """Wait up to :data:`WORKER_TIMEOUT` seconds for a first worker at ``scheduler``;
    raises ValidationError when none joins (the run would wait for ever)."""
    try:
        client.wait_for_workers(1, timeout=WORKER_TIMEOUT)
    except TimeoutError:
        raise ValidationError(
            f"--scheduler {scheduler}: no worker has joined it within {WORKER_TIMEOUT:g} s, "
            f"so no tile could run; start workers with `dask worker {scheduler}` (PAII "
            f"installed or on their PYTHONPATH, inputs and --out on storage they all see), "
            f"then rerun"
        ) from None


def _finalise_failed_client() -> None:
    """Finalise a Client whose construction failed, here and now. Its ``__del__`` closes
    it; left to a later garbage collection, that ran inside another client's event-loop
    lock once (a test run hung 10 minutes in ``LoopRunner.stop`` and the half-closed
    client left dask's process-wide scheduler set to 'dask.distributed')."""
    import gc

    gc.collect()


def connect(scheduler: str | None, workers: int, threads: int, stack: ExitStack, job: str = ""):
    """``(client, cluster)``: a client of ``scheduler``, or of a new LocalCluster
    (``cluster`` then, else None) of ``workers`` processes with one task thread each and
    ``threads`` BLAS/OpenMP threads, forked from a server that imported ``job``'s
    modules. Returns as soon as the local scheduler listens: the worker processes start
    in the background, so the client plans meanwhile and its first tasks wait for them
    at the scheduler. ``stack`` closes both (and keeps the worker settings in force for
    as long as nannies may start workers: after a killed one, too).

    The client is not made dask's default (``set_as_default=False``): the batch submits
    to it by name, and nothing else in the process (xarray or dask reads) is sent to the
    cluster, or fails with "no Client active" after it closes.

    Raises ValidationError when ``scheduler`` cannot be reached."""
    if scheduler:
        check_scheduler(scheduler)
        from distributed import Client

        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except OSError as e:
            _finalise_failed_client()
            raise ValidationError(
                f"--scheduler {scheduler}: cannot reach it ({e}); start one with "
                f"`dask scheduler` and pass its tcp://HOST:PORT, or leave --scheduler out"
            ) from None
        except Exception as e:  # something listens, but does not speak dask's protocol
            _finalise_failed_client()
            raise ValidationError(
                f"--scheduler {scheduler}: something answers there, but not a dask "
                f"scheduler ({type(e).__name__}); pass the scheduler's own tcp://HOST:PORT "
                f"(`dask scheduler` prints it, 8786 by default; 8787 is its dashboard)"
            ) from None
        stack.callback(client.close)
        wait_for_workers(client, scheduler)
        return client, None
    # Nannies read these settings when they are made, in the cluster's event loop, after
    # scale() has returned (and again when they restart a killed worker).
    env = {k: str(threads) for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    env.update(MALLOC_ENV)  # a forked worker keeps the malloc state of its server
    env.update(GDAL_ENV)
    forked = _fork_server(job, env)
    import dask
    from distributed import Client, LocalCluster

    config = worker_config()
    # A forked worker has the server's environment: PAII_* (data and model folders) as
    # the client has them now go with every worker, set in it before it starts.
    env.update(_paii_env())
    if forked:
        config["distributed.worker.multiprocessing-method"] = "forkserver"
    stack.enter_context(dask.config.set(config))
    cluster = LocalCluster(
        n_workers=0,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        # The scheduler serves its health checks over HTTP even without a dashboard, on
        # 8787 unless told: with another cluster (a notebook's) there, every run printed
        # dask's "UserWarning: Port 8787 is already in use". Any free port does.
        scheduler_kwargs={"dashboard_address": ":0"},
        env=env,
        silence_logs=40,
    )
    stack.callback(cluster.close)
    # The client first: made after scale(), it would wait for every worker to start.
    client = Client(cluster, set_as_default=False)
    stack.callback(client.close)
    cluster.scale(workers)  # non-blocking: the nannies start their workers from here on
    return client, cluster
