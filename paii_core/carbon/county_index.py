"""Fast point-in-county lookup: a raster of whole cells with an exact test at the edges."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import rasterio.features
import shapely
from affine import Affine
from numpy.typing import ArrayLike, NDArray

from paii_core.errors import ValidationError

__all__ = ["CountyIndex"]

_NONE = np.int16(-1)  # no county in the whole cell
_EDGE = np.int16(-2)  # a boundary crosses the cell: decide point by point


class CountyIndex:
    """Which county each (lon, lat) point falls in, for tens of millions of points.

    The globe is cut into ``tile_deg`` tiles; each tile holding counties is rasterized at
    ``cell_deg``. A cell no boundary touches (GDAL ``all_touched`` rasterization of the
    outlines, so every cell a boundary crosses is marked) lies wholly inside one county or
    outside all, and its points are assigned by one array lookup. Points in boundary cells
    (a few per cent at 0.01 deg) get the exact point-in-polygon test through a shapely
    STRtree. The result is the same as testing every point against every polygon
    (points on a shared edge go to the first county listed).

    Args:
        geometries: (N,) shapely polygons in lon/lat degrees, N < 32,767.
        cell_deg: cell size; smaller sends fewer points to the exact test, costs memory.
        tile_deg: tile size; must be a multiple of ``cell_deg``.

    Raises:
        ValidationError: no geometries, too many, or sizes that do not divide.
    """

    def __init__(
        self,
        geometries: Sequence[shapely.Geometry] | NDArray[np.object_],
        *,
        cell_deg: float = 0.01,
        tile_deg: float = 5.0,
    ) -> None:
        geoms = np.asarray(geometries, dtype=object)
        if geoms.size == 0:
            raise ValidationError("geometries is empty; pass at least one county polygon")
        if geoms.size >= np.iinfo(np.int16).max:
            raise ValidationError(f"{geoms.size} geometries is too many; the index holds 32,766")
        per_tile = tile_deg / cell_deg
        if cell_deg <= 0 or tile_deg <= 0 or abs(per_tile - round(per_tile)) > 1e-6:
            raise ValidationError(
                f"tile_deg {tile_deg} should be a positive multiple of cell_deg {cell_deg}"
            )
        self.geometries = geoms
        self.cell_deg = float(cell_deg)
        self.tile_deg = float(tile_deg)
        self._n = round(per_tile)
        self._tree = shapely.STRtree(geoms)
        self._nx = round(360 / tile_deg)
        self._ny = round(180 / tile_deg)
        self._slot = np.full(self._nx * self._ny, -1, np.int32)
        rasters = []
        for tile in range(self._nx * self._ny):
            raster = self._rasterize_tile(tile)
            if raster is not None:
                self._slot[tile] = len(rasters)
                rasters.append(raster)
        self._stack = (
            np.stack(rasters) if rasters else np.full((1, self._n, self._n), _NONE, np.int16)
        )

    @property
    def nbytes(self) -> int:
        """Memory held by the rasters, bytes."""
        return int(self._stack.nbytes + self._slot.nbytes)

    def _rasterize_tile(self, tile: int) -> NDArray[np.int16] | None:
        ty, tx = divmod(tile, self._nx)
        west, south = -180.0 + tx * self.tile_deg, -90.0 + ty * self.tile_deg
        box = shapely.box(west, south, west + self.tile_deg, south + self.tile_deg)
        hits = self._tree.query(box, predicate="intersects")
        if hits.size == 0:
            return None
        transform = Affine(self.cell_deg, 0, west, 0, -self.cell_deg, south + self.tile_deg)
        shape = (self._n, self._n)
        owner = rasterio.features.rasterize(
            ((self.geometries[i], int(i)) for i in sorted(hits)),
            out_shape=shape,
            transform=transform,
            fill=-1,
            dtype="int16",
        )
        edges = rasterio.features.rasterize(
            ((shapely.boundary(self.geometries[i]), 1) for i in hits),
            out_shape=shape,
            transform=transform,
            fill=0,
            all_touched=True,
            dtype="uint8",
        )
        owner[edges.astype(bool)] = _EDGE
        # Row 0 is the tile's north edge in the raster; flip so row index grows northward.
        return owner[::-1].copy()

    def lookup(self, lon: ArrayLike, lat: ArrayLike) -> NDArray[np.int32]:
        """Index into ``geometries`` of the county holding each point; -1 for none.

        Args:
            lon, lat: (M,) degrees; NaN gives -1.

        Returns:
            (M,) int32.
        """
        x = np.asarray(lon, dtype=np.float64).ravel()
        y = np.asarray(lat, dtype=np.float64).ravel()
        if x.shape != y.shape:
            raise ValidationError(
                f"lon and lat should have the same shape, got {x.shape}, {y.shape}"
            )
        ok = np.isfinite(x) & np.isfinite(y) & (np.abs(y) < 90) & (np.abs(x) <= 180)
        xs = np.where(ok, (x + 180.0) / self.tile_deg, 0.0)
        ys = np.where(ok, (y + 90.0) / self.tile_deg, 0.0)
        tx = np.minimum(xs.astype(np.int64), self._nx - 1)
        ty = np.minimum(ys.astype(np.int64), self._ny - 1)
        slot = self._slot[ty * self._nx + tx]
        cx = np.minimum(((xs - tx) * self._n).astype(np.int64), self._n - 1)
        cy = np.minimum(((ys - ty) * self._n).astype(np.int64), self._n - 1)
        out = np.where(slot >= 0, self._stack[np.maximum(slot, 0), cy, cx], _NONE).astype(np.int32)
        out[~ok] = -1
        edge = np.flatnonzero(out == _EDGE)
        if edge.size:
            out[edge] = -1
            pts = shapely.points(x[edge], y[edge])
            p_idx, g_idx = self._tree.query(pts, predicate="intersects")
            # The tree returns pairs in no set order: keep the lowest county index per point.
            order = np.lexsort((g_idx, p_idx))
            p_idx, g_idx = p_idx[order], g_idx[order]
            first = np.r_[True, p_idx[1:] != p_idx[:-1]][: p_idx.size]  # none may hit
            out[edge[p_idx[first]]] = g_idx[first]
        return out
