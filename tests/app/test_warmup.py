"""ui/warmup.py: which modules the warm-up imports, in which order, and who waits for what."""

from __future__ import annotations

import sys

from tests.conftest import REPO
from ui import warmup

VIEWS = REPO / "views"


def test_light_pages_imports_come_first_with_their_submodules():
    modules = warmup.page_modules(VIEWS)
    home = warmup._imports(VIEWS / "home.py")
    assert "paii_core.maps" in home and "paii_core.overview" in home  # from paii_core import ..
    last_light = max(modules.index(m) for m in home)
    # Flood's (a heavy page whose file sorts before home.py) come after all of Home's.
    assert last_light < modules.index("paii_core.flood.event")
    assert not any(m.startswith("views.") for m in modules)


def test_pages_wait_for_the_warm_up_and_it_imports_the_heavy_libraries():
    warmup.start(VIEWS)
    assert warmup.wait(VIEWS / "home.py", timeout_s=600)
    assert set(warmup._imports(VIEWS / "home.py")) <= warmup._imported
    assert warmup.wait(VIEWS / "yield_page.py", timeout_s=600)
    assert warmup._CORE.is_set()  # all but torch and the enhance models
    assert warmup.wait(VIEWS / "imagery_page.py", timeout_s=600)
    assert warmup._DONE.is_set() and "torch" in sys.modules
    assert {"lightgbm", "sklearn.metrics", "plotly.graph_objects"} <= set(sys.modules)


def test_torch_and_the_enhance_models_come_last_and_only_imagery_waits_for_them():
    modules = warmup.warmup_modules(VIEWS)
    last = [m for m in modules if m == "torch" or m.startswith(("torch.", "paii_core.enhance"))]
    assert "paii_core.enhance" in last and "torch" in last
    assert modules[-len(last) :] == last  # nothing else after them
    assert {"lightgbm", "rasterio", "paii_core.insurance"} <= set(modules[: -len(last)])
    needs = {p.name: any(warmup._last(m) for m in warmup._imports(p)) for p in VIEWS.glob("*.py")}
    assert needs["imagery_page.py"]
    assert not needs["insurance_page.py"] and not needs["yield_page.py"]


def test_a_running_page_holds_back_the_last_imports_but_one_needing_them_does_not():
    warmup.start(VIEWS)
    assert warmup._wait_quiet(0)  # no page running
    with warmup.page_run(VIEWS / "insurance_page.py", timeout_s=600) as ready:
        assert ready and warmup._running == 1
        assert not warmup._wait_quiet(0.05)  # the torch import would wait (bounded)
    assert warmup._running == 0 and warmup._wait_quiet(0)
    with warmup.page_run(VIEWS / "imagery_page.py", timeout_s=600) as ready:
        assert ready and warmup._running == 0  # it waits for torch: never counted
    try:
        with warmup.page_run(VIEWS / "home.py", timeout_s=600):
            raise RuntimeError("a page's own error")
    except RuntimeError:
        pass
    assert warmup._running == 0


def test_each_page_is_parsed_once_per_version(tmp_path, monkeypatch):
    """CPython 3.11's parser is not safe in two threads at once (the warm-up and a page run
    failed a page with "AST constructor recursion depth mismatch"): ours parse a file once,
    under a lock, and again only when it changes."""
    calls = []
    parse = warmup.ast.parse
    monkeypatch.setattr(warmup.ast, "parse", lambda src: calls.append(1) or parse(src))
    page = tmp_path / "page.py"
    page.write_text("import pandas\nfrom paii_core import maps\n")
    first = warmup._imports(page)
    assert warmup._imports(page) == first == ("pandas", "paii_core", "paii_core.maps")
    assert len(calls) == 1
    page.write_text("import numpy\n")
    assert warmup._imports(page) == ("numpy",) and len(calls) == 2
