"""Carbon: county XCO2 and anomalies from OCO-2, measured vs interpolated, portfolio, report."""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go
import streamlit as st

from paii_core import maps
from paii_core.carbon.gapfill import INTERVAL_Z
from paii_core.carbon.pipeline import run_carbon
from paii_core.carbon.portfolio import parse_portfolio, portfolio_exposure
from paii_core.carbon.report import carbon_report_pdf, ranking
from paii_core.config import paths
from paii_core.county_chart import MapLayer, choropleth_chart
from paii_core.errors import PaiiError
from paii_core.store import carbon as carbon_store
from paii_core.text import count
from paii_core.workspace.files import sounding_files
from ui.auth import actor
from ui.common import (
    current_region,
    data_note,
    file_tag,
    legend,
    show_error,
    simulated_notice,
    stored,
)
from ui.jobs import job_button
from ui.uploads import PORTFOLIO_MAX_MB, capped_uploader

ctx, region = current_region()


st.title("Carbon")
st.caption(f"{region.name}: column CO2 (OCO-2 XCO2) by county and month")


def _compute(con, progress):
    files, simulated = sounding_files(con, data_dir=data_dir)
    run = run_carbon(
        con, files, simulated=simulated, progress=progress, actor=who, region_id=ctx.region_id
    )
    if ctx.region_id not in run.uncovered():
        return None
    return (
        f"Read {count(run.files, 'stored OCO-2 file')}"
        f"{' (simulated, from the demo)' * simulated}: none of their soundings falls in "
        f"or near {region.name}'s counties, so no XCO2 was computed for it. Add OCO-2 Lite "
        f"files that cover it: `paii carbon run --region {ctx.region_id} --soundings DIR`."
    )


def _uncovered(said: object) -> None:
    if said:
        st.session_state[_UNCOVERED] = said


_UNCOVERED = "carbon_uncovered"
data_dir, who = paths().data, actor()  # read here: the job runs outside the page
job_button(
    "Compute XCO2 from the sounding files",
    "carbon_run",
    f"Computing XCO2 for {region.name}",
    _compute,
    then=_uncovered,
    help="aggregate + gap fill, ~1 min",
)
uncovered = st.session_state.pop(_UNCOVERED, None)
if uncovered:
    st.warning(uncovered, icon=":material/satellite_alt:")
    st.stop()
try:  # store reads cached per data generation (ui.common.stored): no query on a revisit
    periods = stored(carbon_store.carbon_periods, ctx.region_id)
except PaiiError as e:
    show_error(e)
    st.stop()
if not periods:
    st.warning(
        "No XCO2 results stored yet: press the button above (or run "
        f"`paii carbon run --region {ctx.region_id} --soundings DIR`)."
    )
    st.stop()
simulated_notice(ctx.region_id, ("XCO2 county months",))

period = st.select_slider(
    "Month",
    periods,
    value=periods[min(1, len(periods) - 1)],
    format_func=lambda d: f"{d:%Y-%m}",
    key="carbon_period",
)
metric = st.radio(
    "Map",
    ["xco2_anomaly", "xco2"],
    horizontal=True,
    key="carbon_metric",
    format_func=lambda m: {"xco2": "XCO2", "xco2_anomaly": "Anomaly"}[m],
)
frame = stored(carbon_store.carbon_frame, ctx.region_id, period)
label = "XCO2 anomaly" if metric == "xco2_anomaly" else "XCO2"
measured = frame[frame["source"] == "measured"]
interp = frame[frame["source"] != "measured"]
# One colour scale for measured and interpolated counties; a CO2 excess is red.
shared = {
    "unit": "ppm",
    "diverging": metric == "xco2_anomaly",
    "high_is_bad": True,
    "value_range": tuple(frame[metric].quantile([0.02, 0.98])),
}
valued, missing, scale = maps.county_features(
    measured, value_column=metric, label=f"{label} (measured)", **shared
)
i_valued, i_missing, _ = maps.county_features(
    interp, value_column=metric, label=f"{label} (interpolated)", **shared
)
# Interpolated counties faded, with a white outline, over the measured ones.
interp_layer = MapLayer(
    "counties-interpolated",
    i_valued,
    opacity=0.55,
    stroke="rgba(255,255,255,0.9)",
    stroke_width=1.5,
)
chart = choropleth_chart(valued, missing + i_missing, height_px=520, extra_layers=[interp_layer])
st.vega_lite_chart(chart, width="stretch", key="carbon_map")
if valued:
    legend(scale.label, scale.unit, scale.vmin, scale.vmax, scale.stops)
st.caption(
    f"{count(len(measured), 'county', 'counties')} measured (≥20 good soundings, solid outline); "
    f"{len(i_valued)} interpolated by Gaussian process (faded, white outline); "
    f"{len(i_missing)} without a value (grey)."
)

table = ranking(frame)
names = dict(zip(frame["county_id"], frame["name"], strict=True))
county = st.selectbox(
    "County series",
    table["county_id"],
    key="carbon_county",
    format_func=lambda c: f"{c} {names.get(c, '')}",
)
series = stored(carbon_store.carbon_series, county)
fig = go.Figure(
    [
        go.Scatter(
            x=series["period"],
            y=series["xco2"],
            mode="lines+markers",
            name="county XCO2",
            error_y={"type": "data", "array": INTERVAL_Z * series["xco2_sd"]},
            text=series["source"],
            hovertemplate="%{y:.2f} ppm (%{text})",
        ),
        go.Scatter(
            x=series["period"],
            y=series["background"],
            mode="lines",
            name="background",
            line={"dash": "dash", "color": "black"},
        ),
    ]
)
fig.update_layout(height=300, yaxis_title="XCO2 (ppm)", margin={"t": 20, "b": 20})
st.caption("Error bars: 90% interval (1.645 sd).")
st.plotly_chart(fig, width="stretch", key="carbon_series")

st.subheader("Ranking by anomaly")
simulated = bool(frame["simulated"].any())
export = table.assign(period=f"{period:%Y-%m}", data_note=data_note(simulated))
st.dataframe(export, hide_index=True, width="stretch")

st.subheader("Portfolio")
upload = capped_uploader(
    "CSV with county_id,weight", type=["csv"], key="carbon_upload", max_mb=PORTFOLIO_MAX_MB,
    fix="keep one row per county (county_id,weight): every county of a country fits",
)  # fmt: skip
picked = st.multiselect(
    "or pick counties (equal weights)",
    list(frame["county_id"]),
    key="carbon_pick",
    format_func=lambda c: f"{c} {names.get(c, '')}",
)
exposure = None
try:
    if upload is not None:
        book = parse_portfolio(upload.getvalue(), name=upload.name)
    else:
        rows = "county_id,weight\n" + "".join(f"{c},1\n" for c in picked)
        book = parse_portfolio(rows.encode(), name="picked counties") if picked else None
    if book is not None:
        exposure = portfolio_exposure(frame, book)
        c1, c2, c3 = st.columns(3)
        c1.metric("Weighted XCO2", f"{exposure['xco2']:.2f} ppm")
        c2.metric("Weighted anomaly", f"{exposure['xco2_anomaly']:+.2f} ppm")
        c3.metric("Interpolated share", f"{100 * exposure['share_interpolated']:.0f}%")
except PaiiError as e:
    show_error(e)

report_key = (ctx.region_id, str(period), county, str(exposure))
d1, d2 = st.columns(2)
if d1.button("Build PDF report", key="carbon_build_pdf"):
    with st.spinner("Drawing the report"):
        st.session_state["carbon_pdf"] = (
            report_key,
            carbon_report_pdf(
                frame,
                series,
                region_name=region.name,
                period=period,
                county_label=f"county {county}",
                simulated=simulated,
                exposure=exposure,
                provenance=(
                    "Simulated OCO-2 Lite files of the PAII demo world"
                    if simulated
                    else "OCO-2 L2 Lite files"
                )
                + f", {len(frame)} counties; boundaries: {Path(region.counties_file).name}.",
            ),
        )
built = st.session_state.get("carbon_pdf")
if built is not None and built[0] == report_key:
    d1.download_button(
        "Download PDF report",
        built[1],
        mime="application/pdf",
        file_name=f"paii_carbon_{ctx.region_id}_{period:%Y%m}{file_tag(simulated)}.pdf",
    )
d2.download_button(
    "Download CSV",
    export.to_csv(index=False).encode(),
    mime="text/csv",
    file_name=f"paii_carbon_{ctx.region_id}_{period:%Y%m}{file_tag(simulated)}.csv",
)
