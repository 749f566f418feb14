"""File uploads on the pages, each with its own size cap.

Every ``st.file_uploader`` of the dashboard goes through :func:`capped_uploader` (or, on
the Data page, ui/imports.py's forms with their own cap): the widget states and enforces
the limit in the browser, and the size is checked again here before a byte is read, so a
client that ignores the widget's limit gets an error instead of filling the server's memory.
``server.maxUploadSize`` in .streamlit/config.toml caps what the server accepts at all.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import streamlit as st

from paii_core.config import make_private_folder
from paii_core.errors import PaiiError, name_file_as
from paii_core.io.untrusted import check_upload

__all__ = [
    "PORTFOLIO_MAX_MB",
    "PRODUCT_MAX_MB",
    "RASTER_MAX_MB",
    "capped_uploader",
    "saved_upload",
    "saved_uploads",
    "too_big",
]

RASTER_MAX_MB = 200
"""A GeoTIFF on the Flood and Imagery pages (a 10,000 x 10,000 px two-band float32
Sentinel-1 scene is 760 MB: such scenes go through the `paii` commands, which read windows)."""
PRODUCT_MAX_MB = 2048
"""A Sentinel-2 product's .zip as downloaded on the Data page's area form (L1C 0.5-0.8 GB,
L2A 0.8-1.2 GB a tile). Streamlit holds an upload in the server's memory until the form
writes it to the data folder's disk; the engine then reads only the area's windows of it."""
PORTFOLIO_MAX_MB = 5
"""The Carbon page's county_id,weight CSV (every US county at once is under 100 kB)."""


def too_big(upload, max_mb: int, fix: str) -> bool:
    """Whether ``upload`` is over ``max_mb`` MB; if so, shows an error naming the file,
    its size, the limit and ``fix``."""
    size_mb = upload.size / 2**20
    if size_mb <= max_mb:
        return False
    st.error(
        f"{upload.name} is {size_mb:,.1f} MB, above the {max_mb} MB upload limit of this page. "
        f"Fix: {fix}",
        icon=":material/error:",
    )
    return True


def capped_uploader(label: str, *, type: list[str], key: str, max_mb: int, fix: str):
    """``st.file_uploader`` limited to ``max_mb`` MB; the upload, or None when there is none
    or it is too big (then an error says so, with ``fix``)."""
    upload = st.file_uploader(
        label, type=type, key=key, max_upload_size=max_mb, help=f"Up to {max_mb} MB."
    )
    if upload is None or too_big(upload, max_mb, fix):
        return None
    return upload


@contextmanager
def saved_upload(upload) -> Iterator[Path]:
    """The upload saved under its own name in a temporary folder for the block; a
    PaiiError raised in the block names the uploaded file, not the temporary copy."""
    with tempfile.TemporaryDirectory(prefix="paii-upload-") as tmp:
        path = Path(tmp) / Path(upload.name).name
        path.write_bytes(upload.getvalue())
        try:
            check_upload(path)
            yield path
        except PaiiError as e:
            raise name_file_as(e, path, upload.name) from None


@contextmanager
def saved_uploads(uploads: Sequence, folder: Path) -> Iterator[dict[str, str]]:
    """The uploads saved under their own names in a new private folder inside ``folder``
    (created owner-only: it sits in the data folder, on the data's disk, not in a small
    /tmp), for the block; yields {saved path: uploaded name}. The folder and every file
    in it are removed when the block ends, however it ends, so a failure leaves nothing
    half-written; a PaiiError raised in the block names the uploaded files, not the
    copies."""
    make_private_folder(folder)
    with tempfile.TemporaryDirectory(prefix="upload-", dir=folder) as tmp:
        saved: dict[str, str] = {}
        for i, upload in enumerate(uploads):  # a folder each: two files may share a name
            path = Path(tmp) / str(i) / Path(upload.name).name
            path.parent.mkdir()
            path.write_bytes(upload.getvalue())
            saved[str(path)] = upload.name
        try:
            for path in saved:
                check_upload(Path(path))
            yield saved
        except PaiiError as e:
            for path, name in saved.items():
                name_file_as(e, path, name)
            raise
