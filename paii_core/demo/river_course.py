"""River centrelines of the demo terrain: sine-generated meanders as 4-connected cell paths."""

from __future__ import annotations

import numpy as np
from scipy import ndimage, special


def _river_path(
    shape: tuple[int, int], px: float, width_m: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """4-connected centreline cells (N, 2) int32 upstream first, and their chainage in m.

    The heading follows a sine-generated curve (Langbein & Leopold 1966) whose
    amplitude, wavelength and mean direction wander slowly, so meanders differ.
    """
    h, w = shape
    ds = 0.5  # step along the channel in pixels, so consecutive cells are neighbours
    wavelength_px = 11.0 * width_m / px
    n = int(3 * (h + w) / ds) + 64
    for _ in range(16):
        edge = rng.integers(4)  # 0 top, 1 bottom, 2 left, 3 right: where the river enters
        inward = (np.pi / 2, -np.pi / 2, 0.0, np.pi)[edge]
        along = rng.uniform(0.15, 0.85)
        y0, x0 = (
            (-1.0, along * (w - 1)),
            (h, along * (w - 1)),
            (along * (h - 1), -1.0),
            (along * (h - 1), w),
        )[edge]
        omega = rng.uniform(0.5, 1.3)
        arc_wavelength = wavelength_px / special.j0(omega)
        wobble = np.exp(0.35 * _noise_1d(n, rng, int(arc_wavelength / ds) + 1))
        phase = 2 * np.pi * np.cumsum(ds / (arc_wavelength * wobble))
        amplitude = omega * (1.0 + 0.35 * _noise_1d(n, rng, int(2 * arc_wavelength / ds) + 1))
        drift = 0.25 * _noise_1d(n, rng, int(4 * arc_wavelength / ds) + 1)
        heading = inward + rng.uniform(-0.35, 0.35) + amplitude * np.sin(phase) + drift
        y = y0 + np.cumsum(ds * np.sin(heading))
        x = x0 + np.cumsum(ds * np.cos(heading))
        rows, cols = np.rint(y).astype(np.int64), np.rint(x).astype(np.int64)
        inside = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
        start, stop = _longest_run(inside)
        rows, cols = rows[start:stop], cols[start:stop]
        span = np.hypot(rows[-1] - rows[0], cols[-1] - cols[0]) if stop > start else 0.0
        if span >= 0.5 * min(h, w):
            break
    else:  # pragma: no cover - a curve that never spans half the scene 16 times running
        raise RuntimeError("could not draw a river across the scene; try another rng seed")
    chain = np.arange(start, stop) * ds * px
    rows, cols, chain = _simple_path(rows, cols, chain)
    chain -= chain[0]
    if rng.random() < 0.5:  # the river flows either way along the drawn curve
        rows, cols, chain = rows[::-1], cols[::-1], chain[-1] - chain[::-1]
    return np.stack([rows, cols], axis=1).astype(np.int32), chain.astype(np.float32)


def _simple_path(
    rows: np.ndarray, cols: np.ndarray, chain: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A cell path with repeats dropped, diagonal steps filled (4-connected) and loops cut."""
    moved = np.ones(rows.size, dtype=bool)
    moved[1:] = (np.diff(rows) != 0) | (np.diff(cols) != 0)
    rows, cols, chain = rows[moved], cols[moved], chain[moved]
    # A diagonal step would leave the channel only 8-connected: add the corner cell.
    diagonal = np.zeros(rows.size, dtype=bool)
    diagonal[1:] = (np.diff(rows) != 0) & (np.diff(cols) != 0)
    at = np.flatnonzero(diagonal)
    rows = np.insert(rows, at, rows[at - 1])
    cols = np.insert(cols, at, cols[at])
    chain = np.insert(chain, at, chain[at])
    return _without_loops(rows, cols, chain)


def _without_loops(
    rows: np.ndarray, cols: np.ndarray, chain: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut out the loop each time the path comes back to a cell, so every cell is met once."""
    keep: list[int] = []
    where: dict[tuple[int, int], int] = {}
    for i, cell in enumerate(zip(rows.tolist(), cols.tolist(), strict=True)):
        seen = where.get(cell)
        if seen is not None:
            for j in keep[seen + 1 :]:
                del where[(int(rows[j]), int(cols[j]))]
            del keep[seen + 1 :]
            continue
        where[cell] = len(keep)
        keep.append(i)
    return rows[keep], cols[keep], chain[keep]


def _longest_run(flags: np.ndarray) -> tuple[int, int]:
    """[start, stop) of the longest run of True in a 1-D bool array ((0, 0) if none)."""
    edges = np.diff(np.concatenate([[0], flags.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    if starts.size == 0:
        return 0, 0
    best = int(np.argmax(stops - starts))
    return int(starts[best]), int(stops[best])


def _noise_1d(n: int, rng: np.random.Generator, correlation: int) -> np.ndarray:
    """Smooth zero-mean unit-variance 1-D noise with the given correlation length (samples).

    Smoothed on a grid four times coarser than the correlation length, then
    interpolated, so long correlations stay cheap.
    """
    stride = max(1, correlation // 4)
    coarse = ndimage.gaussian_filter1d(rng.standard_normal(n // stride + 2), 2.0)
    noise = np.interp(np.arange(n) / stride, np.arange(coarse.size), coarse)
    return noise / (noise.std() or 1.0)
