"""PAII dashboard entry point: page config, navigation and the shared sidebar."""

from __future__ import annotations

import streamlit as st

from ui.common import sidebar

st.set_page_config(page_title="PAII", page_icon="🛰️", layout="wide")

pages = [
    st.Page("pages/home.py", title="Home", icon=":material/map:", default=True),
    st.Page("pages/carbon_page.py", title="Carbon", icon=":material/co2:"),
    st.Page("pages/yield_page.py", title="Yield", icon=":material/agriculture:"),
    st.Page("pages/imagery_page.py", title="Imagery", icon=":material/satellite_alt:"),
    st.Page("pages/crop_labels_page.py", title="Crop labels", icon=":material/label:"),
    st.Page("pages/flood_page.py", title="Flood", icon=":material/flood:"),
]
page = st.navigation(pages)
sidebar()
page.run()
