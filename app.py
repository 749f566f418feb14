"""PAII dashboard entry point: page config, sign-in, navigation by role, shared sidebar."""

from __future__ import annotations

import os
import time
from pathlib import Path

import streamlit as st

from paii_core.access import Principal, allowed
from paii_core.errors import PaiiError
from ui import auth, jobs, preparing, warmup
from ui.common import show_error, sidebar

st.set_page_config(page_title="PAII", page_icon="🛰️", layout="wide")

# Pages live in views/, not pages/: Streamlit treats a pages/ folder as its older
# multipage mode when a page URL is opened directly, which would skip this file, the
# sign-in and the shared sidebar. Each page names the permission it needs; a signed-in
# user's navigation lists only the pages their role may open, so no URL reaches others.
PAGES: tuple[tuple[str, str, str, str | None, str], ...] = (
    ("views/home.py", "Home", ":material/map:", None, "county_data"),
    ("views/insurance_page.py", "Insurance", ":material/policy:", "insurance", "policy_data"),
    ("views/flood_page.py", "Flood", ":material/flood:", "flood", "analysis"),
    ("views/yield_page.py", "Yield", ":material/agriculture:", "yield", "analysis"),
    ("views/carbon_page.py", "Carbon", ":material/co2:", "carbon", "analysis"),
    ("views/imagery_page.py", "Imagery", ":material/satellite_alt:", "imagery", "analysis"),
    ("views/crop_labels_page.py", "Crop labels", ":material/label:", "crop-labels", "analysis"),
    ("views/data_page.py", "Data", ":material/database:", "data", "workspace"),
    ("views/admin_page.py", "Admin", ":material/admin_panel_settings:", "admin", "admin"),
)


def _pages(principal: Principal) -> list:
    return [
        st.Page(path, title=title, icon=icon, url_path=url, default=url is None)
        for path, title, icon, url, permission in PAGES
        if allowed(principal.role, permission)
    ]


def _run() -> None:
    warmup.start(Path(__file__).parent / "views")
    if preparing.gate():  # a first run's preparation holds the store: show its progress
        return
    try:
        auth.ensure_accounts()
        principal = auth.current_principal()
    except PaiiError as e:
        show_error(e)
        return
    auth.write_cookie()
    if principal is None:
        # Every page's URL leads to the sign-in form (not to "page not found"); once
        # signed in, the same URL opens that page if the role allows it.
        gates = [st.Page(auth.sign_in_page, title="Sign in", url_path="sign-in", default=True)]
        gates += [
            st.Page(auth.sign_in_page, title=title, url_path=url)
            for _, title, _, url, _ in PAGES
            if url is not None
        ]
        st.navigation(gates, position="hidden").run()
    elif auth.must_change_password(principal):
        st.navigation([st.Page(auth.change_password_page, title="Password")]).run()
    else:
        page = st.navigation(_pages(principal))
        sidebar()
        with st.sidebar:
            jobs.under_way()
            auth.account_box(principal)
        script = {title: path for path, title, *_ in PAGES}.get(page.title)
        with warmup.page_run(Path(__file__).parent / script if script else None):
            start = time.perf_counter()
            try:
                page.run()
            finally:  # PAII_PAGE_TIMES=1: each page's script time on the console (benchmarks)
                if os.environ.get("PAII_PAGE_TIMES"):
                    took = time.perf_counter() - start
                    print(f"PAII page {page.title}: {took:.2f} s", flush=True)


_run()
