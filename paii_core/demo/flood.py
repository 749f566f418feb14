"""Truth of a river flood over a DEM: extent and depth at each date of an event."""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral

import numpy as np
from scipy import ndimage

from paii_core.demo.terrain import _check_number, validate_grid, validate_rng
from paii_core.errors import ValidationError

__all__ = ["FloodTruth", "height_above_river", "simulate_flood"]

_FOUR_NEIGHBOURS = ndimage.generate_binary_structure(2, 1)


@dataclass(frozen=True, eq=False)
class FloodTruth:
    """Where the flood water is, and how deep, at each of T dates."""

    flooded: np.ndarray
    """(T, H, W) bool: normally dry land under flood water (permanent water excluded)."""
    depth_m: np.ndarray
    """(T, H, W) float32 water depth in metres on flooded cells, NaN elsewhere."""
    water_level_m: np.ndarray
    """(T,) float32 river stage in metres above its normal level (the DEM's river surface)."""
    permanent_water: np.ndarray
    """(H, W) bool: the river at normal flow plus any other permanent water given."""
    pixel_size_m: float
    peak_index: int

    @property
    def water(self) -> np.ndarray:
        """(T, H, W) bool: all open water at each date, flood and permanent."""
        return self.flooded | self.permanent_water[None]

    @property
    def flooded_area_km2(self) -> np.ndarray:
        """(T,) float64 flooded area at each date in square kilometres."""
        return self.flooded.sum(axis=(1, 2)) * self.pixel_size_m**2 / 1e6


def height_above_river(dem: np.ndarray, river_mask: np.ndarray) -> np.ndarray:
    """(H, W) float32 height of each cell above the river surface nearest to it.

    The reference is the DEM at the closest river cell (Euclidean), so it follows the
    river's downstream slope: a truth-side, straight-line cousin of HAND (Renno et al.
    2008), which instead follows D8 flow paths. It is 0 on the river and negative in
    ground lower than the nearest river surface.

    Raises:
        ValidationError: if dem is not a finite 2-D array or river_mask does not match
            it or has no river cell.
    """
    dem, river = _validate_dem_river(dem, river_mask)
    nearest = ndimage.distance_transform_edt(~river, return_distances=False, return_indices=True)
    return (dem - dem[nearest[0], nearest[1]]).astype(np.float32)


def simulate_flood(
    dem: np.ndarray,
    river_mask: np.ndarray,
    pixel_size_m: float,
    n_dates: int,
    rng: np.random.Generator,
    *,
    peak_index: int,
    peak_stage_m: float,
    permanent_water: np.ndarray | None = None,
) -> FloodTruth:
    """Flood a river valley: the stage rises to a peak on ``peak_index``, then recedes.

    Hydrograph: the river stays near its normal level, rises over one or two dates to
    ``peak_stage_m`` above it (convex rising limb), then recedes exponentially,
    h(t) = h0 + (peak - h0) exp(-(t - t_peak) / k) (Maillet 1905), with k of 1.5 to
    4 date intervals. At each date the water surface is the river's normal surface
    at the nearest river cell plus the stage, so it slopes downstream with the river.
    A cell is flooded when it lies below that surface and is hydraulically connected to
    the river through other such cells (4-neighbours), so isolated hollows stay dry:
    the connected bathtub model (Poulter & Halpin 2008; among the simple conceptual
    inundation models reviewed by Teng et al. 2017). Depth is water surface minus DEM.
    Extent therefore grows up to the peak and shrinks after it.

    Args:
        dem: (H, W) elevation in metres; on the river, its surface at normal flow.
        river_mask: (H, W) bool, the river at normal flow.
        pixel_size_m: pixel size in metres.
        n_dates: number of dates T.
        rng: the only source of randomness (shape of the rise and recession).
        peak_index: date of the flood peak, 0 <= peak_index < n_dates.
        peak_stage_m: stage at the peak in metres above normal.
        permanent_water: (H, W) bool other permanent water (ponds, lakes); never
            counted as flooded.

    Returns:
        A :class:`FloodTruth`.

    Raises:
        ValidationError: for mismatched or non-finite rasters, an empty river mask, or
            counts, indices and stages out of range.
    """
    dem, river = _validate_dem_river(dem, river_mask)
    _, px = validate_grid(dem.shape, pixel_size_m)
    validate_rng(rng)
    if not isinstance(n_dates, Integral) or isinstance(n_dates, bool) or n_dates < 1:
        raise ValidationError(f"n_dates should be a positive integer, got {n_dates!r}")
    if (
        not isinstance(peak_index, Integral)
        or isinstance(peak_index, bool)
        or not 0 <= peak_index < n_dates
    ):
        raise ValidationError(
            f"peak_index should be an integer in 0..{n_dates - 1} (n_dates={n_dates}), "
            f"got {peak_index!r}"
        )
    _check_number("peak_stage_m", peak_stage_m, low=0.0, high=100.0, strict=True)
    permanent = river.copy()
    if permanent_water is not None:
        other = np.asarray(permanent_water)
        if other.shape != dem.shape or other.dtype != bool:
            raise ValidationError(
                f"permanent_water should be a bool array of the DEM's shape {dem.shape}, "
                f"got {other.dtype} {other.shape}"
            )
        permanent |= other

    stage = _hydrograph(int(n_dates), int(peak_index), float(peak_stage_m), rng)
    height = height_above_river(dem, river)
    t_count, (h, w) = stage.size, dem.shape
    flooded = np.zeros((t_count, h, w), dtype=bool)
    depth = np.full((t_count, h, w), np.nan, dtype=np.float32)
    extent_at: dict[float, np.ndarray] = {}
    for t, level in enumerate(stage):
        key = float(level)
        if key not in extent_at:
            extent_at[key] = _connected_below(height, river, level) & ~permanent
        flooded[t] = extent_at[key]
        depth[t][flooded[t]] = level - height[flooded[t]]
    return FloodTruth(
        flooded=flooded,
        depth_m=depth,
        water_level_m=stage,
        permanent_water=permanent,
        pixel_size_m=px,
        peak_index=int(peak_index),
    )


def _hydrograph(
    n_dates: int, peak_index: int, peak_stage_m: float, rng: np.random.Generator
) -> np.ndarray:
    """(T,) float32 stage above normal: flat, a 1-2 date convex rise, exponential recession."""
    normal = peak_stage_m * rng.uniform(0.0, 0.05)
    rise_dates = int(rng.integers(1, 3))
    convexity = rng.uniform(1.0, 2.0)
    recession = rng.uniform(1.5, 4.0)
    t = np.arange(n_dates, dtype=np.float64)
    rising = np.clip((t - (peak_index - rise_dates)) / rise_dates, 0.0, 1.0) ** convexity
    falling = np.exp(-(t - peak_index) / recession)
    share = np.where(t <= peak_index, rising, falling)
    return (normal + (peak_stage_m - normal) * share).astype(np.float32)


def _connected_below(height: np.ndarray, river: np.ndarray, level: float) -> np.ndarray:
    """Cells below the water surface and 4-connected to the river through such cells."""
    labels, count = ndimage.label((height < level) | river, structure=_FOUR_NEIGHBOURS)
    keep = np.zeros(count + 1, dtype=bool)
    keep[labels[river]] = True
    keep[0] = False
    return keep[labels]


def _validate_dem_river(dem: np.ndarray, river_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dem = np.asarray(dem)
    if dem.ndim != 2 or not np.issubdtype(dem.dtype, np.number) or dem.size == 0:
        raise ValidationError(
            f"dem should be a non-empty (H, W) numeric array, got {dem.dtype} {dem.shape}"
        )
    if not np.isfinite(dem).all():
        raise ValidationError(
            "dem should be finite everywhere; fill nodata (NaN) before simulating"
        )
    river = np.asarray(river_mask)
    if river.shape != dem.shape or river.dtype != bool:
        raise ValidationError(
            f"river_mask should be a bool array of the DEM's shape {dem.shape}, "
            f"got {river.dtype} {river.shape}"
        )
    if not river.any():
        raise ValidationError("river_mask has no river cell; the flood needs a river to rise from")
    return dem.astype(np.float32, copy=False), river
