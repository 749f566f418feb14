"""The Data page's form for a new region: county polygons uploaded from the browser.

The checks and the all-or-nothing write are the engine's (:func:`workspace.add_region`,
the same as `paii region add`), so the page and the command refuse the same files with
the same words; the uploaded file is named in them, not its temporary copy.
"""

from __future__ import annotations

import duckdb
import streamlit as st

from paii_core import workspace
from paii_core.errors import PaiiError
from paii_core.text import count
from paii_core.yields.units import UNITS, country_unit
from ui.area_form import AREA_FORM_TITLE, may_add_areas
from ui.common import PICK_REGION
from ui.imports import MAX_UPLOAD_MB, signed_in_user
from ui.uploads import saved_upload, too_big

__all__ = ["BOUNDARY_TYPES", "added_notice", "region_upload_form"]

_FIELDS = {
    "pass id_column=": "enter in County id column: the column",
    "pass source_crs=": "enter in Coordinates' CRS: ",
    "as source_crs=": "as Coordinates' CRS = ",
    "leave source_crs out": "leave Coordinates' CRS empty",
    "with --replace (replace=True)": "in `paii region add ... --replace`",
}
"""The engine's keyword arguments, as this form names its fields in an error's text."""

_ADDED = "region_added"
"""Session key of the success message shown after the rerun that selects the new region."""

BOUNDARY_TYPES = ["geojson", "json", "gpkg", "parquet", "zip"]
"""What the uploader takes: a shapefile comes zipped with its .shx, .dbf and .prj."""


def added_notice() -> None:
    """The message of a region just added by the form (shown once, at the top of the page,
    after the rerun that selected it: the form itself sits in a closed expander)."""
    added = st.session_state.pop(_ADDED, None)
    if added:
        st.success(added, icon=":material/check_circle:")


def region_upload_form(con: duckdb.DuckDBPyConnection) -> workspace.Region | None:
    """Upload a county boundary file and add it as a region; the new region, or None."""
    st.markdown(
        "**County boundaries**: GeoJSON, GeoPackage, GeoParquet, or a shapefile zipped with "
        "its .shx, .dbf and .prj; one polygon per county with a code column (FIPS, adcode, "
        "NUTS_ID, a P-code, GID_2...)"
    )
    if signed_in_user("workspace") is None:
        return None
    upload = st.file_uploader(
        "County boundary file",
        type=BOUNDARY_TYPES,
        key="region_upload",
        max_upload_size=MAX_UPLOAD_MB,
    )
    a, b, c = st.columns(3)
    region_id = a.text_input("Region id", key="region_new_id", placeholder="kansas-east")
    country = b.text_input("Country (ISO 3166 code)", key="region_new_country", placeholder="US")
    # No unit chosen: the country's (a Nigerian region defaulted to bu/acre, QA session 18).
    unit = c.selectbox(
        "Yield unit",
        UNITS,
        index=None,
        key="region_new_unit",
        placeholder=f"{country_unit(country)} (the country's)"
        if country.strip()
        else "from the country: bu/acre (US), kg/mu (CN), else t/ha",
    )
    a, b, c = st.columns(3)
    name = a.text_input("Display name (optional)", key="region_new_name")
    id_column = b.text_input(
        "County id column (optional)", key="region_new_idcol", placeholder="GEOID"
    )
    source_crs = c.text_input(
        "Coordinates' CRS (optional)",
        key="region_new_crs",
        placeholder="EPSG:4326",
        help="For a file without a CRS, or one that declares the wrong one",
    )
    if upload is None or not st.button("Add region", key="region_add"):
        return None
    fix = "add it with `paii region add ID --counties FILE ...`"
    if too_big(upload, MAX_UPLOAD_MB, fix):
        return None
    try:
        with saved_upload(upload) as path:
            region = workspace.add_region(
                con,
                region_id.strip(),
                path,
                country=country.strip().upper(),
                yield_unit=unit or country_unit(country),
                name=name.strip() or None,
                id_column=id_column.strip() or None,
                source_crs=source_crs.strip() or None,
                source=upload.name,
            )
    except PaiiError as e:
        problem = str(e) if upload.name in str(e) else f"{upload.name}: {e}"
        for keyword, field in _FIELDS.items():
            problem = problem.replace(keyword, field)
        st.error(f"Region not added. {problem}", icon=":material/error:")
        return None
    command = f"`paii area add AOI --region {region.region_id} --s2 ...`"
    st.session_state[_ADDED] = (
        f"Region {region.region_id} ({region.name}) added: "
        f"{count(region.n_counties, 'county', 'counties')} from {upload.name}, UTM zone "
        f"EPSG:{region.utm_epsg}; yields in {region.yield_unit}. Add its imagery "
        + (
            f'with the form "{AREA_FORM_TITLE}" under Areas below, or {command} on the server.'
            if may_add_areas()
            else f"with {command} on the server."
        )
    )
    st.session_state[PICK_REGION] = region.region_id
    st.rerun()
    return region  # not reached: st.rerun() raises
