"""Imagery: haze index per date, dehazing and 4x super-resolution against baselines."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import plotly.express as px
import streamlit as st

from paii_core import workspace
from paii_core.enhance import area_scenes as sc
from paii_core.enhance import demo_scenes as ds
from paii_core.enhance import files, products, views
from paii_core.errors import BandOrderError, PaiiError
from paii_core.io import read_sentinel1
from ui.area_form import add_area_hint
from ui.common import connection, current_context, no_area_notice, show_error
from ui.uploads import RASTER_MAX_MB, capped_uploader, saved_upload

# The side of the window SR runs on (a 4x output of 512 px); smaller scenes go whole. (A
# docstring here would be drawn: Streamlit's "magic" writes a page's bare strings.)
WINDOW_PX = 128

ctx = current_context()
st.title("Imagery")
st.caption(
    "Haze index: mean Dark Channel Prior (He et al. 2009) on 0..255. Dehaze: a BGRN "
    "U-Net (top-of-atmosphere input: the per-band haze path read from dark objects) vs "
    "the DCP dehazer. Super-resolution 4x: a network on one date, refined by the other "
    "dates (multi-frame reconstruction), vs bicubic."
)


def _model_caption(version: str) -> str:
    """The model panel's caption: the network's version, or the TOA path method by name."""
    return "Model: haze path (TOA input)" if version == "path" else f"Model {version}"


@st.cache_data(show_spinner="Reading haze of every date...")
def _haze(aoi_id: str, _scenes: list, stamp: tuple):
    return sc.haze_table(_scenes)


@st.cache_resource(show_spinner=False, max_entries=24)
def _cached_read(path: str, stamp: tuple[int, int], sar: bool):
    """A stored area's file, read once per process while it is unchanged (reading the
    date, its neighbours and truths was most of a visit's script time); read-only, so
    nothing downstream can change the shared copy."""
    raster = read_sentinel1(path) if sar else files.read_bgrn(path)
    raster.data.flags.writeable = False
    return raster


def _read(path: Path, *, sar: bool = False):
    info = path.stat()
    return _cached_read(str(path), (info.st_mtime_ns, info.st_size), sar)


source = st.radio("Image", ["Stored area", "Upload a GeoTIFF"], horizontal=True, key="img_src")
raster = sar = None
temporal, truth, simulated, label = None, {}, True, ""
origin, acquired, like = "", None, None
try:
    if source == "Stored area":
        con = connection()
        records = workspace.list_areas(con)
        if not records:
            st.info(f"No area in the store yet: add one with {add_area_hint('paii area add')}.")
            st.stop()
        aois = [a.aoi_id for a in records]
        mine = [a.aoi_id for a in records if a.region_id == ctx.region_id]
        if not mine:
            no_area_notice(ctx.region_id, ", or upload a GeoTIFF")
            mine = aois
        aoi = st.selectbox("Area", aois, index=aois.index(mine[0]), key="img_aoi")
        scenes = sc.area_scenes(con, aoi)
        if not scenes:
            hint = add_area_hint(f"paii area add {aoi} --replace --s2 ITEM...", replace=True)
            st.info(f"Area {aoi} has no Sentinel-2 date: add its dates with {hint}.")
            st.stop()
        table = _haze(aoi, scenes, tuple((str(s.s2), s.s2.stat().st_mtime) for s in scenes))
        scenes, table = sc.with_pixels(scenes, table)
        if not scenes:
            st.info(f"Every Sentinel-2 date of {aoi} is masked whole (clouds): no image to show.")
            st.stop()
        known = bool(table["tau550"].notna().all())
        fig = px.bar(
            table,
            x="date",
            y="haze_index",
            color="tau550" if known else "valid_fraction",
            labels={
                "haze_index": "Haze index (0..255)",
                "tau550": "Simulated τ550",
                "valid_fraction": "Cloud-free share",
            },
            title=f"Haze index per date, {aoi}",
            range_color=None if known else (0.0, 1.0),
        )
        # One bar per acquisition date: a date axis stretched one date across a
        # millisecond-wide range ("23:59:59.9996 Jul 30") and said nothing of the others.
        fig.update_xaxes(type="category")
        st.plotly_chart(fig, key="img_haze_chart")
        scene = st.selectbox(
            "Date",
            scenes,
            key="img_date",
            index=int(table["haze_index"].to_numpy().argmax()),
            format_func=lambda s: f"{s.day} (haze {table['haze_index'].iloc[scenes.index(s)]:.0f})",
        )
        raster = _read(scene.s2)
        sar = None if scene.s1 is None else _read(scene.s1, sar=True).data
        simulated = scene.simulated
        label = f"{'simulated_' * simulated}{aoi}_{scene.day:%Y%m%d}"
        origin, acquired = f"area {aoi}, Sentinel-2 of {scene.day}", scene.day.isoformat()
        if scene.clear_truth is not None:
            truth["dehaze"] = _read(scene.clear_truth).data
        if scene.hires_truth is not None:
            truth["sr"] = _read(scene.hires_truth).data
        others = sc.clear_neighbours(scenes, table, scene)
        if others:
            temporal = [_read(o.s2).data for o in others]
    else:
        upload = capped_uploader(
            "BGRN GeoTIFF (B2, B3, B4, B8)", type=["tif", "tiff"], key="imagery_upload",
            max_mb=RASTER_MAX_MB, fix="enhance it with `paii dehaze` or `paii sr` instead",
        )  # fmt: skip
        if upload is None:
            st.stop()
        with saved_upload(upload) as path:
            raster = files.read_bgrn(path)
        simulated, label = False, Path(upload.name).stem
        origin, acquired, like = upload.name, raster.tags.get("DATE"), raster
except PaiiError as e:
    show_error(e)
    if isinstance(e, BandOrderError) and source != "Stored area":
        st.info(
            "This page takes a BGRN reflectance GeoTIFF. Make one from a Landsat product "
            "with `paii reflectance LANDSAT_MTL.txt OUT.tif`, or from an unnamed stack with "
            "`paii reflectance STACK.tif OUT.tif --bands 1,2,3,4 --reflectance toa|surface "
            "[--scale S --offset O]`, then upload OUT.tif.",
            icon=":material/lightbulb:",
        )
    st.stop()
if simulated:
    st.info(
        "This scene is simulated: it comes from PAII's demo world generator, not from an "
        "observation.",
        icon=":material/science:",
    )

task = st.radio("Enhancement", ["Dehaze", "Super-resolve 4x"], horizontal=True, key="img_task")
kind = "dehaze" if task == "Dehaze" else "sr"
data, stack, sar_win = raster.data, temporal, sar
if kind == "sr":
    h, w = data.shape[1:]
    size = (min(WINDOW_PX, h), min(WINDOW_PX, w))  # a smaller scene is used whole
    c1, c2 = st.columns(2)
    row = col = 0
    if h > WINDOW_PX:
        row = c1.slider("Window row (10 m px)", 0, h - WINDOW_PX, (h - WINDOW_PX) // 2,
                        key="img_row")  # fmt: skip
    if w > WINDOW_PX:
        col = c2.slider("Window column (10 m px)", 0, w - WINDOW_PX, (w - WINDOW_PX) // 2,
                        key="img_col")  # fmt: skip
    data = ds.window(data, row, col, size)
    stack = None if temporal is None else [ds.window(t, row, col, size) for t in temporal]
    sar_win = None if sar is None else ds.window(sar, row, col, size)
    if "sr" in truth:
        truth["sr"] = ds.window(truth["sr"], row, col, size, scale=4)
    st.caption(
        f"SR runs on {'the whole scene' if size == (h, w) else 'a window'}, "
        f"{size[0]} x {size[1]} px ({size[0] / 100:.2f} x {size[1] / 100:.2f} km); "
        f"other dates used: {0 if stack is None else len(stack)}; "
        f"Sentinel-1: {'used' if sar is not None else 'none in this area'}."
    )

key = (label, kind, data.shape, float(np.nansum(data)))
if st.button("Enhance", type="primary", key="img_run"):
    bar = st.progress(0.0, text="Enhancing...")
    try:
        sub = replace(raster, data=data)
        base = "dcp" if kind == "dehaze" else "bicubic"
        results = {}
        for i, method in enumerate(("model", base)):
            results[method] = products.enhance_cached(
                kind,
                sub,
                method=method,
                simulated=simulated,
                sar=sar_win,
                temporal=None if stack is None else np.stack(stack),
                progress=lambda d, t, i=i: bar.progress(min(1.0, (i + d / t) / 2)),
            )
        bar.progress(1.0, text="Done")
        st.session_state["img_result"] = (key, results)
    except PaiiError as e:
        bar.empty()
        show_error(e)

stored = st.session_state.get("img_result")
if stored is None or stored[0] != key:
    st.caption("Press Enhance to run the model and its baseline (results are cached).")
    st.stop()
results = stored[1]
base = "dcp" if kind == "dehaze" else "bicubic"
panels = [
    ("Input", data),
    (f"Baseline ({base})", results[base].data),
    (_model_caption(results["model"].version), results["model"].data),
]
if kind in truth:
    panels.append(("Truth (simulated)", truth[kind]))
st.subheader("True colour")
for col, (name, img) in zip(st.columns(len(panels)), panels, strict=True):
    col.image(views.true_colour(img), caption=name, width="stretch")
st.subheader("NDVI")
for col, (name, img) in zip(st.columns(len(panels)), panels, strict=True):
    col.image(views.ndvi_rgb(img), caption=f"NDVI {name}", width="stretch")
if kind == "dehaze":
    flags = views.flagged(data, results["model"].data)
    if st.toggle("Thick-haze layer", value=bool(flags.any()), key="img_flags"):
        st.image(
            views.flag_overlay(data, flags),
            caption=f"Magenta: haze too thick to recover, {flags.mean():.1%} of the pixels "
            "(left as nodata and flagged in the GeoTIFF's THICK_HAZE band, not invented)",
            width="stretch",
        )
if any(r.cached for r in results.values()):
    st.caption("Read from the cache of earlier results.")
product = results["model"]
name = f"{label}_{kind}_{product.version}.tif"
st.download_button(
    "Download the model result (GeoTIFF)",
    products.download_bytes(product, source=origin, acquired=acquired, like=like),
    key="img_download",
    file_name=name,
    mime="image/tiff",
)
st.caption(
    f"File: {name} (tags say what made it, from what{', and that it is simulated' * simulated})."
)
