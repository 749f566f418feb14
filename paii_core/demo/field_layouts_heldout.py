"""The held-out field layout: recursive random-line partition (never trained or tuned on).

Fields are convex polygons made by cutting the land again and again with straight lines of
any direction (a binary space partition, the way inheritance and land consolidation split
parcels; cf. the STIT tessellations of Nagel & Weiss 2005, "Crack STIT tessellations",
Adv. Appl. Probab. 37), so they meet in T-junctions at all angles, unlike the Voronoi
cells, strips and grids of :mod:`paii_core.demo.field_layouts`. The first cuts are roads and
bound the blocks; the later ones are hedges, balks, tracks or nothing but a crop change.
The boundary model, its features and the watershed constants are chosen without ever
looking at these scenes; the benchmark (bench/crops/parcels_generalise.py) scores them.
"""

from __future__ import annotations

import numpy as np

from paii_core.demo.field_layouts import assemble, paint_edges
from paii_core.demo.landscape import Landscape
from paii_core.demo.terrain import Terrain

__all__ = ["BSP_FIELD_HA", "STRIP_MIN_M", "bsp_layout"]

BSP_FIELD_HA = (0.5, 50.0)
"""Range of a block's typical field area (log-uniform); fields come out between about
half and twice their block's typical area, cut by the scene edge or a river."""
_BLOCK_HA = (20.0, 150.0)
STRIP_MIN_M = 30.0


def _split(
    lab: np.ndarray,
    target_px: np.ndarray,
    angle: np.ndarray,
    rng: np.random.Generator,
    min_width_px: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut every region of ``lab`` over twice its target area once, by a line near its
    centroid: across its long axis, or, where ``angle`` is set (strip blocks), along
    that fixed direction while the region is over twice ``min_width_px`` wide (so strip
    blocks cut into parallel strips, then across them). Returns the new labels and, per
    new label id, the target and strip angle inherited from the parent."""
    n = int(lab.max()) + 1
    flat = lab.ravel()
    rows, cols = np.divmod(np.arange(flat.size), lab.shape[1])
    cnt = np.bincount(flat, minlength=n).astype(np.float64)
    big = cnt > 2.0 * target_px[:n]
    big[0] = False
    if not big.any():
        return lab, target_px, angle
    safe = np.maximum(cnt, 1)
    mr = np.bincount(flat, rows, n) / safe
    mc = np.bincount(flat, cols, n) / safe
    dr, dc = rows - mr[flat], cols - mc[flat]
    srr = np.bincount(flat, dr * dr, n) / safe
    scc = np.bincount(flat, dc * dc, n) / safe
    src = np.bincount(flat, dr * dc, n) / safe
    # Long axis of each region (its covariance's main eigenvector): the cut runs across it.
    theta = 0.5 * np.arctan2(2 * src, scc - srr) + rng.uniform(-0.6, 0.6, n)
    strip = np.isfinite(angle[:n])
    a = np.where(strip, angle[:n], 0.0)
    ca, sa = np.cos(a), np.sin(a)
    var = np.bincount(flat, (dc * ca[flat] + dr * sa[flat]) ** 2, n) / safe
    strip &= np.sqrt(12 * var) > 2 * min_width_px
    theta = np.where(strip, a, theta)
    offset = rng.uniform(-0.25, 0.25, n) * np.sqrt(np.maximum(srr + scc, 1.0))
    offset = np.where(strip, rng.uniform(-0.1, 0.1, n) * np.sqrt(12 * var), offset)
    side = (dc * np.cos(theta[flat]) + dr * np.sin(theta[flat])) > offset[flat]
    new = np.where(big[flat] & side, flat + n, flat).reshape(lab.shape)
    # Children keep the parent's target, drawn afresh a little (variety within a block).
    tgt = np.concatenate([target_px[:n], target_px[:n] * np.exp(0.3 * rng.standard_normal(n))])
    kept = np.where(strip | ~big[:n], angle[:n], np.nan)
    mode = np.concatenate([kept, kept])
    # Compact the ids, keeping 0 for "no region".
    ids, inv = np.unique(np.r_[0, new.ravel()], return_inverse=True)
    return inv[1:].reshape(lab.shape), tgt[ids], mode[ids]


def _partition(
    start: np.ndarray,
    target_px: np.ndarray,
    angle: np.ndarray,
    rng: np.random.Generator,
    min_width_px: float,
    rounds: int = 16,
) -> np.ndarray:
    lab, tgt, mode = start, target_px, angle
    for _ in range(rounds):
        new, tgt, mode = _split(lab, tgt, mode, rng, min_width_px)
        if new.max() == lab.max():
            break
        lab = new
    return lab


def bsp_layout(
    shape: tuple[int, int],
    px: float,
    rng: np.random.Generator,
    *,
    crops: tuple[str, ...],
    terrain: Terrain | None = None,
) -> Landscape:
    """Blocks of 20-150 ha cut by roads; each block's fields have its own typical area,
    log-uniform over :data:`BSP_FIELD_HA` (so smallholder plots and large fields sit side
    by side), and a third of the blocks are cut into long strips."""
    cell_ha = px * px / 1e4
    top = np.ones(shape, np.int64)
    block_px = np.exp(rng.uniform(*np.log(_BLOCK_HA))) / cell_ha
    blocks = _partition(top, np.r_[np.inf, block_px], np.full(2, np.nan), rng, 1.0)
    n_blocks = int(blocks.max()) + 1
    typical = np.exp(rng.uniform(*np.log(BSP_FIELD_HA), n_blocks))
    # A third of the blocks are strip blocks, cut parallel at one angle into strips of at
    # least STRIP_MIN_M.
    angle = np.where(rng.random(n_blocks) < 1 / 3, rng.uniform(0, np.pi, n_blocks), np.nan)
    fields = _partition(blocks, typical / cell_ha, angle, rng, STRIP_MIN_M / px)
    cover = paint_edges(blocks, px, rng, {"track": 1.0}, {"track": (6.0, 10.0)})
    shares = dict(zip(("none", "hedge", "balk", "track"), rng.dirichlet([3, 1, 1, 1]), strict=True))
    inner = paint_edges(
        fields, px, rng, shares, {"hedge": (4.0, 8.0), "balk": (2.0, 4.0), "track": (3.0, 5.0)}
    )
    cover = np.where(cover > 0, cover, inner).astype(np.uint8)
    return assemble(fields, blocks, cover, px, rng, crops=crops, terrain=terrain)
