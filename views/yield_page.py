"""Yield: in-season county yield forecasts with a range, their drivers and track record."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from paii_core import maps
from paii_core.config import paths
from paii_core.county_chart import choropleth_chart
from paii_core.errors import PaiiError
from paii_core.store import yields as ystore
from paii_core.yields import ASOF_DATES, UNITS, summarize_backtest
from paii_core.yields.region import forecast_stored_region
from paii_core.yields.trend import TREND_VERSION
from paii_core.yields.units import convert_columns
from ui.auth import actor
from ui.common import (
    connection,
    current_region,
    data_note,
    file_tag,
    legend,
    progress_bar,
    show_error,
    simulated_notice,
    stored,
)

ctx, region = current_region()


st.title("Yield")
st.caption(f"{region.name}: county yield forecasts in season, with P10..P90 range")
simulated_notice(ctx.region_id, ("yields", "yield forecasts"))


def _fit() -> None:
    with progress_bar() as progress:
        run = forecast_stored_region(
            connection(), paths().data, ctx.region_id, actor=actor(), progress=progress
        )
    for note in run.notes:
        st.warning(note, icon=":material/info:")


if st.button(
    "Fit and forecast (with backtests)",
    help="LightGBM per as-of date on the region's features (~1-2 min); a region with yields "
    "alone gets their trend (`paii yield forecast --region R --features F` adds a table)",
):
    try:
        _fit()
    except PaiiError as e:
        show_error(e)
try:
    con = connection()
    runs = stored(ystore.yield_runs, ctx.region_id)
except PaiiError as e:
    show_error(e)
    st.stop()
if runs.empty:
    st.warning(
        "No yield forecasts stored yet: press the button above (or run "
        f"`paii yield forecast --region {ctx.region_id}`)."
    )
    st.stop()

c1, c2, c3 = st.columns(3)
crop = c1.selectbox("Crop", sorted(runs["crop"].unique()), key="yield_crop")
cutoffs = [a for a in ASOF_DATES if a in set(runs.loc[runs["crop"] == crop, "as_of"])]
sidebar_md = f"{ctx.asof:%m-%d}"
default = max([i for i, a in enumerate(cutoffs) if a <= sidebar_md], default=len(cutoffs) - 1)
asof = c2.selectbox(
    "Forecast as of",
    cutoffs,
    index=default,
    key="yield_asof",
    help="Defaults to the latest cut-off before the sidebar's date",
)
unit = c3.selectbox("Unit", UNITS, index=UNITS.index(region.yield_unit), key="yield_unit")
year = int(runs.loc[runs["crop"] == crop, "year"].max())
if (runs.loc[runs["crop"] == crop, "model_version"] == TREND_VERSION).all():
    st.info(
        "Trend model from yields alone: each county's yield trend, with the spread of past "
        "departures from it as P10..P90. No weather or imagery features, so every cut-off "
        "gives the same forecast.",
        icon=":material/trending_up:",
    )

try:
    frame = stored(ystore.yield_forecast_frame, ctx.region_id, crop, year, asof)
    back = stored(ystore.yield_backtest_rows, ctx.region_id, crop)
    acc_map = stored(ystore.yield_backtest_frame, ctx.region_id, crop, asof)
    src = frame["unit"].dropna().iloc[0] if frame["unit"].notna().any() else region.yield_unit
    frame = convert_columns(
        frame, ["trend", "p10", "p50", "p90", "mean5", "obs"], src, unit, crop=crop
    )
except PaiiError as e:
    show_error(e)
    st.stop()
frame["anomaly"] = 100.0 * (frame["p50"] / frame["mean5"] - 1.0)

st.subheader(f"{crop.title()} {year}, as of {asof}")
kind = st.radio(
    "Map", ["Forecast (P50)", "Anomaly vs 5-year mean"], horizontal=True, key="yield_map_kind"
)
column, map_unit, diverging = (
    ("p50", unit, False) if kind.startswith("Forecast") else ("anomaly", "%", True)
)
valued, missing, scale = maps.county_features(
    frame, value_column=column, label=kind, unit=map_unit, diverging=diverging, decimals=1
)
st.vega_lite_chart(
    choropleth_chart(valued, missing, height_px=520), width="stretch", key="yield_map"
)
if valued:
    legend(scale.label, scale.unit, scale.vmin, scale.vmax, scale.stops)
st.caption(f"{len(valued)} of {len(frame)} counties have a forecast; grey ones have none.")

have = frame[frame["p50"].notna()].sort_values("name")
names = dict(zip(have["county_id"], have["name"], strict=True))
county = st.selectbox(
    "County", list(names), format_func=lambda c: f"{names[c]} ({c})", key="yield_county"
)
try:
    observed, fc = stored(ystore.yield_history, county, crop, asof)
    drivers = stored(ystore.yield_drivers, county, crop, year, asof)
except PaiiError as e:
    show_error(e)
    st.stop()
observed = convert_columns(observed, ["value"], src, unit, crop=crop)
fc = convert_columns(fc, ["trend", "p10", "p50", "p90"], src, unit, crop=crop)
left, right = st.columns(2)
hist = go.Figure()
hist.add_scatter(x=observed["year"], y=observed["value"], mode="lines+markers", name="observed")
hist.add_scatter(x=fc["year"], y=fc["trend"], mode="markers", name="trend", marker={"symbol": "x"})
hist.add_scatter(
    x=fc["year"],
    y=fc["p50"],
    mode="markers",
    name="forecast P50 (P10..P90)",
    error_y={
        "type": "data",
        "symmetric": False,
        "array": fc["p90"] - fc["p50"],
        "arrayminus": fc["p50"] - fc["p10"],
    },
    marker={"size": 10},
)
hist.update_layout(
    title=f"{names[county]}: history and forecast ({unit})",
    height=380,
    yaxis_title=unit,
    margin={"t": 50, "b": 30},
)
left.plotly_chart(hist, width="stretch", key="yield_history")
drv = drivers[drivers["driver"] != "baseline"].head(8).iloc[::-1]
bars = go.Figure(
    go.Bar(
        x=100 * drv["contribution"],
        y=drv["driver"],
        orientation="h",
        marker_color=["#2166ac" if v > 0 else "#b2182b" for v in drv["contribution"]],
    )
)
bars.update_layout(
    title="Drivers: effect on the forecast vs trend (%)",
    height=380,
    xaxis_title="% of trend yield (log points x 100)",
    margin={"t": 50, "b": 30},
)
right.plotly_chart(bars, width="stretch", key="yield_drivers")

st.subheader("Track record: leave-one-year-out backtest")
if back.empty:
    st.warning("No backtest stored for this crop: press the button above to run one.")
else:
    summary = summarize_backtest(back.rename(columns={"as_of": "asof"}).assign(crop=crop))
    now = summary[summary["asof"] == asof].iloc[0]
    m1, m2, m3 = st.columns(3)
    m1.metric(
        "Mean county accuracy",
        f"{now['accuracy']:.1f}%",
        delta=f"{now['accuracy'] - now['trend_accuracy']:+.1f} pts vs trend only",
    )
    m2.metric("P10..P90 coverage", f"{100 * now['coverage']:.0f}%", help="target 80%")
    m3.metric("Years x counties", f"{now['years']} x {now['counties']}")
    valued, missing, scale = maps.county_features(
        acc_map, value_column="accuracy", label="Backtest accuracy", unit="%", decimals=1
    )
    st.vega_lite_chart(
        choropleth_chart(valued, missing, height_px=520), width="stretch", key="yield_accuracy_map"
    )
    if valued:
        legend(scale.label, scale.unit, scale.vmin, scale.vmax, scale.stops)
    back_unit = back["unit"].iloc[0]
    st.dataframe(
        summary.drop(columns="crop").assign(coverage=100 * summary["coverage"]),
        hide_index=True,
        width="stretch",
        column_config={
            "asof": "cut-off",
            "accuracy": st.column_config.NumberColumn("accuracy %", format="%.1f"),
            "trend_accuracy": st.column_config.NumberColumn("trend only %", format="%.1f"),
            "rmse": st.column_config.NumberColumn(f"RMSE ({back_unit})", format="%.2f"),
            "trend_rmse": st.column_config.NumberColumn(f"trend RMSE ({back_unit})", format="%.2f"),
            "coverage": st.column_config.NumberColumn("P10..P90 coverage %", format="%.0f"),
        },
    )

export = frame.loc[
    frame["p50"].notna(),
    ["county_id", "name", "trend", "p10", "p50", "p90", "mean5", "anomaly", "model_version"],
]
simulated = bool(frame.loc[frame["p50"].notna(), "simulated"].fillna(False).any())
export = export.assign(crop=crop, year=year, asof=asof, unit=unit, data_note=data_note(simulated))
st.download_button(
    "Download forecasts CSV" + (" (simulated)" if simulated else ""),
    export.to_csv(index=False).encode(),
    file_name=f"paii_yield_{ctx.region_id}_{crop}_{year}_{asof}{file_tag(simulated)}.csv",
    mime="text/csv",
)
