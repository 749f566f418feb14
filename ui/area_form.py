"""The Data page's form for a new area: Sentinel-2 and/or Sentinel-1 files (and a DEM)
uploaded from the browser.

The reading, checks and all-or-nothing write are the engine's
(:func:`paii_core.areas.add_area_from_items`, the same as `paii area add`), run on the
dashboard's own connection: `paii area add` cannot open the store while the dashboard
holds it. They run as a background job of the dashboard process (:mod:`ui.jobs`): the
form shows its progress, the user may open other pages meanwhile, and a closed tab does
not stop it. The uploads are saved in a private folder under the data folder for the run
and removed after it, whatever happens; errors name the uploaded files.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import NamedTuple

import duckdb
import streamlit as st

from paii_core.access import require
from paii_core.access.roles import Permission
from paii_core.areas import AddedArea, add_area_from_items
from paii_core.config import paths
from paii_core.errors import PaiiError, ValidationError
from paii_core.text import count
from paii_core.workspace.layout import WORKSPACE_DIR
from ui import auth, jobs
from ui.common import PICK_REGION
from ui.uploads import PRODUCT_MAX_MB, RASTER_MAX_MB, saved_uploads, too_big

__all__ = [
    "AREA_FORM",
    "AREA_FORM_TITLE",
    "DEM_TYPES",
    "PLOT_TYPES",
    "S1_TYPES",
    "S2_TYPES",
    "UPLOADS_DIR",
    "add_area_hint",
    "added_area_notice",
    "area_form",
    "may_add_areas",
]

AREA_FORM: tuple[Permission, ...] = ("workspace", "areas")
"""The permissions the form needs (an ESG analyst's role lacks "areas": no form)."""
AREA_FORM_TITLE = "Add an area from your Sentinel-2 or Sentinel-1 files"
S2_TYPES = ["zip", "tif", "tiff", "jp2", "xml"]
"""The files of Sentinel-2 items `paii area add --s2` reads: a product's .zip as
downloaded (a zipped .SAFE, read in place), stacked GeoTIFFs / COGs / JP2s with band
descriptions, or one file per band (a .SAFE's IMG_DATA files) with the product's MTD XML
(:func:`paii_core.io.s2_items.open_s2_items` groups them by date)."""
S1_TYPES = ["tif", "tiff", "zip"]
"""Sentinel-1: GeoTIFFs of bands described VV and VH, or a product's .zip of one GeoTIFF
per polarisation as downloaded (an ASF HyP3 RTC product, read in place)."""
DEM_TYPES = ["tif", "tiff", "hgt", "zip"]
"""A DEM GeoTIFF, or an SRTM tile as downloaded (``N38W098.hgt``, ``N38W098.SRTMGL1.hgt.zip``)."""
PLOT_TYPES = ["gpkg", "geojson", "json", "zip", "tif", "tiff"]
"""The insurer's plots: polygons (GeoPackage, GeoJSON, a zipped shapefile) or a registry
GeoTIFF, as `paii area add --plots` reads them (:func:`paii_core.areas.plots.plots_on_grid`)."""
UPLOADS_DIR = ".uploads"
"""Under <data>/workspace/: no area id starts with '.', so no area folder is this one."""

_FIELDS = {
    "pass --replace to rebuild it": 'tick "Replace the area if it exists"',
    "--bbox WEST SOUTH EAST NORTH (degrees)": "a Bounding box (WEST SOUTH EAST NORTH, degrees)",
    "--bbox WEST SOUTH EAST NORTH": "a Bounding box (WEST SOUTH EAST NORTH, degrees)",
    "--bbox": "Bounding box",
    "--region": "Region",
    "--s2": "Sentinel-2 files",
    "--s1": "Sentinel-1 files",
    "--flood-date": "Flood date",
    "--plots": "Plots",
    "name the county with --county": "add it with `paii area add ... --county ID`",
}
"""The command's options, as this form names its fields in an error's text."""

_ADDED = "area_added"
_FAILED = "area_failed"
_JOB = f"{jobs.STATE_PREFIX}area_add"
"""The session's add under way: its job id (:func:`ui.jobs.follow`)."""
_JOB_FORM = "area_job_form"
"""... and what its outcome needs: (region id, form round, uploaded file names)."""
_ROUND = "area_form_round"
"""How many areas the form has added in this session: its widgets' keys end with it, so
after an add the browser draws new, empty widgets (it keeps a file uploader's files and
the fields' text across reruns whatever the session state says)."""
_SIDEBAR_REGION = "area_form_sidebar_region"
"""The sidebar's region when the form last drew: the form's Region follows it when it moves."""


def added_area_notice() -> None:
    """The message of an area just added by the form (shown once, after the rerun that
    lists the area in the sidebar and the Areas table; its warnings are the page's, read
    from the store under the table)."""
    added = st.session_state.pop(_ADDED, None)
    if added:
        st.success(added, icon=":material/check_circle:")


def may_add_areas() -> bool:
    """Whether the signed-in role may use the form (a page draws its heading only then)."""
    return all(auth.can(p) for p in AREA_FORM)


def add_area_hint(command: str, *, replace: bool = False) -> str:
    """Where a page sends its user to add an area's files: ``command`` on the server, and
    this form on the Data page for a role that may use it (with the same id and Replace
    ticked when ``replace``). Ends with a word, so a page may end the sentence with a full
    stop (a command ending in "ITEM..." before one read "ITEM....")."""
    form = f'the Data page\'s form "{AREA_FORM_TITLE}"' + (
        ' with the same id and "Replace the area if it exists" ticked' if replace else ""
    )
    if may_add_areas():
        return f"{form}, or `{command}` on the server"
    return f"`{command}` on the server (an account that may add areas can use {form})"


def _bbox(text: str) -> list[float] | None:
    if not text.strip():
        return None
    parts = text.replace(",", " ").split()
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 4:
        raise ValidationError(
            f"Bounding box {text!r} should be four numbers in degrees: WEST SOUTH EAST NORTH "
            "(e.g. 14.02 46.37 14.04 46.38), or empty for the ground every date covers"
        )
    return values


def _dates(text: str) -> list[date]:
    try:
        return [date.fromisoformat(p) for p in text.replace(",", " ").split()]
    except ValueError:
        raise ValidationError(
            f"Flood dates {text!r} should be dates YYYY-MM-DD separated by spaces "
            "(e.g. 2018-09-21 2018-09-27), or empty"
        ) from None


def _summary(added: AddedArea, names: list[str]) -> str:
    g = added.grid
    pages = "Imagery or Crop labels" if added.dates else "Flood"
    files = (
        ", ".join(names) if len(names) <= 4 else f"{len(names)} files, {names[0]} .. {names[-1]}"
    )
    return (
        f"Area {added.aoi_id} added to region {added.region_id} (county {added.county_id}): "
        f"{g.width} x {g.height} px at 10 m in {g.crs.to_string()}, {added.s2_dates()}, "
        f"{count(added.n_s1, 'Sentinel-1 date')}, from {files}. It is listed in "
        f"the sidebar; open it on {pages}."
    )


def area_form(con: duckdb.DuckDBPyConnection, regions: dict[str, str], region_id: str) -> None:
    """Upload Sentinel-2 and/or Sentinel-1 files (and a DEM) and add them as an area of one of
    ``regions`` (id -> name; ``region_id`` first chosen). Drawn only for roles holding
    :data:`AREA_FORM`; on success the page reruns with the area listed."""
    if not may_add_areas():
        return
    n = st.session_state.get(_ROUND, 0)
    st.markdown(
        "**Sentinel-2 files**: L2A or L1C, one or more dates of one place; the area is the "
        "ground every date covers. Either each product's .zip as downloaded (a zipped .SAFE, "
        f"up to {PRODUCT_MAX_MB // 1024} GB), stacked GeoTIFFs (bands described B02 .. B08 or "
        "all 13), or one file per band as in a .SAFE's IMG_DATA "
        "(`T33UUU_20230601T101559_B02_10m.jp2` ...) with each product's `MTD_MSIL2A.xml` or "
        "`MTD_MSIL1C.xml`; the files are grouped by the date in their names. "
        "**Sentinel-1 files** alone make a flood area (Flood page) on the ground every "
        "Sentinel-1 date covers"
    )
    s2 = st.file_uploader(
        "Sentinel-2 files",
        type=S2_TYPES,
        accept_multiple_files=True,
        key=f"area_s2_{n}",
        max_upload_size=PRODUCT_MAX_MB,
        help=f"Up to {PRODUCT_MAX_MB // 1024} GB each. An unzipped .SAFE folder, a folder of band "
        "files or a STAC catalog: `paii area add` on the server takes them.",
    )
    s1 = st.file_uploader(
        "Sentinel-1 files: VV+VH GeoTIFFs (bands described VV and VH) or each product's "
        ".zip of one GeoTIFF per polarisation (ASF HyP3 RTC), one per date, any CRS; "
        "without Sentinel-2 they make a flood area on their own",
        type=S1_TYPES,
        accept_multiple_files=True,
        key=f"area_s1_{n}",
        max_upload_size=PRODUCT_MAX_MB,
    )
    dem = st.file_uploader(
        "DEM (optional): a GeoTIFF of elevation in metres or an SRTM .hgt tile (zipped or "
        "not), for the flood's terrain masks and depth; the tiles the area lies across are "
        "mosaicked",
        type=DEM_TYPES,
        accept_multiple_files=True,
        key=f"area_dem_{n}",
        max_upload_size=RASTER_MAX_MB,
    )
    plots = st.file_uploader(
        "Plots (optional): the insurer's plot polygons with a plot_id (and block_id) column, "
        "as GeoPackage, GeoJSON or a zipped shapefile, or a registry GeoTIFF; policies "
        "name these plot ids, and the flood and crop evidence is read per plot",
        type=PLOT_TYPES,
        key=f"area_plots_{n}",
        max_upload_size=RASTER_MAX_MB,
    )
    floods = st.text_input(
        "Flood dates (optional)",
        key=f"area_new_floods_{n}",
        placeholder="YYYY-MM-DD ...",
        help="The Sentinel-1 dates that show the flood; an earlier Sentinel-1 date is the "
        "pre-event image",
    )
    a, b, c = st.columns(3)
    aoi_id = a.text_input("Area id", key=f"area_new_id_{n}", placeholder="kansas-harvey")
    if st.session_state.get(_SIDEBAR_REGION) != region_id:
        # A widget's key keeps its value over `index=`: after the sidebar moved to another
        # region the form still offered the old one, and the area went there.
        st.session_state[_SIDEBAR_REGION] = region_id
        st.session_state["area_new_region"] = region_id
    region = b.selectbox(
        "Region",
        list(regions),
        index=list(regions).index(region_id),
        format_func=lambda r: f"{regions[r]} ({r})",
        key="area_new_region",
    )
    bbox = c.text_input(
        "Bounding box (optional)",
        key=f"area_new_bbox_{n}",
        placeholder="WEST SOUTH EAST NORTH (degrees)",
        help="Default: the ground every Sentinel-2 date (without Sentinel-2: every "
        "Sentinel-1 date) covers, at most 20 km a side",
    )
    replace = st.checkbox("Replace the area if it exists", key=f"area_new_replace_{n}")
    if jobs.follow(_JOB, _added):  # the form's Add waits for the add under way
        return
    failed = st.session_state.pop(_FAILED, None)
    if failed:
        st.error(f"Area not added. {failed}", icon=":material/error:")
    if not (s2 or s1) or not st.button("Add area", key="area_add", type="primary"):
        return
    uploads = [*s2, *s1, *dem, *(f for f in (plots,) if f is not None)]
    fix = "add the area with `paii area add AOI --region ID --s2 FILE...` on the server"
    if any(too_big(u, PRODUCT_MAX_MB, fix) for u in [*s2, *s1]) or any(
        too_big(u, RASTER_MAX_MB, fix) for u in uploads[len(s2) + len(s1) :]
    ):
        return
    try:
        who = auth.current_principal()
        require(con, who, "areas")  # the role now, from the store
        add = _Add(
            aoi_id=aoi_id.strip(),
            region_id=region,
            files=[_File(u.name, u.getbuffer()) for u in uploads],  # not copied
            n_s2=len(s2),
            n_s1=len(s1),
            n_dem=len(dem),
            has_plots=plots is not None,
            flood_dates=_dates(floods),
            bbox=_bbox(bbox),
            replace=replace,
            who=who.user,
        )
    except PaiiError as e:
        st.error(f"Area not added. {_as_fields(str(e))}", icon=":material/error:")
        return
    job = jobs.start_on_store(
        f"Adding area {add.aoi_id}", who.user, lambda con, note: _run(con, add, note)
    )
    st.session_state[_JOB] = job.id
    st.session_state[_JOB_FORM] = (region, n, [f.name for f in add.files])
    st.rerun()


class _File(NamedTuple):
    """An upload's name and bytes, read on the page (:func:`saved_uploads` writes them)."""

    name: str
    data: bytes | memoryview

    def getvalue(self) -> bytes | memoryview:
        return self.data


class _Add(NamedTuple):
    aoi_id: str
    region_id: str
    files: list[_File]
    """Sentinel-2 files, then Sentinel-1 files, then the DEM tiles and the plots if any."""
    n_s2: int
    n_s1: int
    n_dem: int
    """DEM tiles (mosaicked)."""
    has_plots: bool
    flood_dates: list[date]
    bbox: list[float] | None
    replace: bool
    who: str


def _run(con: duckdb.DuckDBPyConnection, add: _Add, note: jobs.Progress) -> AddedArea:
    """The job: save the uploads, add the area, remove the copies (in the job's thread)."""
    folder = paths().data / WORKSPACE_DIR / UPLOADS_DIR
    with saved_uploads(add.files, folder) as saved:
        paths_ = [Path(p) for p in saved]
        s1_end = add.n_s2 + add.n_s1
        dem = paths_[s1_end : s1_end + add.n_dem]
        return add_area_from_items(
            con,
            add.aoi_id,
            region_id=add.region_id,
            s2=paths_[: add.n_s2],
            s1=paths_[add.n_s2 : s1_end],
            dem=dem or None,
            plots=paths_[-1] if add.has_plots else None,
            flood_dates=add.flood_dates,
            bbox=add.bbox,
            replace=add.replace,
            progress=note,
            source_names=saved,
            source=f"Data page upload by {add.who}",
        )


def _as_fields(problem: str) -> str:
    """An engine error's text with the command's options named as this form's fields."""
    for option, field in _FIELDS.items():
        problem = problem.replace(option, field)
    return problem


def _added(job: jobs.Job | None) -> None:
    """The add's outcome, for the page's next run: its notice, or its error."""
    region, n, names = st.session_state.pop(_JOB_FORM)
    if job is None:
        st.session_state[_FAILED] = jobs.GONE
        return
    _, _, _, added, error = job.state()
    if error is not None or not isinstance(added, AddedArea):
        st.session_state[_FAILED] = _as_fields(error or "the add returned no area")
    else:
        st.session_state[_ADDED] = _summary(added, names) + (
            f" {count(len(added.warnings), 'warning')} below, under Areas."
            if added.warnings
            else ""
        )
        st.session_state[PICK_REGION] = region
        st.session_state[_ROUND] = n + 1  # an empty form for the next area, not these files
