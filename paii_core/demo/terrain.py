"""Terrain of the demo world: fractal relief, hills and a meandering river valley."""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from scipy import fft, ndimage

from paii_core.demo.river_course import _river_path, _simple_path
from paii_core.errors import ValidationError

__all__ = ["Terrain", "downsample_terrain", "make_terrain"]


@dataclass(frozen=True, eq=False)
class Terrain:
    """A digital elevation model with the river that drains it."""

    dem: np.ndarray
    """(H, W) float32 elevation in metres; on the river it is the water surface at normal
    flow (as in SRTM or Copernicus DEMs), falling monotonically downstream."""
    river_mask: np.ndarray
    """(H, W) bool, the river channel at normal flow; 4-connected along ``flow_path``."""
    river_width_m: float
    """Channel width at normal flow in metres (the mask is at least one pixel wide)."""
    bankfull_depth_m: float
    """Height of the banks above the normal water surface: the river stage at which the
    lowest floodplain begins to flood is about 0.3 to 1 times this."""
    flow_path: np.ndarray
    """(N, 2) int32 (row, col) cells of the river centreline, upstream first, each a
    4-neighbour of the next."""
    pixel_size_m: float

    @property
    def shape(self) -> tuple[int, int]:
        """(H, W) of the grid."""
        return self.dem.shape  # type: ignore[return-value]


def make_terrain(
    shape: tuple[int, int],
    pixel_size_m: float,
    rng: np.random.Generator,
    *,
    base_elevation_m: float = 50.0,
    relief_m: float = 40.0,
    valley_depth_m: float = 15.0,
    hills: float = 0.3,
    river_width_m: float | None = None,
) -> Terrain:
    """Build a DEM with rolling fractal relief, optional steep hills and a river valley.

    The land is fractional Brownian relief made by spectral synthesis: white noise
    filtered to a power-law spectrum P(f) ~ f^-(2H+2) (Fournier, Fussell & Carpenter
    1982; Saupe 1988), rolled off below a 2.5 km outer scale as in the von Karman model
    of Goff & Jordan (1988). Hills are ridged noise (Musgrave, Kolb & Mace 1989) laid on
    patches of the uplands. A river enters at one edge and leaves at another along a
    sine-generated curve, whose heading oscillates as theta = omega sin(2 pi s / L)
    (Langbein & Leopold 1966), with a meander wavelength of about 11 channel widths
    (Leopold & Wolman 1960) and a bankfull depth of width / 12..20 (hydraulic
    geometry, Leopold & Maddock 1953). Around the channel lies a nearly flat floodplain,
    then valley sides rising ``valley_depth_m`` to the uplands; everything falls
    downstream with the river's gradient (1..4 x 10^-4, a lowland river), so flow
    routing drains the land to the channel.

    Args:
        shape: (H, W) of the grid.
        pixel_size_m: pixel size in metres (any: 2.5, 10, 30...).
        rng: the only source of randomness; the same state gives the same terrain.
        base_elevation_m: water surface of the river where it leaves the scene.
        relief_m: range of the rolling relief of the uplands in a scene 2.5 km or more
            across; smaller scenes get a proportionally smaller part (size^0.8).
        valley_depth_m: how far the floodplain lies below the uplands.
        hills: 0..1, share of the uplands (outside the valley) covered by ridged
            hills; their height grows with it too (about 50 m at 0.3, 110 m at 1).
            Crest slopes pass 45 degrees, enough for radar layover and shadow.
        river_width_m: channel width; None draws it from the scene size (0.6..1.2 %
            of the smaller side, between 6 and 300 m).

    Returns:
        A :class:`Terrain`.

    Raises:
        ValidationError: for a bad shape (smaller than 8 x 8), pixel size, rng or a
            parameter out of range.
    """
    (h, w), px = validate_grid(shape, pixel_size_m)
    if min(h, w) < 8:
        raise ValidationError(f"shape {shape} is too small for a river valley; use at least 8 x 8")
    validate_rng(rng)
    for name, value in (("relief_m", relief_m), ("valley_depth_m", valley_depth_m)):
        _check_number(name, value, low=0.0)
    _check_number("base_elevation_m", base_elevation_m, low=-500.0, high=9000.0)
    _check_number("hills", hills, low=0.0, high=1.0)
    if river_width_m is None:
        river_width_m = float(np.clip(min(h, w) * px * rng.uniform(0.006, 0.012), 6.0, 300.0))
    else:
        _check_number("river_width_m", river_width_m, low=0.0, strict=True)
        river_width_m = float(river_width_m)

    path, chain_m = _river_path((h, w), px, river_width_m, rng)
    seed = np.ones((h, w), dtype=bool)
    seed[path[:, 0], path[:, 1]] = False
    dist_px, nearest = ndimage.distance_transform_edt(seed, return_indices=True)
    chain_raster = np.zeros((h, w), dtype=np.float32)
    chain_raster[path[:, 0], path[:, 1]] = chain_m
    s_near = chain_raster[nearest[0], nearest[1]]
    del nearest
    d_m = dist_px.astype(np.float32) * np.float32(px)
    del dist_px

    river_mask = d_m <= max(river_width_m / 2.0, 0.75 * px)
    river_mask[path[:, 0], path[:, 1]] = True

    # Channel and valley shape along the river, varying slowly downstream.
    bank_m = float(np.clip(river_width_m / rng.uniform(12.0, 20.0), 0.8, 4.0))
    gradient = rng.uniform(1e-4, 4e-4)
    # Few knots: the floodplain width changes over kilometres, not from bend to bend.
    knots = np.linspace(0.0, float(chain_m[-1]) + 1.0, 2 + int(chain_m[-1] // 3000.0))
    half_floodplain = (
        river_width_m * rng.uniform(3.0, 8.0) * np.exp(0.2 * rng.standard_normal(knots.size))
    )
    half_floodplain = np.maximum(half_floodplain, river_width_m + 2.0 * px)
    side_m = max(valley_depth_m / rng.uniform(0.04, 0.12), 3.0 * px)
    lateral_slope = rng.uniform(0.002, 0.006)
    floodplain_slope = rng.uniform(2e-4, 1e-3)
    roughness_m = rng.uniform(0.15, 0.35)

    relief = gaussian_field((h, w), px, rng, outer_m=2500.0, inner_m=20.0, hurst=0.8)
    hill_zone = gaussian_field((h, w), px, rng, outer_m=3000.0, inner_m=400.0, hurst=1.0)
    ridges = gaussian_field((h, w), px, rng, outer_m=700.0, inner_m=50.0, hurst=1.0)

    hw_near = np.interp(s_near, knots, half_floodplain).astype(np.float32)
    side = _smoothstep((d_m - hw_near) / np.float32(side_m))
    floodplain = bank_m + floodplain_slope * d_m + roughness_m * relief
    np.maximum(floodplain, 0.3 * bank_m, out=floodplain)
    # fBm ranges grow as size^H: a scene smaller than the outer scale sees less relief.
    span = float(relief.max() - relief.min()) or 1.0
    scale = relief_m * min(1.0, min(h, w) * px / 2500.0) ** 0.8 / span
    upland = valley_depth_m + scale * (relief - relief.min()) + lateral_slope * d_m
    if hills > 0:
        threshold = np.quantile(hill_zone[:: max(1, h // 256), :: max(1, w // 256)], 1.0 - hills)
        zone = _smoothstep((hill_zone - threshold) / 0.8 + 0.5)
        far = _smoothstep((d_m - hw_near - side_m) / np.float32(side_m))
        crest = np.clip(1.0 - np.abs(ridges) / 2.2, 0.0, 1.0) ** 1.5
        upland += (25.0 + 85.0 * hills) * zone * far * crest
    above_river = (1.0 - side) * floodplain + side * upland
    above_river[river_mask] = 0.0
    dem = base_elevation_m + gradient * (float(chain_m[-1]) - s_near) + above_river

    dem = dem.astype(np.float32, copy=False)
    # Cells nearest to two bends get one bend's chainage: never rise downstream.
    dem[path[:, 0], path[:, 1]] = np.minimum.accumulate(dem[path[:, 0], path[:, 1]])
    return Terrain(
        dem=dem,
        river_mask=river_mask,
        river_width_m=river_width_m,
        bankfull_depth_m=bank_m,
        flow_path=path,
        pixel_size_m=px,
    )


def downsample_terrain(terrain: Terrain, factor: int) -> Terrain:
    """The same terrain on a grid ``factor`` times coarser (2.5 m truth -> 10 m).

    The DEM is the block mean, except on the river, where it is the mean water surface
    of the river cells in the block (a DEM sees the water, not the banks). The river is
    every block at least half river plus the blocks the centreline crosses, so it stays
    one 4-connected channel, and its surface is kept falling downstream.

    Raises:
        ValidationError: if factor is not a positive integer dividing both sides.
    """
    if not isinstance(terrain, Terrain):
        raise ValidationError(f"terrain should be a Terrain, got {type(terrain).__name__}")
    h, w = terrain.shape
    if not isinstance(factor, Integral) or isinstance(factor, bool) or factor < 1:
        raise ValidationError(f"factor should be a positive integer, got {factor!r}")
    if h % factor or w % factor:
        raise ValidationError(
            f"factor {factor} does not divide the grid {h} x {w}; pick a factor that "
            f"divides both sides"
        )
    factor = int(factor)
    if factor == 1:
        return terrain
    hh, ww = h // factor, w // factor

    def block_sum(a: np.ndarray) -> np.ndarray:
        return a.reshape(hh, factor, ww, factor).sum(axis=(1, 3), dtype=np.float64)

    river = terrain.river_mask
    wet = block_sum(river)
    surface = block_sum(np.where(river, terrain.dem, 0.0)) / np.maximum(wet, 1)
    dem = block_sum(terrain.dem) / factor**2
    rows, cols, _ = _simple_path(
        terrain.flow_path[:, 0] // factor,
        terrain.flow_path[:, 1] // factor,
        np.zeros(len(terrain.flow_path)),
    )
    mask = wet >= factor * factor / 2
    mask[rows, cols] = True
    dem[mask] = np.where(wet[mask] > 0, surface[mask], dem[mask])
    dem = dem.astype(np.float32)
    dem[rows, cols] = np.minimum.accumulate(dem[rows, cols])
    return Terrain(
        dem=dem,
        river_mask=mask,
        river_width_m=terrain.river_width_m,
        bankfull_depth_m=terrain.bankfull_depth_m,
        flow_path=np.stack([rows, cols], axis=1).astype(np.int32),
        pixel_size_m=terrain.pixel_size_m * factor,
    )


def _smoothstep(t: np.ndarray) -> np.ndarray:
    """Hermite ramp 0 -> 1 over t in [0, 1], flat outside."""
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def gaussian_field(
    shape: tuple[int, int],
    pixel_size_m: float,
    rng: np.random.Generator,
    *,
    outer_m: float,
    inner_m: float = 0.0,
    hurst: float = 0.8,
) -> np.ndarray:
    """(H, W) float32 Gaussian random field, zero mean and unit standard deviation.

    Spectral synthesis (Saupe 1988): complex white noise shaped by the von Karman
    amplitude spectrum (f^2 + f0^2)^-(H+1)/2 with f0 = 1 / ``outer_m`` (Goff & Jordan
    1988), i.e. fractional Brownian relief of Hurst exponent ``hurst`` at scales below
    ``outer_m``, damped by exp(-(f inner_m)^2) below ``inner_m``. Frequencies are in
    cycles per metre, so a field looks the same at any pixel size. Smooth fields are
    synthesised on a coarser grid and interpolated, which keeps big grids fast; the
    grid is padded so opposite edges do not match.
    """
    h, w = shape
    step = max(1, int(inner_m / (8.0 * pixel_size_m)))
    ch, cw = -(-h // step) + 1, -(-w // step) + 1
    ph, pw = fft.next_fast_len(ch + ch // 8 + 2), fft.next_fast_len(cw + cw // 8 + 2, real=True)
    cell = pixel_size_m * step
    fy = fft.fftfreq(ph, d=cell).astype(np.float32)[:, None]
    fx = fft.rfftfreq(pw, d=cell).astype(np.float32)[None, :]
    f2 = fy * fy + fx * fx
    amplitude = (f2 + np.float32(1.0 / outer_m) ** 2) ** np.float32(-(hurst + 1.0) / 2.0)
    if inner_m > 0:
        amplitude *= np.exp(-f2 * np.float32(inner_m * inner_m))
    amplitude[0, 0] = 0.0
    spectrum = np.empty(f2.shape, dtype=np.complex64)
    spectrum.real = rng.standard_normal(f2.shape, dtype=np.float32) * amplitude
    spectrum.imag = rng.standard_normal(f2.shape, dtype=np.float32) * amplitude
    field = fft.irfft2(spectrum, s=(ph, pw), workers=-1, overwrite_x=True)[:ch, :cw]
    if step > 1:
        field = _linear_weights(h, step, ch) @ field @ _linear_weights(w, step, cw).T
    else:
        field = np.ascontiguousarray(field[:h, :w])
    field -= field.mean()
    field /= field.std() or np.float32(1.0)
    return field


def _linear_weights(n: int, step: int, coarse: int) -> np.ndarray:
    """(n, coarse) float32 matrix that linearly interpolates a grid ``step`` times coarser
    (cell centres aligned); applied on both sides it is bilinear upsampling, as a BLAS
    product that beats a general resampler on big grids."""
    position = np.clip((np.arange(n) + 0.5) / step - 0.5, 0.0, coarse - 1.0)
    low = np.minimum(position.astype(np.int64), coarse - 2) if coarse > 1 else np.zeros(n, int)
    frac = (position - low).astype(np.float32)
    weights = np.zeros((n, coarse), dtype=np.float32)
    weights[np.arange(n), low] = 1.0 - frac
    if coarse > 1:
        weights[np.arange(n), low + 1] += frac
    return weights


def validate_grid(shape: tuple[int, int], pixel_size_m: float) -> tuple[tuple[int, int], float]:
    """Check a grid shape and pixel size; return them as (int, int) and float.

    Raises:
        ValidationError: unless shape is two positive integers and pixel_size_m a
            positive finite number.
    """
    try:
        dims = tuple(shape)
    except TypeError:
        dims = ()
    if (
        len(dims) != 2
        or not all(isinstance(d, Integral) and not isinstance(d, bool) for d in dims)
        or min(dims) <= 0
    ):
        raise ValidationError(f"shape should be two positive integers (rows, cols), got {shape!r}")
    _check_number("pixel_size_m", pixel_size_m, low=0.0, strict=True)
    return (int(dims[0]), int(dims[1])), float(pixel_size_m)


def validate_rng(rng: object) -> None:
    """Raise ValidationError unless rng is a numpy Generator."""
    if not isinstance(rng, np.random.Generator):
        raise ValidationError(
            f"rng should be a numpy.random.Generator, e.g. numpy.random.default_rng(0); "
            f"got {type(rng).__name__}"
        )


def _check_number(
    name: str, value: object, *, low: float, high: float | None = None, strict: bool = False
) -> None:
    ok = isinstance(value, Real) and not isinstance(value, bool) and np.isfinite(value)
    if ok:
        ok = (value > low if strict else value >= low) and (high is None or value <= high)
    if not ok:
        rule = f"{'>' if strict else '>='} {low:g}" + (
            f" and <= {high:g}" if high is not None else ""
        )
        raise ValidationError(f"{name} should be a finite number {rule}, got {value!r}")
