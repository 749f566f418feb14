"""Real field patterns: rasterised real parcel polygons, to simulate a season over them."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from paii_core.config import paths
from paii_core.demo.classes import LandCover
from paii_core.demo.field_layouts import assemble
from paii_core.demo.landscape import Landscape
from paii_core.demo.terrain import Terrain
from paii_core.errors import InputNotFoundError, ValidationError

__all__ = ["SLOVENIA_PARCELS", "real_extent_px", "slovenia_layout"]

SLOVENIA_PARCELS = "data/real/slovenia_lulc_parcels/LULC.gpkg"
"""The Slovenian land-use register parcels (see the PROVENANCE.txt beside it)."""
_FIELD = {"grassland", "cultivated land", ""}
_COVER = {
    "forest": LandCover.FOREST,
    "schrubland": LandCover.FOREST,  # sic, as spelled in the source
    "artificial surface": LandCover.BUILT,
}


def _read(path=None):
    import geopandas as gpd

    path = paths().root / SLOVENIA_PARCELS if path is None else path
    if not path.is_file():
        raise InputNotFoundError(
            f"real parcel file {path} is missing; restore it from git "
            f"(git checkout -- {SLOVENIA_PARCELS})"
        )
    return gpd.read_file(path)


def real_extent_px(px: float) -> tuple[int, int]:
    """(H, W) of the real pattern's bounding box at ``px`` metres."""
    x0, y0, x1, y1 = _read().total_bounds
    return int((y1 - y0) // px), int((x1 - x0) // px)


def slovenia_layout(
    shape: tuple[int, int],
    px: float,
    rng: np.random.Generator,
    *,
    crops: tuple[str, ...],
    terrain: Terrain | None = None,
) -> Landscape:
    """Fields = the register's grassland, cultivated and unlabelled parcels (each a field,
    sown with ``crops`` as in the demo), shrubland and forest woody, artificial built-up;
    the top-left ``shape`` of the pattern at ``px`` m. Blocks = touching fields.

    Raises:
        ValidationError: ``shape`` larger than the pattern (see :func:`real_extent_px`).
        InputNotFoundError: the polygon file is missing.
    """
    from rasterio import features, transform

    gdf = _read()
    x0, _, _, y1 = gdf.total_bounds
    full = real_extent_px(px)
    if shape[0] > full[0] or shape[1] > full[1]:
        raise ValidationError(
            f"shape {shape} is larger than the real pattern ({full[0]} x {full[1]} px at "
            f"{px:g} m); ask for at most that"
        )
    tf = transform.from_origin(x0, y1, px, px)
    names = gdf["LULC_NAME"].fillna("").astype(str).str.strip()
    is_field = names.isin(_FIELD).to_numpy()
    ids = np.arange(1, len(gdf) + 1)
    fields = features.rasterize(
        [(g, int(i)) for g, i, f in zip(gdf.geometry, ids, is_field, strict=True) if f],
        out_shape=shape,
        transform=tf,
        fill=0,
        dtype="int32",
    )
    cover = np.zeros(shape, np.uint8)
    for name, code in _COVER.items():
        geoms = [g for g, n in zip(gdf.geometry, names, strict=True) if n == name]
        if geoms:
            mask = features.rasterize(geoms, out_shape=shape, transform=tf, fill=0, dtype="uint8")
            cover[(mask > 0) & (fields == 0)] = code
    # Outside every polygon (lanes, unmapped land): grass.
    cover[(fields == 0) & (cover == 0)] = LandCover.GRASS
    blocks = ndimage.label(fields > 0)[0]
    return assemble(fields, blocks, cover, px, rng, crops=crops, terrain=None, other_share=0.0)
