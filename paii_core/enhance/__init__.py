"""Image enhancement: DCP haze index, dehazing and 4x super-resolution of BGRN imagery."""

from paii_core.enhance.api import (
    DEHAZE_METHODS,
    SR_METHODS,
    dehaze,
    haze_index,
    load_model,
    model_dir,
    super_resolve,
)
from paii_core.enhance.haze_index import HazeIndex
from paii_core.enhance.pairs import CaptureRecord, HazePair, build_pairs

__all__ = [
    "DEHAZE_METHODS",
    "SR_METHODS",
    "CaptureRecord",
    "HazeIndex",
    "HazePair",
    "build_pairs",
    "dehaze",
    "haze_index",
    "load_model",
    "model_dir",
    "super_resolve",
]
