"""The ground area of a mask's pixels, on projected or longitude/latitude grids."""

from __future__ import annotations

import numpy as np
from affine import Affine
from numpy.typing import NDArray
from rasterio.crs import CRS

from paii_core.errors import ValidationError

__all__ = ["EARTH_RADIUS_M", "mask_area_km2", "polygon_area_m2"]

EARTH_RADIUS_M = 6_371_007.2
"""Radius of the sphere with the WGS84 ellipsoid's surface area (authalic radius): cell
areas on it are within about 0.5 % of the ellipsoid's."""


def mask_area_km2(mask: NDArray[np.bool_], transform: Affine, crs: CRS | str) -> float:
    """Area of ``mask``'s True pixels in km².

    A projected grid (metres) gives every pixel ``|a e - b d|``. A geographic grid
    (degrees, e.g. a Sen1Floods11 chip in EPSG:4326) gives each row its own area on the
    authalic sphere, ``R² Δλ |sin φ_top - sin φ_bottom|``: a degree of longitude shrinks
    with the cosine of latitude, and degrees squared are not an area.

    Raises:
        ValidationError: a rotated geographic grid (b or d non-zero).
    """
    rows = np.asarray(mask, dtype=bool).sum(axis=1)
    if not CRS.from_user_input(crs).is_geographic:
        px_m2 = abs(transform.a * transform.e - transform.b * transform.d)
        return float(rows.sum() * px_m2 / 1e6)
    if transform.b or transform.d:
        raise ValidationError(
            f"grid transform {tuple(transform)[:6]} is rotated in degrees; warp the raster "
            "to a north-up grid (gdalwarp) before measuring areas"
        )
    top = np.deg2rad(transform.f + transform.e * np.arange(len(rows)))
    bottom = top + np.deg2rad(transform.e)
    width = np.deg2rad(abs(transform.a))
    cell_m2 = EARTH_RADIUS_M**2 * width * np.abs(np.sin(top) - np.sin(bottom))
    return float((rows * cell_m2).sum() / 1e6)


def polygon_area_m2(rings: list, crs: CRS | str) -> float:
    """Area in m² of a polygon given as GeoJSON rings (the outer ring, then its holes) in
    ``crs``'s coordinates.

    Projected coordinates take the shoelace formula. Longitude/latitude are first put on
    Lambert's cylindrical equal-area projection of the authalic sphere, ``(R λ, R sin φ)``:
    it keeps areas exactly, and the pixel edges a flood polygon traces (meridians and
    parallels) stay straight on it, so such a polygon measures what :func:`mask_area_km2`
    gives its pixels (the shoelace on degrees would give degrees squared, about nothing).
    """
    geographic = CRS.from_user_input(crs).is_geographic

    def ring_m2(ring: list) -> float:
        xy = np.asarray(ring, dtype=np.float64)
        x, y = xy[:, 0], xy[:, 1]
        if geographic:
            x, y = EARTH_RADIUS_M * np.deg2rad(x), EARTH_RADIUS_M * np.sin(np.deg2rad(y))
        return abs(0.5 * float(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1])))

    return ring_m2(rings[0]) - sum(ring_m2(r) for r in rings[1:])
