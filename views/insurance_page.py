"""Insurance: review policies and claims against the satellite, floods and yield outlook."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from paii_core.config import paths
from paii_core.errors import PaiiError
from paii_core.insurance import FLAGS, filter_review, load_area_maps
from paii_core.insurance.review import PortfolioReview, review_csv, review_portfolio
from paii_core.store import insurance as ins_store
from paii_core.text import count
from ui.auth import audit, signed_in
from ui.common import (
    connection,
    current_context,
    file_tag,
    show_error,
    simulated_notice,
    store_generation,
    stored_area,
)
from views.insurance_review import policy_review

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
    "crop_share", "curve_crop", "declared_area_ha", "mapped_area_ha", "mapped_area_max_ha",
    "area_difference", "area_excess", "flooded_share",
    "loss_p90", "loss_p50", "loss_p10", "ndvi_ratio", "implied_indemnity", "forecast_p50",
    "guaranteed_yield", "yield_unit", "last_decision", "county_name",
]  # fmt: skip


@st.cache_resource(show_spinner="Loading the area's maps", max_entries=4)
def _maps(db: str, stamp: str, aoi_id: str):
    return load_area_maps(connection(), aoi_id, area=stored_area(aoi_id))


@st.cache_resource(show_spinner="Assessing the portfolio", max_entries=8)
def _review(state: tuple, region_id: str, asof, _principal, _maps) -> PortfolioReview:
    """The region's review, computed once per store state and date (seconds for a
    portfolio). Reached only after this session's principal has read the policies (the
    store's policy_data check); the shared result is copied, never changed, by a page."""
    return review_portfolio(connection(), region_id, asof=asof, principal=_principal, maps=_maps)


try:
    con = connection()
    db = paths().database
    key = f"{db}:{db.stat().st_ino}"
    held = ins_store.policies(con, ctx.region_id, principal=principal)
    if held.empty:
        # A region without a portfolio yet is a normal state, not an error.
        st.info(
            f"No policies in {ctx.region_id} yet: import the insurer's policy file on the Data "
            f"page, or run `paii policies import POLICIES.csv --region {ctx.region_id}`.",
            icon=":material/info:",
        )
        st.stop()
    aois = held["aoi_id"].dropna().unique()
    maps = {a: _maps(key, ins_store.area_stamp(con, a), a) for a in aois}
    shared = _review(store_generation(), ctx.region_id, ctx.asof, principal, maps)
    review = replace(shared, table=shared.table.copy(), policies=shared.policies.copy())
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
implied = table["implied_indemnity"]
unknown = int(implied.isna().sum())
k3.metric(
    "Implied indemnity",
    f"{implied.sum():,.0f} {currency}" if unknown < len(table) else "n/a",
    help="Sum over policies of max(0, guarantee - county P50 forecast) x area x price; the "
    "table's loss range scales the county P10/P50/P90 by each plot's NDVI against its county"
    + (
        f". Not counted: {count(unknown, 'policy', 'policies')} without a stored county "
        "forecast of its crop and year (Yield page)"
        if unknown
        else ""
    ),
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
        "curve_crop": "season-curve crop",
        "declared_area_ha": number("declared ha", format="%.3f"),
        "mapped_area_ha": number("mapped ha", format="%.2f"),
        "mapped_area_max_ha": number("mapped ha (most)", format="%.2f"),
        "area_excess": number("above most", format="percent"),
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

policy_review(con, review, shown, principal=principal, ctx=ctx)
