"""Crop labels: click parcels to label them; the crop map retrains and redraws at once."""

from __future__ import annotations

import time

import numpy as np
import pydeck as pdk
import streamlit as st

from paii_core import maps, workspace
from paii_core.config import paths
from paii_core.crops import area as crop_area
from paii_core.crops.features import area_gap
from paii_core.crops.labelling import (
    heldout_scores,
    interior_points,
    parse_classes_tag,
    rgb_data_url,
    survey_points,
)
from paii_core.crops.recognize import recognize_prepared
from paii_core.crops.rollups import parcel_crops, parcel_polygons
from paii_core.crops.view import coloured_parcels, crop_map_geotiff, parcel_shapes
from paii_core.errors import PaiiError
from paii_core.io import read_geotiff
from paii_core.store.calendars import region_calendars
from paii_core.text import count
from ui.area_form import add_area_hint
from ui.auth import current_principal
from ui.common import (
    connection,
    current_context,
    data_note,
    no_area_notice,
    show_error,
    stored_area,
)
from ui.jobs import job_button

ctx = current_context()
st.title("Crop labels")


@st.cache_resource(show_spinner="Loading parcels and recognition features", max_entries=2)
def _mapped(db: str, aoi_id: str, input_hash: str, _area: crop_area.Area):
    parcels = crop_area.map_area(connection(), _area, compute=False)
    if parcels is None:
        return None
    prep = crop_area.prepared_for(_area, parcels)
    geo = parcel_polygons(
        parcels.fine, parcels.coarse, transform=_area.transform, crs=_area.crs, simplify_m=4.0
    )
    points = interior_points(parcels.fine)
    # The map's parcel shapes are built once here; a rerun only recolours them.
    shapes = parcel_shapes(geo, points, simplify_m=8.0)  # under a pixel; half the vertices
    return parcels, prep, geo, points, shapes, rgb_data_url(_area.series)


try:
    con = connection()
    records = {a.aoi_id: a for a in workspace.list_areas(con)}
except PaiiError as e:
    show_error(e)
    st.stop()
ids = list(records)
if not ids:
    st.info(f"No area in the store yet: add one with {add_area_hint('paii area add')}.")
    st.stop()
mine = [a for a in ids if records[a].region_id == ctx.region_id]
if not mine:
    no_area_notice(ctx.region_id)
    mine = ids
aoi_id = st.selectbox("Area", ids, index=ids.index(mine[0]), key="crop_aoi")
if records[aoi_id].simulated:
    st.info(
        f"The imagery of {aoi_id} is simulated: it comes from PAII's demo world generator, "
        "not from observations.",
        icon=":material/science:",
    )
record = records[aoi_id]
gap = area_gap(aoi_id, record.region_id, record.n_dates, record.sensors)
if gap is not None:  # the season is not read at all: nothing here can use it
    st.info(f"No crop labels here yet: {gap}.", icon=":material/date_range:")
    st.stop()
db = str(paths().database)
try:
    area = stored_area(aoi_id)
except PaiiError as e:
    show_error(e)
    st.stop()
mapped = _mapped(db, aoi_id, area.input_hash, area)
if mapped is None:
    st.warning("Cropland and parcels are not mapped for this area yet (about a minute).")
    job_button(
        "Map cropland and parcels",
        "crops_map",
        f"Mapping cropland and parcels of {aoi_id}",
        lambda con, progress: crop_area.map_area(con, area, progress=progress),
        then=lambda _: _mapped.clear(),
    )
    st.stop()
parcels, prep, geo, points, shapes, rgb_url = mapped

key = f"crop_labels_{aoi_id}"
if key not in st.session_state:
    reference = workspace.area_files(con, aoi_id, "crop_reference")
    start = []
    if not reference.empty and reference["path"].iloc[-1].is_file():
        raster = read_geotiff(reference["path"].iloc[-1])
        crop_type = np.nan_to_num(raster.data[0], nan=-1).astype(int)
        try:
            classes = parse_classes_tag(raster.tags.get("CLASSES"))
            start = survey_points(crop_type, parcels.fine, per_crop=5, seed=1, classes=classes)
        except PaiiError as e:  # a demo world built before its truth named its crops
            st.caption(f"No starter labels: {e} (`paii demo build`).")
    st.session_state[key] = start
    st.session_state[f"{key}_from_reference"] = bool(start) and bool(
        reference["simulated"].iloc[-1]
    )
labels: list = st.session_state[key]
if st.session_state.get(f"{key}_from_reference"):
    st.caption(
        "Starter labels: simulated field-survey points sampled from the area's simulated "
        "reference crop map (5 parcels per crop). Click a parcel, pick its crop and add a "
        "label; undo removes the last."
    )
else:
    st.caption("Click a parcel, pick its crop and add a label; undo removes the last.")

sel = st.session_state.get("crop_map", {})
picked = (sel.get("selection", {}).get("objects", {}) or {}).get("parcels", [])
if picked:
    pid = int(picked[0].get("properties", picked[0])["parcel_id"])
    if st.session_state.get("crop_last_click") != pid:
        st.session_state["crop_last_click"] = pid
        st.session_state["crop_parcel"] = pid

t0 = time.perf_counter()
last = st.session_state.get(f"{key}_map")
wanted = tuple(tuple(label) for label in labels)
calendars: dict = {}
try:
    calendars = region_calendars(con, area.region_id)
    if last is None and len({c for *_, c in labels}) < 2:
        pass  # an area without starter labels: its parcels are drawn to click on first
    elif last is None or last[2] != wanted:  # a rerun with the same labels reuses the map
        cmap = recognize_prepared(prep, labels, calendars=calendars)
        scores = heldout_scores(prep, labels, region=area.region_id, calendars=calendars)
        st.session_state[f"{key}_map"] = (cmap, scores, wanted)
except PaiiError as e:
    show_error(e)
    if last is None:
        st.stop()
    st.caption(f"Showing the previous map, from {len(last[2])} labels.")
if f"{key}_map" in st.session_state:
    cmap, scores, _ = st.session_state[f"{key}_map"]
    crops_, conf = parcel_crops(parcels.fine, cmap)
else:
    cmap = scores = None
    crops_, conf = np.full(int(parcels.fine.max()), "", object), np.zeros(int(parcels.fine.max()))
    st.info(
        f"No crop map yet ({count(len(labels), 'label')}): label parcels of at least two crops "
        "(click a parcel, pick or type its crop, Add label) and the map is drawn at once.",
        icon=":material/label:",
    )
selected = st.session_state.get("crop_parcel")
layers = [
    pdk.Layer(
        "BitmapLayer",
        id="rgb",
        image=pdk.types.String(rgb_url),  # a plain string would be read as an expression
        bounds=list(records[aoi_id].bounds),
    ),
    pdk.Layer(
        "GeoJsonLayer",
        id="parcels",
        data=coloured_parcels(shapes, crops_, conf, selected=selected),
        get_fill_color="properties.fill",
        get_line_color="properties.line",
        line_width_min_pixels=1,
        pickable=True,
        auto_highlight=True,
    ),
]
view = maps.view_for_bounds(*records[aoi_id].bounds, height_px=560)
deck = maps.CompactDeck(
    layers=layers,
    initial_view_state=view,
    map_style=maps.BLANK_STYLE,
    tooltip={"text": "parcel {parcel_id}: {crop} ({confidence}), {area_ha} ha"},
)
st.pydeck_chart(deck, height=560, key="crop_map", on_select="rerun", selection_mode="single-object")
done = "Recognised and drawn" if cmap is not None else "Parcels drawn"
st.caption(f"{done} in {time.perf_counter() - t0:.1f} s · {count(len(labels), 'label')}")

c1, c2, c3, c4 = st.columns([2, 2, 1, 1])
options = list(range(1, len(points) + 1))
default = {} if "crop_parcel" in st.session_state else {"index": None}
parcel = c1.selectbox("Parcel", options, key="crop_parcel", placeholder="click one", **default)
NEW_CROP = "another crop..."
known = sorted(set(calendars) | {c for *_, c in labels})
crop = c2.selectbox("Crop", [*known, NEW_CROP], key="crop_choice")
if crop == NEW_CROP:
    crop = c2.text_input("Crop name (any)", key="crop_new", placeholder="e.g. sorghum").strip()
if c3.button("Add label", disabled=parcel is None or not crop):
    r, c = points[parcel - 1]
    labels.append((int(r), int(c), crop))
    st.rerun()
if c4.button("Undo last label", disabled=not labels):
    labels.pop()
    st.rerun()

if cmap is None:
    st.stop()  # nothing to score, save or download before the first map
st.subheader("Held-out precision and recall")
st.caption("5-fold cross-validation over the labels: each label predicted from the others.")
st.dataframe(scores, hide_index=True, key="crop_scores")

who = principal.user if (principal := current_principal()) else ""
note = st.text_input("Note", key="crop_note")
if st.button("Save label set", disabled=not who, help=f"Saved as {who}, the signed-in user."):
    try:
        set_id = crop_area.save_labels(con, area, parcels, cmap, labels, who=who, note=note)
        st.success(f"Saved label set {set_id} ({len(labels)} labels) and county crop areas.")
    except PaiiError as e:
        show_error(e)

tag = "SIMULATED" if area.simulated else "observed"
d1, d2 = st.columns(2)
# Both files are written when their button is pressed (Streamlit calls ``data`` then), not
# on every rerun: the parcels' GeoJSON alone is megabytes.
d1.download_button(
    "Crop map GeoTIFF",
    lambda cmap=cmap, area=area: crop_map_geotiff(
        cmap, transform=area.transform, crs=area.crs, simulated=area.simulated
    ),
    file_name=f"paii_cropmap_{aoi_id}_{tag}.tif",
    mime="image/tiff",
)
d2.download_button(
    "Parcels GeoJSON",
    lambda geo=geo, crops_=crops_, conf=conf, area=area: geo.assign(
        crop=crops_, confidence=conf, data_note=data_note(area.simulated)
    ).to_json(),
    file_name=f"paii_parcels_{aoi_id}_{tag}.geojson",
    mime="application/geo+json",
)
