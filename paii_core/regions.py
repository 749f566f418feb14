"""The regions PAII knows: real county boundaries, units and crops of each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from paii_core.errors import ValidationError

__all__ = ["REGIONS", "AoiSpec", "Region", "get_region"]


@dataclass(frozen=True)
class AoiSpec:
    """An area of interest inside a real county, where the demo world has imagery."""

    aoi_id: str
    county_id: str
    """Zero-padded county id (5-digit FIPS or 6-digit adcode)."""
    crops: tuple[str, ...]
    """Crop classes grown in this area, the first being the dominant one."""
    has_flood: bool = False


@dataclass(frozen=True)
class Region:
    """A province or state with its counties, crops and the units its users read."""

    region_id: str
    name: str
    country: Literal["CN", "US"]
    boundary_file: str
    """GeoJSON under data/boundaries/, EPSG:4326 (WGS84; Chinese files converted from GCJ-02)."""
    utm_epsg: int
    """Projected CRS of the region's rasters (the UTM zone of its areas of interest)."""
    yield_unit: Literal["bu/acre", "t/ha", "kg/mu"]
    yield_crops: tuple[str, ...]
    aois: tuple[AoiSpec, ...]


REGIONS: dict[str, Region] = {
    r.region_id: r
    for r in (
        Region(
            region_id="henan",
            name="Henan (CN)",
            country="CN",
            boundary_file="henan_counties.geojson",
            utm_epsg=32650,
            yield_unit="kg/mu",
            yield_crops=("wheat", "maize"),
            aois=(AoiSpec("henan-huaxian", "410526", ("wheat", "maize", "peanut")),),
        ),
        Region(
            region_id="hubei",
            name="Hubei (CN)",
            country="CN",
            boundary_file="hubei_counties.geojson",
            utm_epsg=32649,
            yield_unit="t/ha",
            yield_crops=("rice",),
            aois=(
                AoiSpec("hubei-jianli", "421088", ("rice", "rapeseed", "maize"), has_flood=True),
            ),
        ),
        Region(
            region_id="iowa",
            name="Iowa (US)",
            country="US",
            boundary_file="iowa_counties.geojson",
            utm_epsg=32615,
            yield_unit="bu/acre",
            yield_crops=("corn", "soybean"),
            aois=(AoiSpec("iowa-story", "19169", ("corn", "soybean", "hay")),),
        ),
    )
}


def get_region(region_id: str) -> Region:
    """Look a region up by id; an unknown id lists the known ones."""
    try:
        return REGIONS[region_id]
    except KeyError:
        known = ", ".join(sorted(REGIONS))
        raise ValidationError(f"region {region_id!r} is unknown; use one of: {known}") from None
