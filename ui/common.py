"""What every page shares: the cached store connection, the sidebar and the notices."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import streamlit as st

from paii_core import store, workspace
from paii_core.config import paths
from paii_core.errors import DemoWorldMissingError, PaiiError
from paii_core.store import workspace as ws_store
from paii_core.text import count

SIMULATED_NOTE = (
    "{what} of this region are simulated: they come from PAII's demo world generator (on "
    "real county boundaries), not from observations."
)
DEFAULT_ASOF = date(2020, 10, 31)
T = TypeVar("T")


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


def store_state() -> tuple[str, int, int, int, int]:
    """What changes whenever the store does: the database file's path, inode and
    modification time and its write-ahead log's (every commit appends to the log, a
    checkpoint rewrites the file, `paii demo build` swaps in a new one). Raises
    FileNotFoundError when there is no database."""
    db = paths().database
    main = db.stat()
    try:
        wal = db.with_name(db.name + ".wal").stat()
        log = (wal.st_mtime_ns, wal.st_size)
    except FileNotFoundError:
        log = (0, 0)
    return (str(db), main.st_ino, main.st_mtime_ns, *log)


class _Generation:
    """The store's data generation in this process: it moves on with every change of
    :func:`store_state` except those made inside :func:`bookkeeping_write` (sign-ins and
    the audit trail, written on page views), so those do not empty every page's cache."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.state: tuple | None = None
        self.number = 0


@st.cache_resource(show_spinner=False)
def _generation() -> _Generation:
    return _Generation()


def store_generation() -> tuple[str, int, int]:
    """(database path, inode, data generation): the key of caches over store data."""
    state = store_state()
    gen = _generation()
    with gen.lock:
        if state != gen.state:
            gen.state = state
            gen.number += 1
        return (state[0], state[1], gen.number)


@st.cache_resource(show_spinner="Reading the area's season", max_entries=4)
def _stored_area(db_key: str, aoi_id: str, input_hash: str):
    from paii_core.crops.area import load_area  # rasterio and the readers: heavy pages only

    return load_area(connection(), aoi_id)


def stored_area(aoi_id: str):
    """The area's season as :func:`paii_core.crops.area.load_area` reads it (seconds: every
    date's Sentinel-2, SCL and Sentinel-1 file), read once per process and database file
    and shared by the pages that need it (Crop labels, Insurance's area maps). The result
    is shared between sessions: pages read it, never change it; an area replaced with
    other files (the Data page's form, `paii area add --replace`) is read again. Raises
    what load_area raises."""
    from paii_core.crops.area import area_inputs_hash

    db = paths().database
    inputs = area_inputs_hash(connection(), aoi_id)
    return _stored_area(f"{db}:{db.stat().st_ino}", aoi_id, inputs)


@contextmanager
def bookkeeping_write() -> Iterator[None]:
    """Around a write of accounts or the audit trail only (no data a page shows): the
    store's data generation stays. Other threads' store_generation() wait the few
    milliseconds the write takes; a data write another thread commits in that window
    would be missed until the next change (a window of one small insert)."""
    gen = _generation()
    with gen.lock:
        try:
            current = store_state() == gen.state
        except FileNotFoundError:
            current = False
        try:
            yield
        finally:
            if current:
                gen.state = store_state()


@st.cache_data(show_spinner=False, max_entries=512)
def _stored(name: str, state: tuple, args: tuple, kwargs: tuple, _read: Callable[..., T]) -> T:
    return _read(connection(), *args, **dict(kwargs))


def stored(read: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``read(connection(), *args, **kwargs)``, computed once per process until the store's
    data changes (:func:`store_generation`), so a page visit does not query and rebuild the same
    frames again. Arguments must be hashable by Streamlit's cache; errors are not cached.
    Not for reads that take a ``principal=``: policy data is checked on every call."""
    if "principal" in kwargs:
        raise TypeError(f"{read.__qualname__}: reads of policy data are never cached")
    try:
        state = store_generation()
    except FileNotFoundError:
        return read(connection(), *args, **kwargs)  # raises DemoWorldMissingError
    name = f"{read.__module__}.{read.__qualname__}"
    return _stored(name, state, args, tuple(sorted(kwargs.items())), read)


PICK_REGION = "region_pick"
"""Session key a page sets (then reruns) to choose the sidebar's region, e.g. one it added:
the sidebar's own widget key cannot be written once the sidebar is drawn."""


def _stored_regions() -> tuple[list[workspace.Region], str | None]:
    try:
        return stored(workspace.list_regions), None
    except PaiiError as e:
        return [], str(e)


def sidebar() -> Context:
    """Region (from the store) and as-of date, defined once for all pages and kept
    across pages; the chosen region's areas are listed under it."""
    regions, problem = _stored_regions()
    names = {r.region_id: r.name for r in regions}
    with st.sidebar:
        st.markdown("### PAII")
        picked = st.session_state.pop(PICK_REGION, None)  # set by a page before its rerun
        if picked in names:
            st.session_state["region_id"] = picked
        if st.session_state.get("region_id") not in names and names:
            st.session_state["region_id"] = next(iter(names))
        region_id = st.selectbox(
            "Region",
            list(names),
            format_func=lambda r: names.get(r, r),
            key="region_id",
            placeholder="no region yet",
        )
        if problem:
            st.caption(problem)
        elif not names:
            st.caption("No region yet: add one with `paii region add` or `paii demo build`.")
        asof = st.date_input(
            "As of",
            value=DEFAULT_ASOF,
            min_value=date(2000, 1, 1),
            max_value=date(2030, 12, 31),
            key="asof",
            help="Figures are shown as they were known on this date.",
        )
        if region_id:
            areas = stored(workspace.list_areas, region_id)
            lines = [
                f"- {a.aoi_id} ({', '.join(a.sensors)}, {_dates_said(a)}"
                f"{', simulated' if a.simulated else ''})"
                for a in areas
            ]
            st.caption("Areas:\n" + "\n".join(lines) if lines else "No area in this region.")
    return Context(region_id=region_id or "", asof=asof)


def _dates_said(area: workspace.AreaRecord) -> str:
    """ "3 dates" (Sentinel-2) or, for an area of Sentinel-1 alone, "flood" / "no flood
    date" (its dates are radar dates: 0 dates would read as an empty area)."""
    if "S2" in area.sensors or "S1" not in area.sensors:
        return count(area.n_dates, "date")
    return "flood" if area.has_flood else "no flood date"


def simulated_kinds(region_id: str, kinds: tuple[str, ...] | None = None) -> list[str]:
    """Which of a region's stored kinds of data (the Data page's rows: yields, policies,
    XCO2 county months, ...) hold simulated rows; "policies" only for a role that may see
    policy data (whether a region has policies is the insurer's business)."""
    from ui.auth import can  # ui.auth imports this module

    try:
        inventory = stored(ws_store.region_inventory, region_id)
    except PaiiError:
        return []
    hit = inventory[inventory["simulated"] & (inventory["rows"] > 0)]
    if not can("policy_data"):
        hit = hit[hit["kind"] != "policies"]
    return [k for k in hit["kind"] if kinds is None or k in kinds]


def simulated_notice(region_id: str, kinds: tuple[str, ...] | None = None) -> bool:
    """Say, from the store, which of ``kinds`` of the region's data are simulated; returns
    whether any is (and says nothing when none is)."""
    hit = simulated_kinds(region_id, kinds)
    if hit:
        what = ", ".join(hit)  # upper-case the first letter only: "XCO2" stays "XCO2"
        st.info(SIMULATED_NOTE.format(what=what[:1].upper() + what[1:]), icon=":material/science:")
    return bool(hit)


def data_note(simulated: bool) -> str:
    """The provenance column of an export."""
    return "SIMULATED demo data" if simulated else "observed data"


def file_tag(simulated: bool) -> str:
    """The suffix of an export's file name: "_SIMULATED" for simulated data, else ""."""
    return "_SIMULATED" if simulated else ""


def no_area_notice(region_id: str, extra: str = "") -> None:
    """Say that ``region_id`` has no area, so the areas a page offers are other regions'."""
    from ui.area_form import add_area_hint  # ui.area_form imports this module

    st.info(
        f"Region {region_id} has no area yet: the areas below are other regions'. Add one "
        f"with {add_area_hint(f'paii area add AOI --region {region_id} --s2 ...')}{extra}.",
        icon=":material/info:",
    )


def show_error(error: PaiiError) -> None:
    """A PAII error in words a user can act on; the page goes on with what it has."""
    st.error(str(error), icon=":material/error:")


def current_context() -> Context:
    """The sidebar's choices for a page (the sidebar is drawn by app.py before the page)."""
    return Context(
        region_id=st.session_state.get("region_id") or "",
        asof=st.session_state.get("asof", DEFAULT_ASOF),
    )


def current_region() -> tuple[Context, workspace.Region]:
    """The sidebar's choices and the chosen region from the store; a page without a
    usable region says why and stops."""
    ctx = current_context()
    try:
        return ctx, stored(workspace.get_region, ctx.region_id)
    except PaiiError as e:
        show_error(e)
        st.stop()
        raise  # st.stop() raises; this keeps type checkers right


def legend(label: str, unit: str, vmin: float, vmax: float, stops: tuple[str, ...]) -> None:
    """A colour bar under a map: gradient and its end values; for one value (``vmin ==
    vmax``, e.g. a region with one county) its one colour and that value."""
    if vmin == vmax:
        st.markdown(
            f"<div style='font-size:0.85rem'>{label} ({unit})</div>"
            "<div style='display:flex;align-items:center;gap:6px;font-size:0.8rem'>"
            f"<span style='width:24px;height:12px;border-radius:3px;background:{stops[0]}'>"
            f"</span><span>{vmin:,.1f}: every county with a figure</span></div>",
            unsafe_allow_html=True,
        )
        return
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
