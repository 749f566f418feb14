"""Terrain for flood mapping: pit filling, flats, D8 flow, accumulation, HAND and slope."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage, sparse
from scipy.sparse import csgraph
from skimage.morphology import reconstruction

from paii_core.errors import ValidationError

__all__ = [
    "Drainage",
    "fill_depressions",
    "fill_voids",
    "flow_accumulation",
    "flow_directions",
    "hand",
    "slope_deg",
]

# D8 neighbour offsets (row, col), clockwise from east.
_OFFSETS = ((0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1), (-1, 0), (-1, 1))
_LOW = np.float32(-1e9)
"""Elevation given to nodata cells: they act as the outside of the grid, a sink."""


@dataclass(frozen=True, eq=False)
class Drainage:
    """Flow routing of a DEM, everything ``(H, W)``."""

    filled: NDArray[np.float32]
    """Depression-filled DEM (NaN where the DEM has no data)."""
    downstream: NDArray[np.int64]
    """Flat index of the D8 receiver of each cell; a cell that drains out of the grid or
    into nodata points to itself."""
    accumulation: NDArray[np.float64]
    """Number of cells draining through each cell, itself included."""


def _as_dem(dem: ArrayLike) -> NDArray[np.float32]:
    z = np.asarray(dem, dtype=np.float32)
    if z.ndim != 2 or min(z.shape) < 3:
        raise ValidationError(f"dem should be a 2-D (H, W) array of at least 3 x 3, got {z.shape}")
    if not np.isfinite(z).any():
        raise ValidationError("dem holds no data (all NaN); pass a DEM that covers the scene")
    return z


def fill_depressions(dem: ArrayLike) -> NDArray[np.float32]:
    """(H, W) float32 DEM with every pit raised to its spill level (NaN kept).

    Each cell becomes the lowest elevation it can drain out of the grid over, the result
    of priority-flood (Barnes, Lehman & Mulla 2014, "Priority-flood: an optimal
    depression-filling and watershed-labeling algorithm", Computers & Geosciences 62),
    computed as grey-scale reconstruction by erosion from the grid edge (Soille 2004,
    "Morphological image analysis", ch. 6), which yields the same surface and runs in
    scikit-image's compiled queue-based code. Nodata cells count as outside the grid.

    Raises:
        ValidationError: not a 2-D array of at least 3 x 3, or no data at all.
    """
    z = _as_dem(dem)
    nodata = ~np.isfinite(z)
    work = np.where(nodata, _LOW, z)
    seed = np.full_like(work, np.float32(work.max()))
    edge = np.zeros(z.shape, dtype=bool)
    edge[0, :] = edge[-1, :] = edge[:, 0] = edge[:, -1] = True
    np.copyto(seed, work, where=edge | nodata)
    filled = reconstruction(seed, work, method="erosion").astype(np.float32)
    filled[nodata] = np.nan
    return filled


def _shifted(a: NDArray, dr: int, dc: int, fill: float) -> NDArray:
    """a[r + dr, c + dc] at (r, c), ``fill`` outside the grid."""
    h, w = a.shape
    out = np.full_like(a, fill)
    rows_dst = slice(max(0, -dr), h - max(0, dr))
    cols_dst = slice(max(0, -dc), w - max(0, dc))
    rows_src = slice(max(0, dr), h - max(0, -dr))
    cols_src = slice(max(0, dc), w - max(0, -dc))
    out[rows_dst, cols_dst] = a[rows_src, cols_src]
    return out


def flow_directions(filled: ArrayLike) -> NDArray[np.int64]:
    """(H, W) int64 flat index of each cell's D8 receiver on a filled DEM.

    Sloping cells drain to the neighbour of steepest descent (O'Callaghan & Mark 1984,
    drop over distance). Cells on flats (no lower neighbour) drain along the shortest
    path over the flat to its nearest outlet, a cell of the same elevation that has a
    way down (the "towards lower terrain" gradient of Garbrecht & Martz 1997, as used in
    Barnes, Lehman & Mulla 2014b, "An efficient assignment of drainage direction over
    flat surfaces"), found by one breadth-first search from all outlets over the flat
    cells only, so routes never cross between flats of different heights. Edge cells and cells next
    to nodata without a lower neighbour drain out of the grid (point to themselves).
    """
    z = np.asarray(filled, dtype=np.float32)
    h, w = z.shape
    work = np.where(np.isfinite(z), z, _LOW)
    index = np.arange(h * w, dtype=np.int64).reshape(h, w)
    best = np.zeros((h, w), dtype=np.float32)
    down = index.copy()
    has_equal = np.zeros((h, w), dtype=bool)
    for dr, dc in _OFFSETS:
        nb = _shifted(work, dr, dc, np.nan)  # outside: never chosen, never "equal"
        drop = (work - nb) / np.float32(np.hypot(dr, dc))
        better = drop > best
        best = np.where(better, drop, best)
        down = np.where(better, index + dr * w + dc, down)
        has_equal |= nb == work
    on_edge = np.zeros((h, w), dtype=bool)
    on_edge[0, :] = on_edge[-1, :] = on_edge[:, 0] = on_edge[:, -1] = True
    near_nodata = _near(work == _LOW)
    outlet_ok = (best > 0) | on_edge | near_nodata
    flat = ~outlet_ok & np.isfinite(z)
    if flat.any():
        down = _route_flats(work, flat, outlet_ok & has_equal, down)
    return down


def _near(mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
    out = mask.copy()
    for dr, dc in _OFFSETS:
        out |= _shifted(mask, dr, dc, False)
    return out


def _route_flats(
    z: NDArray[np.float32], flat: NDArray, outlet: NDArray, down: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Point flat cells along shortest paths (over equal heights) to their nearest outlet."""
    h, w = z.shape
    nodes = flat | outlet
    ids = np.flatnonzero(nodes.ravel())
    local = np.full(h * w, -1, dtype=np.int64)
    local[ids] = np.arange(ids.size)
    src: list[NDArray[np.int64]] = []
    dst: list[NDArray[np.int64]] = []
    zf, nodef, flatf = z.ravel(), nodes.ravel(), flat.ravel()
    rr, cc = np.divmod(ids, w)
    for dr, dc in _OFFSETS:
        r2, c2 = rr + dr, cc + dc
        inside = (r2 >= 0) & (r2 < h) & (c2 >= 0) & (c2 < w)
        a = ids[inside]
        b = r2[inside] * w + c2[inside]
        # Edge a -> b: water may travel from b back to a when b leads to an outlet,
        # so the search from the outlets walks a -> b only into flat cells of equal height.
        ok = nodef[b] & flatf[b] & (zf[a] == zf[b])
        src.append(local[a[ok]])
        dst.append(local[b[ok]])
    starts = local[np.flatnonzero(outlet.ravel() & nodef)]
    if starts.size == 0:
        return down
    # A super-source joined to every outlet turns the multi-source search into one
    # breadth-first search (hop counts: Chebyshev distance over the flat).
    m = ids.size
    src.append(np.full(starts.size, m, dtype=np.int64))
    dst.append(starts)
    graph = sparse.csr_matrix(
        (
            np.ones(sum(a.size for a in src), dtype=np.int8),
            (np.concatenate(src), np.concatenate(dst)),
        ),
        shape=(m + 1, m + 1),
    )
    _, pred = csgraph.breadth_first_order(graph, m, directed=True, return_predecessors=True)
    pred = pred[:m]
    pred[pred == m] = -1
    out = down.ravel().copy()
    reached = (pred >= 0) & flatf[ids]
    out[ids[reached]] = ids[pred[reached]]
    return out.reshape(h, w)


def flow_accumulation(downstream: ArrayLike) -> NDArray[np.float64]:
    """(H, W) float64 count of cells draining through each cell, itself included.

    Topological sweep from the ridges down (Kahn 1962): all cells without an unprocessed
    upstream neighbour pass their counts on at once, round by round, so each cell is
    touched once and the loop runs as many rounds as the longest flow path.
    """
    down = np.asarray(downstream, dtype=np.int64)
    shape, flat_down = down.shape, down.ravel()
    n = flat_down.size
    acc = np.ones(n, dtype=np.float64)
    moving = flat_down != np.arange(n)
    indeg = np.bincount(flat_down[moving], minlength=n)
    front = np.flatnonzero((indeg == 0) & moving)
    while front.size:
        cand, inverse = np.unique(flat_down[front], return_inverse=True)
        acc[cand] += np.bincount(inverse, weights=acc[front])
        indeg[cand] -= np.bincount(inverse)
        front = cand[(indeg[cand] == 0) & moving[cand]]
    return acc.reshape(shape)


def route(dem: ArrayLike) -> Drainage:
    """Fill, direct and accumulate: the :class:`Drainage` of an ``(H, W)`` DEM."""
    filled = fill_depressions(dem)
    down = flow_directions(filled)
    return Drainage(filled=filled, downstream=down, accumulation=flow_accumulation(down))


def hand(
    dem: ArrayLike,
    *,
    pixel_size_m: float,
    channel_area_km2: float = 0.5,
    channels: ArrayLike | None = None,
    drainage: Drainage | None = None,
) -> NDArray[np.float32]:
    """(H, W) float32 height above nearest drainage in metres (NaN where the DEM is NaN).

    Following the D8 flow path of each cell down to the first channel cell, HAND is the
    cell's elevation minus that channel cell's filled elevation (Renno et al. 2008,
    "HAND, a new terrain descriptor using SRTM-DEM", Remote Sens. Environ. 112; Nobre et
    al. 2011, J. Hydrol. 404). Channels are cells draining at least ``channel_area_km2``
    plus any ``channels`` given (e.g. known permanent water, which matters where a
    river enters the scene with its catchment outside it). Paths are followed by
    pointer jumping (each round doubles the distance looked ahead), so the cost is
    O(N log L) for paths of length L. Cells whose path leaves the grid without a channel
    are measured against the exit cell. Heights are those of the filled DEM, so HAND
    is never negative. NaN cells (voids, reprojection corners) are filled by
    :func:`fill_voids` for the routing so they do not swallow the flow paths through
    them, and are NaN in the result. Without ``drainage`` the routing runs in the compiled
    kernels of :mod:`paii_core.flood.lean` (about 20 bytes a cell; the same HAND as with
    ``drainage=route(fill_voids(dem))``, which needs about 200).

    Raises:
        ValidationError: bad DEM, pixel size, channel area or channel mask shape.
    """
    z = _as_dem(dem)
    if not pixel_size_m > 0:
        raise ValidationError(f"pixel_size_m should be > 0, got {pixel_size_m}")
    nodata = ~np.isfinite(z)
    if nodata.any() and drainage is None:
        z = fill_voids(z)
    if not channel_area_km2 > 0:
        raise ValidationError(f"channel_area_km2 should be > 0, got {channel_area_km2}")
    cells = channel_area_km2 * 1e6 / pixel_size_m**2
    extra = None
    if channels is not None:
        extra = np.asarray(channels, dtype=bool)
        if extra.shape != z.shape:
            raise ValidationError(
                f"channels should have the DEM's shape {z.shape}, got {extra.shape}"
            )
    if drainage is None:
        # numba (import ~0.15 GB, seconds) is loaded only when HAND is computed
        from paii_core.flood.lean import hand_lean

        out = hand_lean(z, channel_cells=cells, channels=extra)
        out[nodata] = np.nan
        return out
    d = drainage
    is_channel = d.accumulation >= cells
    if extra is not None:
        is_channel |= extra
    n = z.size
    target = np.where(is_channel.ravel(), np.arange(n), d.downstream.ravel())
    while True:
        nxt = target[target]
        if np.array_equal(nxt, target):
            break
        target = nxt
    base = d.filled.ravel()[target].reshape(z.shape)
    out = (d.filled - base).astype(np.float32)
    out[nodata] = np.nan
    return out


def fill_voids(dem: ArrayLike) -> NDArray[np.float32]:
    """(H, W) float32 DEM with every NaN cell given the elevation of its nearest valid cell.

    Voids (SRTM radar shadow, water) and the empty corners a reprojection leaves would
    otherwise act as sinks: every flow path that reaches one ends there, and HAND along
    it is undefined (a reprojected 512 x 512 chip lost HAND on 72 % of its cells). Filled
    by nearest neighbour they become flats that drain over their edges like the grid's
    border; the caller masks them out again afterwards.
    """
    z = _as_dem(dem)
    nodata = ~np.isfinite(z)
    if not nodata.any():
        return z
    idx = ndimage.distance_transform_edt(nodata, return_distances=False, return_indices=True)
    return z[idx[0], idx[1]]


def slope_deg(dem: ArrayLike, *, pixel_size_m: float) -> NDArray[np.float32]:
    """(H, W) float32 terrain slope in degrees from central differences (Horn-free)."""
    z = _as_dem(dem)
    if not pixel_size_m > 0:
        raise ValidationError(f"pixel_size_m should be > 0, got {pixel_size_m}")
    gy, gx = np.gradient(z, pixel_size_m)
    return np.degrees(np.arctan(np.hypot(gx, gy))).astype(np.float32)
