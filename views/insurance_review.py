"""The Insurance page's lower half: one policy's evidence and map, its decisions, its PDF.

Not a page of its own (app.py does not list it): views/insurance_page.py draws the
portfolio, then calls :func:`policy_review` for the policy the reviewer picks.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import streamlit as st

from paii_core.access import Principal
from paii_core.errors import PaiiError
from paii_core.insurance import DECISIONS, FLAGS, record_decision
from paii_core.insurance.render import crop_legend_html, policy_deck
from paii_core.insurance.report import policy_report
from paii_core.insurance.review import PortfolioReview, evidence_summary, loss_summary
from paii_core.store import insurance as ins_store
from ui.auth import audit, audit_once
from ui.common import Context, show_error

__all__ = ["policy_review"]


def policy_review(
    con: duckdb.DuckDBPyConnection,
    review: PortfolioReview,
    shown: pd.DataFrame,
    *,
    principal: Principal,
    ctx: Context,
) -> None:
    """Evidence, decision form and history, and review report of a policy of ``shown``."""
    st.subheader("Evidence")
    policy_id = st.selectbox("Policy", list(shown["policy_id"]), key="ins_policy")
    policy = review.policies.set_index("policy_id").loc[policy_id]
    audit_once("view policy evidence", "policies", policy_id, asof=ctx.asof)
    _evidence(review, policy_id, policy)
    _decisions(con, review, policy_id, principal)
    _report(con, review, policy_id, policy, principal, ctx)


def _evidence(review: PortfolioReview, policy_id: str, policy: pd.Series) -> None:
    evidence = review.evidence[policy_id]
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
                    "Red outline: the insured plot. Colours: PAII's crop map (when one is "
                    "saved) over the season's true-colour composite."
                )
        except PaiiError as e:
            show_error(e)


def _decisions(
    con: duckdb.DuckDBPyConnection, review: PortfolioReview, policy_id: str, principal: Principal
) -> None:
    st.subheader("Decision")
    with st.form("ins_decision", clear_on_submit=True):
        st.caption(f"Reviewer: **{principal.user}** (the signed-in user)")
        decision = st.radio("Decision", DECISIONS, horizontal=True, index=None, key="ins_choice")
        note = st.text_area("Note", key="ins_note")
        submitted = st.form_submit_button("Record decision", type="primary")
    if submitted and decision is None:
        st.error(
            f"No decision chosen: pick {', '.join(DECISIONS[:-1])} or {DECISIONS[-1]}, then "
            "record it (nothing was recorded; the note is to be typed again).",
            icon=":material/error:",
        )
    elif submitted:
        try:
            evidence = review.evidence[policy_id]
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


def _report(
    con: duckdb.DuckDBPyConnection,
    review: PortfolioReview,
    policy_id: str,
    policy: pd.Series,
    principal: Principal,
    ctx: Context,
) -> None:
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
