"""One small generated scene shared by the crop tests (seed 301: not demo, test, train or bench)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def scene():
    from paii_core.crops.scenes import make_scene

    return make_scene("henan", 301, size_px=64, hires_factor=2)
