"""Upload size caps on every page: each st.file_uploader states a limit, and an upload over
it is refused with an error before it is read."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest

from paii_core.enhance.files import read_bgrn
from paii_core.errors import FormatError
from ui import uploads

REPO = Path(__file__).resolve().parents[2]


def _uploader_calls(path: Path) -> list[ast.Call]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute | ast.Name)
        and getattr(node.func, "attr", getattr(node.func, "id", None)) == "file_uploader"
    ]


def test_every_uploader_of_the_dashboard_has_a_size_cap():
    sources = [REPO / "app.py", *(REPO / "views").glob("*.py"), *(REPO / "ui").glob("*.py")]
    calls = {p.name: _uploader_calls(p) for p in sources}
    assert sum(map(len, calls.values())) >= 3  # ui/uploads.py and ui/imports.py's two forms
    for name, found in calls.items():
        for call in found:
            keywords = {k.arg for k in call.keywords}
            assert "max_upload_size" in keywords, f"{name}:{call.lineno} has no size cap"
    capped = [p.name for p in sources if "capped_uploader(" in p.read_text()]
    assert {"flood_page.py", "imagery_page.py", "carbon_page.py"} <= set(capped)


def test_the_server_cap_covers_every_page_cap():
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    server = config["server"]["maxUploadSize"]
    assert uploads.PORTFOLIO_MAX_MB < uploads.RASTER_MAX_MB < uploads.PRODUCT_MAX_MB <= server


@pytest.fixture
def widget(monkeypatch):
    """st.file_uploader and st.error replaced: the upload to return, what was asked, errors."""
    seen = {"errors": [], "asked": None, "upload": None}

    def file_uploader(label, **kw):
        seen["asked"] = (label, kw)
        return seen["upload"]

    monkeypatch.setattr(uploads.st, "file_uploader", file_uploader)
    monkeypatch.setattr(uploads.st, "error", lambda text, **kw: seen["errors"].append(text))
    return seen


def test_an_upload_over_the_cap_is_refused_with_the_fix(widget):
    widget["upload"] = SimpleNamespace(name="big.tif", size=5 * 2**20 + 1)
    got = uploads.capped_uploader("S1", type=["tif"], key="k", max_mb=5, fix="use the CLI")
    assert got is None
    assert widget["asked"] == ("S1", {"type": ["tif"], "key": "k", "max_upload_size": 5,
                                      "help": "Up to 5 MB."})  # fmt: skip
    (error,) = widget["errors"]
    assert error == "big.tif is 5.0 MB, above the 5 MB upload limit of this page. Fix: use the CLI"


def test_an_upload_at_the_cap_or_none_passes(widget):
    widget["upload"] = SimpleNamespace(name="ok.tif", size=5 * 2**20)
    assert (
        uploads.capped_uploader("S1", type=["tif"], key="k", max_mb=5, fix="x") is widget["upload"]
    )
    widget["upload"] = None
    assert uploads.capped_uploader("S1", type=["tif"], key="k", max_mb=5, fix="x") is None
    assert widget["errors"] == []


def test_an_error_reading_a_saved_upload_names_the_uploaded_file_not_the_copy():
    upload = SimpleNamespace(name="L7_ETMs.tif", getvalue=lambda: b"not a GeoTIFF")
    with pytest.raises(FormatError, match=r"^L7_ETMs\.tif: .*Fix: ") as caught:
        with uploads.saved_upload(upload) as path:
            assert path.name == "L7_ETMs.tif" and path.read_bytes() == b"not a GeoTIFF"
            copy = str(path)
            read_bgrn(path)
    assert copy not in str(caught.value) and caught.value.path == "L7_ETMs.tif"
    assert not Path(copy).exists()  # the temporary copy is gone


def test_an_upload_read_without_error_is_removed_afterwards():
    upload = SimpleNamespace(name="ok.tif", getvalue=lambda: b"x")
    with uploads.saved_upload(upload) as path:
        assert path.exists()
    assert not path.exists()
