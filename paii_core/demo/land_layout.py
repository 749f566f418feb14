"""Layout of the demo landscape: road grid, field strips and pieces, villages and forest."""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

from paii_core.demo.terrain import Terrain, _linear_weights, gaussian_field


def _fields_and_roads(
    shape: tuple[int, int], px: float, rng: np.random.Generator, angle: float, field_m2: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Provisional field ids (H, W) int64 (unique per block/strip/piece, from 1), block
    index (H, W) int64 and the road mask (H, W) bool."""
    h, w = shape
    fields_per_block = rng.uniform(8.0, 16.0)
    block_aspect = rng.uniform(1.0, 1.6)
    block_m = np.sqrt(field_m2 * fields_per_block)
    span_u, span_v = block_m * np.sqrt(block_aspect), block_m / np.sqrt(block_aspect)
    warp = 0.12 * block_m
    y = (np.arange(h, dtype=np.float32) * px)[:, None]
    x = (np.arange(w, dtype=np.float32) * px)[None, :]
    ca, sa = np.float32(np.cos(angle)), np.float32(np.sin(angle))
    outer = 4.0 * block_m
    u = x * ca + y * sa + warp * gaussian_field(shape, px, rng, outer_m=outer, inner_m=block_m)
    v = y * ca - x * sa + warp * gaussian_field(shape, px, rng, outer_m=outer, inner_m=block_m)

    roads = np.zeros(shape, dtype=bool)
    index, local, length = [], [], []
    for coord, spacing in ((u, span_u), (v, span_v)):
        lo, hi = float(coord.min()), float(coord.max())
        start = lo - rng.uniform(0.2, 1.0) * spacing
        count = int((hi - start) / (0.7 * spacing)) + 3
        lines = start + np.concatenate([[0.0], np.cumsum(spacing * rng.uniform(0.7, 1.3, count))])
        half = np.maximum(
            np.where(
                rng.random(lines.size) < 0.2,
                rng.uniform(4.0, 6.0, lines.size),
                rng.uniform(2.0, 3.5, lines.size),
            ),
            0.5 * px,
        )
        i = np.searchsorted(lines, coord).clip(1, lines.size - 1)
        below, above = coord - lines[i - 1], lines[i] - coord
        roads |= (below <= half[i - 1]) | (above <= half[i])
        index.append(i)
        length.append(np.diff(lines))
        local.append((below / (lines[i] - lines[i - 1])).astype(np.float32))
    for _ in range(int(rng.integers(0, 3))):
        # A diagonal road crossing the grid, bending gently.
        heading = rng.uniform(0.0, np.pi)
        ch, sh = np.float32(np.cos(heading)), np.float32(np.sin(heading))
        y0, x0 = rng.uniform(0.2, 0.8) * h * px, rng.uniform(0.2, 0.8) * w * px
        along = (x - x0) * ch + (y - y0) * sh
        across = (x - x0) * sh - (y - y0) * ch
        bend = warp * np.sin(along / np.float32(outer) + np.float32(rng.uniform(0, 2 * np.pi)))
        roads |= np.abs(across + bend) <= max(rng.uniform(3.0, 6.0), 0.5 * px)

    n_v = length[1].size
    block = (index[0] - 1) * n_v + (index[1] - 1)
    n_blocks = length[0].size * n_v
    block_u = np.repeat(length[0], n_v)
    block_v = np.tile(length[1], length[0].size)
    # Strips run along the longer side of most blocks.
    along_v = np.where(rng.random(n_blocks) < 0.8, block_v >= block_u, block_v < block_u)
    aspect = np.clip(3.0 * (field_m2 / 1e4) ** -0.25, 1.2, 6.0) * np.exp(
        0.2 * rng.standard_normal(n_blocks)
    )
    field_len = np.sqrt(field_m2 * aspect)
    long_side = np.where(along_v, block_v, block_u)
    pieces = np.maximum(1, np.rint(long_side / field_len)).astype(np.int64)
    strips = np.maximum(1, np.rint(block_u * block_v / field_m2 / pieces)).astype(np.int64)
    strip_along_v = along_v[block]
    pos = np.where(strip_along_v, local[0], local[1])
    other = np.where(strip_along_v, local[1], local[0])
    tilt = (0.06 * rng.standard_normal(n_blocks)).astype(np.float32)
    strip = _cut(block, pos + tilt[block] * (other - 0.5), strips, rng)
    pieces_per_strip = np.maximum(1, np.repeat(pieces, strips) + rng.integers(-1, 2, strips.sum()))
    tilt2 = (0.05 * rng.standard_normal(pieces_per_strip.size)).astype(np.float32)
    piece = _cut(strip, other + tilt2[strip] * (pos - 0.5), pieces_per_strip, rng)
    return piece + 1, block, roads


def _cut(
    group: np.ndarray, position: np.ndarray, parts: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Split each group along a 0..1 coordinate into ``parts[group]`` pieces of
    gamma-distributed widths; return global piece ids (groups in order, from 0)."""
    n_cuts = parts - 1
    sizes = rng.gamma(4.0, 1.0, int(parts.sum()))
    first = np.concatenate([[0], np.cumsum(parts)])
    ends = np.cumsum(sizes)
    totals = ends[first[1:] - 1] - np.concatenate([[0.0], ends[first[1:-1] - 1]])
    owner = np.repeat(np.arange(parts.size), parts)
    fraction = (ends - np.concatenate([[0.0], ends[first[1:-1] - 1]])[owner]) / totals[owner]
    is_cut = np.ones(sizes.size, dtype=bool)
    is_cut[first[1:] - 1] = False  # the last piece of a group ends at 1, not a cut
    keys = owner[is_cut] * 4.0 + fraction[is_cut]
    cut_offset = np.concatenate([[0], np.cumsum(n_cuts)])
    count = np.searchsorted(keys, group * 4.0 + position, side="right") - cut_offset[group]
    return first[group] + np.clip(count, 0, n_cuts[group])


def _villages(
    shape: tuple[int, int],
    px: float,
    rng: np.random.Generator,
    angle: float,
    count: int,
    texture: np.ndarray,
    terrain: Terrain | None,
    taken: np.ndarray,
    room_m2: float,
) -> np.ndarray:
    """(H, W) bool built-up land of compact, road-aligned villages on dry gentle ground,
    about 6 ha each (log-normal), together at most ``room_m2``."""
    h, w = shape
    built = np.zeros(shape, dtype=bool)
    if count == 0 or room_m2 <= 0:
        return built
    area_m2 = np.minimum(6e4 * np.exp(0.5 * rng.standard_normal(count)), 2.5e5)
    area_m2 *= min(1.0, room_m2 / area_m2.sum())
    radius = np.sqrt(area_m2 / np.pi)
    candidates = np.column_stack([rng.uniform(0, h, 40 * count), rng.uniform(0, w, 40 * count)])
    rows, cols = candidates[:, 0].astype(int), candidates[:, 1].astype(int)
    ok = ~taken[rows, cols]
    if terrain is not None:
        # Settlements keep off the floodplain and steep slopes.
        river = np.argwhere(terrain.river_mask)
        _, nearest = cKDTree(river).query(candidates, workers=-1)
        dem = terrain.dem
        above = dem[rows, cols] - dem[river[nearest, 0], river[nearest, 1]]
        up, down = np.maximum(rows - 1, 0), np.minimum(rows + 1, h - 1)
        left, right = np.maximum(cols - 1, 0), np.minimum(cols + 1, w - 1)
        slope = np.hypot(dem[down, cols] - dem[up, cols], dem[rows, right] - dem[rows, left]) / (
            2 * px
        )
        ok &= (above > 1.5 * terrain.bankfull_depth_m + 1.0) & (slope < 0.12)
    placed: list[int] = []
    spots = np.empty((count, 2))
    for k in np.flatnonzero(ok):
        n = len(placed)
        gap = np.hypot(*(spots[:n] - candidates[k]).T) * px
        if (gap > 1.5 * (radius[n] + radius[:n])).all():
            spots[n] = candidates[k]
            placed.append(k)
            if n + 1 == count:
                break
    ca, sa = np.cos(angle), np.sin(angle)
    for i, k in enumerate(placed):
        ru = radius[i] * rng.uniform(0.8, 1.3)
        rv = radius[i] ** 2 / ru
        reach = int(np.ceil(1.6 * max(ru, rv) / px))
        r0, c0 = candidates[k]
        rs = slice(max(0, int(r0) - reach), min(h, int(r0) + reach + 1))
        cs = slice(max(0, int(c0) - reach), min(w, int(c0) + reach + 1))
        dy = (np.arange(rs.start, rs.stop) - r0)[:, None] * px
        dx = (np.arange(cs.start, cs.stop) - c0)[None, :] * px
        du, dv = dx * ca + dy * sa, dy * ca - dx * sa
        shape_distance = (np.abs(du / ru) ** 3 + np.abs(dv / rv) ** 3) ** (1.0 / 3.0)
        built[rs, cs] |= shape_distance < 1.0 + 0.25 * texture[rs, cs]
    return built & ~taken


def _forest(
    px: float,
    rng: np.random.Generator,
    texture: np.ndarray,
    terrain: Terrain | None,
    taken: np.ndarray,
    cropland_fraction: float,
) -> np.ndarray:
    """(H, W) bool forest on the steepest free ground, leaving room for the cropland."""
    score = texture * np.float32(0.5) + np.float32(rng.normal(0.0, 0.05))
    natural = rng.uniform(0.02, 0.05)
    if terrain is not None:
        step = max(1, round(10.0 / px))
        coarse = terrain.dem[::step, ::step].astype(np.float32)
        gy, gx = np.gradient(coarse, px * step)
        slope = ndimage.gaussian_filter(np.hypot(gy, gx), 1.5)
        if step > 1:
            h, w = taken.shape
            slope = _linear_weights(h, step, slope.shape[0]) @ slope
            slope = slope @ _linear_weights(w, step, slope.shape[1]).T
        steep = slope > np.tan(np.radians(15.0))
        natural += 0.9 * float(steep.mean())
        score = score + np.clip(slope / np.float32(np.tan(np.radians(15.0))), 0.0, 2.0)
    free = ~taken
    share = min(natural, free.mean() - cropland_fraction - 0.01)
    if share <= 0:
        return np.zeros_like(taken)
    threshold = np.quantile(
        score[free][:: max(1, free.sum() // 200_000)], 1.0 - share / free.mean()
    )
    return (score > threshold) & free
