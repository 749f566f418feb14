"""Insurance: review policies and claims against the satellite, floods and yield outlook."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from paii_core.config import paths
from paii_core.errors import PaiiError
from paii_core.insurance import DECISIONS, FLAGS, filter_review, load_area_maps, record_decision
from paii_core.insurance.render import crop_legend_html, policy_deck
from paii_core.insurance.report import policy_report
from paii_core.insurance.review import (
    evidence_summary,
    loss_summary,
    review_csv,
    review_portfolio,
)
from paii_core.store import insurance as ins_store
from ui.auth import audit, audit_once, signed_in
from ui.common import connection, current_context, file_tag, show_error, simulated_notice

ctx = current_context()
principal = signed_in()
st.title("Insurance")
st.caption(
    "Is the declared crop and area what the satellite sees, was the plot flooded, "
    "what loss does the yield outlook imply? Review, then record a decision."
)
simulated_notice(ctx.region_id, ("policies", "flood events", "yield forecasts"))


ORDER = [
    "policy_id", "insured", "priority", "flags", "declared_crop", "satellite_crop",
    "crop_share", "declared_area_ha", "mapped_area_ha", "area_difference", "flooded_share",
    "loss_p90", "loss_p50", "loss_p10", "ndvi_ratio", "implied_indemnity", "forecast_p50",
    "guaranteed_yield", "yield_unit", "last_decision", "county_name",
]  # fmt: skip


@st.cache_resource(show_spinner="Loading the area's maps", max_entries=4)
def _maps(db: str, stamp: str, aoi_id: str):
    return load_area_maps(connection(), aoi_id)


try:
    con = connection()
    db = paths().database
    key = f"{db}:{db.stat().st_ino}"
    aois = ins_store.policies(con, ctx.region_id, principal=principal)["aoi_id"].dropna().unique()
    maps = {a: _maps(key, ins_store.area_stamp(con, a), a) for a in aois}
    review = review_portfolio(con, ctx.region_id, asof=ctx.asof, principal=principal, maps=maps)
except PaiiError as e:
    show_error(e)
    st.stop()

for aoi_id, area_maps in review.maps.items():
    if area_maps.crop_map is None:
        st.warning(f"{aoi_id}: {area_maps.note}.", icon=":material/info:")
    else:
        st.caption(f"{aoi_id}: {area_maps.note}.")

table = review.table
k1, k2, k3, k4 = st.columns(4)
k1.metric("Policies", f"{len(table)}")
k2.metric("Flagged", f"{int((table['n_flags'] > 0).sum())}")
currency = table["currency"].iloc[0]
k3.metric(
    "Implied indemnity",
    f"{table['implied_indemnity'].sum():,.0f} {currency}",
    help="Sum over policies of max(0, guarantee - county P50 forecast) x area x price; the "
    "table's loss range scales the county P10/P50/P90 by each plot's NDVI against its county",
)
k4.metric("Decided", f"{int(table['last_decision'].notna().sum())}")

f1, f2 = st.columns(2)
flags = f1.multiselect("Flags", list(FLAGS.values()), key="ins_flags", placeholder="any")
names = dict(zip(table["county_id"], table["county_name"], strict=False))
counties = f2.multiselect(
    "Counties",
    sorted(names),
    format_func=lambda c: f"{names[c]} ({c})",
    key="ins_counties",
    placeholder="any",
)
shown = filter_review(table, flags=flags, counties=counties)
number = st.column_config.NumberColumn
st.dataframe(
    shown,
    hide_index=True,
    width="stretch",
    key="ins_table",
    column_order=ORDER,
    column_config={
        "policy_id": "policy",
        "declared_crop": "declared crop",
        "satellite_crop": "satellite crop",
        "crop_share": number("crop share", format="percent"),
        "declared_area_ha": number("declared ha", format="%.3f"),
        "mapped_area_ha": number("mapped ha", format="%.2f"),
        "area_difference": number("area diff.", format="percent"),
        "flooded_share": number("flooded", format="percent"),
        "priority": number(f"priority ({currency})", format="%,.0f"),
        "loss_p90": number("loss at P90", format="%,.0f"),
        "loss_p50": number("loss at P50", format="%,.0f"),
        "loss_p10": number("loss at P10", format="%,.0f"),
        "ndvi_ratio": number("plot/county NDVI", format="%.2f"),
        "implied_indemnity": number(f"county-P50 loss ({currency})", format="%,.0f"),
        "forecast_p50": number("county P50", format="%.4g"),
        "guaranteed_yield": number("guarantee", format="%.4g"),
        "yield_unit": "unit",
        "last_decision": "decision",
        "county_name": "county",
    },
)
tag = file_tag(bool(table["simulated"].any()))
st.download_button(
    f"Portfolio review CSV ({len(shown)} policies)",
    review_csv(shown),
    file_name=f"paii_insurance_review_{ctx.region_id}_{ctx.asof:%Y%m%d}{tag}.csv",
    mime="text/csv",
    on_click=lambda: audit(
        "export portfolio review", "policies", ctx.region_id, policies=len(shown), asof=ctx.asof
    ),
)
if shown.empty:
    st.info("No policy matches these filters.")
    st.stop()

st.subheader("Evidence")
policy_id = st.selectbox("Policy", list(shown["policy_id"]), key="ins_policy")
policy = review.policies.set_index("policy_id").loc[policy_id]
evidence = review.evidence[policy_id]
audit_once("view policy evidence", "policies", policy_id, asof=ctx.asof)
st.markdown(
    f"**{policy_id}** · {policy['insured']} · {policy['declared_crop']} on "
    f"{policy['declared_area_ha']:,.3f} ha · coverage {policy['coverage_level']:.0%} · "
    f"{policy['start_date']} .. {policy['end_date']}"
)
badges = " ".join(f":red-badge[{FLAGS[f]}]" for f in evidence.flags)
st.markdown(badges or ":green-badge[no flags]")
st.caption("Priority: " + "; ".join(review.priorities[policy_id].reasons))
left, right = st.columns([1, 1])
with left:
    summary = evidence_summary(evidence) + loss_summary(
        review.losses[policy_id], review.priorities[policy_id], str(policy["currency"])
    )
    rows = pd.DataFrame(summary, columns=["evidence", "value", "basis"])
    st.table(rows.set_index("evidence"))
area_maps = review.maps.get(policy["aoi_id"])
with right:
    try:
        if area_maps is not None:
            deck = policy_deck(area_maps, {**policy.to_dict(), "policy_id": policy_id})
            st.pydeck_chart(deck, height=360, key="ins_map")
            st.markdown(crop_legend_html(area_maps), unsafe_allow_html=True)
            st.caption(
                "Red outline: the insured plot. Colours: PAII's crop map (when one is saved) "
                "over the season's true-colour composite."
            )
    except PaiiError as e:
        show_error(e)

st.subheader("Decision")
with st.form("ins_decision", clear_on_submit=True):
    st.caption(f"Reviewer: **{principal.user}** (the signed-in user)")
    decision = st.radio("Decision", DECISIONS, horizontal=True, index=None, key="ins_choice")
    note = st.text_area("Note", key="ins_note")
    submitted = st.form_submit_button("Record decision", type="primary")
if submitted:
    try:
        decision_id = record_decision(con, evidence, decision, principal=principal, note=note)
        # Rerun so the portfolio table and counts show the new decision too.
        st.session_state["ins_done"] = (
            f"Recorded decision {decision_id}: {decision} on {policy_id}."
        )
        st.rerun()
    except PaiiError as e:
        show_error(e)
if "ins_done" in st.session_state:
    st.success(st.session_state.pop("ins_done"))
try:
    history = ins_store.decisions(con, principal=principal, policy_id=policy_id)
except PaiiError as e:
    show_error(e)
    st.stop()
st.caption(f"{len(history)} decision(s) on {policy_id}, newest first")
st.dataframe(
    history[["decided_at", "reviewer", "decision", "note"]],
    hide_index=True,
    width="stretch",
    key="ins_history",
    column_config={"decided_at": "decided (UTC)"},
)

st.subheader("Review report")
report_key = (policy_id, ctx.asof)
if st.button("Build review report (PDF)", key="ins_build_pdf"):
    try:
        with st.spinner("Dehazing, sharpening and drawing the report"):
            pdf = policy_report(con, review, policy_id, principal=principal)
        st.session_state["ins_pdf"] = (report_key, pdf)
    except PaiiError as e:
        show_error(e)
built = st.session_state.get("ins_pdf")
if built is not None and built[0] == report_key:
    tag = "SIMULATED" if bool(policy["simulated"]) else "observed"
    st.download_button(
        f"Download review report {policy_id} (PDF)",
        built[1],
        file_name=f"paii_review_{policy_id}_{ctx.asof:%Y%m%d}_{tag}.pdf",
        mime="application/pdf",
        key="ins_pdf_download",
        on_click=lambda: audit("export review report", "policies", policy_id, asof=ctx.asof),
    )
