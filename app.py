"""PAII dashboard entry point: page config, navigation and the shared sidebar."""

from __future__ import annotations

import streamlit as st

from ui.common import sidebar

st.set_page_config(page_title="PAII", page_icon="🛰️", layout="wide")

# Pages live in views/, not pages/: Streamlit treats a pages/ folder as its older
# multipage mode when a page URL is opened directly, which would skip this file and the
# shared sidebar.
pages = [
    st.Page("views/home.py", title="Home", icon=":material/map:", default=True),
    st.Page(
        "views/insurance_page.py",
        title="Insurance",
        icon=":material/policy:",
        url_path="insurance",
    ),
    st.Page("views/flood_page.py", title="Flood", icon=":material/flood:", url_path="flood"),
    st.Page("views/yield_page.py", title="Yield", icon=":material/agriculture:", url_path="yield"),
    st.Page("views/carbon_page.py", title="Carbon", icon=":material/co2:", url_path="carbon"),
    st.Page(
        "views/imagery_page.py",
        title="Imagery",
        icon=":material/satellite_alt:",
        url_path="imagery",
    ),
    st.Page(
        "views/crop_labels_page.py",
        title="Crop labels",
        icon=":material/label:",
        url_path="crop-labels",
    ),
]
page = st.navigation(pages)
sidebar()
page.run()
