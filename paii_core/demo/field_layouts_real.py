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

__all__ = [
    "BULGARIA_BLOCKS",
    "REAL_PATTERNS",
    "SLOVENIA_PARCELS",
    "bulgaria_layout",
    "real_extent_px",
    "slovenia_layout",
]

SLOVENIA_PARCELS = "data/real/slovenia_lulc_parcels/LULC.gpkg"
"""The Slovenian land-use register parcels (see the PROVENANCE.txt beside it)."""
BULGARIA_BLOCKS = "data/real/bulgaria_lpis_blocks/bg_arable_land_2024.zip"
"""Bulgarian LPIS physical blocks (see the PROVENANCE.txt beside it)."""
REAL_PATTERNS = {"slovenia": SLOVENIA_PARCELS, "bulgaria": BULGARIA_BLOCKS}
_WINDOW = {"bulgaria": (522500.0, 4724250.0, 525000.0, 4726750.0)}
"""(x0, y0, x1, y1) metres of the part of a pattern used (default: its bounding box)."""
_FIELD = {"grassland", "cultivated land", ""}
_COVER = {
    "forest": LandCover.FOREST,
    "schrubland": LandCover.FOREST,  # sic, as spelled in the source
    "artificial surface": LandCover.BUILT,
    "Greenhouses": LandCover.BUILT,
}


def _read(name: str = "slovenia"):
    import geopandas as gpd

    rel = REAL_PATTERNS[name]
    path = paths().root / rel
    if not path.is_file():
        raise InputNotFoundError(
            f"real parcel file {path} is missing; restore it from git (git checkout -- {rel})"
        )
    return gpd.read_file(f"zip://{path}" if path.suffix == ".zip" else path)


def _bounds(name: str, gdf) -> tuple[float, float, float, float]:
    return _WINDOW.get(name) or tuple(float(v) for v in gdf.total_bounds)


def real_extent_px(px: float, name: str = "slovenia") -> tuple[int, int]:
    """(H, W) of the real pattern ``name``'s bounding box (or window) at ``px`` metres."""
    x0, y0, x1, y1 = _bounds(name, _read(name))
    return int((y1 - y0) // px), int((x1 - x0) // px)


def _classes(name: str, gdf) -> tuple[np.ndarray, list[str]]:
    """Which polygons are fields, and each polygon's class name (keys of ``_COVER``)."""
    if name == "slovenia":
        names = gdf["LULC_NAME"].fillna("").astype(str).str.strip()
        return names.isin(_FIELD).to_numpy(), list(names)
    usage = gdf["USAGEENG"].fillna("").astype(str).str.strip()
    return (usage != "Greenhouses").to_numpy(), list(usage)


def real_layout(
    name: str,
    shape: tuple[int, int],
    px: float,
    rng: np.random.Generator,
    *,
    crops: tuple[str, ...],
    terrain: Terrain | None = None,
) -> Landscape:
    """The real pattern ``name`` (a key of :data:`REAL_PATTERNS`) as a landscape: its
    field polygons each a field (sown with ``crops`` as in the demo), its woody and
    built polygons as such, the land outside every polygon grass; the top-left ``shape``
    of its bounding box (or window) at ``px`` m. Blocks = touching fields.

    Raises:
        ValidationError: ``shape`` larger than the pattern (see :func:`real_extent_px`).
        InputNotFoundError: the polygon file is missing.
    """
    from rasterio import features, transform

    gdf = _read(name)
    x0, _, _, y1 = _bounds(name, gdf)
    full = real_extent_px(px, name)
    if shape[0] > full[0] or shape[1] > full[1]:
        raise ValidationError(
            f"shape {shape} is larger than the real pattern ({full[0]} x {full[1]} px at "
            f"{px:g} m); ask for at most that"
        )
    tf = transform.from_origin(x0, y1, px, px)
    is_field, names = _classes(name, gdf)
    ids = np.arange(1, len(gdf) + 1)
    fields = features.rasterize(
        [(g, int(i)) for g, i, f in zip(gdf.geometry, ids, is_field, strict=True) if f],
        out_shape=shape,
        transform=tf,
        fill=0,
        dtype="int32",
    )
    cover = np.zeros(shape, np.uint8)
    for cls, code in _COVER.items():
        geoms = [g for g, n in zip(gdf.geometry, names, strict=True) if n == cls]
        if geoms:
            mask = features.rasterize(geoms, out_shape=shape, transform=tf, fill=0, dtype="uint8")
            cover[(mask > 0) & (fields == 0)] = code
    # Outside every polygon (lanes, unmapped land): grass.
    cover[(fields == 0) & (cover == 0)] = LandCover.GRASS
    blocks = ndimage.label(fields > 0)[0]
    return assemble(fields, blocks, cover, px, rng, crops=crops, terrain=None, other_share=0.0)


def slovenia_layout(
    shape: tuple[int, int],
    px: float,
    rng: np.random.Generator,
    *,
    crops: tuple[str, ...],
    terrain: Terrain | None = None,
) -> Landscape:
    """The Slovenian register parcels: grassland, cultivated and unlabelled parcels are
    fields, shrubland and forest woody, artificial built-up (:func:`real_layout`)."""
    return real_layout("slovenia", shape, px, rng, crops=crops, terrain=terrain)


def bulgaria_layout(
    shape: tuple[int, int],
    px: float,
    rng: np.random.Generator,
    *,
    crops: tuple[str, ...],
    terrain: Terrain | None = None,
) -> Landscape:
    """The Bulgarian LPIS blocks of the 2.5 km window: every block a field but the
    greenhouses (built-up) (:func:`real_layout`)."""
    return real_layout("bulgaria", shape, px, rng, crops=crops, terrain=terrain)
