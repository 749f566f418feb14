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
    assert warmup._DONE.is_set()
    assert {"lightgbm", "sklearn.metrics", "plotly.graph_objects"} <= set(sys.modules)
