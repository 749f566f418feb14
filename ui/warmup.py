"""Imports the dashboard does once per process, off the pages' path and one at a time.

Page scripts run in one thread per browser session. When two sessions open pages that
import the engine for the first time at the same moment, two threads import the same
package graph at once, and Python's per-module import locks can deadlock
(`_DeadlockError: ... sklearn.metrics._dist_metrics`, then `ImportError` in the other
session). So app.py starts :func:`start` on its first run (the sign-in page), a thread that
imports every page's modules and the heavy libraries they load lazily, one module at a
time under one lock; before running a page, app.py calls :func:`wait`, so no page script
imports anything heavy while another thread does (Home, Data and Admin, which load no heavy
library, wait only for their own imports, done first). PyTorch and the enhancement models
(:data:`LAST`, a few seconds) come last, and only a page that imports them (Imagery)
waits for them: the others wait for everything before.
"""

from __future__ import annotations

import ast
import functools
import importlib
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger("paii.dashboard")

LAZY = ("lightgbm", "sklearn.metrics", "sklearn.ensemble", "rasterio", "torch", "paii_core.enhance")
"""Heavy libraries the engine imports inside functions (so no page's import line names
them) and the slowest engine package."""

LAST = ("torch", "paii_core.enhance")
"""Imported after everything else; only pages importing them (or their submodules) wait."""

LIGHT = ("home.py", "data_page.py", "admin_page.py")
"""Pages that compute nothing with the heavy libraries: they wait only for their own
imports, which the warm-up does first (the first page after sign-in is Home)."""

_LOCK = threading.Lock()
_DONE = threading.Event()
_CORE = threading.Event()
_IMPORTED = threading.Condition()
_imported: set[str] = set()
_STARTED = threading.Lock()
_started = False
_PAGES = threading.Condition()
_running = 0
"""Page scripts running (or waiting to run) that do not need the :data:`LAST` imports."""
QUIET_S = 60.0
"""The longest the :data:`LAST` imports wait, in all, for no page to be running."""


_AST_LOCK = threading.Lock()


def _imports(path: Path) -> tuple[str, ...]:
    """The absolute modules a page script imports at its top level (parsed once per
    version of the file)."""
    return _parsed_imports(path, path.stat().st_mtime_ns)


@functools.cache
def _parsed_imports(path: Path, mtime_ns: int) -> tuple[str, ...]:
    # CPython 3.11 keeps the AST constructor's recursion depth per interpreter, not per
    # thread: the warm-up thread and a page run parsing at once failed the page with
    # "SystemError: AST constructor recursion depth mismatch" (python/cpython#106905, a
    # browser test of a fresh clone, session 16). Ours parse one at a time and once per
    # file; a parse that still meets Streamlit's own (its script threads) is tried again.
    source = path.read_text(encoding="utf-8")
    with _AST_LOCK:
        for attempt in range(3):
            try:
                tree = ast.parse(source)
                break
            except SystemError:
                if attempt == 2:
                    raise
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)  # and what may be submodules (`from paii_core import maps`)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return tuple(n for n in names if n != "__future__" and not n.startswith("views."))


def page_modules(views: Path) -> list[str]:
    """Absolute modules the page scripts under ``views`` import at their top level, those
    of the :data:`LIGHT` pages first."""
    paths = sorted(views.glob("*.py"), key=lambda p: (p.name not in LIGHT, p.name))
    return list(dict.fromkeys(n for path in paths for n in _imports(path)))


def _last(name: str) -> bool:
    return any(name == m or name.startswith(f"{m}.") for m in LAST)


def warmup_modules(views: Path) -> list[str]:
    """What the warm-up imports, in order: :func:`page_modules`, then :data:`LAZY`, with
    the :data:`LAST` ones (and their submodules) moved to the end."""
    modules = list(dict.fromkeys(page_modules(views) + list(LAZY) + list(LAST)))
    return [m for m in modules if not _last(m)] + [m for m in modules if _last(m)]


def single_threaded_numerics() -> list[dict]:
    """Limit the BLAS (OpenBLAS of numpy and scipy) and OpenMP (scikit-learn's, LightGBM's)
    thread pools loaded so far to one thread each; returns threadpoolctl's description of
    them. The dashboard runs each browser session's script in a thread of its own, and its
    numerics are small (a logistic regression over a few thousand parcels, a 2-D
    neighbour search): pools of several threads per call only contend with the other
    sessions' and with each other on a busy machine. Measured on the Crop labels page's
    recognition and held-out scores (2 cores, load 9): 2.1 s with the default pools (1.0 s
    of it L-BFGS waiting on OpenBLAS threads), 1.1 s single-threaded. Libraries loaded
    later (PyTorch, imported last) keep their own settings."""
    from threadpoolctl import threadpool_info, threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
    threadpool_limits(limits=1, user_api="openmp")
    return threadpool_info()


def _core_done(start: float, name: str) -> None:
    """Everything but the :data:`LAST` imports is done: numerics to one thread, then the
    pages that wait for :data:`_CORE` may run."""
    if _CORE.is_set():
        return
    try:
        single_threaded_numerics()
    except Exception as e:  # threadpoolctl cannot read a library: keep its own threads
        log.warning("warm-up could not limit the numeric thread pools: %s", e)
    _CORE.set()
    log.info("warm-up imports before %s done in %.1f s", name, time.perf_counter() - start)


def _wait_quiet(timeout_s: float) -> bool:
    """Block until no page counted by :func:`page_run` is running; False after ``timeout_s``."""
    with _PAGES:
        return _PAGES.wait_for(lambda: _running == 0, max(timeout_s, 0.0))


def _run(modules: list[str]) -> None:
    start = time.perf_counter()
    quiet_until = None
    try:
        for name in modules:
            if _last(name) and not _CORE.is_set():
                _core_done(start, name)
            if _last(name):
                # PyTorch's import is seconds of CPU under the GIL: run it between pages, not
                # beside one (Insurance's first visit took 1.7 s alone, 4.0-5.8 s beside it).
                quiet_until = quiet_until or time.monotonic() + QUIET_S
                _wait_quiet(quiet_until - time.monotonic())
            with _LOCK:
                try:
                    importlib.import_module(name)
                except Exception as e:  # not a module (a name from one), or a page's own error
                    log.debug("warm-up did not import %s: %s", name, e)
            with _IMPORTED:
                _imported.add(name)
                _IMPORTED.notify_all()
    finally:
        _core_done(start, "the end")
        _DONE.set()
        with _IMPORTED:
            _IMPORTED.notify_all()
        log.info("warm-up imports done in %.1f s", time.perf_counter() - start)


def start(views: Path) -> None:
    """Start the warm-up thread once per process (later calls return at once)."""
    global _started
    with _STARTED:
        if _started:
            return
        _started = True
    modules = warmup_modules(views)
    threading.Thread(target=_run, args=(modules,), name="paii-warmup", daemon=True).start()


def _needs_last(page: Path | None) -> bool:
    return page is None or any(_last(m) for m in _imports(page))


@contextmanager
def page_run(page: Path | None = None, timeout_s: float = 300.0) -> Iterator[bool]:
    """:func:`wait` for ``page``, then run the block (the page script); yields what wait
    returned. While a page that does not need the :data:`LAST` imports waits or runs, the
    warm-up holds those imports back (at most :data:`QUIET_S` in all), so the first visits
    of the other pages do not share the CPU with PyTorch's import."""
    global _running
    counted = _started and not _needs_last(page)
    if counted:
        with _PAGES:
            _running += 1
    try:
        yield wait(page, timeout_s)
    finally:
        if counted:
            with _PAGES:
                _running -= 1
                _PAGES.notify_all()


def wait(page: Path | None = None, timeout_s: float = 300.0) -> bool:
    """Block until the warm-up imports ``page`` (a page script's path) needs are done: for a
    :data:`LIGHT` page its own imports, for a page importing a :data:`LAST` module (or
    without a page) all of them, for the others all but the LAST ones. At once after the
    first minute of a process; False if they are still running after ``timeout_s``."""
    if page is None or not _started:
        return _DONE.wait(timeout_s)
    needed = set(_imports(page))
    if _needs_last(page):
        return _DONE.wait(timeout_s)
    if page.name not in LIGHT:
        return _CORE.wait(timeout_s)
    with _IMPORTED:
        return _IMPORTED.wait_for(lambda: _DONE.is_set() or needed <= _imported, timeout_s)
