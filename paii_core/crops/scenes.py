"""Held-out and training scenes for the crop models, made with the demo generator's parts."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from paii_core.demo import haze, landscape, optics, phenology, sar, terrain
from paii_core.demo.regions import DEMO_REGIONS
from paii_core.errors import ValidationError

__all__ = ["Scene", "make_scene"]

SEASON_START = date(2020, 3, 5)
# Relief (m), hills, valley depth (m) and mean field size (ha) per region, as in the demo.
_LOOK = {
    "henan": (60.0, 6.0, 4.0, 0.6),
    "hubei": (25.0, 5.0, 6.0, 0.5),
    "iowa": (300.0, 25.0, 10.0, 16.0),
}


@dataclass(frozen=True, eq=False)
class Scene:
    """A season of one simulated area with its truth (all on one 10 m grid)."""

    series: np.ndarray
    """(T, 4, H, W) float32 BGRN reflectance; NaN under clouds and their shadows."""
    dates: list[date]
    sar: np.ndarray
    """(T, 2, H, W) float32 VV, VH dB on the same dates."""
    dem: np.ndarray
    """(H, W) float32 metres."""
    land_cover: np.ndarray
    fine_parcels: np.ndarray
    coarse_parcels: np.ndarray
    crop_type: np.ndarray
    """(H, W) int16 index into paii_core.demo.classes.CROPS, -1 none."""
    region: str
    crops: tuple[str, ...]


def make_scene(
    region: str,
    seed: int,
    *,
    size_px: int = 200,
    n_dates: int = 13,
    hires_factor: int = 2,
    layout: str = "grid",
    pixel_m: float = 10.0,
) -> Scene:
    """Simulate a season over a ``size_px`` square of ``pixel_m`` pixels in ``region``.

    ``layout`` picks the field pattern: ``"grid"`` is the demo's own road grid of strips
    (:func:`paii_core.demo.landscape.make_landscape`, with the region's field size); the
    others come from :func:`paii_core.demo.field_layouts.make_layout` (Voronoi cells, strips,
    large blocks and pivots, the held-out ``"bsp"`` partition, the real ``"slovenia"``
    parcels) and only borrow the region's crops, calendar and terrain.

    The landscape is laid out and rendered at ``10 / hires_factor`` m, then degraded to
    10 m with a sub-pixel shift, a PSF and sensor noise (so field edges hold mixed
    pixels, as in the demo world); ``hires_factor=1`` renders at 10 m directly. Two
    dates are hazy, two carry clouds (masked as NaN, as an SCL mask would).
    Use seeds other than 0 and 7 (the demo and test worlds).

    Raises:
        ValidationError: unknown region or layout, size under 32 px, fewer than 6
            dates, ``pixel_m`` outside 1..60.
    """
    if region not in _LOOK:
        raise ValidationError(f"region {region!r} is unknown; use one of: {', '.join(_LOOK)}")
    if size_px < 32 or n_dates < 6:
        raise ValidationError("make_scene needs size_px >= 32 and n_dates >= 6")
    if not 1.0 <= pixel_m <= 60.0:
        raise ValidationError(f"pixel_m should be 1..60 metres, got {pixel_m}")
    key = [seed, 4242, zlib.crc32(region.encode())]
    if layout != "grid":
        key.append(zlib.crc32(layout.encode()))
    rng = np.random.default_rng(np.random.SeedSequence(key))
    base, relief, valley, field_ha = _LOOK[region]
    crops = DEMO_REGIONS[region].aois[0].crops
    hi_px = pixel_m / hires_factor
    shape = (size_px * hires_factor,) * 2
    ter = terrain.make_terrain(
        shape, hi_px, rng, base_elevation_m=base, relief_m=relief, valley_depth_m=valley
    )
    if layout == "grid":
        land = landscape.make_landscape(
            shape, hi_px, rng, crops=crops, terrain=ter, mean_field_ha=field_ha
        )
    else:
        from paii_core.demo.field_layouts import make_layout

        land = make_layout(layout, shape, hi_px, rng, crops=crops, terrain=ter)
    low = landscape.downsample_labels(land, hires_factor) if hires_factor > 1 else land
    dem = terrain.downsample_terrain(ter, hires_factor).dem if hires_factor > 1 else ter.dem
    dates = [SEASON_START + timedelta(days=16 * i) for i in range(n_dates)]
    hazy = dict(zip(rng.choice(np.arange(1, n_dates), 2, replace=False), (0.4, 1.0), strict=True))
    cloudy = set(rng.choice([i for i in range(n_dates) if i not in hazy], 2, replace=False))
    series, radar = [], []
    for k, day in enumerate(dates):
        doy = day.timetuple().tm_yday
        args = (land.land_cover, land.crop_type, land.fine_parcels, land.parcels, doy, rng)
        ndvi = phenology.landcover_ndvi(*args, region=region)
        img = optics.render_bgrn(*args, ndvi=ndvi, region=region)
        if hires_factor > 1:
            img = optics.degrade(img, hires_factor, shift_px=tuple(rng.uniform(-0.5, 0.5, 2)))
        img = optics.add_sensor_noise(img, rng)
        if k in hazy:
            img = haze.apply_haze(
                img, haze.haze_optical_depth(img.shape[1:], rng, mean_tau=hazy[k])
            )
        if k in cloudy:
            img, cloud, shadow = haze.add_clouds(img, rng, cover=0.15)
            img[:, cloud | shadow] = np.nan
        series.append(img)
        low_args = (low.land_cover, low.crop_type, low.fine_parcels, low.parcels, doy, rng)
        ndvi_low = phenology.landcover_ndvi(*low_args, region=region)
        paddy = phenology.paddy_flooded(
            low.crop_type, low.fine_parcels, low.parcels, doy, region=region
        )
        radar.append(
            sar.simulate_sar(
                low.land_cover, low.crop_type, ndvi_low, dem, pixel_m, rng, paddy_flooded=paddy
            )
        )
    return Scene(
        series=np.stack(series).astype(np.float32),
        dates=dates,
        sar=np.stack(radar).astype(np.float32),
        dem=dem.astype(np.float32),
        land_cover=low.land_cover,
        fine_parcels=low.fine_parcels,
        coarse_parcels=low.coarse_parcels,
        crop_type=low.crop_type,
        region=region,
        crops=crops,
    )
