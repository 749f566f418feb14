"""Small simulated scenes for the enhancement tests (held-out benchmark seeds)."""

from __future__ import annotations

import numpy as np
import pytest

from paii_core.enhance import scenes


@pytest.fixture(scope="session")
def scene() -> scenes.Scene:
    """A 48 x 48 px Henan scene on 3 dates with its 2.5 m truth and SAR."""
    return scenes.make_scene(scenes.BENCH_SEEDS.start + 50, "henan", size=48, dates=3)


@pytest.fixture(scope="session")
def hazy_pair(scene) -> tuple[np.ndarray, np.ndarray]:
    """(hazy, clear) of the scene's first date under haze of mean depth 0.8."""
    hazy, _ = scenes.hazy_version(scene.clear[0], np.random.default_rng(5), mean_tau=0.8)
    return hazy, scene.clear[0]
