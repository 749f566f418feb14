"""Home: a region's counties on a map with headline figures and data freshness."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from paii_core import maps, overview
from paii_core.county_chart import choropleth_chart
from paii_core.errors import PaiiError
from ui.auth import can, current_principal
from ui.common import (
    connection,
    current_region,
    data_note,
    file_tag,
    legend,
    show_error,
    simulated_notice,
    stored,
)

ctx, region = current_region()
st.title(f"{region.name}: county overview")
simulated_notice(ctx.region_id)

try:
    con = connection()
    summary = stored(overview.region_summary, ctx.region_id, asof=ctx.asof)
except PaiiError as e:
    show_error(e)
    st.stop()


def _fmt(value: float, spec: str, suffix: str = "") -> str:
    return "n/a" if not math.isfinite(value) else f"{value:{spec}}{suffix}"


k1, k2, k3, k4 = st.columns(4)
k1.metric("Counties", f"{summary.counties}", help="Real county boundaries of the region")
k2.metric("Cropland", _fmt(summary.cropland_km2, ",.0f", " km²"))
k3.metric(
    f"{summary.yield_crop} yield {summary.yield_year or ''}".strip().capitalize()
    if summary.yield_crop
    else "Yield",
    _fmt(summary.yield_mean, ",.1f", f" {summary.yield_unit}"),
    delta=None
    if not math.isfinite(summary.yield_change_pct)
    else f"{summary.yield_change_pct:+.1f}% vs year before",
)
if can("policy_data"):  # read for this principal only: the cached summary holds no policy
    try:
        book = overview.portfolio(con, ctx.region_id, principal=current_principal())
        k4.metric("Policies", f"{book.policies}", help=f"{book.insured_area_ha:,.1f} ha declared")
    except PaiiError as e:
        show_error(e)

options = stored(overview.metric_options, ctx.region_id)
choice = st.selectbox("Map", options, format_func=lambda o: o.label, key="home_metric")
try:
    frame = stored(overview.metric_frame, ctx.region_id, choice.key, asof=ctx.asof)
except PaiiError as e:
    show_error(e)
    st.stop()

unit = frame["unit"].dropna().iloc[0] if frame["unit"].notna().any() else ""
valued, missing, scale = maps.county_features(
    frame, label=choice.label, unit=unit, diverging=choice.diverging, decimals=choice.decimals
)
st.vega_lite_chart(
    choropleth_chart(valued, missing, height_px=560), width="stretch", key="home_map"
)
if valued:
    legend(scale.label, scale.unit, scale.vmin, scale.vmax, scale.stops)
# The demo build's time says nothing of a region of the user's own data in the same store.
built = summary.built_at if summary.simulated else None
st.caption(
    f"{len(valued)} of {len(frame)} counties have a value as of {ctx.asof:%Y-%m-%d}; "
    f"grey ones have none." + (f" Demo world built {built} UTC." if built else "")
)

table = frame[["county_id", "name", "parent", "value", "unit", "period_start", "simulated"]]
table = table.sort_values("value", ascending=False)
notes = [data_note(bool(s)) if pd.notna(s) else "" for s in table.pop("simulated")]
table = table.assign(data_note=notes)
simulated = bool(frame["simulated"].fillna(False).any())
with st.expander("County table"):
    st.dataframe(table, hide_index=True, width="stretch")
    st.download_button(
        "Download CSV",
        table.to_csv(index=False).encode(),
        file_name=f"paii_{ctx.region_id}_{choice.key.replace(':', '_')}{file_tag(simulated)}.csv",
        mime="text/csv",
    )
