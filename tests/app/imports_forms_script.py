"""A page that holds only the upload forms, for AppTest (the Data page calls the same)."""

import streamlit as st

from ui import common, imports

region = st.session_state.get("region_id", "iowa")
con = common.connection()
imports.policy_upload_form(con, region)
imports.yield_upload_form(con, region)
