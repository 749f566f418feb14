"""The simulated demo world: a library of physically grounded parts and its builder.

The parts (terrain, landscape, phenology, optics, haze, sar, flood, soundings, panels,
portfolio) are modules of their own; the builder names are loaded lazily so that
importing one part does not import the whole generator.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["SIZES", "build_demo", "build_world", "flood_dates", "prepare_demo", "season_dates"]

_LAZY = {
    "build_demo": "paii_core.demo.build",
    "build_world": "paii_core.demo.world",
    "SIZES": "paii_core.demo.world",
    "flood_dates": "paii_core.demo.world",
    "prepare_demo": "paii_core.demo.prepare",
    "season_dates": "paii_core.demo.world",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'paii_core.demo' has no attribute {name!r}")
