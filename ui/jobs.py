"""Work a page starts and the dashboard process finishes in a thread of its own.

A long engine call run inside the page's script (adding an area from a few hundred MB of
uploads) blocks the browser tab until it ends, and dies half-way if the tab is closed or
the page rerun. A :class:`Job` instead runs in a thread of the dashboard process: the
page that started it shows its progress with a fragment that reruns every second, the
user may open other pages meanwhile, and the work ends (or fails, with its message)
whatever the browser does. Jobs live in this process only: a dashboard restart ends
them, and the engine's own all-or-nothing writes leave nothing half-made.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import streamlit as st

from paii_core.errors import PaiiError
from ui.auth import actor
from ui.common import connection

__all__ = [
    "GONE",
    "STATE_PREFIX",
    "Job",
    "find",
    "follow",
    "job_button",
    "start",
    "start_on_store",
    "under_way",
]

Progress = Callable[[float, str], None]
_LOG = logging.getLogger(__name__)
_KEEP = 50
"""Finished jobs kept for their pages to read their outcome (the oldest go first)."""
STATE_PREFIX = "job:"
"""Session-state keys of the session's jobs under way (``job:<button key>`` -> job id)."""
GONE = (
    "The dashboard restarted while this ran, which stopped it (nothing of it was kept). "
    "Fix: run it again"
)


@dataclass
class Job:
    """One piece of work: its progress while it runs, then its result or its error."""

    id: str
    user: str
    label: str
    started: datetime
    fraction: float = 0.0
    message: str = "starting"
    done: bool = False
    result: object = None
    error: str | None = None
    """The PaiiError's message (file, problem, fix), or what else stopped it."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def note(self, fraction: float, message: str) -> None:
        """The engine's ``progress(fraction, message)`` callback."""
        with self._lock:
            self.fraction = min(max(float(fraction), 0.0), 1.0)
            self.message = message

    def state(self) -> tuple[float, str, bool, object, str | None]:
        """(fraction, message, done, result, error), read at one instant."""
        with self._lock:
            return self.fraction, self.message, self.done, self.result, self.error

    def _finish(self, result: object = None, error: str | None = None) -> None:
        with self._lock:
            self.result, self.error, self.done = result, error, True
            if error is None:
                self.fraction = 1.0


class _Jobs:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.jobs: dict[str, Job] = {}


@st.cache_resource(show_spinner=False)
def _jobs() -> _Jobs:
    return _Jobs()


def start(label: str, user: str, work: Callable[[Progress], object]) -> Job:
    """Run ``work(progress)`` in a new thread and return its :class:`Job` at once.

    ``work`` must not call Streamlit (it runs outside any page's script); what it returns
    becomes ``job.result``. A PaiiError it raises becomes ``job.error`` as it is; any
    other exception is logged with its traceback and reported as unexpected.
    """
    job = Job(uuid.uuid4().hex[:12], user, label, datetime.now(UTC))

    def run() -> None:
        try:
            job._finish(result=work(job.note))
        except PaiiError as e:
            job._finish(error=str(e))
        except Exception as e:  # the thread's last word: nobody else would see it
            _LOG.exception("%s failed", label)
            job._finish(
                error=f"{label} stopped on an unexpected error ({type(e).__name__}: {e}). "
                "Fix: retry; if it happens again, send the dashboard's log to your "
                "administrator"
            )

    registry = _jobs()
    with registry.lock:
        registry.jobs[job.id] = job
        finished = [j for j in registry.jobs.values() if j.done]
        for old in finished[: max(0, len(finished) - _KEEP)]:
            del registry.jobs[old.id]
    threading.Thread(target=run, name=f"paii-job-{job.id}", daemon=True).start()
    return job


def start_on_store(
    label: str, user: str, work: Callable[[duckdb.DuckDBPyConnection, Progress], object]
) -> Job:
    """:func:`start` of ``work(con, progress)`` on a store cursor of the job's own (a
    DuckDB cursor serves one thread at a time), closed when the work ends."""
    con = connection()

    def run(progress: Progress) -> object:
        try:
            return work(con, progress)
        finally:
            con.close()

    return start(label, user, run)


def find(job_id: str | None) -> Job | None:
    """The job of ``job_id`` in this process (None: unknown, e.g. after a restart)."""
    if job_id is None:
        return None
    registry = _jobs()
    with registry.lock:
        return registry.jobs.get(job_id)


def follow(state_key: str, on_done: Callable[[Job | None], None]) -> bool:
    """Whether the session has a job under ``state_key`` (a :data:`STATE_PREFIX` key);
    if so its progress is drawn here, redrawn every second, and when it ends (or is gone:
    None) ``on_done`` is called once in the page's script and the whole page runs again."""
    if state_key not in st.session_state:
        return False
    _progress(state_key, on_done)
    return True


@st.fragment(run_every=1.0)
def _progress(state_key: str, on_done: Callable[[Job | None], None]) -> None:
    job = find(st.session_state.get(state_key))
    if job is not None:
        fraction, message, done, _, _ = job.state()
        if not done:
            st.progress(fraction, text=f"{job.label}: {message}")
            st.caption(
                "This goes on if you open other pages or close the tab; its outcome is "
                "shown here when you come back."
            )
            return
    st.session_state.pop(state_key, None)
    on_done(job)
    st.rerun()


def job_button(
    label: str,
    key: str,
    title: str,
    work: Callable[[duckdb.DuckDBPyConnection, Progress], object],
    *,
    then: Callable[[object], None] | None = None,
    help: str | None = None,
) -> None:
    """A primary button that runs ``work(con, progress)`` as a background job titled
    ``title``, on a store cursor of its own (closed after): while it runs, its progress
    stands in the button's place; when it ends, ``then(result)`` is called (on success,
    in the page's script) and the page runs again, with the job's error (if any) shown
    here once. ``work`` runs outside the page: it reads no session state (take what it
    needs, e.g. the signed-in user, before)."""
    state_key, failed_key = f"{STATE_PREFIX}{key}", f"{key}:failed"

    def done(job: Job | None) -> None:
        error = GONE if job is None else job.state()[4]
        if error is not None:
            st.session_state[failed_key] = error
        elif then is not None:
            then(job.state()[3])

    if follow(state_key, done):
        return
    failed = st.session_state.pop(failed_key, None)
    if failed:
        st.error(failed, icon=":material/error:")
    if st.button(label, key=key, type="primary", help=help):
        st.session_state[state_key] = start_on_store(title, actor(), work).id
        st.rerun()


def under_way() -> None:
    """The sidebar's line for the session's jobs still running (shown on every page, so
    work started on one page is seen from the others)."""
    running = []
    for key in [k for k in st.session_state if str(k).startswith(STATE_PREFIX)]:
        job = find(st.session_state[key])
        if job is not None and not job.state()[2]:
            running.append(f"- {job.label}: {round(100 * job.state()[0])} %")
    if running:
        st.caption("Under way:\n" + "\n".join(running))
