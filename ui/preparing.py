"""What the dashboard shows while the data folder is being prepared in the background
(paii_core.preparation): progress instead of pages, which would need the store that the
preparation holds until it ends."""

from __future__ import annotations

import streamlit as st

from paii_core import preparation


@st.fragment(run_every=2.0)
def _progress() -> None:
    status = preparation.read_status()
    if status is None or not status.running:
        st.rerun()  # done (or stopped): the whole app runs again and opens the pages
        return
    stage = (
        "1 of 2: building the demo world"
        if status.stage == "build"
        else ("2 of 2: preparing its products (parcels, labels, yield forecasts, flood, XCO2)")
    )
    st.progress(status.fraction, text=f"Step {stage}")
    st.caption(f"{status.message}  \nStarted {status.started}; last update {status.updated}.")


def gate() -> bool:
    """Show the preparation's progress and return True while it runs (the caller stops);
    say so when it failed or stopped unfinished, and return False (pages show what they
    can)."""
    status = preparation.read_status()
    if status is None or status.stage == "done":
        return False
    if status.running:
        st.title("PAII is preparing its data")
        st.write(
            "This first start builds the simulated demo world and computes its products "
            "(about 3-4 minutes on 2 idle CPU cores). The pages open here by themselves "
            "when it is done; its whole output goes to `.preparation.log` in the data folder."
        )
        _progress()
        return True
    if not preparation.is_prepared():
        st.error(
            f"The data preparation stopped unfinished ({status.stage}: {status.message}). "
            "Fix: run `make world` in a terminal (it shows the whole output), then reload.",
            icon=":material/error:",
        )
    return False
