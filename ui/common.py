"""What every page shares: the cached store connection, the sidebar and the notices."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import streamlit as st

from paii_core import store
from paii_core.config import paths
from paii_core.errors import DemoWorldMissingError, PaiiError
from paii_core.regions import REGIONS

SIMULATED_NOTE = (
    "Demo data: a simulated world built on real county boundaries. Yields, imagery, "
    "soundings and policies are generated, not observed."
)


@dataclass(frozen=True)
class Context:
    """The sidebar's choices, handed to each page."""

    region_id: str
    asof: date


class _StoreHandle:
    """The dashboard process's one read-write connection to the current database file.

    One handle per process because DuckDB refuses a second connection to a file with
    another configuration in the same process (a read-only reader beside a writer).
    Keyed by the file's inode: `paii demo build` swaps in a new file, and the next rerun
    reopens it, so no page shows data from a file that has been replaced.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.con: duckdb.DuckDBPyConnection | None = None
        self.key: tuple[str, int] | None = None


@st.cache_resource(show_spinner=False)
def _handle() -> _StoreHandle:
    return _StoreHandle()


def connection() -> duckdb.DuckDBPyConnection:
    """A cursor on the dashboard's connection to the store (reads and writes).

    Raises DemoWorldMissingError when no database has been built yet.
    """
    db = paths().database
    if not db.exists():
        raise DemoWorldMissingError(
            f"{db}: no PAII database yet. Fix: run `paii demo build` (or `make run`) to build it"
        )
    key = (str(db), db.stat().st_ino)
    handle = _handle()
    with handle.lock:
        if handle.key != key:
            if handle.con is not None:
                handle.con.close()
            handle.con = store.connect(db)
            handle.key = key
        return handle.con.cursor()


def database_path() -> Path:
    return paths().database


def sidebar() -> Context:
    """Region and as-of date, defined once for all pages and kept across pages."""
    with st.sidebar:
        st.markdown("### PAII")
        region_id = st.selectbox(
            "Region",
            list(REGIONS),
            format_func=lambda r: REGIONS[r].name,
            key="region_id",
        )
        asof = st.date_input(
            "As of",
            value=date(2020, 10, 31),
            min_value=date(2000, 1, 1),
            max_value=date(2030, 12, 31),
            key="asof",
            help="Figures are shown as they were known on this date.",
        )
        st.caption(SIMULATED_NOTE)
    return Context(region_id=region_id, asof=asof)


def show_error(error: PaiiError) -> None:
    """A PAII error in words a user can act on; the page goes on with what it has."""
    st.error(str(error), icon=":material/error:")


def current_context() -> Context:
    """The sidebar's choices for a page (the sidebar is drawn by app.py before the page)."""
    return Context(region_id=st.session_state["region_id"], asof=st.session_state["asof"])


def legend(label: str, unit: str, vmin: float, vmax: float, stops: tuple[str, ...]) -> None:
    """A colour bar under a map: gradient and its end values."""
    gradient = ", ".join(stops)
    st.markdown(
        f"<div style='font-size:0.85rem'>{label} ({unit})</div>"
        "<div style='height:12px;border-radius:3px;"
        f"background:linear-gradient(to right, {gradient})'></div>"
        f"<div style='display:flex;justify-content:space-between;font-size:0.8rem'>"
        f"<span>{vmin:,.1f}</span><span>{vmax:,.1f}</span></div>",
        unsafe_allow_html=True,
    )


@contextmanager
def progress_bar(text: str = "starting") -> Iterator[Callable[[float, str], None]]:
    """A progress bar for the ``with`` block, yielding the ``progress(fraction, message)``
    callback the engine calls; the bar is removed when the block ends, however it ends,
    so the results (or the error) that follow stand in its place."""
    bar = st.progress(0.0, text=text)
    try:
        yield lambda fraction, message: bar.progress(min(max(fraction, 0.0), 1.0), text=message)
    finally:
        bar.empty()
