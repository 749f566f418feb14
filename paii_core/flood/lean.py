"""HAND in bounded memory: compiled D8 routing kernels at about 20 bytes a DEM cell.

The array version in :mod:`paii_core.flood.terrain` (scikit-image reconstruction, sparse
breadth-first search, pointer jumping on int64 indices) needs about 200 bytes a cell: 14 GB
for the 68 million cells of a full Sentinel-1 IW scene's 30 m DEM with its margin. These
kernels compute the same HAND, cell for cell, keeping per cell only the filled DEM
(float32), a D8 code and flags (int8, uint8), the accumulation (uint32) and the result
(float32); queues hold only the current flood front and the flat cells.

Every step reproduces its array counterpart exactly (tests/flood/test_lean.py compares
them on random and plateau-rich DEMs):

- depression filling: Priority-Flood with a FIFO queue for pit cells (Barnes, Lehman &
  Mulla 2014, Computers & Geosciences 62, algorithm 2); the filled surface is unique, so
  it equals the reconstruction by erosion of :func:`terrain.fill_depressions`;
- steepest descent with the same float32 drop and the same tie order as
  :func:`terrain.flow_directions`;
- flats: one breadth-first search from the outlets in increasing cell order, neighbours
  in increasing cell order, the order ``scipy.sparse.csgraph.breadth_first_order`` visits
  the graph :func:`terrain._route_flats` builds, so every flat cell gets the same receiver;
- accumulation: each cell passes its count on once all its upstream cells have (Kahn
  1962), walked depth-first from the ridges so no queue is needed;
- HAND: each cell follows its flow path to the first channel cell, reusing the answer
  of every cell already walked.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = ["accumulate", "downstream_index", "fill_and_direct", "hand_lean"]

_DR = np.array([0, 1, 1, 1, 0, -1, -1, -1], dtype=np.int64)
_DC = np.array([1, 1, 0, -1, -1, -1, 0, 1], dtype=np.int64)
_DIST = np.array([np.hypot(r, c) for r, c in zip(_DR, _DC, strict=True)], dtype=np.float32)
_BFS_ORDER = np.array([5, 6, 7, 4, 0, 3, 2, 1], dtype=np.int64)
"""The D8 offsets in increasing flat-index order, the order in which scipy's
breadth-first search meets a cell's neighbours (its sparse rows are index-sorted)."""
_LOW = np.float32(-1e9)
_FLAT, _START, _SEEN = np.uint8(1), np.uint8(2), np.uint8(4)


@numba.njit(cache=True)
def _grow(a: NDArray, n: int) -> NDArray:
    out = np.empty(max(2 * a.size, n + 16), dtype=a.dtype)
    out[: a.size] = a
    return out


@numba.njit(cache=True)
def _heap_push(hz, hi, n, z, i):
    """Push (z, i) on the binary min-heap held in hz/hi[:n]; returns the new arrays."""
    if n >= hz.size:
        hz, hi = _grow(hz, n), _grow(hi, n)
    k = n
    while k > 0:
        parent = (k - 1) // 2
        if hz[parent] <= z:
            break
        hz[k], hi[k] = hz[parent], hi[parent]
        k = parent
    hz[k], hi[k] = z, i
    return hz, hi


@numba.njit(cache=True)
def _heap_pop(hz, hi, n):
    """Remove the smallest item of hz/hi[:n] (n > 0); returns (z, i)."""
    top_z, top_i = hz[0], hi[0]
    last_z, last_i = hz[n - 1], hi[n - 1]
    m = n - 1
    k = 0
    while True:
        child = 2 * k + 1
        if child >= m:
            break
        if child + 1 < m and hz[child + 1] < hz[child]:
            child += 1
        if hz[child] >= last_z:
            break
        hz[k], hi[k] = hz[child], hi[child]
        k = child
    if m > 0:
        hz[k], hi[k] = last_z, last_i
    return top_z, top_i


@numba.njit(cache=True)
def _fill(z, dr, dc):
    """Priority-Flood+FIFO: float32 copy of z with every pit raised to its spill level.

    NaN cells count as outside the grid (their neighbours are seeds) and stay NaN.
    """
    h, w = z.shape
    out = z.copy()
    closed = np.zeros((h, w), dtype=np.bool_)
    hz = np.empty(2 * (h + w) + 64, dtype=np.float32)
    hi = np.empty(2 * (h + w) + 64, dtype=np.int64)
    n = 0
    pit = np.empty(1024, dtype=np.int64)
    for r in range(h):
        for c in range(w):
            if not np.isfinite(z[r, c]):
                closed[r, c] = True
                continue
            seed = r == 0 or c == 0 or r == h - 1 or c == w - 1
            if not seed:
                for k in range(8):
                    if not np.isfinite(z[r + dr[k], c + dc[k]]):
                        seed = True
                        break
            if seed:
                closed[r, c] = True
                hz, hi = _heap_push(hz, hi, n, z[r, c], r * w + c)
                n += 1
    head = tail = 0
    while n > 0 or head < tail:
        if head < tail:
            i = pit[head]
            head += 1
            if head == tail:
                head = tail = 0
            level = out[i // w, i % w]
        else:
            level, i = _heap_pop(hz, hi, n)
            n -= 1
        r, c = i // w, i % w
        for k in range(8):
            r2, c2 = r + dr[k], c + dc[k]
            if r2 < 0 or r2 >= h or c2 < 0 or c2 >= w or closed[r2, c2]:
                continue
            closed[r2, c2] = True
            if out[r2, c2] <= level:
                out[r2, c2] = level
                if tail >= pit.size:
                    pit = _grow(pit, tail)
                pit[tail] = r2 * w + c2
                tail += 1
            else:
                hz, hi = _heap_push(hz, hi, n, out[r2, c2], r2 * w + c2)
                n += 1
    return out


@numba.njit(cache=True)
def _directions(filled, dr, dc, dist, low, flat_bit, start_bit):
    """(D8 code, flags): code k = receiver at offset k, -1 = drains out / unresolved flat."""
    h, w = filled.shape
    code = np.full((h, w), -1, dtype=np.int8)
    flags = np.zeros((h, w), dtype=np.uint8)
    for r in range(h):
        for c in range(w):
            v = filled[r, c]
            finite = np.isfinite(v)
            if not finite:
                v = low
            best = np.float32(0.0)
            k_best = -1
            has_equal = False
            near_nodata = not finite
            for k in range(8):
                r2, c2 = r + dr[k], c + dc[k]
                if r2 < 0 or r2 >= h or c2 < 0 or c2 >= w:
                    continue
                nb = filled[r2, c2]
                if not np.isfinite(nb):
                    nb = low
                    near_nodata = True
                drop = (v - nb) / dist[k]
                if drop > best:
                    best = drop
                    k_best = k
                if nb == v:
                    has_equal = True
            code[r, c] = k_best
            edge = r == 0 or c == 0 or r == h - 1 or c == w - 1
            outlet_ok = best > 0 or edge or near_nodata
            if not outlet_ok and finite:
                flags[r, c] = flat_bit
            elif outlet_ok and has_equal:
                flags[r, c] = start_bit
    return code, flags


@numba.njit(cache=True)
def _route_flats(filled, code, flags, dr, dc, order, flat_bit, start_bit, seen_bit):
    """Breadth-first search from the outlets over equal-height flat cells, in place."""
    h, w = filled.shape
    n_queue = 0
    for r in range(h):
        for c in range(w):
            if flags[r, c] & (flat_bit | start_bit):
                n_queue += 1
    queue = np.empty(n_queue, dtype=np.int64)
    tail = 0
    for r in range(h):
        for c in range(w):
            if flags[r, c] & start_bit:
                queue[tail] = r * w + c
                tail += 1
    head = 0
    while head < tail:
        i = queue[head]
        head += 1
        r, c = i // w, i % w
        for k in order:
            r2, c2 = r + dr[k], c + dc[k]
            if r2 < 0 or r2 >= h or c2 < 0 or c2 >= w:
                continue
            f = flags[r2, c2]
            if (f & flat_bit) and not (f & seen_bit) and filled[r, c] == filled[r2, c2]:
                flags[r2, c2] = f | seen_bit
                code[r2, c2] = (k + 4) % 8  # the flat cell drains back to (r, c)
                queue[tail] = r2 * w + c2
                tail += 1


@numba.njit(cache=True)
def _accumulate(code, dr, dc):
    """uint32 count of cells draining through each cell, itself included."""
    h, w = code.shape
    n = h * w
    flat_code = code.ravel()
    indeg = np.zeros(n, dtype=np.uint8)
    for i in range(n):
        k = flat_code[i]
        if k >= 0:
            indeg[i + dr[k] * w + dc[k]] += 1
    acc = np.ones(n, dtype=np.uint32)
    done = np.uint8(255)
    for i in range(n):
        if indeg[i] != 0:
            continue
        j = i
        while True:
            indeg[j] = done
            k = flat_code[j]
            if k < 0:
                break
            d = j + dr[k] * w + dc[k]
            acc[d] += acc[j]
            indeg[d] -= 1
            if indeg[d] != 0:
                break
            j = d
    return acc.reshape(h, w)


@numba.njit(cache=True)
def _hand(filled, code, channel, dr, dc):
    """filled minus the filled height of the first channel (or exit) cell downstream."""
    h, w = filled.shape
    n = h * w
    fz = filled.ravel()
    fc = code.ravel()
    ch = channel.ravel()
    base = np.full(n, np.nan, dtype=np.float32)
    for i in range(n):
        if not np.isnan(base[i]):
            continue
        j = i
        while np.isnan(base[j]) and not ch[j] and fc[j] >= 0:
            k = fc[j]
            j = j + dr[k] * w + dc[k]
        level = base[j] if not np.isnan(base[j]) else fz[j]
        j = i
        while np.isnan(base[j]):
            base[j] = level
            if ch[j] or fc[j] < 0:
                break
            k = fc[j]
            j = j + dr[k] * w + dc[k]
    out = base.reshape(h, w)
    for r in range(h):
        for c in range(w):
            out[r, c] = filled[r, c] - out[r, c]
    return out


def fill_and_direct(z: NDArray[np.float32]) -> tuple[NDArray[np.float32], NDArray[np.int8]]:
    """(filled DEM, D8 code) of ``z``: code k drains to offset k of the D8 order of
    :mod:`terrain` (east, clockwise), -1 out of the grid; :func:`terrain.route`'s routing."""
    filled = _fill(np.ascontiguousarray(z, dtype=np.float32), _DR, _DC)
    code, flags = _directions(filled, _DR, _DC, _DIST, _LOW, _FLAT, _START)
    _route_flats(filled, code, flags, _DR, _DC, _BFS_ORDER, _FLAT, _START, _SEEN)
    return filled, code


def accumulate(code: NDArray[np.int8]) -> NDArray[np.uint32]:
    """Cells draining through each cell, itself included, from :func:`fill_and_direct`'s code."""
    return _accumulate(code, _DR, _DC)


def downstream_index(code: NDArray[np.int8]) -> NDArray[np.int64]:
    """Flat index of each cell's receiver (itself where it drains out): ``Drainage.downstream``."""
    index = np.arange(code.size, dtype=np.int64).reshape(code.shape)
    return np.where(code < 0, index, index + _DR[code] * code.shape[1] + _DC[code])


def hand_lean(
    z: NDArray[np.float32], *, channel_cells: float, channels: NDArray[np.bool_] | None
) -> NDArray[np.float32]:
    """HAND of a void-free float32 DEM: channels drain >= ``channel_cells`` cells or are in
    ``channels``. Same result as :func:`terrain.hand` with ``drainage=route(z)``.
    """
    filled, code = fill_and_direct(z)
    acc = accumulate(code)
    channel = acc >= channel_cells
    del acc
    if channels is not None:
        channel |= channels
    return _hand(filled, code, channel, _DR, _DC)
