"""Small-field layout: narrow irregular meadow and garden strips in a wooded landscape.

A training-scene builder for the boundary model (issue 12): fields of 0.05 to 1 ha, most
20 to 80 m wide (2 to 8 pixels at 10 m), in clearings of a forest and shrub matrix, cut
into bent strips and small irregular plots that part by nothing but a change of crop or
management (sometimes a grass balk narrower than a pixel). Such landscapes (alpine and
pre-alpine meadows, smallholder gardens) make most field edges mixed pixels at 10 m.
Fields that touch form one block, as in a land register without roads between them.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree
from skimage.measure import label as label_regions

from paii_core.demo.classes import LandCover
from paii_core.demo.field_layouts import _rotated, assemble, paint_edges
from paii_core.demo.landscape import Landscape
from paii_core.demo.terrain import Terrain, gaussian_field

__all__ = ["meadows_layout"]


def _clearings(
    shape: tuple[int, int], px: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(open, fields) (H, W) bool: open land in a forest matrix (a quarter to two thirds
    of the scene) and the part of it under fields (the rest is grass and hamlets)."""
    relief = gaussian_field(shape, px, rng, outer_m=rng.uniform(600.0, 1500.0), inner_m=60.0)
    open_land = relief > np.quantile(relief, 1.0 - rng.uniform(0.25, 0.65))
    use = gaussian_field(shape, px, rng, outer_m=400.0, inner_m=40.0)
    fields = open_land & (use > np.quantile(use[open_land], rng.uniform(0.1, 0.45)))
    return open_land, fields


def _bent_strips(shape: tuple[int, int], px: float, rng: np.random.Generator) -> np.ndarray:
    """(H, W) int64 ids of bent strips: a rotated frame warped by a smooth displacement,
    strips of a per-scene typical width (20-60 m, each strip lognormal around it) cut
    across every 40-300 m (per strip)."""
    u, v = _rotated(shape, px, rng.uniform(-np.pi / 2, np.pi / 2))
    amp = rng.uniform(20.0, 120.0)
    u = u + amp * gaussian_field(shape, px, rng, outer_m=800.0, inner_m=150.0)
    v = v + amp * gaussian_field(shape, px, rng, outer_m=800.0, inner_m=150.0)
    width = rng.uniform(20.0, 60.0)
    lo, hi = float(u.min()) - width, float(u.max()) + width
    widths = width * np.exp(0.35 * rng.standard_normal(int((hi - lo) / (0.4 * width)) + 4))
    lines = lo + np.cumsum(widths)
    strip = np.searchsorted(lines, u).clip(0, lines.size - 1)
    length = rng.uniform(40.0, 300.0, lines.size)
    offset = rng.uniform(0.0, 1.0, lines.size)
    cut = np.floor((v - float(v.min())) / length[strip] + offset[strip]).astype(np.int64)
    return strip.astype(np.int64) * 100_000 + cut


def _plots(shape: tuple[int, int], px: float, rng: np.random.Generator) -> np.ndarray:
    """(H, W) int64 ids of small irregular plots: Voronoi cells of 0.05-0.6 ha (mean per
    scene) with their edges roughened by a smooth displacement."""
    mean_m2 = float(np.exp(rng.uniform(np.log(500.0), np.log(6000.0))))
    n = max(4, int(shape[0] * shape[1] * px * px / mean_m2))
    pts = np.column_stack([rng.uniform(0, shape[0], n), rng.uniform(0, shape[1], n)])
    rr, cc = np.mgrid[: shape[0], : shape[1]].astype(np.float32)
    jitter = np.sqrt(mean_m2) / px * 0.25
    rr = rr + jitter * gaussian_field(shape, px, rng, outer_m=300.0, inner_m=30.0)
    cc = cc + jitter * gaussian_field(shape, px, rng, outer_m=300.0, inner_m=30.0)
    _, idx = cKDTree(pts).query(np.column_stack([rr.ravel(), cc.ravel()]), workers=1)
    return idx.reshape(shape).astype(np.int64)


def meadows_layout(
    shape: tuple[int, int],
    px: float,
    rng: np.random.Generator,
    *,
    crops: tuple[str, ...],
    terrain: Terrain | None = None,
) -> Landscape:
    """Small narrow fields in forest clearings (0.05 to 1 ha, mostly 20-80 m wide).

    Each clearing (a connected patch of open land) is cut either into bent strips or,
    for about a third of them, into small irregular plots; the fields are its pieces
    (so a field never crosses forest), touching fields form one block, and neighbours
    part by nothing (most) or a grass balk 1-3 m wide. Open land outside the fields is
    grass; the matrix is forest.
    """
    open_land, field_land = _clearings(shape, px, rng)
    patch, n_patch = ndimage.label(open_land)
    plots = rng.random(n_patch + 1) < 0.35
    pieces = np.where(plots[patch], _plots(shape, px, rng) + 1, 0)
    pieces = np.where(plots[patch], pieces, _bent_strips(shape, px, rng) + 1)
    key = np.where(field_land, patch.astype(np.int64) * (1 << 40) + pieces, 0)
    _, fields = np.unique(key, return_inverse=True)
    # Pieces split by the clearing's shape become fields of their own.
    fields = label_regions(fields.reshape(shape), background=0, connectivity=1)
    blocks = ndimage.label(fields > 0)[0]
    shares = {"none": rng.uniform(0.6, 1.0), "balk": rng.uniform(0.0, 0.4)}
    cover = paint_edges(fields, px, rng, shares, {"balk": (1.0, 3.0)})
    cover[~open_land] = LandCover.FOREST
    cover[open_land & (fields == 0)] = LandCover.GRASS
    return assemble(fields, blocks, cover, px, rng, crops=crops, terrain=terrain, other_share=0.1)
