"""Upload forms for a region's policies and yields, with the import's validation report.

The Data page calls :func:`policy_upload_form` and :func:`yield_upload_form`; the checks
and the all-or-nothing write are the engine's (`paii policies import`, `paii yields
import`), so the page and the command report the same problems.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from paii_core.access.roles import Permission, allowed
from paii_core.errors import ImportRejectedError, PaiiError
from paii_core.importing import ImportReport, problems_frame
from paii_core.insurance.imports import import_policies
from paii_core.insurance.policy_file import (
    CSV_SUFFIXES,
    EXCEL_SUFFIXES,
    POLICY_COLUMNS,
    VECTOR_SUFFIXES,
)
from paii_core.yields.imports import import_yields
from paii_core.yields.table import COMMON_UNITS, TABLE_COLUMNS
from ui import auth
from ui.uploads import saved_upload, too_big

__all__ = [
    "MAX_UPLOAD_MB",
    "POLICY_FORM",
    "YIELD_FORM",
    "policy_upload_form",
    "signed_in_user",
    "upload_forms",
    "yield_upload_form",
]

MAX_UPLOAD_MB = 50
"""Uploads above this are refused before they are read (the CLI takes any size)."""


_WIDGET_CAP_MB = max(1, math.ceil(MAX_UPLOAD_MB))
"""The uploaders' own cap (a positive whole number of MB), so the widget states the limit
that :func:`_run_import` enforces. Fixed at import: a widget's identity includes it."""


def _run_import(upload, run: Callable[[Path], ImportReport], *, what: str) -> ImportReport | None:
    """Save the upload to a temporary file under its own name, run the import on it and
    show the outcome; None when it was refused."""
    fix = f"split the file, or import it with the `paii {what} import` command"
    if too_big(upload, MAX_UPLOAD_MB, fix):
        return None
    try:
        with saved_upload(upload) as path:
            report = run(path)
    except ImportRejectedError as e:
        st.error(
            f"{upload.name}: {len(e.problems)} problem(s); nothing was imported. "
            "Fix each problem below and upload the file again.",
            icon=":material/error:",
        )
        table = problems_frame(e.problems)
        # A problem of the whole file (a missing column) has no row: say so, not "None".
        table["row"] = table["row"].astype("string").fillna("whole file")
        st.dataframe(table, hide_index=True, width="stretch")
        return None
    except PaiiError as e:
        st.error(str(e), icon=":material/error:")
        return None
    st.success(report.summary(), icon=":material/check_circle:")
    if report.skipped:
        skipped = pd.DataFrame(
            sorted(report.skipped.items(), key=lambda kv: -kv[1]), columns=["reason", "rows"]
        )
        st.caption("Rows skipped, by reason")
        st.dataframe(skipped, hide_index=True, width="stretch")
    for note in report.notes:
        st.caption(note)
    return report


POLICY_FORM: tuple[Permission, ...] = ("workspace", "policy_data")
YIELD_FORM: tuple[Permission, ...] = ("workspace",)
"""The permissions each upload form needs."""


def _may(*permissions: Permission) -> bool:
    principal = auth.current_principal()
    return principal is not None and all(allowed(principal.role, p) for p in permissions)


def upload_forms() -> list[Callable[[duckdb.DuckDBPyConnection, str], ImportReport | None]]:
    """The upload forms the signed-in role may use (policies first), for a page to lay
    out: an analyst without policy data gets the yields form alone."""
    forms = ((policy_upload_form, POLICY_FORM), (yield_upload_form, YIELD_FORM))
    return [form for form, needs in forms if _may(*needs)]


def signed_in_user(*permissions: Permission) -> str | None:
    """The signed-in user when their role holds every permission, else None (with why)."""
    principal = auth.current_principal()
    if principal is None or not all(allowed(principal.role, p) for p in permissions):
        needs = " and ".join(p.replace("_", " ") for p in permissions)
        st.caption(f"Importing needs an account whose role may see {needs}.")
        return None
    return principal.user


def policy_upload_form(con: duckdb.DuckDBPyConnection, region_id: str) -> ImportReport | None:
    """Upload a policy file for ``region_id``: checked row by row, stored whole or not.
    Drawn only for roles holding both the workspace and the policy data permissions: to
    any other role it shows nothing, not even its heading."""
    if not _may(*POLICY_FORM):
        return None
    st.markdown(
        "**Policies**: CSV (WKT geometry or plot ids), an Excel workbook (.xlsx), GeoPackage or "
        "GeoJSON"
    )
    user = signed_in_user(*POLICY_FORM)
    if user is None:
        return None
    with st.expander("Columns of a policy file"):
        st.dataframe(
            pd.DataFrame(list(POLICY_COLUMNS.items()), columns=["column", "content"]),
            hide_index=True,
            width="stretch",
        )
    suffixes = (*CSV_SUFFIXES, *EXCEL_SUFFIXES, *VECTOR_SUFFIXES)
    kinds = [s.lstrip(".") for s in suffixes if s != ".shp"]
    upload = st.file_uploader(
        "Policy file", type=kinds, key=f"policy_upload_{region_id}", max_upload_size=_WIDGET_CAP_MB
    )
    replace = st.checkbox("Replace the region's stored policies", key=f"policy_replace_{region_id}")
    if upload is None or not st.button("Import policies", key=f"policy_import_{region_id}"):
        return None
    return _run_import(
        upload,
        lambda path: import_policies(
            con, path, region_id, replace=replace, actor=user, source=upload.name
        ),
        what="policies",
    )


def yield_upload_form(con: duckdb.DuckDBPyConnection, region_id: str) -> ImportReport | None:
    """Upload county yields for ``region_id``: a yield table (CSV or Excel) or a USDA NASS
    Quick Stats export (drawn only for roles with the workspace permission)."""
    if not _may(*YIELD_FORM):
        return None
    st.markdown(
        "**Yields**: a county yield table (CSV or Excel) or a USDA NASS Quick Stats CSV "
        "export; yields are converted to the region's unit, rows of other counties are "
        "skipped and counted"
    )
    user = signed_in_user(*YIELD_FORM)
    if user is None:
        return None
    with st.expander("Columns of a yield table"):
        st.dataframe(
            pd.DataFrame(list(TABLE_COLUMNS.items()), columns=["column", "content"]),
            hide_index=True,
            width="stretch",
        )
    upload = st.file_uploader(
        "Yield file",
        type=[s.lstrip(".") for s in (*CSV_SUFFIXES, *EXCEL_SUFFIXES)],
        key=f"yield_upload_{region_id}",
        max_upload_size=_WIDGET_CAP_MB,
    )
    unit = st.selectbox(
        "Unit, where the file names none",
        COMMON_UNITS,
        index=None,
        placeholder="the file names its unit",
        key=f"yield_unit_{region_id}",
        help="A yield table whose header says 'yield (kg/mu)' or that has a unit column "
        "needs nothing here; a Quick Stats export names its units itself.",
    )
    crop = st.text_input(
        "Crop, where the file names none",
        key=f"yield_crop_{region_id}",
        placeholder="the file has a crop column",
        help="For a file of one crop without a crop column, e.g. a yearbook table of "
        "county wheat yields with one column per year.",
    ).strip()
    if upload is None or not st.button("Import yields", key=f"yield_import_{region_id}"):
        return None
    return _run_import(
        upload,
        lambda path: import_yields(
            con, path, region_id, unit=unit, crop=crop or None, actor=user, source=upload.name
        ),
        what="yields",
    )
