"""Imports the dashboard does once per process, off the pages' path and one at a time.

Page scripts run in one thread per browser session. When two sessions open pages that
import the engine for the first time at the same moment, two threads import the same
package graph at once, and Python's per-module import locks can deadlock
(`_DeadlockError: ... sklearn.metrics._dist_metrics`, then `ImportError` in the other
session). So app.py starts :func:`start` on its first run (the sign-in page), a thread that
imports every page's modules and the heavy libraries they load lazily, one module at a
time under one lock; before running a page, app.py calls :func:`wait`, so no page script
imports anything heavy while another thread does.
"""

from __future__ import annotations

import ast
import importlib
import logging
import threading
import time
from pathlib import Path

log = logging.getLogger("paii.dashboard")

LAZY = ("lightgbm", "sklearn.metrics", "sklearn.ensemble", "rasterio", "torch", "paii_core.enhance")
"""Heavy libraries the engine imports inside functions (so no page's import line names
them) and the slowest engine package."""

_LOCK = threading.Lock()
_DONE = threading.Event()
_STARTED = threading.Lock()
_started = False


def page_modules(views: Path) -> list[str]:
    """Absolute modules the page scripts under ``views`` import at their top level."""
    names: list[str] = []
    for path in sorted(views.glob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.append(node.module)
            elif isinstance(node, ast.Import):
                names.extend(alias.name for alias in node.names)
    return [n for n in dict.fromkeys(names) if n != "__future__"]


def _run(modules: list[str]) -> None:
    start = time.perf_counter()
    try:
        for name in modules:
            with _LOCK:
                try:
                    importlib.import_module(name)
                except Exception as e:  # a page that cannot import shows its own error
                    log.warning("warm-up could not import %s: %s", name, e)
    finally:
        _DONE.set()
        log.info("warm-up imports done in %.1f s", time.perf_counter() - start)


def start(views: Path) -> None:
    """Start the warm-up thread once per process (later calls return at once)."""
    global _started
    with _STARTED:
        if _started:
            return
        _started = True
    modules = [m for m in page_modules(views) if not m.startswith("views.")] + list(LAZY)
    threading.Thread(target=_run, args=(modules,), name="paii-warmup", daemon=True).start()


def wait(timeout_s: float = 300.0) -> bool:
    """Block until the warm-up imports are done (at once after the first minute of a
    process); False if they are still running after ``timeout_s``."""
    return _DONE.wait(timeout_s)
