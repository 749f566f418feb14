"""The demo world's three regions and their areas: real county files, units and crops.

These are the demo's own definitions, used to generate its files; `paii demo build`
adds them to the store with :func:`paii_core.workspace.add_region` and
:func:`paii_core.workspace.add_area` like any user's region, and the engine and pages
read regions and areas from the store only. UTM zones are not written here: each area's
grid is in the zone of its own county (:func:`paii_core.workspace.utm_epsg`).
"""

from __future__ import annotations

from dataclasses import dataclass

from paii_core.errors import ValidationError

__all__ = ["DEMO_REGIONS", "DemoArea", "DemoRegion", "demo_region"]


@dataclass(frozen=True)
class DemoArea:
    """An area of interest inside a real county, where the demo world has imagery."""

    aoi_id: str
    county_id: str
    """Zero-padded county id (5-digit FIPS or 6-digit adcode)."""
    crops: tuple[str, ...]
    """Crop classes grown in this area, the first being the dominant one."""
    has_flood: bool = False


@dataclass(frozen=True)
class DemoRegion:
    """A province or state of the demo with its county file, crops and units."""

    region_id: str
    name: str
    country: str
    boundary_file: str
    """GeoJSON under data/boundaries/, EPSG:4326 (WGS84; Chinese files converted from GCJ-02)."""
    yield_unit: str
    yield_crops: tuple[str, ...]
    aois: tuple[DemoArea, ...]


DEMO_REGIONS: dict[str, DemoRegion] = {
    r.region_id: r
    for r in (
        DemoRegion(
            region_id="henan",
            name="Henan (CN)",
            country="CN",
            boundary_file="henan_counties.geojson",
            yield_unit="kg/mu",
            yield_crops=("wheat", "maize"),
            aois=(DemoArea("henan-huaxian", "410526", ("wheat", "maize", "peanut")),),
        ),
        DemoRegion(
            region_id="hubei",
            name="Hubei (CN)",
            country="CN",
            boundary_file="hubei_counties.geojson",
            yield_unit="t/ha",
            yield_crops=("rice",),
            aois=(
                DemoArea("hubei-jianli", "421088", ("rice", "rapeseed", "maize"), has_flood=True),
            ),
        ),
        DemoRegion(
            region_id="iowa",
            name="Iowa (US)",
            country="US",
            boundary_file="iowa_counties.geojson",
            yield_unit="bu/acre",
            yield_crops=("corn", "soybean"),
            aois=(DemoArea("iowa-story", "19169", ("corn", "soybean", "hay")),),
        ),
    )
}


def demo_region(region_id: str) -> DemoRegion:
    """A demo region by id; an unknown id lists the known ones."""
    try:
        return DEMO_REGIONS[region_id]
    except KeyError:
        known = ", ".join(sorted(DEMO_REGIONS))
        raise ValidationError(
            f"region {region_id!r} is unknown; use one of: {known} (the demo's regions)"
        ) from None
