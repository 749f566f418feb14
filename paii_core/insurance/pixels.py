"""Pixel neighbourhoods of plot rasters: boundary rings, crop beside them, offsets."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["boundary", "shifted", "touches"]


def touches(plots: NDArray, cropped: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """(H, W) bool pixels with a 4-neighbour in the same plot that is cropped."""
    ids = np.pad(plots, 1, mode="constant", constant_values=-1)
    crop = np.pad(cropped, 1, mode="constant", constant_values=False)
    core = ids[1:-1, 1:-1]
    out = np.zeros(plots.shape, bool)
    for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        window = (slice(1 + dr, ids.shape[0] - 1 + dr), slice(1 + dc, ids.shape[1] - 1 + dc))
        out |= (ids[window] == core) & crop[window]
    return out


def boundary(plots: NDArray) -> NDArray[np.bool_]:
    """(H, W) bool plot pixels with a 4-neighbour (or the image edge) in another plot."""
    pad = np.pad(plots, 1, mode="constant", constant_values=-1)
    core = pad[1:-1, 1:-1]
    differs = (
        (pad[:-2, 1:-1] != core) | (pad[2:, 1:-1] != core)
        | (pad[1:-1, :-2] != core) | (pad[1:-1, 2:] != core)
    )  # fmt: skip
    return differs & (plots > 0)


def shifted(plots: NDArray, dr: int, dc: int) -> NDArray:
    """``plots`` moved ``dr`` rows down and ``dc`` columns right, 0 where nothing moved in."""
    out = np.zeros_like(plots)
    h, w = plots.shape
    src = plots[max(-dr, 0) : h - max(dr, 0), max(-dc, 0) : w - max(dc, 0)]
    out[max(dr, 0) : h - max(-dr, 0), max(dc, 0) : w - max(-dc, 0)] = src
    return out
