"""Land cover and field parcels of the demo world: roads, fields, villages, water, forest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral

import numpy as np
import pandas as pd
from scipy import ndimage
from skimage.measure import label as label_regions

from paii_core.demo.classes import CROPS, LandCover, crop_index
from paii_core.demo.land_layout import (
    _cut,  # noqa: F401 (re-exported: paii_core.demo.field_layouts imports it from here)
    _fields_and_roads,
    _forest,
    _villages,
)
from paii_core.demo.terrain import (
    Terrain,
    _check_number,
    gaussian_field,
    validate_grid,
    validate_rng,
)
from paii_core.errors import ValidationError

__all__ = ["Landscape", "downsample_labels", "make_landscape"]

PARCEL_COLUMNS = (
    "parcel_id",
    "coarse_id",
    "crop",
    "area_ha",
    "centroid_row",
    "centroid_col",
    "sowing_shift_days",
    "soil_brightness",
    "management",
)


@dataclass(frozen=True, eq=False)
class Landscape:
    """Truth rasters of what covers the ground, and the table of its crop fields."""

    land_cover: np.ndarray
    """(H, W) uint8 :class:`LandCover` codes."""
    fine_parcels: np.ndarray
    """(H, W) int32 field ids (1..N, 4-connected); 0 where there is no field."""
    coarse_parcels: np.ndarray
    """(H, W) int32 block ids: the contiguous fields of one road-bounded block; each is a
    union of whole fine parcels; 0 where there is no field."""
    crop_type: np.ndarray
    """(H, W) int16 index into :data:`CROPS`; -1 where there is no crop."""
    parcels: pd.DataFrame
    """One row per fine parcel: parcel_id, coarse_id, crop (name), area_ha,
    centroid_row, centroid_col (pixels), sowing_shift_days (int, days from the regional
    calendar), soil_brightness (0.8..1.2), management (0.85..1.1 vigour and yield)."""
    pixel_size_m: float
    crops: tuple[str, ...]
    """The crops grown, as asked for."""

    @property
    def shape(self) -> tuple[int, int]:
        """(H, W) of the grid."""
        return self.land_cover.shape  # type: ignore[return-value]


def make_landscape(
    shape: tuple[int, int],
    pixel_size_m: float,
    rng: np.random.Generator,
    *,
    crops: tuple[str, ...],
    crop_weights: Sequence[float] | None = None,
    terrain: Terrain | None = None,
    cropland_fraction: float = 0.7,
    mean_field_ha: float = 1.0,
    village_count: int | None = None,
) -> Landscape:
    """Lay out roads, crop fields, villages, water, forest and grass over a scene.

    Roads form a slightly rotated, warped grid with jittered spacing, plus up to two
    diagonal roads; each block holds about 8 to 16 fields. Blocks are cut into strips
    and the strips into fields with slightly tilted cuts (the recursive subdivision of
    farmland used in procedural land-use modelling, e.g. Parish & Mueller 2001 for
    city blocks); fields are elongated when small (smallholder strips, length/width
    about 3 * area_ha^-0.25) and squarer when large. Field areas follow a gamma
    distribution around ``mean_field_ha``. The river of ``terrain`` is water with a
    grass buffer; villages (compact, road-aligned) sit on dry, gentle ground; forest
    takes the steepest ground (or woodlots on flat land); some fields become fish
    ponds or grass until the cropland share is about ``cropland_fraction``. Within a
    block neighbours tend to grow the same crop; sowing dates and management vary by
    farm and field.

    Args:
        shape: (H, W) of the grid.
        pixel_size_m: pixel size in metres.
        rng: the only source of randomness; the same state gives the same landscape.
        crops: names from :data:`CROPS` grown here, the dominant first.
        crop_weights: share of fields per crop; None halves it from one to the next.
        terrain: the scene's terrain (same shape and pixel size); None for a flat
            scene without a river.
        cropland_fraction: target share of the scene under crop fields, 0..1.
        mean_field_ha: mean field size in hectares (0.3..1 smallholder China, 15..40
            Iowa); a field must be at least 4 pixels.
        village_count: villages to place; None for about one per 1.7 km2 where fields
            are 1 ha or less, fewer (by sqrt(mean_field_ha)) where they are larger.

    Returns:
        A :class:`Landscape`.

    Raises:
        ValidationError: for a bad shape, pixel size, rng, an unknown crop, weights
            that do not match the crops, a terrain of another grid, or values out of range.
    """
    (h, w), px = validate_grid(shape, pixel_size_m)
    validate_rng(rng)
    crops, weights = _validate_crops(crops, crop_weights)
    _check_number("cropland_fraction", cropland_fraction, low=0.0, high=1.0)
    _check_number("mean_field_ha", mean_field_ha, low=0.0, strict=True)
    if mean_field_ha * 1e4 / px**2 < 4:
        raise ValidationError(
            f"mean_field_ha={mean_field_ha} is under 4 pixels of {px:g} m; use bigger "
            f"fields or a finer pixel size"
        )
    if terrain is not None:
        if not isinstance(terrain, Terrain):
            raise ValidationError(
                f"terrain should be a Terrain or None, got {type(terrain).__name__}"
            )
        if terrain.shape != (h, w) or not np.isclose(terrain.pixel_size_m, px):
            raise ValidationError(
                f"terrain grid {terrain.shape} at {terrain.pixel_size_m:g} m does not match "
                f"shape {(h, w)} at {px:g} m; build both with the same shape and pixel size"
            )
    if village_count is None:
        # Dense villages among smallholder plots, sparser where fields are large.
        village_count = round(0.6 * min(1.0, mean_field_ha**-0.5) * h * w * px * px / 1e6)
    elif (
        not isinstance(village_count, Integral)
        or isinstance(village_count, bool)
        or village_count < 0
    ):
        raise ValidationError(
            f"village_count should be an integer >= 0 or None, got {village_count!r}"
        )

    field_m2 = mean_field_ha * 1e4
    angle = rng.uniform(-0.35, 0.35)
    texture = gaussian_field((h, w), px, rng, outer_m=400.0, inner_m=60.0, hurst=1.0)
    provisional, block, roads = _fields_and_roads((h, w), px, rng, angle, field_m2)

    cover = np.full((h, w), LandCover.GRASS, dtype=np.uint8)
    taken = roads.copy()
    if terrain is not None:
        buffer = ndimage.binary_dilation(
            terrain.river_mask, iterations=max(1, round(rng.uniform(5.0, 15.0) / px))
        )
        taken |= buffer
    # Villages shrink when they would leave too little room for the cropland asked for.
    room_m2 = (np.mean(~taken) - cropland_fraction - 0.03) * h * w * px * px
    built = _villages((h, w), px, rng, angle, int(village_count), texture, terrain, taken, room_m2)
    taken |= built
    forest = _forest(px, rng, texture, terrain, taken, cropland_fraction)
    # Farmers clear or keep whole plots: a field mostly under forest becomes forest.
    free = ~taken
    per_field = np.bincount(provisional[free], minlength=int(provisional.max()) + 1)
    wooded = np.bincount(provisional[free & forest], minlength=per_field.size)
    forest = (2 * wooded >= np.maximum(per_field, 1))[provisional] & free
    cover[forest] = LandCover.FOREST
    cover[built] = LandCover.BUILT
    cover[roads] = LandCover.ROAD
    if terrain is not None:
        cover[terrain.river_mask] = LandCover.WATER

    provisional[taken | forest] = 0
    fine = label_regions(provisional, background=0, connectivity=1).astype(np.int32)
    area_px = np.bincount(fine.ravel())
    area_px[0] = 0
    keep = area_px >= max(4.0, 0.15 * field_m2 / px**2)
    # Fish ponds and grass (fallow, pasture) take whole fields beyond the cropland target.
    surplus = area_px[keep].sum() - cropland_fraction * h * w
    order = rng.permutation(np.flatnonzero(keep))
    dropped = order[np.cumsum(area_px[order]) - area_px[order] < surplus]
    pond_share = rng.uniform(0.0, 0.2)
    ponds = dropped[np.cumsum(area_px[dropped]) <= pond_share * max(surplus, 0)]
    keep[dropped] = False
    is_pond = np.zeros(keep.size, dtype=bool)
    is_pond[ponds] = True
    cover[is_pond[fine]] = LandCover.WATER
    new_id = np.where(keep, np.cumsum(keep), 0).astype(np.int32)
    fine = new_id[fine]
    cover[fine > 0] = LandCover.CROPLAND

    coarse = label_regions(np.where(fine > 0, block + 1, 0), background=0, connectivity=1)
    n_fine = int(keep.sum())
    coarse_of = np.zeros(n_fine + 1, dtype=np.int32)
    coarse_of[fine.ravel()] = coarse.ravel()
    table = _parcel_table(fine, coarse_of, px, rng, crops, weights, texture)
    crop_lut = np.full(n_fine + 1, -1, dtype=np.int16)
    crop_lut[table["parcel_id"].to_numpy()] = [crop_index(c) for c in table["crop"]]
    return Landscape(
        land_cover=cover,
        fine_parcels=fine,
        coarse_parcels=coarse.astype(np.int32),
        crop_type=crop_lut[fine],
        parcels=table,
        pixel_size_m=px,
        crops=crops,
    )


def _parcel_table(
    fine: np.ndarray,
    coarse_of: np.ndarray,
    px: float,
    rng: np.random.Generator,
    crops: tuple[str, ...],
    weights: np.ndarray,
    texture: np.ndarray,
) -> pd.DataFrame:
    """One row per fine parcel with its crop and per-field management factors."""
    n = coarse_of.size - 1
    n_coarse = int(coarse_of.max(initial=0))
    flat = fine.ravel()
    rows, cols = np.divmod(np.arange(flat.size), fine.shape[1])
    area = np.bincount(flat, minlength=n + 1)[1:].astype(np.float64)
    safe = np.maximum(area, 1)
    row_c = np.bincount(flat, weights=rows, minlength=n + 1)[1:] / safe
    col_c = np.bincount(flat, weights=cols, minlength=n + 1)[1:] / safe
    farm = coarse_of[1:] - 1
    # Neighbours in a block often sow one crop; the share per crop still follows weights.
    block_crop = rng.choice(len(crops), size=n_coarse, p=weights)
    own_crop = rng.choice(len(crops), size=n, p=weights)
    follows = rng.random(n) < 0.6
    crop = np.where(follows, block_crop[farm], own_crop)
    farm_shift = rng.normal(0.0, 5.0, n_coarse)
    farm_care = rng.normal(0.0, 0.03, n_coarse)
    shift = np.clip(np.rint(farm_shift[farm] + rng.normal(0.0, 5.0, n)), -21, 21).astype(np.int64)
    soil = texture[
        np.clip(np.rint(row_c).astype(int), 0, fine.shape[0] - 1),
        np.clip(np.rint(col_c).astype(int), 0, fine.shape[1] - 1),
    ]
    brightness = np.clip(1.0 + 0.06 * soil + rng.normal(0.0, 0.03, n), 0.8, 1.2)
    management = np.clip(0.98 + farm_care[farm] + rng.normal(0.0, 0.04, n), 0.85, 1.1)
    return pd.DataFrame(
        {
            "parcel_id": np.arange(1, n + 1, dtype=np.int32),
            "coarse_id": coarse_of[1:].astype(np.int32),
            "crop": np.asarray(crops, dtype=object)[crop],
            "area_ha": area * px * px / 1e4,
            "centroid_row": row_c,
            "centroid_col": col_c,
            "sowing_shift_days": shift,
            "soil_brightness": brightness,
            "management": management,
        },
        columns=list(PARCEL_COLUMNS),
    )


def downsample_labels(landscape: Landscape, factor: int) -> Landscape:
    """The same landscape on a grid ``factor`` times coarser (2.5 m truth -> 10 m).

    Land cover takes the mode of each factor x factor block; a block whose mode is
    cropland takes its most common parcel (ties: the smallest id) and that parcel's
    crop and coarse parcel, so the rasters stay consistent and coarse parcels stay
    unions of fine ones. Parcel ids are kept; parcels with no pixel left are dropped
    from the table, and areas and centroids are recomputed on the new grid.

    Raises:
        ValidationError: if factor is not a positive integer dividing both sides.
    """
    if not isinstance(landscape, Landscape):
        raise ValidationError(f"landscape should be a Landscape, got {type(landscape).__name__}")
    h, w = landscape.shape
    if not isinstance(factor, Integral) or isinstance(factor, bool) or factor < 1:
        raise ValidationError(f"factor should be a positive integer, got {factor!r}")
    if h % factor or w % factor:
        raise ValidationError(
            f"factor {factor} does not divide the grid {h} x {w}; crop the landscape or "
            f"pick a factor that divides both sides"
        )
    factor = int(factor)
    if factor == 1:
        return landscape
    hh, ww = h // factor, w // factor

    def blocks(a: np.ndarray) -> np.ndarray:
        return a.reshape(hh, factor, ww, factor).swapaxes(1, 2).reshape(hh, ww, factor * factor)

    cover_blocks = blocks(landscape.land_cover)
    counts = np.stack([(cover_blocks == c).sum(axis=2) for c in LandCover], axis=0)
    cover = np.asarray(list(LandCover), dtype=np.uint8)[np.argmax(counts, axis=0)]
    ids = np.sort(blocks(landscape.fine_parcels), axis=2)
    # Run length of each sorted id; zeros never win, so mixed blocks keep a parcel.
    position = np.arange(factor * factor)
    change = np.ones(ids.shape, dtype=bool)
    change[..., 1:] = ids[..., 1:] != ids[..., :-1]
    start = np.maximum.accumulate(np.where(change, position, 0), axis=2)
    runs = position - start + 1
    runs[ids == 0] = 0
    best = np.argmax(runs, axis=2)
    fine = np.take_along_axis(ids, best[..., None], axis=2)[..., 0]
    fine = np.where(cover == LandCover.CROPLAND, fine, 0).astype(np.int32)
    cover[(cover == LandCover.CROPLAND) & (fine == 0)] = LandCover.GRASS

    table = landscape.parcels
    top = int(table["parcel_id"].max()) if len(table) else 0
    coarse_lut = np.zeros(top + 1, dtype=np.int32)
    crop_lut = np.full(top + 1, -1, dtype=np.int16)
    coarse_lut[table["parcel_id"].to_numpy()] = table["coarse_id"].to_numpy()
    crop_lut[table["parcel_id"].to_numpy()] = [crop_index(c) for c in table["crop"]]
    px = landscape.pixel_size_m * factor
    flat = fine.ravel()
    rows, cols = np.divmod(np.arange(flat.size), ww)
    area = np.bincount(flat, minlength=top + 1).astype(np.float64)
    safe = np.maximum(area, 1)
    row_c = np.bincount(flat, weights=rows, minlength=top + 1) / safe
    col_c = np.bincount(flat, weights=cols, minlength=top + 1) / safe
    ids_kept = table["parcel_id"].to_numpy()
    table = table.assign(
        area_ha=area[ids_kept] * px * px / 1e4,
        centroid_row=row_c[ids_kept],
        centroid_col=col_c[ids_kept],
    )
    table = table[area[ids_kept] > 0].reset_index(drop=True)
    return Landscape(
        land_cover=cover,
        fine_parcels=fine,
        coarse_parcels=coarse_lut[fine],
        crop_type=crop_lut[fine],
        parcels=table,
        pixel_size_m=px,
        crops=landscape.crops,
    )


def _validate_crops(
    crops: Sequence[str], crop_weights: Sequence[float] | None
) -> tuple[tuple[str, ...], np.ndarray]:
    if isinstance(crops, str) or not isinstance(crops, Sequence) or len(crops) == 0:
        raise ValidationError(
            f"crops should be a non-empty tuple of crop names from {CROPS}, got {crops!r}"
        )
    for name in crops:
        crop_index(name)
    if len(set(crops)) != len(crops):
        raise ValidationError(f"crops should not repeat a name, got {crops!r}")
    if crop_weights is None:
        weights = 0.5 ** np.arange(len(crops))
    else:
        weights = np.asarray(crop_weights, dtype=np.float64)
        if (
            weights.shape != (len(crops),)
            or not np.isfinite(weights).all()
            or (weights < 0).any()
            or weights.sum() <= 0
        ):
            raise ValidationError(
                f"crop_weights should be {len(crops)} finite numbers >= 0 with a positive sum "
                f"(one per crop in {tuple(crops)}), got {crop_weights!r}"
            )
    return tuple(crops), weights / weights.sum()
