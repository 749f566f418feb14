"""Field layouts with other statistics than the demo's: irregular cells, strips, big blocks.

Training-scene builders for the boundary model (they import :mod:`paii_core.demo`, as
only such builders may). Each layout returns a :class:`~paii_core.demo.landscape.Landscape`
that the demo's renderers turn into a season of images, so a model trained on several
layouts meets fields of 0.1 to 60 ha, strips and blocks, straight and irregular edges, and
fields parted by roads, hedges, grass balks or nothing but a change of crop.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree
from skimage.measure import label as label_regions

from paii_core.demo.classes import LandCover, crop_index
from paii_core.demo.landscape import Landscape, _cut, _parcel_table
from paii_core.demo.terrain import Terrain, gaussian_field
from paii_core.errors import ValidationError

__all__ = ["EDGE_KINDS", "LAYOUTS", "TRAINING_LAYOUTS", "assemble", "make_layout"]

EDGE_KINDS = ("none", "hedge", "balk", "track")
"""What parts two neighbouring fields: nothing but the crop, a tree line (forest), a grass
balk, or a farm track (road)."""
_EDGE_COVER = {"hedge": LandCover.FOREST, "balk": LandCover.GRASS, "track": LandCover.ROAD}


def _rotated(shape: tuple[int, int], px: float, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """(u, v) metre coordinates of every pixel on axes rotated by ``angle``."""
    y = (np.arange(shape[0], dtype=np.float32) * px)[:, None]
    x = (np.arange(shape[1], dtype=np.float32) * px)[None, :]
    ca, sa = np.float32(np.cos(angle)), np.float32(np.sin(angle))
    return x * ca + y * sa, y * ca - x * sa


def paint_edges(
    fields: np.ndarray,
    px: float,
    rng: np.random.Generator,
    shares: dict[str, float],
    width_m: dict[str, tuple[float, float]],
) -> np.ndarray:
    """(H, W) uint8 cover painted on the shared edges of ``fields`` (0 = field left as is).

    Each pair of touching fields draws one kind from ``shares`` (keys of
    :data:`EDGE_KINDS`) and its whole shared edge gets that cover, ``width_m`` (low, high)
    wide, one width per kind and scene, to the nearest pixel (at least one).
    """
    lab = fields.astype(np.int64)
    n = int(lab.max()) + 1
    kinds = list(shares)
    p = np.asarray([shares[k] for k in kinds], np.float64)
    table = rng.choice(len(kinds), size=1 << 16, p=p / p.sum())
    width = {k: rng.uniform(*width_m[k]) / px for k in kinds if k != "none"}
    marks = {k: np.zeros(lab.shape, bool) for k in width}
    for axis in (0, 1):
        b = np.roll(lab, -1, axis=axis)
        edge = (lab != b) & (lab > 0) & (b > 0)
        if axis == 0:
            edge[-1, :] = False
        else:
            edge[:, -1] = False
        kind = table[(np.minimum(lab, b) * n + np.maximum(lab, b)) % table.size]
        for k, name in enumerate(kinds):
            if name == "none":
                continue
            mark = edge & (kind == k)
            marks[name] |= mark
            if width[name] >= 1.5:  # both sides of the edge: a band 2 pixels wide
                marks[name] |= np.roll(mark, 1, axis=axis)
    out = np.zeros(lab.shape, np.uint8)
    for name, mark in marks.items():
        if width[name] > 2.5:
            mark = ndimage.distance_transform_edt(~mark) <= (width[name] - 2) / 2
        out[mark & (out == 0)] = _EDGE_COVER[name]
    return out


def assemble(
    fields: np.ndarray,
    blocks: np.ndarray,
    cover: np.ndarray,
    px: float,
    rng: np.random.Generator,
    *,
    crops: tuple[str, ...],
    terrain: Terrain | None = None,
    other_share: float = 0.2,
) -> Landscape:
    """A :class:`Landscape` from provisional ``fields`` (H, W) ids (0 = none), their
    ``blocks`` (H, W) ids and ``cover`` (H, W) uint8 painted on non-field land (0 = free).

    A river of ``terrain`` becomes water with a grass buffer; about ``other_share`` of
    the fields become pasture, woodlots or hamlets (whole fields); fields under 4
    pixels are dropped. Crops follow the block (60 %) or the field, as in the demo.
    """
    shape = fields.shape
    cover = cover.astype(np.uint8).copy()
    if terrain is not None:
        buffer = ndimage.binary_dilation(terrain.river_mask, iterations=max(1, round(8.0 / px)))
        cover[buffer & (cover == 0)] = LandCover.GRASS
        cover[terrain.river_mask] = LandCover.WATER
    prov = np.where(cover == 0, fields, 0)
    fine = label_regions(prov, background=0, connectivity=1)
    n = int(fine.max())
    area = np.bincount(fine.ravel(), minlength=n + 1)
    keep = area >= 4
    keep[0] = False
    fate = rng.random(n + 1)
    other = keep & (fate < other_share)
    for lo, hi, lc in (
        (0.0, 0.6, LandCover.GRASS),
        (0.6, 0.85, LandCover.FOREST),
        (0.85, 1.0, LandCover.BUILT),
    ):
        pick = other & (fate >= lo * other_share) & (fate < hi * other_share)
        cover[pick[fine]] = lc
    keep &= ~other
    new_id = np.where(keep, np.cumsum(keep), 0).astype(np.int32)
    fine = new_id[fine]
    cover[fine > 0] = LandCover.CROPLAND
    cover[cover == 0] = LandCover.GRASS
    coarse = label_regions(np.where(fine > 0, blocks + 1, 0), background=0, connectivity=1)
    n_fine = int(fine.max())
    coarse_of = np.zeros(n_fine + 1, np.int32)
    coarse_of[fine.ravel()] = coarse.ravel()
    texture = gaussian_field(shape, px, rng, outer_m=400.0, inner_m=60.0, hurst=1.0)
    weights = 0.5 ** np.arange(len(crops))
    table = _parcel_table(fine, coarse_of, px, rng, crops, weights / weights.sum(), texture)
    lut = np.full(n_fine + 1, -1, np.int16)
    lut[table["parcel_id"].to_numpy()] = [crop_index(c) for c in table["crop"]]
    return Landscape(
        land_cover=cover,
        fine_parcels=fine,
        coarse_parcels=coarse.astype(np.int32),
        crop_type=lut[fine],
        parcels=table,
        pixel_size_m=px,
        crops=crops,
    )


def _poisson_points(
    shape: tuple[int, int], px: float, rng: np.random.Generator, mean_m2: float, spread: float
) -> np.ndarray:
    """(N, 2) row/col points whose local density varies by ``exp(spread * field)``."""
    h, w = shape
    density = np.exp(spread * gaussian_field(shape, px, rng, outer_m=3000.0, inner_m=300.0))
    n = max(2, int(h * w * px * px / mean_m2 * float(density.mean()) * 1.2))
    cand = np.column_stack([rng.uniform(0, h, 4 * n), rng.uniform(0, w, 4 * n)])
    d = density[cand[:, 0].astype(int), cand[:, 1].astype(int)]
    keep = rng.random(len(cand)) < d / d.max()
    pts = cand[keep]
    return pts[: max(2, int(h * w * px * px / mean_m2))]


def _nearest(points: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(H, W) int64 index of the nearest point (a Voronoi tessellation)."""
    rr, cc = np.mgrid[: shape[0], : shape[1]]
    _, idx = cKDTree(points).query(np.column_stack([rr.ravel(), cc.ravel()]), workers=1)
    return idx.reshape(shape)


def voronoi_layout(
    shape: tuple[int, int], px: float, rng: np.random.Generator, *, crops, terrain=None
) -> Landscape:
    """Irregular fields: Voronoi cells of a clustered point pattern (0.3 to 30 ha, mean
    drawn per scene), blocks = cells of a coarser pattern bounded by roads; fields inside
    a block part by hedges, balks, tracks or nothing, in per-scene shares."""
    mean_ha = float(np.exp(rng.uniform(np.log(0.6), np.log(12.0))))
    pts = _poisson_points(shape, px, rng, mean_ha * 1e4, spread=rng.uniform(0.3, 0.9))
    # One Lloyd step: real fields are rounder than raw Voronoi cells of random points.
    cells = _nearest(pts, shape)
    rr, cc = np.mgrid[: shape[0], : shape[1]]
    cnt = np.maximum(np.bincount(cells.ravel(), minlength=len(pts)), 1)
    pts = np.column_stack(
        [
            np.bincount(cells.ravel(), rr.ravel(), len(pts)) / cnt,
            np.bincount(cells.ravel(), cc.ravel(), len(pts)) / cnt,
        ]
    )
    cells = _nearest(pts, shape) + 1
    block_pts = pts[rng.random(len(pts)) < 1.0 / rng.uniform(6.0, 16.0)]
    if len(block_pts) < 2:
        block_pts = pts[:2]
    block_of = cKDTree(block_pts).query(pts)[1]
    blocks = block_of[cells - 1]
    cover = paint_edges(blocks + 1, px, rng, {"track": 1.0}, {"track": (5.0, 10.0)})
    shares = dict(zip(EDGE_KINDS, rng.dirichlet([2.0, 1.0, 1.0, 0.7]), strict=True))
    inner = paint_edges(
        cells, px, rng, shares, {"hedge": (4.0, 10.0), "balk": (2.0, 5.0), "track": (3.0, 6.0)}
    )
    cover = np.where(cover > 0, cover, inner)
    return assemble(cells, blocks, cover, px, rng, crops=crops, terrain=terrain)


def strips_layout(
    shape: tuple[int, int], px: float, rng: np.random.Generator, *, crops, terrain=None
) -> Landscape:
    """Open-field strips: road-bounded blocks of 250-900 m cut into parallel strips
    12-60 m wide (0.1 to 3 ha), some cut again across; strips part by nothing or a
    narrow grass balk."""
    angle = rng.uniform(-np.pi / 2, np.pi / 2)
    u, v = _rotated(shape, px, angle)
    index, local, lengths = [], [], []
    roads = np.zeros(shape, bool)
    for coord in (u, v):
        spacing = rng.uniform(250.0, 900.0)
        lo, hi = float(coord.min()) - spacing, float(coord.max())
        lines = lo + np.cumsum(
            spacing * rng.uniform(0.6, 1.4, int((hi - lo) / (0.6 * spacing)) + 3)
        )
        i = np.searchsorted(lines, coord).clip(1, lines.size - 1)
        below, above = coord - lines[i - 1], lines[i] - coord
        half = rng.uniform(2.5, 5.0)
        roads |= (below <= max(half, px / 2)) | (above <= max(half, px / 2))
        index.append(i)
        local.append((below / (lines[i] - lines[i - 1])).astype(np.float32))
        lengths.append(np.diff(lines))
    n_v = lengths[1].size
    block = (index[0] - 1) * n_v + (index[1] - 1)
    n_blocks = lengths[0].size * n_v
    across_u = rng.random(n_blocks) < 0.5
    width = rng.uniform(12.0, 60.0)
    span = np.where(across_u, np.repeat(lengths[0], n_v), np.tile(lengths[1], lengths[0].size))
    parts = np.maximum(1, np.rint(span / (width * np.exp(0.3 * rng.standard_normal(n_blocks)))))
    pos = np.where(across_u[block], local[0], local[1])
    other = np.where(across_u[block], local[1], local[0])
    strip = _cut(block, pos, parts.astype(np.int64), rng)
    pieces = rng.integers(1, 4, int(strip.max()) + 1)
    field = _cut(strip, other, pieces, rng) + 1
    shares = {"none": rng.uniform(0.5, 1.0), "balk": 0.5}
    cover = paint_edges(field, px, rng, shares, {"balk": (1.5, 4.0)})
    cover[roads] = LandCover.ROAD
    return assemble(field, block, cover, px, rng, crops=crops, terrain=terrain)


def blocks_layout(
    shape: tuple[int, int], px: float, rng: np.random.Generator, *, crops, terrain=None
) -> Landscape:
    """Large-scale farming: road-bounded sections of 400-900 m cut into fields of 12 to
    50 ha (targets drawn per section), a third of the sections centre pivots (one circle
    of crop, up to about 64 ha, in grass corners); fields in a section part by nothing
    but the crop."""
    angle = rng.uniform(-0.1, 0.1)
    u, v = _rotated(shape, px, angle)
    section = rng.uniform(400.0, 900.0)
    index, local = [], []
    roads = np.zeros(shape, bool)
    for coord in (u, v):
        lo = float(coord.min()) - rng.uniform(0.0, section)
        i = np.floor((coord - lo) / section).astype(np.int64)
        frac = ((coord - lo) / section - i).astype(np.float32)
        roads |= (np.minimum(frac, 1 - frac) * section) <= max(rng.uniform(3.0, 6.0), px / 2)
        index.append(i)
        local.append(frac)
    block = index[0] * 1000 + index[1]
    _, block = np.unique(block, return_inverse=True)
    block = block.reshape(shape)
    n_blocks = int(block.max()) + 1
    pivot = rng.random(n_blocks) < 0.33
    along = rng.random(n_blocks) < 0.5
    parts = np.maximum(1, np.rint(section**2 / 1e4 / rng.uniform(12.0, 50.0, n_blocks)))
    pos = np.where(along[block], local[0], local[1])
    field = _cut(block, pos, parts.astype(np.int64), rng) + 1
    cover = np.zeros(shape, np.uint8)
    r = np.hypot(local[0] - 0.5, local[1] - 0.5)
    circle = pivot[block] & (r < 0.48)
    corner = pivot[block] & ~circle
    field = np.where(pivot[block], block + 1 + field.max(), field)
    cover[corner] = LandCover.GRASS
    cover[roads] = LandCover.ROAD
    return assemble(field, block, cover, px, rng, crops=crops, terrain=terrain, other_share=0.1)


Layout = Callable[..., Landscape]
LAYOUTS: dict[str, Layout] = {
    "voronoi": voronoi_layout,
    "strips": strips_layout,
    "blocks": blocks_layout,
}
TRAINING_LAYOUTS: tuple[str, ...] = ("grid", "voronoi", "strips", "blocks", "meadows")
"""Layouts the boundary model is trained and tuned on; ``grid`` is the demo's own
(:func:`paii_core.demo.landscape.make_landscape`), ``meadows`` the small narrow fields of
:mod:`paii_core.demo.field_layouts_small`. The held-out layout
(:mod:`paii_core.demo.field_layouts_heldout`) is never among them."""


def make_layout(
    name: str, shape: tuple[int, int], px: float, rng: np.random.Generator, *, crops, terrain=None
) -> Landscape:
    """The landscape of layout ``name`` (a key of :data:`LAYOUTS`, ``"meadows"`` (small
    narrow fields), ``"bsp"``, the held-out one, or ``"slovenia"`` and ``"bulgaria"``,
    real parcels).

    Raises:
        ValidationError: unknown layout name.
    """
    from paii_core.demo.field_layouts_heldout import bsp_layout
    from paii_core.demo.field_layouts_real import bulgaria_layout, slovenia_layout
    from paii_core.demo.field_layouts_small import meadows_layout

    table = {
        **LAYOUTS,
        "meadows": meadows_layout,
        "bsp": bsp_layout,
        "slovenia": slovenia_layout,
        "bulgaria": bulgaria_layout,
    }
    if name not in table:
        raise ValidationError(f"layout {name!r} is unknown; use one of: grid, {', '.join(table)}")
    return table[name](shape, px, rng, crops=crops, terrain=terrain)
