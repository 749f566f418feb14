"""Flood: extent and depth from Sentinel-1 and a DEM, counties and policies hit, exports."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from paii_core import io, maps, workspace
from paii_core.config import paths
from paii_core.county_chart import choropleth_chart
from paii_core.errors import PaiiError
from paii_core.flood import render
from paii_core.flood.area import mask_area_km2
from paii_core.flood.event import inputs_digest, is_stale, run_flood_event, sar_path
from paii_core.flood.files import map_flood_bytes
from paii_core.flood.water import describe_method
from paii_core.io.sentinel1 import SIGMA0_UNITS_READ_TAG, read_as
from paii_core.store import flood as flood_store
from ui.auth import audit_once, can, signed_in
from ui.common import (
    connection,
    current_context,
    data_note,
    file_tag,
    legend,
    show_error,
    simulated_notice,
)
from ui.jobs import job_button
from ui.uploads import RASTER_MAX_MB, capped_uploader

ctx = current_context()
st.title("Flood")
st.caption("Open water from Sentinel-1 VV/VH, change against a pre-event image, HAND/slope masks")
# Only a role that sees policies is told about them (an ESG analyst is not).
simulated_notice(
    ctx.region_id, ("flood events", "policies") if can("policy_data") else ("flood events",)
)
source = st.radio("Source", ["Stored areas", "Upload files"], horizontal=True, key="flood_src")


def draw_extent(
    flooded: np.ndarray, depth: np.ndarray, grid: io.Raster, *, has_depth: bool = True
) -> None:
    """The flood over its area, coloured by depth, with its legend (without a DEM there is
    no depth: the water is drawn in one colour and the caption says so)."""
    deck = render.flood_deck(flooded, depth, grid, max_depth_m=render.DEPTH_MAX_M)
    st.pydeck_chart(deck, height=480, key="flood_map")
    if has_depth:
        legend("Water depth", "m", 0.0, render.DEPTH_MAX_M, render.DEPTH_STOPS)
    else:
        st.caption("Blue: water. No depth scale: depth needs a DEM.")


def map_button(label: str, key: str, aoi_id: str) -> None:
    """A button that maps (or maps again) area ``aoi_id``'s flood event in the background;
    the page runs again with the event when it is done."""
    data_dir = paths().data
    job_button(
        label,
        key,
        f"Mapping the flood of {aoi_id}",
        lambda con, progress: run_flood_event(con, aoi_id, data_dir=data_dir, progress=progress),
    )


def no_pre_note(fix: str) -> None:
    """Without a pre-event image every water pixel after the event is flood: say so."""
    st.caption(
        "No pre-event image: all open water after the event counts as flooded, rivers and "
        f"lakes included. {fix} to leave out the water that was already there."
    )


def draw_sar(before: io.Raster | None, after: io.Raster) -> None:
    left, right = st.columns(2)
    if before is not None:
        left.image(render.sar_grey(before.data[0]), caption="Before: VV (dB)", width="stretch")
    else:
        left.caption("No pre-event image.")
    right.image(render.sar_grey(after.data[0]), caption="After: VV (dB)", width="stretch")


def draw_exports(flooded: np.ndarray, grid: io.Raster, tif: bytes, stem: str, sim: bool) -> None:
    note = {"data_note": data_note(sim)}
    polygons = render.flood_geojson(flooded, grid, properties=note)
    a, b = st.columns(2)
    a.download_button(
        f"Flood polygons GeoJSON ({len(polygons['features'])})",
        render.geojson_bytes(polygons),
        file_name=f"{stem}.geojson",
        mime="application/geo+json",
    )
    b.download_button("Mask + depth GeoTIFF", tif, file_name=f"{stem}.tif", mime="image/tiff")


if source == "Upload files":
    fix = "map it with `paii flood --post FILE [--dem FILE] OUT.tif`"
    post_file, pre_file, dem_file = (
        capped_uploader(label, type=kinds, key=key, max_mb=RASTER_MAX_MB, fix=fix)
        for label, key, kinds in (
            ("Sentinel-1 after the event: a GeoTIFF of bands described VV and VH, or the "
             "product's .zip of one GeoTIFF per polarisation (ASF HyP3 RTC)", "flood_post",
             ["tif", "tiff", "zip"]),
            ("Sentinel-1 before (optional)", "flood_pre", ["tif", "tiff", "zip"]),
            ("DEM in metres (optional): a GeoTIFF or an SRTM .hgt tile", "flood_dem",
             ["tif", "tiff", "hgt", "zip"]),
        )
    )  # fmt: skip
    if st.button("Map flood", key="flood_upload_run", disabled=not post_file):
        st.session_state.pop("flood_upload", None)
        try:
            with st.spinner("Mapping the flood..."):
                st.session_state["flood_upload"] = (
                    *map_flood_bytes(
                        (post_file.name, post_file.getvalue()),
                        (dem_file.name, dem_file.getvalue()) if dem_file else None,
                        pre=(pre_file.name, pre_file.getvalue()) if pre_file else None,
                    ),
                    {"post": post_file.name, "pre": pre_file and pre_file.name,
                     "dem": dem_file and dem_file.name},
                )  # fmt: skip
        except PaiiError as e:
            show_error(e)
    if "flood_upload" not in st.session_state:
        st.stop()
    fm, post, pre, inputs = st.session_state["flood_upload"]
    water_col, flood_col = st.columns(2)
    water_col.metric("Open water", f"{mask_area_km2(fm.water, post.transform, post.crs):,.2f} km²")
    flood_col.metric("Flooded", f"{mask_area_km2(fm.flooded, post.transform, post.crs):,.2f} km²")
    if pre is None:
        no_pre_note("Upload a Sentinel-1 image of the same grid from before the event")
    st.caption(
        f"Water threshold {fm.threshold_db} dB on the VV/VH mean: {describe_method(fm.method)}"
        if fm.threshold_db is not None
        else "No water contrast in the scene, so no water threshold: nothing is called water."
    )
    read = post.tags.get(SIGMA0_UNITS_READ_TAG)
    if read:
        st.caption(f"{inputs['post']} was read as {read_as(read)}.")
    if fm.terrain.startswith("none"):
        st.warning(
            "No DEM: no terrain (HAND/slope) exclusion and no depth; radar shadow on "
            "hill slopes may be called water.",
            icon=":material/terrain:",
        )
    draw_extent(fm.flooded, fm.depth_m, post, has_depth=not fm.terrain.startswith("none"))
    draw_sar(pre, post)
    tif = render.flood_geotiff_bytes(fm, post, inputs=inputs)
    draw_exports(fm.flooded, post, tif, "paii_flood_upload", False)
    st.stop()

data_dir = paths().data
try:
    con = connection()
    events = flood_store.events(con, ctx.region_id)
    # An area's flood is mapped once (an event); areas added since wait for theirs.
    mapped = set(events["aoi_id"])
    unmapped = [a for a in workspace.flood_areas(con, ctx.region_id) if a not in mapped]
    regions = {r.region_id: r.name for r in workspace.list_regions(con)}
    flood_regions = {a.region_id for a in workspace.list_areas(con) if a.has_flood}
except PaiiError as e:
    show_error(e)
    st.stop()
if events.empty and not unmapped:
    others = [r for r in regions if r != ctx.region_id and r in flood_regions]
    st.info(
        "No flood event in this region's areas. Map your own Sentinel-1 files with **Upload "
        "files** above, or add an area with post-event Sentinel-1 images on the Data page"
        + ("; or open another region's flood below." if others else ".")
    )
    for r in others:
        st.button(
            f"Show the flood in {regions[r]}",
            key=f"flood_goto_{r}",
            type="primary",
            on_click=lambda r=r: st.session_state.update(region_id=r),  # the sidebar's key
        )
    st.stop()
if unmapped:
    with (
        st.container()
        if events.empty
        else st.expander(f"Not mapped yet: the flood of {', '.join(unmapped)}", expanded=False)
    ):
        aoi = (
            unmapped[0]
            if len(unmapped) == 1
            else st.selectbox("Area", unmapped, key="flood_unmapped")
        )
        demo = workspace.get_area(con, aoi).simulated
        st.write(f"The flood of {aoi} has not been mapped yet (about a minute).")
        map_button(f"Map the {'demo ' * demo}flood", "flood_run", aoi)
    if events.empty:
        st.stop()

event_id = st.selectbox(
    "Event",
    events["event_id"],
    format_func=lambda e: events.set_index("event_id").name[e],
    key="flood_event",
)
event = events.set_index("event_id").loc[event_id]
try:
    stale = is_stale(event["input_hash"], inputs_digest(con, event.aoi_id, data_dir=data_dir))
except PaiiError as e:
    show_error(e)
    st.stop()
if stale:
    st.warning(
        f"Area {event.aoi_id}'s inputs changed since this flood was mapped on "
        f"{event['created_at']:%Y-%m-%d %H:%M} UTC (its Sentinel-1 dates, DEM, plots or "
        "policies): the figures below are the old ones. Map it again to bring them up "
        "to date.",
        icon=":material/update:",
    )
    map_button("Map the flood again", "flood_remap", event.aoi_id)
try:
    products = flood_store.event_frame(con, "flood_products", event_id).sort_values("acquired")
    # Policy impacts only for roles that may see policy data (the store checks too).
    hits = (
        flood_store.policy_hits(con, event_id, principal=signed_in())
        if can("policy_data")
        else None
    )
    # Policies are placed on the flood through the area's plot registry: without one, none is.
    no_plots = workspace.area_files(con, event.aoi_id, "plots", data_dir=data_dir).empty
except PaiiError as e:
    show_error(e)
    st.stop()
dates = [d.date() if hasattr(d, "date") else d for d in products["acquired"]]
peak = dates[int(products["flooded_km2"].to_numpy().argmax())]
if len(dates) > 1:
    day = st.select_slider(
        "Date", dates, value=peak, key="flood_date", format_func=lambda d: f"{d:%d %b %Y}"
    )
else:  # a slider of one date drew that date three times over a lone dot
    day = dates[0]
    st.markdown(f"**Date**: {day:%d %b %Y}, the event's one Sentinel-1 date")
product = products.iloc[dates.index(day)]
try:
    grid = io.read_geotiff(product["path"])
    after = io.read_sentinel1(product["sar_path"])
    pre_day = event["pre_date"]
    before = (
        None
        if pd.isna(pre_day)
        else io.read_sentinel1(sar_path(con, event.aoi_id, pre_day, data_dir=data_dir))
    )
    counties = flood_store.county_impacts(con, event_id, ctx.region_id, day)
except PaiiError as e:
    show_error(e)
    st.stop()
flooded = grid.data[grid.band_names.index("flooded")] == 1
has_depth = not str(grid.tags.get("TERRAIN", "")).startswith("none")
k1, k2, k3 = st.columns(3)
k1.metric("Flooded", f"{product['flooded_km2']:,.2f} km²", help=f"on {day:%Y-%m-%d}")
if has_depth:
    k2.metric("Mean depth", f"{product['mean_depth_m'] or 0:.2f} m")
else:
    k2.metric("Mean depth", "no DEM", help="Depth needs a DEM of the area")
if before is None:
    no_pre_note(
        f"Add area {event.aoi_id} again with a Sentinel-1 date before the flood (Data page, "
        '"Add an area", Replace ticked)'
    )
if hits is not None and no_plots:
    k3.metric(
        "Policies hit",
        "n/a",
        help=f"Area {event.aoi_id} has no plot registry, so no policy is placed on its flood",
    )
    hits = None
elif hits is not None:
    k3.metric("Policies hit", f"{len(hits)}", help="Any part of the parcel flooded on any date")
if not has_depth:
    st.warning(
        f"Area {event.aoi_id} has no DEM: water was mapped from the radar alone, with no "
        "terrain (HAND/slope) exclusion and no depth. Add one with `paii area add "
        f"{event.aoi_id} --replace ... --dem DEM.tif`.",
        icon=":material/terrain:",
    )
draw_extent(flooded, grid.data[grid.band_names.index("depth_m")], grid, has_depth=has_depth)

# Flooded cropland needs the insurer's parcels; an area without them has flooded land only.
on_crops = counties["value"].notna().any() or counties["flooded_km2"].isna().all()
st.subheader("Flooded cropland by county" if on_crops else "Flooded land by county")
if not on_crops:
    st.caption(
        f"Area {event.aoi_id} has no plot registry, so which flooded land is cropland is "
        "unknown: the map shows all flooded land. Add the insurer's plots with `paii area "
        f"add {event.aoi_id} --replace ... --plots PLOTS.gpkg`."
    )
    counties = counties.assign(value=counties["flooded_km2"])
valued, missing, scale = maps.county_features(
    counties,
    label="Flooded cropland" if on_crops else "Flooded land",
    unit="km²",
    decimals=2,
)
st.vega_lite_chart(
    choropleth_chart(valued, missing, height_px=420), width="stretch", key="flood_counties"
)
if valued:
    legend(scale.label, scale.unit, scale.vmin, scale.vmax, scale.stops)
st.caption(f"{len(valued)} of {len(counties)} counties have a figure; grey ones have none.")

if hits is not None:
    # Insured names are shown: one audit entry per session and event, as the Insurance
    # page's evidence views have.
    audit_once("view flood policy hits", "flood_events", str(event_id), policies=len(hits))
    st.subheader("Policies hit")
    table = hits[["policy_id", "insured", "declared_crop", "peak_flooded_share", "days_flooded"]]
    st.dataframe(
        table.assign(peak_flooded_share=100 * table["peak_flooded_share"]),
        hide_index=True,
        width="stretch",
        column_config={
            "peak_flooded_share": st.column_config.NumberColumn("flooded share", format="%.0f%%"),
            "days_flooded": st.column_config.NumberColumn("days flooded", format="%.1f"),
        },
    )
st.subheader("Sentinel-1 before and after")
draw_sar(before, after)
simulated = bool(event["simulated"])
stem = f"paii_flood_{event_id}_{day:%Y%m%d}{file_tag(simulated)}"
draw_exports(flooded, grid, Path(product["path"]).read_bytes(), stem, simulated)
