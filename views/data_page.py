"""Data: what the store holds for a region, how fresh it is, where it came from."""

from __future__ import annotations

import streamlit as st

from paii_core.errors import PaiiError
from paii_core.text import count
from paii_core.workspace import list_regions
from paii_core.workspace.inventory import region_data
from ui import imports
from ui.area_form import AREA_FORM_TITLE, added_area_notice, area_form, may_add_areas
from ui.auth import signed_in
from ui.common import connection, current_context, current_region, show_error, stored
from ui.region_form import added_notice, region_upload_form

# Acquisition and period dates as days; when rows were stored or files added, to the minute.
DATES = {
    **{c: st.column_config.DateColumn(c, format="YYYY-MM-DD") for c in ("first", "last")},
    **{
        c: st.column_config.DatetimeColumn(c, format="YYYY-MM-DD HH:mm")
        for c in ("updated", "added")
    },
}

if not current_context().region_id:
    st.title("Data")
    st.info("No region yet: add one from a county boundary file.", icon=":material/public:")
    region_upload_form(connection())
    st.stop()
ctx, region = current_region()
st.title(f"Data: {region.name}")
added_notice()
added_area_notice()
st.caption(
    f"{count(region.n_counties, 'county', 'counties')} from {region.counties_file} "
    f"({region.country}); "
    f"UTM zone EPSG:{region.utm_epsg}; yields in {region.yield_unit}"
    + (f"; yield crops: {', '.join(region.yield_crops)}" if region.yield_crops else "")
)
if region.note:
    st.warning(region.note, icon=":material/public:")

forms = imports.upload_forms()  # only those the role may use: no heading of another's
if forms:
    st.subheader("Import")
    for column, form in zip(st.columns(len(forms)), forms, strict=True):
        with column:
            form(connection(), ctx.region_id)
try:  # read after the forms, so what they just imported is listed below
    data = region_data(connection(), ctx.region_id, principal=signed_in())
except PaiiError as e:
    show_error(e)
    st.stop()

with st.expander("Add a region from a county boundary file"):
    region_upload_form(connection())

st.subheader("Areas")
if data.areas.empty:
    st.write(
        f"No area yet: add one with `paii area add AOI --region {ctx.region_id} --s2 ...`"
        + (", or from your Sentinel-2 or Sentinel-1 files below." if may_add_areas() else ".")
    )
else:
    st.dataframe(
        data.areas, hide_index=True, width="stretch", key="data_areas", column_config=DATES
    )
for warning in data.warnings:
    st.warning(warning, icon=":material/warning:")
if may_add_areas():
    with st.expander(AREA_FORM_TITLE, expanded=data.areas.empty):
        area_form(connection(), {r.region_id: r.name for r in stored(list_regions)}, ctx.region_id)

st.subheader("Stored data")
loaded = data.stored[data.stored["rows"] > 0]
if loaded.empty:
    st.write("Nothing stored for this region yet.")
else:
    st.dataframe(loaded, hide_index=True, width="stretch", key="data_stored", column_config=DATES)
missing = data.stored.loc[data.stored["rows"] == 0, "kind"].tolist()
if missing:
    st.caption(f"Not loaded: {', '.join(missing)}.")

st.subheader("Files")
if data.files.empty:
    st.write("No region-wide file (yield CSV, features, soundings) is recorded yet.")
else:
    st.dataframe(
        data.files, hide_index=True, width="stretch", key="data_files", column_config=DATES
    )
    if "oco2_lite" in set(data.files["kind"]):
        st.caption(
            "oco2_lite: the store's OCO-2 sounding files, shared by every region; the "
            "Carbon page says whether their soundings cover this one."
        )
